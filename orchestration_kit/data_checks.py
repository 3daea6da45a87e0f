"""Data files checked as they load: every problem names the file, the line and what is allowed.

A hand-edited catalog or data set fails early with a message such as
``models.csv:4: latency_s must be a number ≥ 0, got '-5'``, never later with a
bare ``TypeError`` deep inside a run::

    >>> path = Path("data/models.csv")
    >>> line, row = csv_rows(path)[0]                       # (2, {"name": "generalist-large", ...})
    >>> number(row, "latency_s", at=where(path, line), low=0)
    0.8
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Iterable

from .errors import DataError


def where(path: str | Path, line: int) -> str:
    """``file:line``, the way editors and tracebacks point at a line."""
    return f"{path}:{line}"


def csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Every row of a CSV file with a header, as (line number, row); a row with too few or too many fields is refused."""
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = len(reader.fieldnames or [])
            for row in reader:
                if None in row or None in row.values():
                    fields = columns + len(row.get(None) or []) - list(row.values()).count(None)
                    raise DataError(f"{where(path, reader.line_num)}: {fields} fields, but the header has {columns}: "
                                    "put one value per column, quoting any value that contains a comma")
                rows.append((reader.line_num, row))
    except (csv.Error, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a readable UTF-8 CSV file ({error})") from None
    return rows


def jsonl_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Every non-blank line of a JSON Lines file, as (line number, object); each line must be one JSON object."""
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line, text in enumerate(handle, 1):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as error:
                    raise DataError(f"{where(path, line)}: not valid JSON ({error.msg}): write one JSON object per line") from None
                if not isinstance(value, dict):
                    raise DataError(f"{where(path, line)}: a JSON {_json_kind(value)}, where "
                                    'each line must be one JSON object, {"id": ..., ...}')
                rows.append((line, value))
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not a UTF-8 text file ({error})") from None
    return rows


def number(row: dict[str, str], column: str, *, at: str, low: float | None = None, high: float | None = None,
           default: float | None = None, whole: bool = False) -> float:
    """``row[column]`` as a finite number within [low, high]; ``default`` if blank (blank refused if None)."""
    text = (row.get(column) or "").strip()
    if not text and default is not None:
        return default
    allowed = _allowed(low, high, whole)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if (not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high)
            or (whole and not value.is_integer())):
        raise DataError(f"{at}: {column} must be {allowed}, got {text!r}")
    return value


def unique(rows: Iterable[tuple[int, dict[str, Any]]], column: str, *, path: str | Path) -> None:
    """Refuse a value of ``column`` that appears on two lines (names and ids must be unique)."""
    first: dict[Any, int] = {}
    for line, row in rows:
        value = row.get(column)
        if value in first:
            raise DataError(f"{where(path, line)}: {column} {value!r} is already used on line {first[value]}; "
                            f"each {column} must be unique")
        first[value] = line


def _allowed(low: float | None, high: float | None, whole: bool) -> str:
    kind = "a whole number" if whole else "a number"
    if low is not None and high is not None:
        return f"{kind} from {low:g} to {high:g}"
    if low is not None:
        return f"{kind} ≥ {low:g}"
    return f"{kind} (finite)"


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "true/false", type(None): "null"}.get(type(value), "number")
