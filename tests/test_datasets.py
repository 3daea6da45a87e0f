"""The shipped data sets: documented schemas, reproducible files, reachable labels, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from orchestration_kit import datasets
from orchestration_kit.models.skills import SKILLS
from orchestration_kit.models.skills.business import understand_compliance
from orchestration_kit.models.skills.clinical import recommend, understand_case
from orchestration_kit.models.skills.documents import REQUIRED, understand_doctype, validate_fields
from orchestration_kit.models.skills.support import DEPARTMENT_OF, understand_intent, understand_label
from orchestration_kit.models.skills.text import understand_request

DATA = Path(datasets.DATA_DIR)
GENERATED = ["customer_queries.csv", "enterprise_requests.csv", "business_documents.jsonl",
             "pipeline_documents.jsonl", "healthcare_cases.jsonl"]
LOADERS = {
    "customer_queries.csv": datasets.customer_queries,
    "enterprise_requests.csv": datasets.enterprise_requests,
    "business_documents.jsonl": datasets.business_documents,
    "pipeline_documents.jsonl": datasets.pipeline_documents,
    "healthcare_cases.jsonl": datasets.healthcare_cases,
    "models.csv": datasets.model_catalog,
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_each_loader_returns_a_dataframe_with_the_documented_columns(name):
    frame = LOADERS[name]()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert list(frame.columns)[: len(datasets.SCHEMAS[name])] == datasets.SCHEMAS[name]
    assert frame["id" if "id" in frame else "name"].is_unique


def test_list_and_dict_columns_hold_python_lists_and_dicts():
    docs, cases, pipeline = datasets.business_documents(), datasets.healthcare_cases(), datasets.pipeline_documents()
    assert all(isinstance(v, list) for column in ("keywords", "entities", "compliance_flags") for v in docs[column])
    assert all(isinstance(v, list) for column in ("history", "medications", "labs", "expected_flags") for v in cases[column])
    assert all(isinstance(f, dict) and set(f) == set(REQUIRED[t]) for f, t in zip(pipeline.fields, pipeline.doc_type))
    assert set(datasets.enterprise_requests().amount_usd.dropna()) and datasets.enterprise_requests().amount_usd.dtype == float


def test_the_customer_query_split_is_fixed_stratified_and_disjoint():
    everything, train, test = datasets.customer_queries(), datasets.customer_queries("train"), datasets.customer_queries("test")
    assert (len(everything), len(train), len(test)) == (384, 269, 115)
    assert not set(train.id) & set(test.id)
    assert set(train.label) == set(test.label) == {"billing", "technical", "product", "account", "general"}
    assert set(everything.kind) == {"clear", "typo", "mixed", "vague", "out_of_scope"}
    assert all(":" not in text for text in everything.text)  # documented: skills read after the prompt's first colon


def test_a_bad_split_name_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        datasets.customer_queries("validation")


def test_the_generator_rewrites_the_committed_files_byte_for_byte(tmp_path):
    for hash_seed in ("0", "12345"):  # set iteration order must not leak into the files
        out = tmp_path / hash_seed
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        subprocess.run([sys.executable, str(DATA / "generate_datasets.py"), str(out)], check=True, env=env,
                       capture_output=True)
        for name in GENERATED:
            assert (out / name).read_bytes() == (DATA / name).read_bytes(), f"{name} differs from a fresh generation"


def test_the_whole_data_folder_stays_small():
    assert sum(p.stat().st_size for p in DATA.iterdir() if p.is_file()) < 1_000_000


def test_every_catalog_accuracy_column_names_a_real_skill():
    columns = [c for c in datasets.model_catalog().columns if c.startswith("acc_")]
    assert columns and all(c[4:] in SKILLS for c in columns)


def test_the_catalog_has_generalists_and_specialists_at_realistic_prices():
    catalog = datasets.model_catalog().set_index("name")
    assert {"generalist-large", "generalist-small"} <= set(catalog.index)
    assert {"billing-specialist", "technical-specialist", "extraction-specialist", "sentiment-specialist",
            "compliance-specialist", "clinical-specialist"} <= set(catalog.index)
    # orders of magnitude of hosted models: $0.0001 .. $0.01 per 1k input tokens, well under a second to 1 s first token
    assert catalog.price_in_per_1k.between(0.0001, 0.01).all() and catalog.latency_s.between(0.1, 1.0).all()
    assert catalog.loc["generalist-large", "price_out_per_1k"] > 5 * catalog.loc["billing-specialist", "price_out_per_1k"]


# -- every label in the ground truth is one the kit's skills can actually produce ----------------


def test_every_customer_label_and_intent_is_reachable_by_the_support_skills():
    queries = datasets.customer_queries()
    departments = ["billing", "technical", "product", "account", "general"]
    assert set(queries.label) == {understand_label(t, departments)[0] for t in queries.text}
    assert set(queries.intent) == set(DEPARTMENT_OF)
    assert set(queries.intent) == {understand_intent(t, list(DEPARTMENT_OF))[0] for t in queries.text}


def test_every_enterprise_label_is_reachable_by_triage():
    requests = datasets.enterprise_requests()
    assert set(requests.label) == {understand_request(t)[0] for t in requests.text} == {
        "automated", "manual_review", "escalation"}


def test_every_compliance_flag_and_document_type_is_reachable():
    docs, pipeline = datasets.business_documents(), datasets.pipeline_documents()
    planted = {flag for flags in docs.compliance_flags for flag in flags}
    assert planted == {flag for text in docs.text for flag in understand_compliance(text)}
    assert set(docs.compliance_risk) == {"none", "low", "high"}
    assert set(pipeline.doc_type) == {understand_doctype(t, list(REQUIRED))[0] for t in pipeline.text}


def test_validation_finds_exactly_the_planted_problems_in_the_expected_fields():
    pipeline = datasets.pipeline_documents()
    assert [validate_fields(t, f) for t, f in zip(pipeline.doc_type, pipeline.fields)] == list(pipeline.problems)
    assert 0 < (~pipeline.valid).sum() < len(pipeline)


def test_every_clinical_flag_and_recommendation_is_reachable():
    cases = datasets.healthcare_cases()
    understood = [understand_case(t) for t in cases.text]
    assert {f for flags in cases.expected_flags for f in flags} == {f for flags, _ in understood for f in flags}
    assert set(cases.recommendation) == {recommend(*u) for u in understood} == {
        "routine_follow_up", "repeat_tests", "medication_review", "urgent_review"}
    assert set(cases.urgency) == {"real_time", "batch"}


# -- clear errors ------------------------------------------------------------------------------------


def test_a_missing_file_error_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"customer_queries\.csv.*generate_datasets\.py"):
        datasets.load("customer_queries.csv", data_dir=tmp_path)


def test_a_file_missing_columns_is_reported_as_malformed(tmp_path):
    (tmp_path / "customer_queries.csv").write_text("id,text\nq1,hello\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"malformed.*label, intent, kind, secondary, split.*generate_datasets"):
        datasets.load("customer_queries.csv", data_dir=tmp_path)


def test_a_broken_json_line_is_reported_with_its_line_number(tmp_path):
    (tmp_path / "healthcare_cases.jsonl").write_text('{"id": "h1"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\.jsonl:2: not valid JSON"):
        datasets.load("healthcare_cases.jsonl", data_dir=tmp_path)


def test_a_ragged_csv_row_is_reported(tmp_path):
    good = (DATA / "enterprise_requests.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "enterprise_requests.csv").write_text("\n".join(good[:3] + ["r9,too,few"]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"enterprise_requests\.csv:4: 3 fields, but the header has 7: put one value per column"):
        datasets.load("enterprise_requests.csv", data_dir=tmp_path)
