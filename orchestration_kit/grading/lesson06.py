"""Checks for lesson 6, "A decision-support system" (exercises/06_healthcare.ipynb).

SYNTHETIC DATA, FOR TEACHING ORCHESTRATION, NOT MEDICAL ADVICE. The hidden
cases are the course's fictional patient cases, some with their setting
sentence changed; the reference pieces below mirror the lesson's system.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Iterator

from ..models import SimulatedModel
from ..patterns import Escalation, Hierarchical, HumanReview, Parallel, Sequential, Stage
from ..steps import Ask, Step
from ..course import datasets
from ..models.skills import parse_json
from . import Case, describe, exercise, one_line, run_answer, solved

CHECKS = ["history", "labs", "contraindications"]
_CLINICIAN, _SMALL, _LARGE = (SimulatedModel(name) for name in ("clinical-specialist", "generalist-small", "generalist-large"))


def _cases() -> Any:
    return datasets.healthcare_cases().set_index("id")


def _labs(model: Any) -> Ask:
    return Ask(model, "Check this case's lab results:\n{input}", skill="clinical", check="labs", name="labs")


# -- exercise 1: the missing branch -------------------------------------------------------
@exercise("06.branch", "Add the missing parallel branch: the contraindications check",
          start="replace None with a Parallel of history, labs and contraindications (no synthesizer)")
def _branch(checks: Any) -> Iterator[Case]:
    solved(checks)
    is_parallel = isinstance(checks, Parallel)
    yield Case("checks is a Parallel", is_parallel, f"got a {describe(checks)}; build it with Parallel(tasks={{...}})")
    if not is_parallel:
        return
    names = list(checks.tasks)
    yield Case("its tasks are history, labs and contraindications", sorted(names) == sorted(CHECKS),
               f"its tasks are {names}; keep history and labs, add a task named 'contraindications'")
    if sorted(names) != sorted(CHECKS):
        return
    yield Case("it has no synthesizer (the check reads the gathered results)", checks.synthesizer is None,
               "leave out synthesizer=: the lesson's report comes later")
    if checks.synthesizer is not None:
        return
    cases = _cases()
    planted = cases[cases.expected_flags.map(lambda flags: any(f.startswith("contra:") for f in flags))]
    found = expected = 0
    overlapping = True
    for seed in (0, 1, 2):
        for case in planted.itertuples():
            result = run_answer(checks, case.text, seed=seed)
            tasks = [span for span in result.trace if span.kind == "task"]
            overlapping &= len({span.start for span in tasks}) == 1
            raw = result.output.values.get("contraindications")
            flags = set(parse_json(raw).get("flags", [])) if isinstance(raw, str) else set()
            wanted = {f for f in case.expected_flags if f.startswith("contra:")}
            found, expected = found + len(flags & wanted), expected + len(wanted)
    recall = found / expected
    yield Case("the three checks start together", overlapping, "the tasks of a Parallel start at the same time")
    yield Case(f"it finds planted contraindications ({found} of {expected} over {len(planted)} hidden cases, 3 seeds)",
               recall >= 0.75,
               f"it found {recall:.0%} of them; ask the clinical specialist with skill='clinical', check='medications'")


# -- exercise 2: real-time or batch ------------------------------------------------------------
REAL_TIME_SETTINGS = ["seen in the emergency department.", "admitted to the acute medical ward."]
BATCH_SETTINGS = ["reviewed by routine outpatient letter.", "seen at the annual review clinic.",
                  "with results from the overnight lab batch."]
_FIRST_LINE = re.compile(r"^(Case \S+ \(fictional\)\. \d+-year-old (?:man|woman))[^\n]*", flags=re.MULTILINE)


def _hidden_urgency_cases() -> dict[str, list[tuple[str, str]]]:
    """Real cases with their setting sentence swapped or removed: {group: [(case text, expected tier)]}."""
    variants = [(s, "real_time") for s in REAL_TIME_SETTINGS] + [(s, "batch") for s in BATCH_SETTINGS]
    groups: dict[str, list[tuple[str, str]]] = {"real-time settings": [], "batch settings": [], "no setting at all": []}
    for i, text in enumerate(_cases().text.iloc[::4]):  # every fourth case, each with another setting
        setting, tier = variants[i % len(variants)]
        changed = _FIRST_LINE.sub(lambda m: f"{m[1]} {setting}", text, count=1)
        groups["real-time settings" if tier == "real_time" else "batch settings"].append((changed, tier))
        if i % 4 == 0:
            groups["no setting at all"].append((_FIRST_LINE.sub(lambda m: f"{m[1]}.", text, count=1), "real_time"))
    return groups


@exercise("06.urgency", "Route real-time and batch cases correctly at the top level",
          start="write the body of urgency(case): return 'real_time' or 'batch'")
def _urgency(urgency: Any) -> Iterator[Case]:
    yield Case("urgency is a function", callable(urgency), f"got a {describe(urgency)}; define it with def urgency(case): ...")
    if not callable(urgency):
        return
    groups = _hidden_urgency_cases()
    if not isinstance(urgency, Step):  # a plain function: still the placeholder if it returns None
        solved(urgency(groups["batch settings"][0][0]))
    top_level = Hierarchical(top=urgency, sub={"real_time": lambda case: "real_time", "batch": lambda case: "batch"})
    for group, hidden in groups.items():
        wrong = [(text.splitlines()[0], tier, output) for seed in (0, 1, 2) for text, tier in hidden
                 for output in [run_answer(top_level, text, seed=seed).output] if output != tier]
        hint = ""
        if wrong:
            first_line, tier, output = wrong[0]
            got = repr(output) if isinstance(output, str) else "an escalation (is the route 'real_time' or 'batch'?)"
            advice = ("when the text does not say where the case comes from, never make it wait: real_time"
                      if group == "no setting at all" else "read the setting in the case's first line: a rule is exact, a model guesses")
            hint = f"{len(wrong)} of {3 * len(hidden)} runs went wrong, e.g. {first_line!r} should be {tier!r}, got {got}\n{advice}"
        yield Case(f"{group}: {len(hidden)} hidden cases, 3 seeds", not wrong, hint)


# -- exercise 3 (an error case): the labs check fails -------------------------------------------------
async def _history(case: str) -> str:
    await asyncio.sleep(0.2)
    fields = dict(line.split(": ", 1) for line in case.splitlines()[1:])
    return f"{fields['Condition']} Also: {fields['History']}"


def _contraindications() -> Ask:
    return Ask(_CLINICIAN, "Check this case's medicines:\n{input}", skill="clinical", check="medications",
               name="contraindications")


def _synthesis() -> Stage:
    hasty = Ask(_SMALL, "Write a short report from these findings:\n{input}", skill="synthesize", name="synthesis")
    careful = Ask(_LARGE, "Write a careful report from these findings:\n{input}", skill="synthesize", name="careful synthesis")
    return Stage(hasty, validate=_mentions_every_check, alternative=careful, name="synthesis")


def _mentions_every_check(report: str) -> Any:
    left_out = [check for check in CHECKS if check not in report]
    return not left_out or f"the report leaves out {', '.join(left_out)}"


def read_report(report: str) -> tuple[list[str], list[str], list[str]]:
    """The flags, the checks' recommendations, and the checks marked not available (as in the lesson)."""
    flags = sorted({flag for found in re.findall(r"flags: ([^;\n]+)", report) for flag in found.split(", ")})
    said = re.findall(r"recommendation: (\w+)", report)
    missing = [check for check in CHECKS if re.search(rf"(Not available: |; ){check} \(", report)]
    return flags, said, missing


def protocol(flags: list[str], said: list[str]) -> str:
    if "urgent_review" in said:
        return "urgent_review"
    if any(flag.startswith("contra:") for flag in flags):
        return "medication_review"
    return "repeat_tests" if flags else "routine_follow_up"


def _validation(report: str) -> dict[str, Any]:
    flags, said, missing = read_report(report)
    recommendation = protocol(flags, said)
    status, reason = "ok", ""
    if missing:
        status, reason = "escalate", f"checks missing: {', '.join(missing)}"
    elif recommendation == "urgent_review":
        status, reason = "escalate", "a critical value: a clinician must act now"
    return {"status": status, "reason": reason, "recommendation": recommendation, "flags": flags, "missing": missing,
            "report": report}


def _reference(labs: Any) -> Parallel:
    return Parallel(tasks={"history": _history, "labs": labs, "contraindications": _contraindications()},
                    synthesizer=Sequential(stages=[_synthesis(), _validation]), on_error="skip")


def _needs_clinician(feedback: Any) -> str | None:
    if feedback.status in ("error", "failed", "rolled_back"):
        return f"the {feedback.route} tier ended {feedback.status}"
    return feedback.output["reason"] if feedback.output["status"] == "escalate" else None


async def _crashing_labs(case: str) -> str:
    await asyncio.sleep(0.3)
    raise RuntimeError("the lab system is offline")


def _try(flow: Any, text: str, seed: int = 0) -> tuple[Any, Any, str]:
    """Run a flow: (output, trace, "") or (None, the trace so far, the error as one line)."""
    try:
        result = run_answer(flow, text, seed=seed)
        return result.output, result.trace, ""
    except Exception as error:
        return None, getattr(error, "trace", None), one_line(error)


_HIDDEN_IDS = ["h003", "h002", "h010", "h017", "h029", "h041"]


@exercise("06.labs_down", "The labs check fails: report it missing and escalate",
          start="write validation(report) and safe_checks(labs): mark a failed check missing, then escalate")
def _labs_down(safe_checks: Any) -> Iterator[Case]:
    yield Case("safe_checks is a function", callable(safe_checks),
               f"got a {describe(safe_checks)}; define it with def safe_checks(labs): ...")
    if not callable(safe_checks):
        return
    flow = solved(safe_checks(_labs(_CLINICIAN)))
    yield Case("safe_checks(labs) returns a Parallel", isinstance(flow, Parallel),
               f"it returned a {describe(flow)}; return Parallel(tasks={{...}}, synthesizer=..., on_error=...)")
    if not isinstance(flow, Parallel):
        return
    cases = _cases()
    agree, runs, first_problem = 0, 0, ""
    for case_id in _HIDDEN_IDS:
        for seed in (0, 1):
            expected, _, trouble = _try(_reference(_labs(_CLINICIAN)), cases.loc[case_id, "text"], seed)
            if trouble:  # both writers left a check out: the reference fails too, nothing to compare
                continue
            runs += 1
            output, _, error = _try(flow, cases.loc[case_id, "text"], seed)
            same = isinstance(output, dict) and all(output.get(k) == expected[k] for k in ("status", "recommendation", "missing"))
            agree += same
            if not same and not first_problem:
                if error:
                    got = f"it raised {error}"
                elif isinstance(output, dict):
                    got = str({k: output.get(k) for k in ("status", "recommendation", "missing")})
                else:
                    got = f"a {describe(output)}"
                first_problem = (f"case {case_id}, seed {seed}: expected status {expected['status']!r}, recommendation "
                                 f"{expected['recommendation']!r}, missing {expected['missing']}; got {got}")
    yield Case(f"with every check working: {agree} of {runs} hidden runs as the protocol says", agree == runs,
               f"{first_problem}\nkeep the lesson's behaviour: the protocol decides, a critical value escalates")

    for label, labs in (("the labs model is down (HTTP 500)", _labs(_CLINICIAN.with_failures(error_rate=1.0))),
                        ("the lab system crashes", _crashing_labs)):
        text = cases.loc["h003", "text"]
        output, trace, error = _try(safe_checks(labs), text)
        yield Case(f"{label}: the run still finishes", not error,
                   f"it raised {error}\na failed check must not stop the others: on_error='skip'")
        if error:
            continue
        synthesised = trace is not None and any(span.name == "synthesis" for span in trace)
        report = output.get("report", "") if isinstance(output, dict) else ""
        yield Case(f"{label}: the synthesis still runs, with labs marked missing",
                   synthesised and "Not available: labs" in report,
                   "use the given synthesis stage as the first stage of the synthesizer; it marks a failed check "
                   "'Not available'")
        escalates = isinstance(output, dict) and output.get("status") == "escalate" and "labs" in str(output.get("reason"))
        yield Case(f"{label}: the validation escalates, naming labs", escalates,
                   f"it returned status {output.get('status') if isinstance(output, dict) else describe(output)!r} "
                   f"and reason {output.get('reason') if isinstance(output, dict) else ''!r}\n"
                   "read_report(report) gives the missing checks: escalate with a reason that names them")

    system = Hierarchical(top=lambda case: "tier", sub={"tier": safe_checks(_labs(_CLINICIAN.with_failures(error_rate=1.0)))},
                          escalate=HumanReview(), escalate_when=_needs_clinician)
    output, _, error = _try(system, cases.loc["h003", "text"])
    reached = isinstance(output, Escalation) and "labs" in output.reason
    yield Case("inside the system, the case reaches a clinician", reached,
               f"it raised {error}" if error else f"the system's output: {describe(output)}\n"
               "needs_clinician escalates when the validation's status is 'escalate'")


# -- exercise 4 (a design): the overnight batch tier ----------------------------------------------------------
BATCH_SEED = 606  # the hidden batch cases: fresh cases from the course's generator (hospital.new_cases)
BATCH_TARGETS = {"accuracy": 0.85, "cost_per_1k_usd": 1.0, "safety": 0.0, "needless_share": 0.15}
BATCH_DEADLINE_S = 60.0  # overnight, nobody waits: but every case must be done by the morning round


def _batch_cases() -> list[dict[str, Any]]:
    from ..course.hospital import new_cases

    return [row for row in new_cases(BATCH_SEED, prefix="b") if row["urgency"] == "batch"]


@exercise("06.batch_design", "Design the overnight batch tier: accurate, cheap, safe on a bad night",
          start="write the body of build_batch(hospital): a flow for one batch case, every model from the hospital")
def _batch_design(build_batch: Any) -> Iterator[Case]:
    from ..course.hospital import Hospital
    from ..course.scorecard import score
    from ..course.scorecard_rules import Targets

    yield Case("build_batch is a function", callable(build_batch),
               f"got a {describe(build_batch)}; define it with def build_batch(hospital): ...")
    if not callable(build_batch):
        return
    flow = solved(build_batch(Hospital()))
    yield Case("build_batch(hospital) returns a flow", callable(flow) or isinstance(flow, Step),
               f"it returned a {describe(flow)}; return a pattern or a step")
    targets = Targets(p95_s=float("inf"), cost_per_1k_usd=BATCH_TARGETS["cost_per_1k_usd"],
                      accuracy=BATCH_TARGETS["accuracy"], needless_share=BATCH_TARGETS["needless_share"])
    card = score(build_batch, _batch_cases(), targets=targets, runner=run_answer)
    yield Case("every model comes from hospital.model(...), so the faults reach it", not card.bypassed,
               "build every model with hospital.model(name) inside build_batch, or the check cannot inject its faults")
    for result in card.results:
        if result.name in BATCH_TARGETS:
            yield Case(f"{result.label}: {result.measured} (limit {result.limit})", result.passed, result.hint,
                       measure=(result.name, result.value))
    slowest = max(card.runs, key=lambda run: run.latency)
    yield Case(f"every case is done within {BATCH_DEADLINE_S:g} s (the slowest: {slowest.case_id} on "
               f"'{slowest.scenario}', {slowest.latency:.1f} s)", slowest.latency <= BATCH_DEADLINE_S,
               "a batch case may wait, but not for ever: how many retries, how far apart?",
               measure=("slowest_s", slowest.latency))
