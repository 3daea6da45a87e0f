"""Clinical checks on a FICTIONAL case: abnormal labs, contraindications, a recommendation.

SIMULATED, FOR TEACHING ORCHESTRATION ONLY. The reference ranges and drug
rules below are simplified textbook examples; they are not medical advice and
must never be used on real patients.

- ``clinical``: ``{"flags": [...], "recommendation": ..., "confidence": ...}``
  with flags such as ``lab:potassium_high`` and ``contra:nsaid_kidney`` and a
  recommendation among routine_follow_up, repeat_tests, medication_review,
  urgent_review. ``check="labs"`` or ``check="medications"`` limits the flags
  to one kind (for parallel checks).

    >>> Ask(SimulatedModel("clinical-specialist"), "Check this case:\\n{input}", skill="clinical", check="labs")
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any

from .registry import register_skill
from .base import answer, confidence, content_of, perform

# test -> (normal low, normal high, critical low, critical high); None = no such limit
RANGES = {"potassium": (3.5, 5.0, 2.8, 6.0), "sodium": (135, 145, 125, 155), "egfr": (60, None, None, None),
          "hba1c": (None, 8.0, None, None), "glucose": (3.9, 11.1, 3.0, 25.0), "hemoglobin": (12.0, None, 7.0, None),
          "inr": (None, 3.0, None, 5.0), "tsh": (0.4, 4.0, None, None)}
ALIASES = {"k+": "potassium", "gfr": "egfr", "estimated gfr": "egfr", "hb": "hemoglobin", "blood sugar": "glucose"}
NSAIDS = ["ibuprofen", "naproxen", "advil"]
CODES = {"type 2 diabetes": "E11", "hypertension": "I10", "chronic kidney disease": "N18", "asthma": "J45",
         "atrial fibrillation": "I48", "heart failure": "I50", "hypothyroidism": "E03", "hip osteoarthritis": "M16"}
RECOMMENDATIONS = ["routine_follow_up", "repeat_tests", "medication_review", "urgent_review"]
NEIGHBOURS = {r: RECOMMENDATIONS[max(0, i - 1):i] + RECOMMENDATIONS[i + 1:i + 2] for i, r in enumerate(RECOMMENDATIONS)}


# The patterns are compiled once, here, not on every call: a simulated call should cost microseconds.
LINES = {label: re.compile(rf"^{label}:(.*)$", flags=re.MULTILINE | re.IGNORECASE)
         for label in ("Recent labs", "Medications", "History")}  # a case's "Label: value" lines
LAB = re.compile(r"\s*([a-z0-9+ ]+?)\s+(-?\d+(?:\.\d+)?)")  # "potassium 6.2 mmol/L" -> name, value
# An ICD-10 code such as N18: a capital and two digits, a whole word. Written as "a capital not preceded by a
# word character" rather than r"\b[A-Z]\d{2}\b", so the regex engine can skip straight to capitals (3x quicker).
CONDITION_CODE = re.compile(r"[A-Z](?<!\w[A-Z])\d{2}\b")


def _line(text: str, label: str) -> str:
    """The value of the case's ``label:`` line, lowercased ("" if there is none)."""
    m = LINES[label].search(text)
    return m.group(1).strip().lower() if m else ""


def read_labs(text: str) -> dict[str, float]:
    """"potassium 6.2 mmol/L; eGFR 24 ..." -> {"potassium": 6.2, "egfr": 24.0} (unknown names are skipped)."""
    labs = {}
    for part in _line(text, "Recent labs").rstrip(".").split(";"):
        m = LAB.match(part)
        if m:
            name = ALIASES.get(m[1].strip(), m[1].strip())
            if name in RANGES:
                labs[name] = float(m[2])
    return labs


@lru_cache(maxsize=16)  # the checks of one case run side by side (labs, medications): the case is read once
def understand_case(text: str) -> tuple[tuple[str, ...], bool]:
    """(flags, any critical value) as the rules in data/README.md define them."""
    labs, meds, history = read_labs(text), _line(text, "Medications"), _line(text, "History")
    conditions = CONDITION_CODE.findall(text) + [code for name, code in CODES.items() if name in history]
    flags, critical = [], False
    for test, value in labs.items():
        low, high, crit_low, crit_high = RANGES[test]
        if low is not None and value < low:
            flags.append(f"lab:{test}_low")
        if high is not None and value > high:
            flags.append(f"lab:{test}_high")
        critical |= (crit_low is not None and value < crit_low) or (crit_high is not None and value > crit_high)
    nsaid = any(drug in meds for drug in NSAIDS)
    egfr = labs.get("egfr", 99.0)
    rules = {
        "contra:metformin_low_egfr": "metformin" in meds and egfr < 30,
        "contra:nsaid_kidney": nsaid and ("N18" in conditions or egfr < 60),
        "contra:nsaid_anticoagulant": nsaid and "warfarin" in meds,
        "contra:potassium_raising_drug": ("spironolactone" in meds or "lisinopril" in meds) and labs.get("potassium", 0) > 5.5,
        "contra:beta_blocker_asthma": "propranolol" in meds and "J45" in conditions,
    }
    return tuple(sorted(flags + [flag for flag, applies in rules.items() if applies])), critical


def recommend(flags: tuple[str, ...], critical: bool) -> str:
    if critical:
        return "urgent_review"
    if any(f.startswith("contra:") for f in flags):
        return "medication_review"
    return "repeat_tests" if flags else "routine_follow_up"


@register_skill("clinical")
def clinical(text: str, *, rng: random.Random, accuracy: float, model: str, check: str = "all", **_: Any) -> str:
    """Flags and a recommendation category; a weaker model misses flags and misjudges the category."""
    if check not in ("all", "labs", "medications"):
        raise ValueError(f"clinical skill: check must be 'all', 'labs' or 'medications', got {check!r}")
    flags, critical = understand_case(content_of(text))
    understood = recommend(flags, critical)
    wanted = {"all": ("lab:", "contra:"), "labs": ("lab:",), "medications": ("contra:",)}[check]
    flags = [f for f in flags if f.startswith(wanted) and rng.random() < accuracy]
    recommendation, kept = perform(rng, accuracy, understood, RECOMMENDATIONS, NEIGHBOURS)
    return answer(flags=flags, recommendation=recommendation, confidence=confidence(rng, kept, 0.8))
