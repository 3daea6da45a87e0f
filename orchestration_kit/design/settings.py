"""The settings a recommendation and its skeleton share: the routing threshold, timeouts, attempts.

``guide.py`` quotes them in its reasons and ``skeleton.py`` builds with them, so both
read them from here (the guide imports the skeleton, never the other way round).

    >>> TIMEOUTS["tight"], THRESHOLD
    (2.0, 0.6)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .process import ProcessDescription

THRESHOLD = 0.6  # a routing decision less sure than this goes to the fallback (or up a tier)
TIMEOUTS = {"tight": 2.0, "moderate": 10.0, "relaxed": 30.0}  # seconds per call, by latency budget


def attempts_for(p: ProcessDescription) -> int:
    """Attempts per call: fewer when the latency budget is tight."""
    return 2 if p.latency_budget == "tight" else 3
