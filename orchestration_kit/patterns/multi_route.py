"""Multi-route: send a mixed-intent message to every department it concerns, not only the likeliest.

"My card was declined when the plan renewed, so please help me log in" is a
billing situation and a technical request. Routing logic that must pick one route gets such messages wrong about
half the time. ``MultiRoute`` wraps routing logic that can rank the routes
(``TrainedClassifier.ranked``) and also takes the runner-up when it is nearly as
likely: at least ``second_at_least``. The ``Router`` then runs both handlers at
once and its ``aggregator`` combines the answers (``ResultAggregator`` gives
the customer one reply in two parts).

    >>> analyzer = MultiRoute(trained.ranked, second_at_least=0.25)
    >>> analyzer("My card was declined when the plan renewed, so please help me log in.")
    [Decision(route='billing', confidence=0.57, ...), Decision(route='technical', confidence=0.423, ...)]
    >>> Router(analyzer=analyzer, routes=routes, fallback=generalist, aggregator=ResultAggregator())

Each extra route is an extra handler call: measure what it buys (lesson 1 does).
The Router's ``threshold`` applies to every route chosen, so keep it at or below
``second_at_least`` or the runner-up is dropped.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import ConfigurationError
from .router import Decision


class MultiRoute:
    """Routing logic that takes the best route, plus the runner-up when it is likely enough.

    ``alone`` lists routes never combined with another (``general``: a department's answer
    plus "could you tell me more?" is no answer).
    """

    def __init__(self, ranked: Callable[[Any], list[Decision]], *, second_at_least: float = 0.25,
                 alone: tuple[str, ...] = ("general",), name: str | None = None) -> None:
        if not callable(ranked):
            raise ConfigurationError("MultiRoute needs a function giving every route, best first: e.g. trained.ranked")
        if not 0.0 < second_at_least <= 1.0:
            raise ConfigurationError(f"MultiRoute: second_at_least is a confidence in (0, 1], got {second_at_least}")
        self.ranked, self.second_at_least, self.alone = ranked, second_at_least, tuple(alone)
        owner = getattr(ranked, "__self__", None)  # trained.ranked -> the trained classifier's name
        self.name = name or f"multi-route ({getattr(owner, 'name', getattr(ranked, '__name__', 'ranked'))})"

    def __call__(self, text: Any) -> list[Decision]:
        ranked = list(self.ranked(text))
        if not ranked:
            return [Decision(None, 0.0, "no route ranked")]
        best, chosen = ranked[0], [ranked[0]]
        runner_up = ranked[1] if len(ranked) > 1 else None
        if (runner_up is not None and runner_up.confidence >= self.second_at_least
                and best.route not in self.alone and runner_up.route not in self.alone):
            chosen.append(runner_up)
        return chosen

    def __repr__(self) -> str:
        """``<MultiRoute 'multi-route (trained_classifier)': a second route at 0.25 or more, never with general>``."""
        alone = f", never with {' | '.join(self.alone)}" if self.alone else ""
        return f"<MultiRoute {self.name!r}: a second route at {self.second_at_least:g} or more{alone}>"
