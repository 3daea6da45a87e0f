"""Business-document skills: named entities and compliance risks.

- ``entities``: ``{"entities": [{"text": "Kestrel Analytics Inc", "type": "ORG"}, ...]}``
  with types PERSON, ORG, LOCATION, MONEY, DATE
- ``compliance``: ``{"flags": ["auto_renewal", ...], "risk": "none" | "low" | "high"}``

    >>> Parallel(tasks={"entities": Ask(extractor, "Find the entities:\\n{input}", skill="entities"),
    ...                 "compliance": Ask(lawyer, "Find compliance risks:\\n{input}", skill="compliance")})

The heuristics know common names, cities and company suffixes, so unusual
names slip through, as they do for real extraction models.
"""

from __future__ import annotations

import random
import re
from typing import Any

from .registry import register_skill
from .base import answer, content_of, hits, normalise

KNOWN_FIRST_NAMES = ["Maria", "James", "Aisha", "Li", "Sofia", "Hannah", "Ravi", "Elena", "Mateo", "Ana", "Ben", "Chloe"]
KNOWN_CITIES = ["Lisbon", "Rotterdam", "Denver", "Manchester", "Singapore", "Nairobi", "Montreal", "London", "Paris"]
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
PATTERNS = [  # (type, pattern), in the order they are tried
    ("MONEY", r"(?:\$|€|£|EUR |USD |GBP )[\d,]+(?:\.\d+)?"),
    ("DATE", rf"\b\d{{1,2}} {MONTH} \d{{4}}\b|\b{MONTH} \d{{1,2}}, \d{{4}}\b"),
    ("ORG", r"\b(?:[A-Z][a-z]+ ){1,3}(?:Ltd|Inc|LLC|GmbH|plc|Group|Partners|Corp)\b"),
    ("PERSON", rf"\b(?:{'|'.join(KNOWN_FIRST_NAMES)}) [A-Z][a-z]+\b"),
    ("LOCATION", rf"\b(?:{'|'.join(KNOWN_CITIES)})\b"),
]


def understand_entities(text: str) -> list[dict[str, str]]:
    """Entities in order of first appearance, each once."""
    found: list[tuple[int, str, str]] = []
    for kind, pattern in PATTERNS:
        for m in re.finditer(pattern, text):
            if not any(start <= m.start() < start + len(t) for start, t, _ in found):  # inside an earlier match
                found.append((m.start(), m.group(0), kind))
    unique: list[dict[str, str]] = []
    for _, value, kind in sorted(found):
        if {"text": value, "type": kind} not in unique:
            unique.append({"text": value, "type": kind})
    return unique


@register_skill("entities")
def entities(text: str, *, rng: random.Random, accuracy: float, model: str, **_: Any) -> str:
    """Named entities; a weaker model misses some and mislabels a capitalised word now and then."""
    content = content_of(text)
    kept = [e for e in understand_entities(content) if rng.random() < accuracy]
    capitalised = re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,}", content)
    if capitalised and rng.random() >= accuracy:
        kept.append({"text": rng.choice(capitalised), "type": "ORG"})
    return answer(entities=kept)


# flag -> phrases that reveal it; the severity decides the overall risk
RISK_PHRASES = {
    "auto_renewal": ["renews automatically", "automatic renewal", "auto renew"],
    "unlimited_liability": ["unlimited liability"],
    "exclusivity": ["exclusively"],
    "side_agreement": ["agreed verbally", "not record", "off the books"],
    "personal_data": ["date of birth", "home address", "card number", "passport"],
    "legal_threat": ["legal action", "sue ", "lawyer"],
    "guarantee_claim": ["guarantee investors", "guaranteed return"],
    "unaudited_figures": ["not been audited", "unaudited", "preliminary"],
}
HIGH_RISK = ["unlimited_liability", "side_agreement", "personal_data", "legal_threat", "guarantee_claim"]
CONFUSABLE_FLAGS = {"contract": ["exclusivity", "auto_renewal"], "other": ["unaudited_figures", "personal_data"]}


def understand_compliance(text: str) -> list[str]:
    """The compliance flags a careful reader would raise (sorted)."""
    words = normalise(text)
    flags = [flag for flag, phrases in RISK_PHRASES.items() if hits(words, phrases)]
    terms = [int(days) for days in re.findall(r"payable within (\d+) days", text)]
    if any(days > 60 for days in terms):
        flags.append("long_payment_terms")
    if " agreement " in words and " terminat" not in words:
        flags.append("no_termination_clause")
    return sorted(flags)


def risk_level(flags: list[str]) -> str:
    return "high" if any(f in HIGH_RISK for f in flags) else "low" if flags else "none"


@register_skill("compliance")
def compliance(text: str, *, rng: random.Random, accuracy: float, model: str, **_: Any) -> str:
    """Compliance flags and the overall risk; a weaker model misses flags or raises a false alarm."""
    content = content_of(text)
    flags = [flag for flag in understand_compliance(content) if rng.random() < accuracy]
    if rng.random() >= accuracy:
        kind = "contract" if " agreement " in normalise(content) else "other"
        flags = sorted(set(flags) | {rng.choice(CONFUSABLE_FLAGS[kind])})
    return answer(flags=flags, risk=risk_level(flags))
