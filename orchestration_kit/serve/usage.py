"""``orchestration-kit usage``: the instructor's view of a classroom server, one row per learner.

    $ export ORCHESTRATION_KIT_INSTRUCTOR_TOKEN=...      # the token the server was started with
    $ orchestration-kit usage --url http://127.0.0.1:8000
    learner   requests  answered  refused  rate-limited  failed  prompt tokens  completion tokens  cost ($)  users
    ada             12        11        0             1       0            180                420  0.000279  ada-laptop

It reads the server's ``GET /usage`` (which wants the instructor's token) and prints
it as a table, or as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

INSTRUCTOR_VARIABLE = "ORCHESTRATION_KIT_INSTRUCTOR_TOKEN"
COLUMNS = [("learner", "learner"), ("requests", "requests"), ("answered", "answered"), ("refused", "refused"),
           ("rate_limited", "rate-limited"), ("failed", "failed"), ("prompt_tokens", "prompt tokens"),
           ("completion_tokens", "completion tokens"), ("cost_usd", "cost ($)"), ("users", "users")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8000",
                        help="the server, as learners reach it without /v1 (default http://127.0.0.1:8000)")
    parser.add_argument("--json", action="store_true", help="print the server's JSON instead of a table")


def table(rows: list[dict]) -> str:
    """The usage rows as aligned text columns."""
    cells = [[head for _, head in COLUMNS]] + [[_cell(row.get(key)) for key, _ in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) if i in (0, len(COLUMNS) - 1) else c.rjust(w)
                               for i, (c, w) in enumerate(zip(line, widths))).rstrip() for line in cells)


def _cell(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return f"{value:.6f}" if isinstance(value, float) else str(value)


def main(args: argparse.Namespace) -> int:
    import httpx

    token = os.environ.get(INSTRUCTOR_VARIABLE)
    if not token:
        print(f"orchestration-kit usage: set ${INSTRUCTOR_VARIABLE} to the instructor token the server was "
              "started with", file=sys.stderr)
        return 2
    try:
        response = httpx.get(args.url.rstrip("/") + "/usage", headers={"authorization": f"Bearer {token}"}, timeout=10)
    except httpx.HTTPError as error:
        print(f"orchestration-kit usage: cannot reach {args.url}: {error}", file=sys.stderr)
        return 1
    if response.status_code != 200:
        print(f"orchestration-kit usage: the server answered {response.status_code}: "
              f"{response.json().get('error', {}).get('message', response.text[:200])}", file=sys.stderr)
        return 1
    usage = response.json()
    print(json.dumps(usage, indent=2) if args.json else table(usage["learners"]))
    return 0
