"""The course's data sets, one call each, as pandas DataFrames.

Every set is synthetic (made up by ``data/generate_datasets.py``) and comes
with ground truth to score against; ``data/README.md`` has a card for each.

    >>> from orchestration_kit import datasets
    >>> test = datasets.customer_queries("test")      # columns: id, text, label, intent, kind, secondary, split
    >>> test.label.value_counts()
    >>> datasets.model_catalog()[["name", "price_in_per_1k", "acc_billing"]]

Schemas (list columns hold Python lists, dict columns Python dicts):

- ``customer_queries(split)``: id, text, label (billing / technical / product /
  account / general), intent (e.g. refund), kind (clear / typo / mixed / vague /
  out_of_scope), secondary (the other department of a mixed query, else ""), split.
- ``enterprise_requests(split)``: id, text, category, amount_usd (float, NaN if
  none), label (automated / manual_review / escalation), reason, split.
- ``business_documents()``: id, doc_type, title, text, keywords (list),
  sentiment, entities (list of {"text", "type"}), compliance_flags (list), compliance_risk.
- ``pipeline_documents()``: id, doc_type, text, fields (dict: the expected
  extraction, None where the document lacks the field), valid (bool), problems (list).
- ``healthcare_cases()``: id, urgency (real_time / batch), age, sex,
  condition_code, history (list), medications (list), labs (list of {"test",
  "value", "unit"}), text, expected_flags (list), recommendation. FICTIONAL
  cases for teaching orchestration, not medical advice.
- ``model_catalog()``: the simulated models' profiles (data/models.csv).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..data_checks import csv_rows, jsonl_rows, unique, where
from ..errors import DataError
from ..models.simulated import load_profiles
from ..paths import DATA_DIR

if TYPE_CHECKING:
    import pandas as pd

_FIX = "run `python data/generate_datasets.py` from the kit's folder to rebuild the data files"
SCHEMAS = {
    "customer_queries.csv": ["id", "text", "label", "intent", "kind", "secondary", "split"],
    "enterprise_requests.csv": ["id", "text", "category", "amount_usd", "label", "reason", "split"],
    "business_documents.jsonl": ["id", "doc_type", "title", "text", "keywords", "sentiment", "entities",
                                 "compliance_flags", "compliance_risk"],
    "pipeline_documents.jsonl": ["id", "doc_type", "text", "fields", "valid", "problems"],
    "healthcare_cases.jsonl": ["id", "urgency", "age", "sex", "condition_code", "history", "medications", "labs",
                               "text", "expected_flags", "recommendation"],
    "models.csv": ["name", "role", "description", "latency_s", "latency_sigma", "seconds_per_output_token",
                   "price_in_per_1k", "price_out_per_1k", "error_rate", "timeout_rate", "spike_rate",
                   "rate_limit_rpm", "quality"],
}


def customer_queries(split: str | None = None) -> pd.DataFrame:
    """Labelled customer-service messages for the router lesson (``split``: None, "train" or "test")."""
    return _split(load("customer_queries.csv"), split)


def enterprise_requests(split: str | None = None) -> pd.DataFrame:
    """Internal requests labelled automated / manual_review / escalation (the hierarchical lesson)."""
    frame = load("enterprise_requests.csv")
    frame["amount_usd"] = [float(v) if v else float("nan") for v in frame["amount_usd"]]
    return _split(frame, split)


def business_documents() -> pd.DataFrame:
    """Contracts, memos, complaints and reports with keywords, entities, sentiment and compliance flags."""
    return load("business_documents.jsonl")


def pipeline_documents() -> pd.DataFrame:
    """Invoices, receipts, purchase orders and contracts with the fields to extract; some are invalid."""
    return load("pipeline_documents.jsonl")


def healthcare_cases() -> pd.DataFrame:
    """Fictional patient cases with expected flags and recommendation (teaching only, not medical advice)."""
    return load("healthcare_cases.jsonl")


def model_catalog() -> pd.DataFrame:
    """The simulated models: latency, prices per 1k tokens, failure rates and accuracy per skill.

    A blank ``acc_<skill>`` (NaN here) means the model's ``quality`` applies to that skill.
    """
    frame = load("models.csv")
    load_profiles(_path("models.csv"))  # checks every value (file:line on a bad one); cached
    for column in frame.columns[3:]:  # everything after name, role, description is a number
        frame[column] = [float(v) if v else float("nan") for v in frame[column]]
    return frame


def load(name: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Read one data file of ``data/`` and check it: the documented columns, one object per JSON line, unique ids.

    A problem raises DataError (a ValueError) that starts with ``file:line``.
    """
    import pandas as pd

    path = _path(name, data_dir)
    try:
        numbered = jsonl_rows(path) if name.endswith(".jsonl") else csv_rows(path)
    except DataError as error:
        raise DataError(f"{error}; or {_FIX}") from None
    expected = SCHEMAS.get(name, [])
    for line, row in numbered:
        missing = [column for column in expected if column not in row]
        if missing:
            raise DataError(f"{where(path, line)}: malformed: it lacks the column(s) {', '.join(missing)}; {_FIX}")
    if not numbered:
        raise DataError(f"{path} is malformed: it has no rows; {_FIX}")
    key = "name" if name == "models.csv" else "id"
    if key in expected:
        unique(numbered, key, path=path)
    rows = [row for _, row in numbered]
    return pd.DataFrame(rows, columns=expected + [c for c in rows[0] if c not in expected])


def _path(name: str, data_dir: Path | None = None) -> Path:
    path = Path(data_dir or DATA_DIR) / name
    if not path.exists():
        raise FileNotFoundError(f"data file not found: {path}; {_FIX}")
    return path


def _split(frame: pd.DataFrame, split: str | None) -> pd.DataFrame:
    if split is None:
        return frame
    if split not in ("train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test', got {split!r}")
    return frame[frame["split"] == split].reset_index(drop=True)
