"""An LLM as the routing logic: the model reads the message and names the department.

The same ``Ask`` step as any other model call, with a system prompt that lists
the departments, room for a one-word answer, and ``parse_label`` to turn the
word into a ``Decision``. With ``constrained=True`` the request also carries a
grammar (llama.cpp's ``grammar`` field, sent as ``extra_body``) so that a small
model can only answer with one of the labels; other servers would refuse or
ignore that field, so leave it off for them.

    >>> analyzer = llm_analyzer(config.model("writer"))      # SmolLM2 on this machine
    >>> Router(analyzer=analyzer, routes=routes, fallback=generalist)

The model gives no confidence, so every decision has confidence 1.0: a
threshold cannot catch its mistakes. Lesson 1 measures it on the held-out
messages (``data/cassettes/01_llm_router.jsonl`` holds the recorded calls).
"""

from __future__ import annotations

from typing import Any

from ..models.skills.parse import parse_label
from ..steps import Ask

DEPARTMENTS = ("billing", "technical", "product", "account", "general")
SYSTEM = (
    "You route customer messages to a department. Departments: "
    "billing (charges, refunds, invoices, payment methods); technical (errors, crashes, login problems, slowness); "
    "product (prices, plans, features, compatibility); account (passwords, email changes, users, closing an account); "
    "general (anything else). Answer with the department's name only."
)


def llm_analyzer(model: Any, *, constrained: bool = True, name: str = "llm analyzer") -> Ask:
    """A model asked to route: its one-word answer becomes the route (see the module docs)."""
    options: dict[str, Any] = {"max_tokens": 5, "temperature": 0.0}
    if constrained:
        options["extra_body"] = {"grammar": "root ::= " + " | ".join(f'"{label}"' for label in DEPARTMENTS)}
    return Ask(model, "{input}", system=SYSTEM, parse=parse_label, name=name, **options)
