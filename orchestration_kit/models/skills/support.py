"""Customer-service skills: route a message to a department, resolve its intent.

- ``classify``: which of ``labels`` fits the message (e.g. the departments).
- ``billing``, ``technical``, ``product``, ``account``: a department's own
  work: which of its intents the message is about, with a templated reply.
  A specialist model is accurate on its own department's skill only.
- ``support``: the same over every intent of every department (a generalist's job).

    >>> analyzer = Ask(small, "Route this message: {input}", skill="classify",
    ...                labels=["billing", "technical", "product", "account", "general"], parse=parse_label)
    >>> billing = Ask(SimulatedModel("billing-specialist"), "Resolve: {input}", skill="billing")

Each answers ``{"label": ..., "confidence": ...}`` (plus ``"reply"`` for the
intent skills). The heuristic's knowledge is the keyword lists below.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from .registry import register_skill
from .base import answer, best_label, confidence, content_of, hits, normalise, perform

# department -> intent -> keywords (word starts; "refund" also matches "refunded")
INTENTS: dict[str, dict[str, list[str]]] = {
    "billing": {
        "refund": ["refund", "money back", "reimburs", "reverse", "returned to my", "still charged", "never used"],
        "double_charge": ["twice", "two times", "duplicate", "double", "two identical", "extra charge", "second transaction",
                          "two payments"],
        "invoice_request": ["invoice", "receipt", "vat", "billing documents", "paperwork", "expense report"],
        "update_payment": ["payment method", "card on file", "card details", "bank transfer", "paypal", "card expired",
                           "declined", "switched banks", "company cards"],
    },
    "technical": {
        "login_error": ["log in", "login", "sign in", "single sign", "credentials", "locked out", "authentication",
                        "two factor"],
        "app_crash": ["crash", "freez", "quits", "shuts down", "blank white screen", "bug"],
        "slow_performance": ["slow", "takes over a minute", "time out", "outage", "lag", "crawling", "performance",
                             "speed", "on your side"],
        "integration_error": ["api", "sync", "webhook", "integration", "token", "connector", "import"],
    },
    "product": {
        "pricing_plans": ["pricing", "price", "cost per user", "discount", "free tier", "upgrad", "which plan"],
        "feature_question": ["export", "excel", "schedule reports", "dark mode", "feature", "edit the same",
                             "analytics module", "tag tasks"],
        "compatibility": ["compatible", "work on", "run on", "linux", "macos", "browser", "system requirements", "older"],
        "availability": ["in stock", "sold out", "ship to", "released", "available", "pre order", "announced"],
    },
    "account": {
        "update_details": ["change the email", "username", "billing address", "phone number", "personal details",
                           "changed my name", "new work email", "moved offices"],
        "close_account": ["delete my account", "close my account", "deactivat", "remove my account", "erase",
                          "cancel my membership", "another provider", "no longer need", "by mistake"],
        "manage_users": ["add a user", "admin rights", "invite", "transfer ownership", "seats", "colleague", "admins"],
        "reset_password": ["password", "reset", "forgot", "recover my account"],
    },
}
# "general": messages no department can act on. Off-topic ones have tell-tale words;
# vague ones have none, so "clarify" is what is left when nothing matched.
OFF_TOPIC = ["weather", "restaurant", "poem", "football", "capital of", "bake", "translate", "joke", "movie",
             "homework", "tyre", "rain", "flight", "supermarket", "calories"]
DEPARTMENT_OF = {intent: dept for dept, intents in INTENTS.items() for intent in intents} | {
    "clarify": "general", "out_of_scope": "general"}
REPLIES = {
    "refund": "I'm sorry about that charge. I have opened a refund request; it reaches your card in 5 to 10 working days.",
    "double_charge": "You were charged twice by mistake. I have reversed the duplicate payment.",
    "invoice_request": "I have emailed you a copy of the invoice; all invoices are also under Billing > Documents.",
    "update_payment": "You can change your payment method under Billing > Payment; bank transfer is available too.",
    "login_error": "Please clear your browser cache and sign in again; I have also reset your sign-in session.",
    "app_crash": "Thanks for the report. Please update to the latest version; our engineers are looking at the crash.",
    "slow_performance": "There is no outage right now. I have asked our engineers to check your workspace's performance.",
    "integration_error": "Please reconnect the integration under Settings > Integrations; I have reset its token.",
    "pricing_plans": "Our plans start at $8 per user per month; annual billing saves 20% and nonprofits get 50% off.",
    "feature_question": "Yes, that feature is available on every paid plan; here is a short guide to it.",
    "compatibility": "The app runs on Windows, macOS, Linux, iOS and Android and in any current browser.",
    "availability": "It is back in stock next month; you can pre-order it now and we ship to most countries.",
    "update_details": "You can change your email, name and address under Account > Profile.",
    "close_account": "I'm sorry to see you go. I have started closing your account; your data is deleted within 30 days.",
    "manage_users": "Admins can add, remove and promote users under Account > Team.",
    "reset_password": "I have sent you a password reset link; it is valid for one hour.",
    "clarify": "Could you tell me a little more: is this about billing, a technical problem, your account or our products?",
    "out_of_scope": "I can only help with our products and your account, so I can't answer that one.",
}
CONFUSABLE = {  # mistakes a model plausibly makes
    "billing": ["account", "product"], "technical": ["account", "product"], "product": ["billing", "technical"],
    "account": ["billing", "technical"], "general": ["product", "account"],
    "refund": ["close_account", "double_charge"], "reset_password": ["login_error"], "login_error": ["reset_password"],
    "pricing_plans": ["update_payment", "feature_question"], "close_account": ["refund"], "clarify": ["out_of_scope"],
    "out_of_scope": ["clarify", "feature_question"], "app_crash": ["slow_performance"], "slow_performance": ["app_crash"],
}


def intent_scores(text: str, candidates: list[str]) -> dict[str, float]:
    """Keyword evidence for each candidate intent."""
    words = normalise(text)
    keywords = {intent: kws for intents in INTENTS.values() for intent, kws in intents.items()} | {"out_of_scope": OFF_TOPIC}
    return {intent: len(hits(words, keywords.get(intent, []))) for intent in candidates}


def understand_intent(text: str, candidates: list[str]) -> tuple[str, float]:
    """The intent the heuristic reads in ``text``, and how clear-cut that reading is."""
    default = "clarify" if "clarify" in candidates else candidates[0]
    return best_label(intent_scores(text, candidates), default)


def understand_label(text: str, labels: list[str]) -> tuple[str, float]:
    """Which of ``labels`` fits: departments and intents use the lists above; any
    other label is recognised by its own name appearing in the text."""
    all_intents = sorted(DEPARTMENT_OF)
    by_intent = intent_scores(text, all_intents)
    words = normalise(text)
    scores = {}
    for label in labels:
        if label in INTENTS or label == "general":
            scores[label] = sum(v for intent, v in by_intent.items() if DEPARTMENT_OF[intent] == label)
        elif label in by_intent:
            scores[label] = by_intent[label]
        else:
            scores[label] = len(hits(words, [label.replace("_", " ")]))
    return best_label(scores, "general" if "general" in labels else labels[0])


@register_skill("classify")
def classify(text: str, *, rng: random.Random, accuracy: float, model: str, labels: list[str] | None = None,
             **_: Any) -> str:
    """Pick one of ``labels`` (default: the five departments) with a confidence."""
    labels = list(labels or ["billing", "technical", "product", "account", "general"])
    understood, clarity = understand_label(content_of(text), labels)
    label, kept = perform(rng, accuracy, understood, labels, CONFUSABLE)
    return answer(label=label, confidence=confidence(rng, kept, clarity))


def _resolver(candidates: list[str]) -> Callable[..., str]:
    """A skill that picks one of ``candidates`` intents and answers with a templated reply."""

    def resolve(text: str, *, rng: random.Random, accuracy: float, model: str, **_: Any) -> str:
        understood, clarity = understand_intent(content_of(text), candidates)
        intent, kept = perform(rng, accuracy, understood, candidates, CONFUSABLE)
        return answer(label=intent, confidence=confidence(rng, kept, clarity), reply=REPLIES[intent])

    return resolve


for _department, _intents in INTENTS.items():
    register_skill(_department)(_resolver(list(_intents)))
register_skill("support")(_resolver(list(DEPARTMENT_OF)))
