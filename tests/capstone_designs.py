"""Five designs for the capstone (lesson 9): three valid architectures, one big-model design, one without error handling.

The tests grade each with the hidden check; the lesson's solution is a sixth. SYNTHETIC, NOT MEDICAL ADVICE.
"""
import re
from orchestration_kit import (Ask, Decision, Hierarchical, HumanReview, Parallel, RateLimited, Resilient,
                               RetryPolicy, Router, Sequential, Stage)
from orchestration_kit.models.skills import parse_json

CHECKS = ["history", "labs", "contraindications"]
HIGH_RISK = ["N18", "I48", "I50", "E11"]

def urgency_rule(case):
    first = case.splitlines()[0].lower()
    if any(w in first for w in ("outpatient letter", "annual review clinic", "overnight lab batch")):
        return "batch"
    return "real_time"

def protocol(flags, said):
    if "urgent_review" in said: return "urgent_review"
    if any(f.startswith("contra:") for f in flags): return "medication_review"
    return "repeat_tests" if flags else "routine_follow_up"

def read_report(report):
    flags = sorted({f for found in re.findall(r"flags: ([^;\n]+)", report) for f in found.split(", ")})
    said = re.findall(r"recommendation: (\w+)", report)
    missing = [c for c in CHECKS if re.search(rf"(Not available: |; ){c} \(", report)]
    return flags, said, missing

def validation(report):
    flags, said, missing = read_report(report)
    rec = protocol(flags, said)
    status, reason = "ok", ""
    if missing: status, reason = "escalate", f"checks missing: {', '.join(missing)}"
    elif rec == "urgent_review": status, reason = "escalate", "a critical value"
    return {"status": status, "reason": reason, "recommendation": rec, "flags": flags, "missing": missing, "report": report}

def mentions_every_check(report):
    left = [c for c in CHECKS if c not in report]
    return not left or f"the report leaves out {', '.join(left)}"

def needs_clinician(feedback):
    if feedback.status in ("error", "failed", "rolled_back"):
        return f"the {feedback.route} tier ended {feedback.status}"
    return feedback.output["reason"] if feedback.output["status"] == "escalate" else None

def labs_check(model, name="labs"):
    return Ask(model, "Check this case's lab results:\n{input}", skill="clinical", check="labs", name=name)
def medicines_check(model, name="contraindications"):
    return Ask(model, "Check this case's medicines:\n{input}", skill="clinical", check="medications", name=name)

ONLY_429 = RetryPolicy(attempts=2, initial_delay=0.5, retry_on=(RateLimited,))

# 1. The chapter's architecture: hierarchical (real-time or batch) -> router (condition code) -> parallel -> sequential
def chapter(hospital):
    clinician, small, large = (hospital.model(n) for n in ("clinical-specialist", "generalist-small", "generalist-large"))
    def checks(model, backup):
        return {"history": hospital.records,
                "labs": Resilient(labs_check(model), fallback=labs_check(backup, "labs (backup)"), name="labs"),
                "contraindications": Resilient(medicines_check(model), fallback=medicines_check(backup, "contraindications (backup)"), name="contraindications")}
    def report(writer):
        hasty = Ask(writer, "Write a short report from these findings:\n{input}", skill="synthesize", name="synthesis")
        careful = Ask(large, "Write a careful report from these findings:\n{input}", skill="synthesize", name="careful synthesis")
        return Sequential(stages=[Stage(hasty, validate=mentions_every_check, alternative=careful, name="synthesis"), validation], name="report")
    def condition(case):
        code = re.search(r"^Condition: (\w+)", case, flags=re.MULTILINE).group(1)
        return Decision("specialist" if code in HIGH_RISK else "general", 1.0, f"condition {code}")
    real_time = Router(analyzer=condition, name="real-time router", routes={
        "specialist": Parallel(tasks=checks(clinician, small), synthesizer=report(small), timeout=2.5, retry=ONLY_429, name="specialist checks"),
        "general": Parallel(tasks=checks(clinician, small), synthesizer=report(small), timeout=2.5, retry=ONLY_429, name="general checks")})
    batch = Parallel(tasks=checks(clinician, large), synthesizer=report(large), retry=RetryPolicy(attempts=3, initial_delay=2.0), name="batch checks")
    return Hierarchical(top=urgency_rule, sub={"real_time": Resilient(real_time, timeout=5.0, name="real-time tier"), "batch": batch},
                        escalate=HumanReview(), escalate_when=needs_clinician, name="decision support")

# 2. Flat: one parallel pathway for every case, a plain-Python decision (no writer model)
def decide(gathered):
    flags, said, missing = set(), [], list(gathered.missing)
    for name, text in gathered.values.items():
        found = parse_json(text) if isinstance(text, str) else {}
        flags |= set(found.get("flags", [])); said.append(found.get("recommendation"))
    rec = protocol(sorted(flags), said)
    status = "escalate" if missing or rec == "urgent_review" else "ok"
    reason = f"checks missing: {', '.join(missing)}" if missing else ("a critical value" if status == "escalate" else "")
    return {"status": status, "reason": reason, "recommendation": rec, "flags": sorted(flags), "missing": missing}

def flat(hospital):
    clinician, small = hospital.model("clinical-specialist"), hospital.model("generalist-small")
    tasks = {"labs": Resilient(labs_check(clinician), retry=ONLY_429, fallback=labs_check(small, "labs (backup)"), name="labs"),
             "contraindications": Resilient(medicines_check(clinician), retry=ONLY_429, fallback=medicines_check(small, "contra (backup)"), name="contraindications")}
    return Parallel(tasks=tasks, synthesizer=decide, timeout=4.0, name="checks")

# 3. Voting: two readers of the labs (specialist and large generalist), union of their flags; a deadline per case
def voting(hospital):
    clinician, large = hospital.model("clinical-specialist"), hospital.model("generalist-large")
    tasks = {"labs (specialist)": labs_check(clinician, "labs (specialist)"),
             "labs (generalist)": labs_check(large, "labs (generalist)"),
             "contraindications": Resilient(medicines_check(clinician), fallback=medicines_check(large, "contra (backup)"), name="contraindications")}
    def decide_votes(gathered):
        answer = decide(gathered)
        labs_read = any(name.startswith("labs") for name in gathered.values)
        missing = [n for n in gathered.missing if n == "contraindications"] + ([] if labs_read else ["labs"])
        answer["missing"] = missing
        answer["status"] = "escalate" if missing or answer["recommendation"] == "urgent_review" else "ok"
        answer["reason"] = f"checks missing: {', '.join(missing)}" if missing else answer["reason"] if answer["status"] == "escalate" else ""
        return answer
    checks = Parallel(tasks=tasks, synthesizer=decide_votes, timeout=3.0, retry=ONLY_429, name="checks")
    return Hierarchical(top=lambda case: "checks", sub={"checks": Resilient(checks, timeout=5.0, name="deadline")},
                        escalate=HumanReview(), escalate_when=needs_clinician, name="decision support")

# Fails: one big model everywhere (the chapter's architecture, every model the large generalist)
class _AllLarge:
    """A hospital whose every model is the large generalist."""

    def __init__(self, hospital):
        self.hospital, self.records = hospital, hospital.records

    def model(self, name):
        return self.hospital.model("generalist-large")


def big_model(hospital):
    return chapter(_AllLarge(hospital))

# Fails: no error handling (lesson 6 as first built)
def no_handling(hospital):
    clinician, small, large = (hospital.model(n) for n in ("clinical-specialist", "generalist-small", "generalist-large"))
    def naive_validation(report):
        flags, said, missing = read_report(report)
        rec = protocol(flags, said)
        return {"status": "escalate" if rec == "urgent_review" else "ok", "reason": "a critical value" if rec == "urgent_review" else "",
                "recommendation": rec, "flags": flags, "missing": missing}
    tasks = {"history": hospital.records, "labs": labs_check(clinician), "contraindications": medicines_check(clinician)}
    writer = Ask(small, "Write a short report from these findings:\n{input}", skill="synthesize", name="synthesis")
    careful = Ask(large, "Write a careful report from these findings:\n{input}", skill="synthesize", name="careful synthesis")
    flow = Parallel(tasks=tasks, synthesizer=Sequential(stages=[Stage(writer, validate=mentions_every_check, alternative=careful, name="synthesis"), naive_validation]), name="checks")
    return Hierarchical(top=urgency_rule, sub={"real_time": flow, "batch": flow}, escalate=HumanReview(), escalate_when=needs_clinician, name="decision support")

DESIGNS = {"chapter": chapter, "flat": flat, "voting": voting, "big_model": big_model, "no_handling": no_handling}
