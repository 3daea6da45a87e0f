"""Synthesis: a readable summary of several results (a Parallel's synthesizer).

The content is read as ``name: value`` lines, which is how a ``Gathered``
prints (``MISSING (...)`` marks a failed branch). JSON answers from the other
skills are put into words. A weaker model leaves findings out: a real risk
of synthesis, and a reason to check its output.

    >>> Parallel(tasks={...}, synthesizer=Ask(writer, "Write a short report from these findings:\\n{input}",
    ...                                      skill="synthesize"))
"""

from __future__ import annotations

import random
from typing import Any

from .registry import register_skill
from .base import content_of, read_json


def describe(value: str) -> str:
    """One result in plain words (JSON from a skill, or text as it is)."""
    data = read_json(value) if value.lstrip().startswith(("{", "[")) else None
    if not isinstance(data, dict):
        return value.strip()
    parts = []
    if "label" in data:
        sure = f" ({float(data['confidence']):.0%} sure)" if isinstance(data.get("confidence"), (int, float)) else ""
        parts.append(f"{data['label']}{sure}")
    if "flags" in data:
        parts.append(f"flags: {', '.join(data['flags'])}" if data["flags"] else "no flags")
    for key in ("risk", "recommendation"):
        if key in data:
            parts.append(f"{key}: {data[key]}")
    if "entities" in data:
        parts.append(", ".join(f"{e['text']} ({e['type']})" for e in data["entities"]) or "no entities")
    if "keywords" in data:
        parts.append(", ".join(data["keywords"]) or "no keywords")
    if "fields" in data:
        parts.append(", ".join(f"{k}={v}" for k, v in data["fields"].items() if v is not None))
    if "problems" in data:
        parts.append("valid" if not data["problems"] else f"problems: {', '.join(data['problems'])}")
    if "reply" in data:
        parts.append(f'reply: "{data["reply"]}"')
    return "; ".join(parts) or value.strip()


@register_skill("synthesize")
def synthesize(text: str, *, rng: random.Random, accuracy: float, model: str, **_: Any) -> str:
    """A short report: one bullet per finding, then what is missing."""
    findings, missing = [], []
    for line in content_of(text).splitlines():
        name, colon, value = line.partition(": ")
        if not colon:
            continue
        if value.startswith("MISSING"):
            missing.append(f"{name} {value[len('MISSING'):].strip()}")
        elif rng.random() < accuracy:  # a weaker writer drops a finding now and then
            findings.append(f"- {name}: {describe(value)}")
    if not findings and not missing:
        first = content_of(text).split(". ")[0].strip()
        return f"Summary: {first}{'' if first.endswith('.') else '.'}"
    report = ["Summary of findings:"] + findings
    if missing:
        report.append("Not available: " + "; ".join(missing))
    return "\n".join(report)
