"""Checks for lesson 3, "Sequential" (exercises/03_sequential.ipynb).

The hidden cases are real documents of ``datasets.pipeline_documents()`` and
hidden extraction steps: one that works, one whose model is down, one that
finds nothing. Each case runs the learner's flow on the virtual clock.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..errors import BackendError
from ..patterns import Sequential
from ..course import datasets
from ..models import SimulatedModel
from ..models.skills import parse_json
from ..models.skills.documents import REQUIRED, understand_fields, validate_fields
from . import Case, describe, exercise, one_line, solved, try_run


def _documents() -> dict[str, Any]:
    """The pipeline documents by id: text, doc_type, fields (the truth), valid."""
    return {row["id"]: row for row in datasets.pipeline_documents().to_dict("records")}


# -- exercise 1 -----------------------------------------------------------------
_ORDER = ["classify", "extract", "check_rules"]
_PIPELINE_DOCUMENTS = ["p002", "p009", "p048"]  # a valid contract, a valid purchase order, a receipt with a negative total


@exercise("03.pipeline", "The three-stage document pipeline",
          start="replace None with Sequential(stages=[...]) built from classify, extract and check_rules")
def _pipeline(flow: Any) -> Iterator[Case]:
    is_sequential = isinstance(flow, Sequential)
    yield Case("it is a Sequential", is_sequential, f"got a {describe(flow)}; build it with Sequential(stages=[...])")
    if not is_sequential:
        return
    names = [stage.name for stage in flow.stages]
    yield Case("it has three stages", len(names) == 3,
               f"it has {len(names)}: {names}; use classify, extract and check_rules")
    yield Case("classify, then extract, then check_rules", names == _ORDER,
               f"the stages are {names}; extract needs classify's doc_type, and check_rules needs extract's fields")
    documents = _documents()
    for doc_id in _PIPELINE_DOCUMENTS:
        doc = documents[doc_id]
        output, _, error = try_run(flow, doc["text"])
        kind = doc["doc_type"].replace("_", " ")
        if error:
            yield Case(f"a {kind} goes through all three stages", False, f"it raised {error}")
            continue
        complete = isinstance(output, dict) and {"doc_type", "fields", "problems", "valid"} <= set(output)
        yield Case(f"a {kind} goes through all three stages", complete,
                   f"the final state is {describe(output)}; it should have doc_type, fields, problems and valid")
        if complete:
            verdict = "valid" if doc["valid"] else "invalid"
            yield Case(f"the {kind} is found {verdict}", output["valid"] == doc["valid"],
                       f"the pipeline found it {'valid' if output['valid'] else 'invalid'} (problems: {output['problems']}); "
                       "use the stages as given")


# -- exercise 2 -----------------------------------------------------------------
def _state(doc_type: str, **fields: Any) -> dict[str, Any]:
    return {"doc_type": doc_type, "fields": {name: fields.get(name) for name in REQUIRED[doc_type]}}


_TOTALS_CASES = [  # (what the case shows, the state, do the amounts add up?, the hint if the verdict is wrong)
    ("an invoice whose total is 10.00 too high", _state("invoice", subtotal=100.0, tax=20.0, total=130.0), False,
     "for an invoice, subtotal + tax must equal the total"),
    ("an invoice that adds up", _state("invoice", subtotal=2999.5, tax=599.9, total=3599.4), True,
     "2999.50 + 599.90 = 3599.40: return True when the amounts add up"),
    ("an invoice that adds up only to the cent (100.10 + 20.02 = 120.12)",
     _state("invoice", subtotal=100.1, tax=20.02, total=120.12), True,
     "in floating point 100.1 + 20.02 is 120.11999999999999: never compare money with ==, "
     "allow a difference of up to 0.01"),
    ("a receipt whose total was misread (18.99 + 1.90 = 120.89?)", _state("receipt", subtotal=18.99, tax=1.9, total=120.89),
     False, "receipts add up like invoices: subtotal + tax = total"),
    ("a receipt off by half a cent (rounding)", _state("receipt", subtotal=4.5, tax=0.455, total=4.95), True,
     "a difference of 0.01 or less is rounding, not a mismatch"),
    ("a receipt off by 5 cents", _state("receipt", subtotal=4.5, tax=0.45, total=5.0), False,
     "a difference of more than 0.01 is a mismatch"),
    ("a purchase order that adds up (7 x 0.70 = 4.90)", _state("purchase_order", quantity=7, unit_price=0.7, total=4.9), True,
     "for a purchase order, quantity x unit_price must equal the total (within 0.01: 7 * 0.7 is 4.8999999999999995)"),
    ("a purchase order whose total is 10 times too high", _state("purchase_order", quantity=12, unit_price=45.5, total=5460.0),
     False, "for a purchase order, quantity x unit_price must equal the total"),
    ("a contract (nothing to add up)", _state("contract", value=240000.0), True,
     "a contract has a value but no subtotal, tax or quantity: there is nothing to add up, return True"),
    ("an invoice without its tax (a missing field is another check's job)", _state("invoice", subtotal=100.0, total=120.0),
     True, "when an amount is missing (None) this check cannot tell; return True and leave it to the missing-field check"),
]


def _flags(verdict: Any) -> bool:
    """Does a validate function's answer mean "problem" to a Stage? (True and None mean fine.)"""
    return not (verdict is True or verdict is None)


@exercise("03.totals", "A validate function that catches totals that do not add up",
          start="write the body of totals_add_up(state): return True, or a message saying what does not add up")
def _totals(totals_add_up: Any) -> Iterator[Case]:
    yield Case("totals_add_up is a function", callable(totals_add_up),
               f"got a {describe(totals_add_up)}; define it with def totals_add_up(state): ...")
    if not callable(totals_add_up):
        return
    (label, state, _, hint), *others = _TOTALS_CASES
    first = solved(totals_add_up(_copy(state)))
    yield Case(f"{label}: flagged with a message", isinstance(first, str) and bool(first.strip()),
               f"it returned {describe(first)}; return a message (a string) saying which amounts disagree, "
               f"e.g. 'subtotal + tax = 120.00, but the total is 130.00'\n{hint}")
    for label, state, adds_up, hint in others:
        try:
            verdict = totals_add_up(_copy(state))
        except Exception as error:
            yield Case(label, False, f"it raised {one_line(error)} on {state}")
            continue
        if adds_up:
            extra = "\nany string means a problem to a Stage, even 'ok'; return True" if isinstance(verdict, str) else ""
            yield Case(f"{label}: passes", not _flags(verdict), f"it returned {describe(verdict)}{extra}\n{hint}")
        else:
            yield Case(f"{label}: flagged with a message", isinstance(verdict, str) and bool(verdict.strip()),
                       f"it returned {describe(verdict)}\n{hint}")
    yield from _totals_on_the_data_set(totals_add_up)


def _totals_on_the_data_set(totals_add_up: Callable[[Any], Any]) -> Iterator[Case]:
    """Every document's true fields: exactly the total mismatches must be flagged."""
    caught, missed, false_alarms = [], [], []
    for doc_id, doc in _documents().items():
        mismatch = "total_mismatch" in validate_fields(doc["doc_type"], doc["fields"])
        flagged = _flags(totals_add_up(_copy({"doc_type": doc["doc_type"], "fields": doc["fields"]})))
        if mismatch:
            (caught if flagged else missed).append(doc_id)
        elif flagged:
            false_alarms.append(doc_id)
    yield Case(f"the data set: all {len(caught) + len(missed)} documents whose totals do not add up are caught",
               not missed, f"missed: {', '.join(missed)}; compare their amounts with the rules above")
    yield Case("the data set: no document whose totals add up is flagged", not false_alarms,
               f"false alarms: {', '.join(false_alarms)}; their totals add up (or an amount is missing)")


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy for each call: the learner's function may change what it is given."""
    return {"doc_type": state["doc_type"], "fields": dict(state["fields"])}


# -- exercise 3: an error case ------------------------------------------------------
async def _extract(state: dict[str, Any]) -> dict[str, Any]:
    """A hidden, working extraction step (the extraction specialist, as in the lesson)."""
    kind = state["doc_type"]
    prompt = f"Extract the fields of this {kind} ({', '.join(REQUIRED[kind])}):\n{state['text']}"
    completion = await SimulatedModel("extraction-specialist").complete(prompt, skill="extract", doc_type=kind)
    return {**state, "fields": parse_json(completion.text)["fields"]}


async def _extract_down(state: dict[str, Any]) -> dict[str, Any]:
    raise BackendError("extraction model unavailable (HTTP 503)", model="extraction-specialist", status=503)


async def _extract_nothing(state: dict[str, Any]) -> dict[str, Any]:
    """An extraction that "succeeds" but finds no field at all."""
    return {**state, "fields": dict.fromkeys(REQUIRED[state["doc_type"]])}


def _careful_reader(state: dict[str, Any]) -> dict[str, Any]:
    """The hidden alternative: reads every field it knows, and signs its work."""
    return {**state, "fields": understand_fields(state["text"], state["doc_type"]), "read_by": "careful reader"}


async def _careful_reader_down(state: dict[str, Any]) -> dict[str, Any]:
    raise BackendError("the alternative model is unavailable too (HTTP 503)", model="generalist-large", status=503)


# The names a learner's trace shows: every variant of a step under the one name.
_extract.__name__ = _extract_down.__name__ = _extract_nothing.__name__ = "extract"
_careful_reader.__name__ = _careful_reader_down.__name__ = "careful_reader"


def _rolled_back(trace: Any) -> bool:
    return trace is not None and any(span.pattern == "sequential" and span.status == "rolled_back" for span in trace)


_ROLLBACK = ("build the Sequential with on_error='rollback': a stage that still fails then ends the run "
             "with the last good state")


@exercise("03.recover", "A pipeline that survives a failing extraction",
          start="write the body of robust_pipeline(extract, alternative): return a Sequential(...)")
def _recover(robust_pipeline: Any) -> Iterator[Case]:
    yield Case("robust_pipeline is a function", callable(robust_pipeline),
               f"got a {describe(robust_pipeline)}; define it with def robust_pipeline(extract, alternative): ...")
    if not callable(robust_pipeline):
        return
    flow = solved(robust_pipeline(_extract, _careful_reader))
    yield Case("robust_pipeline(extract, alternative) returns a Sequential", isinstance(flow, Sequential),
               f"it returned a {describe(flow)}; return Sequential(stages=[...], on_error=...)")
    if not isinstance(flow, Sequential):
        return
    documents = _documents()
    contract, order, invoice, bad_receipt = (documents[i]["text"] for i in ("p002", "p009", "p001", "p048"))

    output, _, error = try_run(flow, contract)
    accepted = isinstance(output, dict) and output.get("valid") is True
    yield Case("with a working extract, a valid contract is accepted", accepted,
               f"it raised {error}" if error else f"the final state is {describe(output)}; keep classify and check_rules")
    yield Case("with a working extract, the alternative is not called", isinstance(output, dict) and "read_by" not in output,
               "the alternative ran although extract worked; it is for when extract fails its check or raises")

    output, trace, error = try_run(robust_pipeline(_extract_down, _careful_reader), order)
    yield Case("when extract's model is down, the alternative reads the document",
               isinstance(output, dict) and output.get("read_by") == "careful reader" and output.get("valid") is True,
               f"it raised {error}\ngive the extract Stage alternative=alternative" if error else
               f"the final state is {describe(output)}; give the extract Stage alternative=alternative")

    output, _, error = try_run(robust_pipeline(_extract_nothing, _careful_reader), order)
    yield Case("when extract finds no fields, the alternative reads the document",
               isinstance(output, dict) and output.get("read_by") == "careful reader",
               f"it raised {error}" if error else
               "an extract that finds nothing did not trigger the alternative: give the Stage "
               "validate=<a function that returns True only when every field has a value>")

    output, trace, error = try_run(robust_pipeline(_extract_down, _careful_reader_down), invoice)
    yield Case("when the alternative fails too, the run ends without an exception", not error,
               f"it raised {error}\n{_ROLLBACK}")
    kept = isinstance(output, dict) and "doc_type" in output and "fields" not in output
    yield Case("... and returns the last good state (after classify)", kept,
               "" if error else f"the output is {describe(output)}; it should be classify's state (text and doc_type)")
    yield Case("... and the trace says the pipeline rolled back", _rolled_back(trace), _ROLLBACK)

    output, _, error = try_run(robust_pipeline(_extract, _careful_reader), bad_receipt)
    accepted = isinstance(output, dict) and output.get("valid") is True
    yield Case("an invalid receipt (negative total) is not accepted", not error and not accepted,
               f"it raised {error}" if error else f"the final state is {describe(output)}; keep check_rules as the last stage")


from . import booking  # noqa: E402,F401 (registers 03.undo and 03.design, after the three above)
