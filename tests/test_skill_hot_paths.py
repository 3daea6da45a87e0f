"""The simulated skills do no work twice: patterns compiled once, a case read once for its checks.

Structure only; the speed these give is measured in benchmarks/runtime.py, and
benchmarks/fingerprint.py checks that every answer stays the same, bit for bit.
"""

from __future__ import annotations

import random
import re

import pytest

from orchestration_kit import datasets
from orchestration_kit.models.skills import SKILLS, clinical, parse_label

CASE = datasets.healthcare_cases()["text"][3]


@pytest.fixture
def compiled(monkeypatch):
    """Every pattern the ``re`` module compiles (or finds in its cache) from now on."""
    seen: list[str] = []
    original = re._compile

    def counting(pattern, flags):
        seen.append(pattern)
        return original(pattern, flags)

    monkeypatch.setattr(re, "_compile", counting)
    return seen


def test_the_lesson_6_skills_compile_no_pattern_per_call(compiled):
    rng = random.Random(0)
    for check in ("labs", "medications", "all"):
        SKILLS["clinical"](f"Check this case:\n{CASE}", rng=rng, accuracy=0.9, model="m", check=check)
    SKILLS["triage"](f"How urgent is this case: {CASE}", rng=rng, accuracy=0.9, model="m", labels=["real_time", "batch"])
    findings = 'labs: {"flags": ["lab:potassium_high"], "recommendation": "repeat_tests", "confidence": 0.8}'
    SKILLS["synthesize"](f"Write a short report from these findings:\n{findings}", rng=rng, accuracy=0.9, model="m")
    parse_label('{"label": "batch", "confidence": 0.71}')
    assert compiled == []


def test_a_case_is_read_once_for_the_checks_that_run_side_by_side_on_it(monkeypatch):
    reads = []
    read_labs = clinical.read_labs
    monkeypatch.setattr(clinical, "read_labs", lambda text: reads.append(text) or read_labs(text))
    clinical.understand_case.cache_clear()
    answers = [SKILLS["clinical"](f"Check this case's {kind}:\n{CASE}", rng=random.Random(1), accuracy=1.0, model="m",
                                  check=check) for kind, check in (("lab results", "labs"), ("medicines", "medications"))]
    assert len(reads) == 1
    assert '"lab:potassium_high"' in answers[0] and '"contra:potassium_raising_drug"' in answers[1]


def test_a_cached_reading_cannot_be_changed_by_its_caller():
    flags, critical = clinical.understand_case(CASE)
    assert isinstance(flags, tuple) and flags == clinical.understand_case(CASE)[0]


TRICKY = ["", "  ", "Chest pain, since 2 a.m.!", "don’t DON'T", "x\ty\nz\x1cw", "naïve café Ünïcode", "A12 ÄB12 _B12 b12_",
          "K+ 5.8; eGFR 24", "(N18) N18, I10.", "xN18 N18x N189"]


@pytest.mark.parametrize("text", TRICKY + [CASE])
def test_normalise_finds_the_words_the_word_pattern_finds(text):
    from orchestration_kit.models.skills.base import WORD, normalise

    assert normalise(text) == " " + " ".join(WORD.findall(text.lower().replace("’", "'"))) + " "


@pytest.mark.parametrize("text", TRICKY + [CASE])
def test_condition_codes_are_the_whole_word_capital_and_two_digits(text):
    assert clinical.CONDITION_CODE.findall(text) == re.findall(r"\b[A-Z]\d{2}\b", text)
