"""Document skills for the pipeline: what kind of document, which fields, are they valid.

- ``doctype``: ``{"label": "invoice" | "receipt" | "purchase_order" | "contract", "confidence": ...}``
- ``extract``: ``{"doc_type": ..., "fields": {...}}``; dates as YYYY-MM-DD, amounts as numbers,
  ``null`` for a field the model did not find
- ``validate``: ``{"valid": true | false, "problems": [...]}`` for an ``extract`` answer

``validate_fields`` is the same check as plain, exact code: use it as a
Stage's ``validate=`` when you want validation that never errs.

    >>> Sequential(stages=[Ask(m, "Extract the fields:\\n{input}", skill="extract"),
    ...                    Ask(m, "Check these fields: {input}", skill="validate")])
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

from .registry import register_skill
from .base import answer, best_label, confidence, content_of, hits, normalise, perform, read_json

REQUIRED = {
    "invoice": ["invoice_number", "vendor", "customer", "issue_date", "due_date", "currency", "subtotal", "tax", "total"],
    "receipt": ["receipt_number", "merchant", "date", "payment_method", "currency", "subtotal", "tax", "total"],
    "purchase_order": ["po_number", "buyer", "supplier", "order_date", "delivery_date", "currency", "item", "quantity",
                       "unit_price", "total"],
    "contract": ["contract_number", "party_a", "party_b", "effective_date", "end_date", "currency", "value"],
}
DOCTYPE_WORDS = {
    "invoice": ["invoice", "bill to", "payment due", "due date"], "receipt": ["receipt", "merchant", "store", "paid by"],
    "purchase_order": ["purchase order", "po number", "ordered by", "deliver", "qty", "quantity"],
    "contract": ["contract", "agreement", "party", "effective date", "expires", "client", "provider"],
    "memo": ["memo", "all staff"], "complaint": ["complaint", "dear", "regards"], "report": ["report", "quarter"],
}
DOCTYPE_CONFUSABLE = {"invoice": ["receipt", "purchase_order"], "receipt": ["invoice"], "purchase_order": ["invoice"],
                      "contract": ["purchase_order", "memo"], "memo": ["report"], "report": ["memo"], "complaint": ["memo"]}
# A line's label -> the fields it may hold (the document type decides which).
LABELS = {
    "invoice number": ["invoice_number"], "invoice no.": ["invoice_number"], "invoice #": ["invoice_number"],
    "receipt number": ["receipt_number"], "receipt #": ["receipt_number"], "po number": ["po_number"],
    "purchase order no.": ["po_number"], "contract number": ["contract_number"], "contract ref": ["contract_number"],
    "vendor": ["vendor", "supplier"], "from": ["vendor"], "bill to": ["customer"], "customer": ["customer"],
    "merchant": ["merchant"], "store": ["merchant"], "buyer": ["buyer"], "ordered by": ["buyer"], "supplier": ["supplier"],
    "client": ["party_a"], "party a": ["party_a"], "provider": ["party_b"], "party b": ["party_b"],
    "date": ["issue_date", "date", "order_date"], "invoice date": ["issue_date"], "due date": ["due_date"],
    "payment due": ["due_date"], "purchased on": ["date"], "order date": ["order_date"], "delivery date": ["delivery_date"],
    "deliver by": ["delivery_date"], "effective date": ["effective_date"], "start date": ["effective_date"],
    "end date": ["end_date"], "expires": ["end_date"], "payment method": ["payment_method"], "paid by": ["payment_method"],
    "item": ["item"], "description": ["item"], "quantity": ["quantity"], "qty": ["quantity"], "unit price": ["unit_price"],
    "price each": ["unit_price"], "subtotal": ["subtotal"], "net amount": ["subtotal"], "tax": ["tax"], "vat": ["tax"],
    "total": ["total"], "amount due": ["total"], "total due": ["total"], "contract value": ["value"], "total value": ["value"],
}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
          "december"]
CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP", "USD": "USD", "EUR": "EUR", "GBP": "GBP"}


def understand_doctype(text: str, labels: list[str]) -> tuple[str, float]:
    words = normalise(text)
    return best_label({label: len(hits(words, DOCTYPE_WORDS.get(label, [label]))) for label in labels}, labels[0])


@register_skill("doctype")
def doctype(text: str, *, rng: random.Random, accuracy: float, model: str, labels: list[str] | None = None, **_: Any) -> str:
    """Which kind of document this is (``labels`` default: the four pipeline types)."""
    labels = list(labels or REQUIRED)
    understood, clarity = understand_doctype(content_of(text), labels)
    label, kept = perform(rng, accuracy, understood, labels, DOCTYPE_CONFUSABLE)
    return answer(label=label, confidence=confidence(rng, kept, clarity))


def parse_date(value: str) -> str | None:
    """ISO, "14 March 2025", "March 14, 2025" or day-first "14/03/2025" -> "2025-03-14" (None if unreadable)."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value).isoformat()
        if m := re.fullmatch(r"(\d{1,2}) ([A-Za-z]+) (\d{4})", value):
            return dt.date(int(m[3]), MONTHS.index(m[2].lower()) + 1, int(m[1])).isoformat()
        if m := re.fullmatch(r"([A-Za-z]+) (\d{1,2}), (\d{4})", value):
            return dt.date(int(m[3]), MONTHS.index(m[1].lower()) + 1, int(m[2])).isoformat()
        if m := re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", value):  # read day first, as most of the world writes it
            return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    except ValueError:
        return None
    return None


def parse_money(value: str) -> tuple[float, str] | None:
    """"$1,234.50", "-€20.00", "EUR 980.00" or "980.00 GBP" -> (amount, currency code)."""
    m = re.fullmatch(r"(-?)\s*(\$|€|£|USD |EUR |GBP )?\s*(-?[\d,]+(?:\.\d+)?)\s*(USD|EUR|GBP)?", value.strip())
    if not m or not (m[2] or m[4]):
        return None
    amount = float(m[3].replace(",", "")) * (-1 if m[1] else 1)
    return amount, CURRENCIES[(m[2] or m[4]).strip()]


def understand_fields(text: str, doc_type: str) -> dict[str, Any]:
    """Read "Label: value" lines into the fields of ``doc_type`` (None where not found)."""
    fields: dict[str, Any] = dict.fromkeys(REQUIRED[doc_type])
    for line in text.splitlines():
        label, colon, value = line.partition(":")
        targets = [f for f in LABELS.get(label.strip().lower(), []) if f in fields]
        if not colon or not targets:
            continue
        name = targets[0]
        if name.endswith("date"):
            fields[name] = parse_date(value)
        elif name in ("subtotal", "tax", "total", "unit_price", "value"):
            money = parse_money(value)
            if money:
                fields[name], fields["currency"] = money[0], fields["currency"] or money[1]
        elif name == "quantity":
            fields[name] = int(value) if value.strip().isdigit() else None
        else:
            fields[name] = value.strip()
    return fields


def _slip(value: Any, rng: random.Random) -> Any:
    """A plausible extraction mistake: a dropped field, a misread number or date, a cut-off name."""
    if value is None or rng.random() < 0.5:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value * 10, 2) if rng.random() < 0.5 else round(value + 1, 2)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
    return value.split()[0] if isinstance(value, str) else value


@register_skill("extract")
def extract(text: str, *, rng: random.Random, accuracy: float, model: str, doc_type: str | None = None, **_: Any) -> str:
    """The fields of an invoice, receipt, purchase order or contract."""
    content = content_of(text)
    kind = doc_type or understand_doctype(content, list(REQUIRED))[0]
    fields = {name: value if rng.random() < accuracy else _slip(value, rng)
              for name, value in understand_fields(content, kind).items()}
    return answer(doc_type=kind, fields=fields)


def validate_fields(doc_type: str, fields: dict[str, Any]) -> list[str]:
    """Exact validation: missing fields, totals that don't add up, negative amounts, dates out of order."""
    problems = [f"missing:{name}" for name in REQUIRED.get(doc_type, []) if fields.get(name) in (None, "")]
    number = lambda name: fields.get(name) if isinstance(fields.get(name), (int, float)) else None  # noqa: E731
    subtotal, tax, total = number("subtotal"), number("tax"), number("total")
    if doc_type in ("invoice", "receipt") and None not in (subtotal, tax, total) and abs(subtotal + tax - total) > 0.01:
        problems.append("total_mismatch")
    quantity, price = number("quantity"), number("unit_price")
    if doc_type == "purchase_order" and None not in (quantity, price, total) and abs(quantity * price - total) > 0.01:
        problems.append("total_mismatch")
    if any((number(name) or 0) < 0 for name in ("total", "value")):
        problems.append("negative_amount")
    for early, late, problem in (("issue_date", "due_date", "due_before_issue"), ("order_date", "delivery_date",
                                 "delivery_before_order"), ("effective_date", "end_date", "end_before_start")):
        if fields.get(early) and fields.get(late) and str(fields[late]) < str(fields[early]):
            problems.append(problem)
    return problems


@register_skill("validate")
def validate(text: str, *, rng: random.Random, accuracy: float, model: str, **_: Any) -> str:
    """Check an ``extract`` answer (or a raw document); a weaker model misses problems or imagines one."""
    content = content_of(text)
    extraction = read_json(content)
    if not isinstance(extraction, dict) or "fields" not in extraction:
        kind = understand_doctype(content, list(REQUIRED))[0]
        extraction = {"doc_type": kind, "fields": understand_fields(content, kind)}
    problems = validate_fields(extraction.get("doc_type", ""), extraction["fields"] or {})
    if rng.random() >= accuracy:
        problems = problems[1:] if problems else ["total_mismatch"]
    return answer(valid=not problems, problems=problems)
