"""Bad data files fail on load with DataError: ``file:line``, the column, and what is allowed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from orchestration_kit import datasets
from orchestration_kit.errors import DataError, OrchestrationError
from orchestration_kit.models.simulated import CATALOG, load_profiles

HEADER, FIRST, SECOND, *REST = CATALOG.read_text(encoding="utf-8").splitlines()


def catalog_file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "models.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def with_value(column: str, value: str) -> list[str]:
    """The shipped catalog with one value of its first model (line 2) changed."""
    rows = list(csv.reader(io.StringIO("\n".join([HEADER, FIRST, SECOND, *REST]))))
    rows[1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().splitlines()


def test_a_short_catalog_row_names_the_file_and_line_and_the_field_counts(tmp_path):
    path = catalog_file(tmp_path, [HEADER, FIRST, "tiny,generalist,a short row,0.3"])
    with pytest.raises(DataError, match=r"models\.csv:3: 4 fields, but the header has \d+: put one value per column"):
        load_profiles(path)


@pytest.mark.parametrize(("column", "value", "allowed"), [
    ("latency_s", "-5", "a number ≥ 0"),
    ("latency_s", "nan", "a number ≥ 0"),
    ("latency_s", "inf", "a number ≥ 0"),
    ("error_rate", "1.7", "a number from 0 to 1"),
    ("price_in_per_1k", "cheap", "a number ≥ 0"),
    ("rate_limit_rpm", "2.5", "a whole number ≥ 0"),
    ("acc_billing", "-0.1", "a number from 0 to 1"),
    ("quality", "1.01", "a number from 0 to 1"),
])
def test_a_bad_catalog_value_says_which_line_and_what_is_allowed(tmp_path, column, value, allowed):
    path = catalog_file(tmp_path, with_value(column, value))
    with pytest.raises(DataError) as caught:
        load_profiles(path)
    assert str(caught.value) == f"{path}:2: {column} must be {allowed}, got {value!r}"


def test_failure_rates_adding_up_past_one_are_refused_with_the_line(tmp_path):
    path = catalog_file(tmp_path, with_value("timeout_rate", "0.995"))
    with pytest.raises(DataError, match=r"models\.csv:2: Failures: error_rate \+ timeout_rate"):
        load_profiles(path)


def test_a_duplicated_model_name_names_both_lines(tmp_path):
    path = catalog_file(tmp_path, [HEADER, FIRST, SECOND, FIRST])
    name = FIRST.split(",")[0]
    with pytest.raises(DataError, match=rf"models\.csv:4: name '{name}' is already used on line 2; each name must be unique"):
        load_profiles(path)


def test_a_blank_model_name_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"models\.csv:2: name is blank"):
        load_profiles(catalog_file(tmp_path, with_value("name", "")))


def test_blank_optional_values_keep_their_defaults(tmp_path):
    profile = load_profiles(catalog_file(tmp_path, with_value("quality", "")))[FIRST.split(",")[0]]
    assert profile.quality == 0.8


def test_the_catalog_data_set_is_checked_the_same_way(tmp_path):
    catalog_file(tmp_path, [HEADER, FIRST, SECOND, FIRST])
    with pytest.raises(DataError, match=r"models\.csv:4: name .* is already used on line 2"):
        datasets.load("models.csv", data_dir=tmp_path)


@pytest.mark.parametrize(("line", "kind"), [("[1, 2]", "array"), ('"a string"', "string"), ("42", "number"),
                                            ("null", "null")])
def test_a_jsonl_line_that_is_not_an_object_names_its_line_and_kind(tmp_path, line, kind):
    case = json.dumps({column: "x" for column in datasets.SCHEMAS["healthcare_cases.jsonl"]})
    (tmp_path / "healthcare_cases.jsonl").write_text(f"{case}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"healthcare_cases\.jsonl:3: a JSON {kind}, where each line must be one JSON object"):
        datasets.load("healthcare_cases.jsonl", data_dir=tmp_path)


def test_a_jsonl_line_missing_a_field_names_its_line(tmp_path):
    fields = {column: "x" for column in datasets.SCHEMAS["pipeline_documents.jsonl"]}
    short = {key: value for key, value in fields.items() if key != "valid"}
    (tmp_path / "pipeline_documents.jsonl").write_text(f"{json.dumps(fields)}\n{json.dumps(short)}\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"pipeline_documents\.jsonl:2: malformed: it lacks the column\(s\) valid"):
        datasets.load("pipeline_documents.jsonl", data_dir=tmp_path)


def test_a_duplicated_id_in_a_data_set_names_both_lines(tmp_path):
    lines = (datasets.DATA_DIR / "customer_queries.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "customer_queries.csv").write_text("\n".join(lines[:4] + [lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"customer_queries\.csv:5: id '.+' is already used on line 2; each id must be unique"):
        datasets.load("customer_queries.csv", data_dir=tmp_path)


def test_a_data_error_is_a_kit_error_and_a_value_error():
    assert issubclass(DataError, OrchestrationError) and issubclass(DataError, ValueError)


def test_the_shipped_files_pass_every_check():
    assert len(load_profiles()) == len(datasets.model_catalog()) == len(REST) + 2
    for name in datasets.SCHEMAS:
        assert len(datasets.load(name)) > 0
