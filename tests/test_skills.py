"""Simulated skills: deterministic, realistic (not perfect), specialists pay off, answers parse back."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from orchestration_kit import Ask, Decision, Gathered, SimulatedModel, datasets, run
from orchestration_kit.measure.evaluate import evaluate, overlap_f1
from orchestration_kit.patterns.parallel import BranchResult
from orchestration_kit.models.skills import SKILLS, parse_json, parse_label
from orchestration_kit.models.skills.base import confidence, content_of, perform
from orchestration_kit.models.skills.documents import parse_date, parse_money

DEPARTMENTS = ["billing", "technical", "product", "account", "general"]
DOC = datasets.pipeline_documents().iloc[0]
CASE = datasets.healthcare_cases().iloc[0]
BUSINESS = datasets.business_documents().iloc[0]
# skill -> (prompt, skill args, the keys its JSON answer has)
SKILL_CASES = {
    "classify": ("Route this message: I was charged twice", {"labels": DEPARTMENTS}, ["label", "confidence"]),
    "billing": ("Resolve: I was charged twice", {}, ["label", "confidence", "reply"]),
    "support": ("Resolve: my app crashes", {}, ["label", "confidence", "reply"]),
    "sentiment": ("Sentiment: the worst service ever", {}, ["label", "confidence"]),
    "keywords": (f"Key terms:\n{BUSINESS.text}", {}, ["keywords"]),
    "entities": (f"Entities:\n{BUSINESS.text}", {}, ["entities"]),
    "compliance": (f"Risks:\n{BUSINESS.text}", {}, ["flags", "risk"]),
    "triage": ("Handle: Please reset my VPN password", {}, ["label", "confidence", "reason"]),
    "doctype": (f"Type:\n{DOC.text}", {}, ["label", "confidence"]),
    "extract": (f"Fields:\n{DOC.text}", {}, ["doc_type", "fields"]),
    "validate": (f"Check:\n{DOC.text}", {}, ["valid", "problems"]),
    "clinical": (f"Check this case:\n{CASE.text}", {}, ["flags", "recommendation", "confidence"]),
}


@pytest.mark.parametrize("skill", sorted(SKILL_CASES))
def test_each_skill_answers_in_its_documented_json_the_same_way_every_time(skill):
    prompt, args, keys = SKILL_CASES[skill]
    flow = Ask(SimulatedModel("generalist-large"), "{input}", skill=skill, **args)
    first, second = run(flow, prompt, seed=3), run(flow, prompt, seed=3)
    assert first.output == second.output and first.trace.latency == second.trace.latency
    assert list(json.loads(first.output)) == keys


def test_every_documented_skill_is_registered():
    assert set(SKILL_CASES) | {"technical", "product", "account", "synthesize", "answer"} <= set(SKILLS)


def test_a_different_seed_can_change_a_weak_models_answer():
    flow = Ask(SimulatedModel("generalist-small"), "Route this message: {input}", skill="classify")
    answers = {run(flow, "I need some help with my card", seed=s).output for s in range(20)}
    assert len(answers) > 1


def test_content_of_reads_what_follows_the_instruction():
    assert content_of("Route this message: my invoice is wrong") == "my invoice is wrong"
    assert content_of("Find the entities:\nINVOICE\nTotal: $5") == "INVOICE\nTotal: $5"
    assert content_of("Check: INVOICE\nTotal: $5") == "INVOICE\nTotal: $5"
    assert content_of("no instruction here") == "no instruction here"


def test_perform_keeps_the_understood_label_at_full_accuracy_and_errs_plausibly_at_zero():
    rng = random.Random(0)
    assert perform(rng, 1.0, "billing", DEPARTMENTS) == ("billing", True)
    wrong = {perform(random.Random(s), 0.0, "billing", DEPARTMENTS, {"billing": ["account"]})[0] for s in range(10)}
    assert wrong == {"account"}  # the confusable label, not a random one


def test_confidence_is_higher_for_kept_clear_readings_than_for_slips():
    kept = [confidence(random.Random(s), True, 1.0) for s in range(200)]
    slips = [confidence(random.Random(s), False, 1.0) for s in range(200)]
    assert min(kept) > 0.85 and max(slips) <= 0.85 and sum(kept) / 200 > sum(slips) / 200 + 0.3


def test_classify_confidence_is_informative_on_the_test_split():
    flow = Ask(SimulatedModel("generalist-small"), "Route this message: {input}", skill="classify", parse=parse_label)
    result = evaluate(flow, datasets.customer_queries("test"), progress=False)
    ok = result.items[result.items.status == "ok"]
    confidences = [d.confidence for d in ok.output]
    right = [c for c, s in zip(confidences, ok.score) if s == 1.0]
    wrong = [c for c, s in zip(confidences, ok.score) if s == 0.0]
    assert wrong and sum(right) / len(right) > sum(wrong) / len(wrong) + 0.1  # measured: 0.91 vs 0.60


def _intent_accuracy(model: str, skill: str, department: str) -> float:
    queries = datasets.customer_queries("test")
    queries = queries[queries.label == department]
    flow = Ask(SimulatedModel(model), "Resolve this customer message: {input}", skill=skill)
    return evaluate(flow, queries, label_column="intent", progress=False).accuracy


def test_a_specialist_beats_the_small_generalist_on_its_domain_and_is_useless_elsewhere():
    # measured: 0.963 for the billing specialist, 0.741 for the small generalist
    assert _intent_accuracy("billing-specialist", "billing", "billing") > _intent_accuracy("generalist-small", "support", "billing") + 0.15
    # asked about technical problems, the billing specialist can only name billing intents
    assert _intent_accuracy("billing-specialist", "billing", "technical") == 0.0
    assert _intent_accuracy("technical-specialist", "technical", "technical") >= 0.9  # measured 0.963


def test_specialists_beat_the_small_generalist_on_documents_and_cases():
    docs, cases = datasets.business_documents(), datasets.healthcare_cases()

    def score(model, skill, data, column, key, scorer=None):
        flow = Ask(SimulatedModel(model), "Analyse:\n{input}", skill=skill)
        kwargs = {"score": scorer} if scorer else {}
        return evaluate(flow, data, label_column=column, predict=lambda r: parse_json(r.output)[key],
                        progress=False, **kwargs).accuracy

    # measured with exactly these flows (seed 0): 0.917 vs 0.671, and 0.854 vs 0.604
    assert score("compliance-specialist", "compliance", docs, "compliance_flags", "flags", overlap_f1) >= 0.88
    assert score("generalist-small", "compliance", docs, "compliance_flags", "flags", overlap_f1) <= 0.72
    assert score("clinical-specialist", "clinical", cases, "recommendation", "recommendation") >= 0.8
    assert score("generalist-small", "clinical", cases, "recommendation", "recommendation") <= 0.65


def test_parse_label_reads_json_prose_and_bare_words():
    assert parse_label('{"label": "billing", "confidence": 0.87}') == Decision("billing", 0.87, "the model said billing (0.87)")
    assert parse_label('Sure! {"label": "account", "confidence": 0.5} hope that helps').route == "account"
    assert parse_label("Billing.") == Decision("billing", 1.0, "the model said billing (no confidence given)")
    assert parse_label("").route is None


def test_parse_json_says_what_it_expected():
    assert parse_json('{"valid": true, "problems": []}') == {"valid": True, "problems": []}
    with pytest.raises(ValueError, match="expected JSON"):
        parse_json("no json here")


def test_dates_and_amounts_are_read_in_their_common_formats():
    assert parse_date("2025-03-14") == parse_date("14 March 2025") == parse_date("March 14, 2025") == "2025-03-14"
    assert parse_date("14/03/2025") == "2025-03-14"
    assert parse_date("03/14/2025") is None  # month-first dates are the extractor's known blind spot
    assert parse_money("$1,234.50") == (1234.5, "USD")
    assert parse_money("-€20.00") == (-20.0, "EUR") and parse_money("980.00 GBP") == (980.0, "GBP")
    assert parse_money("1,234") is None  # no currency: not an amount


def test_validate_skill_checks_an_extraction_and_reports_planted_problems():
    pipeline = datasets.pipeline_documents()
    bad = pipeline[~pipeline.valid].iloc[0]
    extraction = json.dumps({"doc_type": bad.doc_type, "fields": bad.fields})
    flawless = replace(SimulatedModel("extraction-specialist").profile, accuracy={"validate": 1.0})
    flow = Ask(SimulatedModel(flawless), "Check these fields: {input}", skill="validate")
    assert json.loads(run(flow, extraction).output) == {"valid": False, "problems": bad.problems}


def test_synthesize_writes_one_bullet_per_finding_and_names_what_is_missing():
    gathered = Gathered({
        "sentiment": BranchResult("sentiment", "ok", '{"label": "negative", "confidence": 0.84}'),
        "compliance": BranchResult("compliance", "ok", '{"flags": ["legal_threat"], "risk": "high"}'),
        "entities": BranchResult("entities", "skipped", error="Timeout: no answer after 5 s"),
    })
    writer = Ask(SimulatedModel("generalist-large"), "Write a short report from these findings:\n{input}", skill="synthesize")
    report = run(writer, str(gathered)).output
    assert "- sentiment: negative (84% sure)" in report
    assert "- compliance: flags: legal_threat; risk: high" in report
    assert "Not available: entities (Timeout: no answer after 5 s)" in report


def test_the_clinical_skill_refuses_an_unknown_check():
    flow = Ask(SimulatedModel("clinical-specialist"), "Check this case:\n{input}", skill="clinical", check="everything")
    with pytest.raises(ValueError, match="'all', 'labs' or 'medications'"):
        run(flow, CASE.text)


def test_the_clinical_check_can_be_limited_to_one_kind_of_flag():
    cases = datasets.healthcare_cases()
    case = next(c for c in cases.itertuples() if any(f.startswith("contra:") for f in c.expected_flags)
                and any(f.startswith("lab:") for f in c.expected_flags))
    labs = Ask(SimulatedModel("clinical-specialist"), "Check:\n{input}", skill="clinical", check="labs")
    flags = json.loads(run(labs, case.text).output)["flags"]
    assert flags and all(f.startswith("lab:") for f in flags)
