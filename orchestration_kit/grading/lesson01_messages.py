"""The held-out messages and the handlers that lesson 1's checks share (lesson01.py, lesson01_design.py).

    >>> texts, departments = hidden_queries()      # messages the learner has never seen
"""

from __future__ import annotations

from ..models import SimulatedModel
from ..steps import Ask

DEPARTMENTS = ("billing", "technical", "product", "account")
PROMPT = "Resolve this customer message: {input}"  # the handlers' prompt, as in the lesson


def handler(model: SimulatedModel, skill: str) -> Ask:
    """A model in the role of one department's handler."""
    return Ask(model, PROMPT, skill=skill, name=f"{skill} ({model.name})")


HIDDEN_SEED = 1101  # the data set's generator with another seed: messages the learner has never seen


def hidden_rows() -> list[dict[str, str]]:
    """Held-out messages for grading: the data set's generator run with another seed.

    Same departments, intents and phrase banks as the shipped 384, different messages;
    the few that happen to equal a shipped message are left out, so rules fitted to
    any shipped message (the test set's included) gain nothing from having seen it.
    """
    import random

    from ..course import datasets
    from ..data import generate_datasets

    shipped = {text.lower() for text in datasets.customer_queries().text}
    rows = [row for row in generate_datasets.customer_queries(random.Random(HIDDEN_SEED))
            if row["text"].lower() not in shipped]
    return rows


def hidden_queries() -> tuple[list[str], list[str]]:
    """The held-out messages' texts and departments."""
    rows = hidden_rows()
    return [row["text"] for row in rows], [row["label"] for row in rows]


HIDDEN_MESSAGES = {  # clear messages that any of the lesson's analyzers routes correctly
    "billing": "I was charged twice for my subscription this month and want the extra charge refunded",
    "technical": "The desktop app crashes every time I open the reports page",
    "product": "Is the dark mode feature available on the basic plan?",
    "account": "I forgot my password and need a reset link",
}
