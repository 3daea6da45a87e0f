"""What a check's code printed: the first characters kept, the rest counted, so megabytes of output cannot flood a notebook.

    >>> with captured_output(limit=10) as output:
    ...     print("x" * 25)
    >>> output.text()
    'xxxxxxxxxx\n… output cut: your code printed 26 characters, only the first 10 are shown; ...'
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from typing import Iterator

OUTPUT_LIMIT = 2000  # characters of a check's output that are shown


class CappedOutput(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters written to it and counts the rest."""

    encoding = "utf-8"

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit, self.written = limit, 0
        self._kept: list[str] = []
        self._lock = threading.Lock()  # the learner's code may print from several threads

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            room = self.limit - self.written
            if room > 0:
                self._kept.append(text[:room])
            self.written += len(text)
        return len(text)

    def text(self) -> str:
        """What was printed, cut at ``limit`` characters with a note saying how much was left out."""
        kept = "".join(self._kept)
        if self.written <= self.limit:
            return kept
        return (f"{kept}\n… output cut: your code printed {self.written:,} characters, only the first "
                f"{self.limit:,} are shown; print less (not inside a loop), or print a summary\n")


@contextlib.contextmanager
def captured_output(limit: int = OUTPUT_LIMIT) -> Iterator[CappedOutput]:
    """Send everything printed (stdout and stderr) to a CappedOutput until the block ends."""
    output = CappedOutput(limit)
    before = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = output
    try:
        yield output
    finally:
        sys.stdout, sys.stderr = before
