"""How ``check()`` shows a verdict: ✓ and ✗ in colour in a notebook, plain text elsewhere, the score once.

    >>> show(result)        # in a notebook: one rich output (HTML, with the plain text beside it)
    00.warmup: How long does a Parallel of 0.3, 1.0 and 2.0 s take?
      ✓ the answer is a number of seconds
      ✓ it matches the virtual clock's measurement
      score 2/2: solved

In a notebook the verdict is one output holding two versions: HTML (coloured
marks, wrapped hints hanging under their label) and the same text as plain text
(what nbval compares, what a terminal or a screen reader gets). The marks and the
words are in both, so nobody needs to tell red from green.

``check()`` shows the verdict and returns the ``CheckResult``. When that result is
the cell's last line, the notebook would show it once more; it shows nothing then,
since the verdict is already on screen. In a later cell, ``result`` alone shows the
verdict again, and ``repr(result)`` stays the one-line ``CheckResult(...)``.
"""

from __future__ import annotations

import html
import sys
from typing import Any

COLOURS = {"✓": "#1a7f37", "✗": "#cf222e", "…": "#9a6700"}  # green, red, amber: dark enough on white
_LABELS = ("✓ ", "✗ ", "… ", "hint: ", "score ")  # a wrapped line hangs under the text after these

_last_shown: list[Any] = [None, None]  # [the cell (execution count) that showed a verdict, that result]


def show(result: Any) -> None:
    """Show ``result``'s verdict: a rich output in a notebook, printed text anywhere else."""
    shell = _notebook_shell()
    if shell is None:
        print(result.report())
        return
    from IPython.display import display

    display({"text/plain": result.report(), "text/html": as_html(result.report())}, raw=True)
    _last_shown[:] = [shell.execution_count, result]


def show_unless_just_shown(result: Any) -> None:
    """The notebook's display of a ``CheckResult``: nothing if ``check()`` showed it in this very cell."""
    shell = _notebook_shell()
    if shell is not None and _last_shown[0] == shell.execution_count and _last_shown[1] is result:
        return
    show(result)


def as_html(report: str) -> str:
    """A text verdict as HTML: marks in colour, each line indented as in the text, wrapped lines hanging.

    >>> as_html("x\\n  ✓ it runs")
    '<div style="font-family: monospace; line-height: 1.4">...'
    """
    rows = []
    for line in report.splitlines():
        text = line.lstrip(" ")
        indent = len(line) - len(text)
        label = next((label for label in _LABELS if text.startswith(label)), "")
        body = html.escape(text)
        mark = text[:1]
        if mark in COLOURS and label == mark + " ":
            body = f'<b style="color: {COLOURS[mark]}">{mark}</b>' + body[1:]
        hang = len(label)  # a line the browser wraps goes on under the text, not under the mark or "hint:"
        rows.append(f'<div style="padding-left: {indent + hang}ch; text-indent: -{hang}ch; white-space: pre-wrap">'
                    f"{body}</div>")
    return '<div style="font-family: monospace; line-height: 1.4">' + "".join(rows) + "</div>"


def _notebook_shell() -> Any:
    """The running IPython shell (a notebook's kernel or the IPython terminal), or None in plain Python."""
    if "IPython" not in sys.modules:  # plain Python never imported it: do not import it now
        return None
    from IPython import get_ipython

    return get_ipython()
