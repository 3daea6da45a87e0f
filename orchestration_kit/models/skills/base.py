"""What every simulated skill shares: find the content, understand it, answer at the model's level.

A classification-like skill follows one recipe, so its quality is realistic:

1. **understand**: a keyword or pattern heuristic reads the content and proposes
   an answer, with a *clarity* between 0 (a guess) and 1 (clear-cut). The
   heuristic is good but not perfect (typos, mixed requests and unusual
   wording fool it), like any model's reading.
2. **perform at the model's level**: with probability ``accuracy`` (from the
   model's profile) the model gives that answer; otherwise it makes a
   plausible mistake, a label that is easily confused with the right one.
3. **say how sure it is**: confidence is high when the reading was clear-cut
   and the model did not slip, lower otherwise, so a threshold plus a fallback
   catches many mistakes (not all: some wrong answers still sound sure).

Skills answer in JSON, as a real model asked for structured output would:
``{"label": "billing", "confidence": 0.91}``. ``parse_label`` and
``parse_json`` (in ``skills.parse``) read those answers back.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

# Compiled once, here: every simulated call uses them, and a call should cost microseconds.
WORD = re.compile(r"[a-z0-9']+")
JSON_START = re.compile(r"[\[{]")  # where a JSON object or list may begin
_ENCODER = json.JSONEncoder(ensure_ascii=False)  # what json.dumps(..., ensure_ascii=False) builds on every call
_DECODER = json.JSONDecoder()


def content_of(prompt: str) -> str:
    """The part of a prompt a skill works on: what follows the instruction.

    Write prompts as ``"Instruction: {input}"`` or ``"Instruction:\\n{input}"``:

    >>> content_of("Route this message: my invoice is wrong")
    'my invoice is wrong'
    >>> content_of("Find the entities in this document:\\nINVOICE\\nTotal: $5")
    'INVOICE\\nTotal: $5'

    Only the first line is read as an instruction; a prompt without a colon
    there is all content.
    """
    first, newline, rest = prompt.partition("\n")
    if newline and first.rstrip().endswith(":"):
        return rest.strip()
    _, colon, after = first.partition(": ")
    if colon:
        return (after + newline + rest).strip()
    return prompt.strip()


# For bytes.translate: each byte kept if WORD matches it, else made a space (only ASCII text goes this way).
_WORDS_ONLY = bytes(c if WORD.fullmatch(chr(c)) else ord(" ") for c in range(256))


def normalise(text: str) -> str:
    """Lowercase words separated by single spaces, padded, for whole-word matching.

    >>> normalise("Chest pain, since 2 a.m.!")
    ' chest pain since 2 a m '
    """
    lowered = text.lower().replace("’", "'")
    if lowered.isascii():  # the usual case: the words WORD would find, split out as bytes (3x quicker than the regex)
        return " " + b" ".join(lowered.encode().translate(_WORDS_ONLY).split()).decode() + " "
    return " " + " ".join(WORD.findall(lowered)) + " "


def hits(normalised: str, keywords: list[str]) -> list[str]:
    """The keywords that start a word in the text ("refund" also finds "refunded")."""
    return [k for k in keywords if " " + k in normalised]


def best_label(scores: dict[str, float], default: str) -> tuple[str, float]:
    """The highest-scoring label and the clarity of that reading (its share of all evidence).

    With no evidence at all the answer is ``default`` with clarity 0: a guess.
    Ties go to the label listed first.
    """
    total = sum(scores.values())
    if total <= 0:
        return default, 0.0
    label = max(scores, key=lambda k: scores[k])
    return label, scores[label] / total


def perform(rng: random.Random, accuracy: float, understood: str, candidates: list[str],
            confusable: dict[str, list[str]] | None = None) -> tuple[str, bool]:
    """Answer at the model's level: the understood label with probability ``accuracy``,
    otherwise a plausible mistake. Returns (label, kept the understood label?)."""
    if rng.random() < accuracy or len(candidates) < 2:
        return understood, True
    near = [c for c in (confusable or {}).get(understood, []) if c in candidates and c != understood]
    others = near or [c for c in candidates if c != understood]
    return rng.choice(others), False


def confidence(rng: random.Random, kept: bool, clarity: float) -> float:
    """How sure the model says it is: informative, not perfect.

    A kept reading scores 0.55 to 0.98 depending on clarity; a slip scores
    0.35 to 0.85, so a threshold around 0.7 catches most slips but also
    sends some right answers to the fallback.
    """
    if kept:
        value = 0.55 + 0.4 * clarity + rng.uniform(-0.05, 0.05)
    else:
        value = rng.uniform(0.35, 0.85)
    return round(min(0.99, max(0.05, value)), 2)


def answer(**fields: Any) -> str:
    """A skill's reply: one line of JSON, keys in the order given."""
    return _ENCODER.encode(fields)


def read_json(text: str) -> Any:
    """The first JSON object or list in ``text``, or None (tolerates prose around it)."""
    for match in JSON_START.finditer(text):
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
            return value
        except ValueError:
            continue
    return None
