"""Reading skills: sentiment, keywords, and triage of requests.

- ``sentiment``: ``{"label": "positive" | "neutral" | "negative", "confidence": ...}``
- ``keywords``: ``{"keywords": [...]}``, the ``k`` (default 5) most salient terms
- ``triage``: ``{"label": "automated" | "manual_review" | "escalation", "confidence": ..., "reason": ...}``
  for enterprise requests, by the company policy in data/README.md; with
  ``labels=["real_time", "batch"]`` it judges a case's urgency instead.

    >>> Ask(SimulatedModel("sentiment-specialist"), "Sentiment of this text: {input}", skill="sentiment")
"""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

from .registry import register_skill
from .base import answer, best_label, confidence, content_of, hits, normalise, perform

POSITIVE = ["great", "excellent", "record", "thank", "strong", "grew", "growth", "won", "highest", "celebrat", "love",
            "pleased", "happy", "best"]
NEGATIVE = ["unacceptable", "disappoint", "frustrat", "worst", "damaged", "broken", "rude", "overcharged", "failed",
            "delays", "problems", "above the budget", "complaints", "churn", "hung up", "regret", "bad news", "waiting"]
SENTIMENT_CONFUSABLE = {"positive": ["neutral"], "negative": ["neutral"], "neutral": ["negative", "positive"]}


@register_skill("sentiment")
def sentiment(text: str, *, rng: random.Random, accuracy: float, model: str, **_: Any) -> str:
    """Positive, neutral or negative, from the balance of opinion words."""
    words = normalise(content_of(text))
    pos, neg = len(hits(words, POSITIVE)), len(hits(words, NEGATIVE))
    if pos == neg:
        understood, clarity = "neutral", 0.6 if pos == 0 else 0.2
    else:
        understood, clarity = ("positive" if pos > neg else "negative"), abs(pos - neg) / (pos + neg)
    label, kept = perform(rng, accuracy, understood, ["positive", "neutral", "negative"], SENTIMENT_CONFUSABLE)
    return answer(label=label, confidence=confidence(rng, kept, clarity))


STOPWORDS = set("""a about after all also an and any are as at be been before being between both but by can could
day days did do does each every for from had has have he her his how i if in into is it its last month months more
most my new next no not now of on one or our out over per please so some than that the their them then there these
they this to two up us was we week were what when which who will with within would year years you your""".split())


def salient_terms(text: str, k: int = 5) -> list[str]:
    """The most repeated content terms. A two-word phrase that recurs counts double, and
    a single word only counts where it is not part of such a phrase.

    Capitalised words inside a sentence are names (entities), not keywords.
    """
    tokens = []
    for m in re.finditer(r"[A-Za-z][A-Za-z'-]*|\d+", text):
        word, before = m.group(0), text[:m.start()].rstrip()
        name = word[0].isupper() and before != "" and before[-1] not in ".!?:"  # capitalised mid-sentence
        tokens.append("" if name or word.isdigit() or word.lower() in STOPWORDS else word.lower())
    pairs = Counter(f"{a} {b}" for a, b in zip(tokens, tokens[1:]) if a and b)
    phrases = {pair: count for pair, count in pairs.items() if count >= 2}
    singles = Counter(t for t in tokens if t)
    for pair, count in phrases.items():
        for word in pair.split():
            singles[word] -= count
    scored = [(2.0 * count, pair) for pair, count in phrases.items()] + [(float(c), w) for w, c in singles.items() if c > 0]
    return [term for _, term in sorted(scored, key=lambda item: (-item[0], item[1]))[:k]]


@register_skill("keywords")
def keywords(text: str, *, rng: random.Random, accuracy: float, model: str, k: int = 5, **_: Any) -> str:
    """The ``k`` most salient terms; a weaker model swaps some for less relevant words."""
    content = content_of(text)
    understood = salient_terms(content, k)
    spares = [t for t in salient_terms(content, 3 * k) if t not in understood]
    found = [t if rng.random() < accuracy or not spares else spares.pop(rng.randrange(len(spares))) for t in understood]
    return answer(keywords=found)


ESCALATE = ["breach", "malware", "leak", "stolen", "fraud", "harass", "injur", "sue", "legal action", "regulator",
            "public link", "public chat", "another country", "lost my work laptop"]
REVIEW = ["admin rights", "production", "payroll", "salary", "exception", "nda", "liability clause", "write access",
          "lost the receipt"]
AUTOMATE = ["reset", "unlock", "access to", "vacation", "payslip", "home address", "phishing", "certificate",
            "new starter", "receipt attached", "receipts attached"]
URGENT = ["emergency", "acute", "admitted", "chest pain", "critical"]
TRIAGE_CONFUSABLE = {"automated": ["manual_review"], "manual_review": ["automated", "escalation"],
                     "escalation": ["manual_review"], "real_time": ["batch"], "batch": ["real_time"]}


def understand_request(text: str) -> tuple[str, float, str]:
    """The policy, read from the text: keywords first, then the amount. (label, clarity, reason)"""
    words = normalise(text)
    if hits(words, ESCALATE):
        return "escalation", 0.9, f"mentions {hits(words, ESCALATE)[0].strip()!r}"
    amounts = [float(a.replace(",", "")) for a in re.findall(r"\$([\d,]+)", text)]
    if amounts:
        amount, expense = max(amounts), bool(hits(words, ["reimburs", "expense", "claim"]))
        if expense:
            with_receipt = bool(hits(words, ["receipt attached", "receipts attached"]))
            label = "automated" if amount < 500 and with_receipt else "manual_review"
            return label, 0.8, f"expense of ${amount:,.0f}" + ("" if with_receipt else " without receipt")
        label = "automated" if amount < 1000 else "manual_review" if amount <= 25000 else "escalation"
        return label, 0.8, f"purchase of ${amount:,.0f}"
    scores = {"manual_review": len(hits(words, REVIEW)), "automated": len(hits(words, AUTOMATE))}
    label, clarity = best_label(scores, "manual_review")  # unsure: a person should look
    return label, clarity, "routine request" if label == "automated" else "needs a person's approval"


@register_skill("triage")
def triage(text: str, *, rng: random.Random, accuracy: float, model: str, labels: list[str] | None = None,
           **_: Any) -> str:
    """How a request should be handled (or, with labels real_time/batch, how urgent a case is)."""
    content = content_of(text)
    if labels and "real_time" in labels:
        urgent = hits(normalise(content), URGENT)
        understood, clarity, reason = ("real_time", 0.9, f"mentions {urgent[0].strip()!r}") if urgent else ("batch", 0.6, "no sign of urgency")
        candidates = ["real_time", "batch"]
    else:
        understood, clarity, reason = understand_request(content)
        candidates = ["automated", "manual_review", "escalation"]
    label, kept = perform(rng, accuracy, understood, candidates, TRIAGE_CONFUSABLE)
    return answer(label=label, confidence=confidence(rng, kept, clarity), reason=reason if kept else "judgement call")
