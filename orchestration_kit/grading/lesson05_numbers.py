"""What counts as a number in lesson 5's checks, and as the same number.

    >>> is_number(1.25), is_number(True), is_number(float("nan"))
    (True, False, False)
    >>> close(0.1 + 0.2, 0.3)
    True
"""

from __future__ import annotations

import math
from typing import Any


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def close(a: Any, b: float) -> bool:
    return is_number(a) and abs(a - b) < 1e-9
