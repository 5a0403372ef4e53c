"""PostgreSQL values as JSON values: numbers stay numbers, the rest become strings.

Non-finite numbers are spelt as PostgreSQL spells them (``NaN``, ``Infinity``,
``-Infinity``), ranges as PostgreSQL writes them (``[1,5)``, ``empty``); values
Python cannot hold arrive as text already (``codecs.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from asyncpg import BitString, Range, Record


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _NON_FINITE[str(value)]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, timedelta)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, Record)):
        return [jsonable(item) for item in value]
    if isinstance(value, Range):
        return _range_text(value)
    if isinstance(value, BitString):
        return value.as_string()
    return str(value)


_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _range_text(value: Range) -> str:
    if value.isempty:
        return "empty"
    lower = "" if value.lower is None else jsonable(value.lower)
    upper = "" if value.upper is None else jsonable(value.upper)
    opening = "[" if value.lower_inc else "("
    closing = "]" if value.upper_inc else ")"
    return f"{opening}{lower},{upper}{closing}"


def char_text(value: Any) -> Any:
    """A ``"char"`` value (or an array of them), which asyncpg gives as one byte, as the
    text PostgreSQL writes for it: the character, or ``\\ooo`` for a byte past ASCII."""
    if isinstance(value, bytes):
        return "".join(chr(byte) if byte < 0x80 else f"\\{byte:03o}" for byte in value)
    if isinstance(value, list):
        return [char_text(item) for item in value]
    return value


# Column types whose values pass through ``char_text``.
CHAR_TYPES = frozenset({"char", "char[]"})


def jsonable_row(row: Sequence[Any]) -> list[Any]:
    return [jsonable(value) for value in row]


def sized_row(row: Sequence[Any]) -> tuple[list[Any], int]:
    """``jsonable_row``, and about how many bytes of JSON it makes: strings count their
    characters, numbers a fixed few, nested JSON its encoding. Close enough to cap a
    result's size; the common types skip ``jsonable``'s chain of checks, so that a large
    result is not slower for being measured."""
    values = []
    size = 2
    for value in row:
        kind = value.__class__
        if kind is str:
            size += len(value) + 3
        elif kind is int or kind is bool or value is None:
            size += 8
        elif kind is float and math.isfinite(value):
            size += 24
        else:
            value = _CONVERT.get(kind, jsonable)(value)
            size += len(value) + 3 if value.__class__ is str else len(json.dumps(value))
        values.append(value)
    return values, size


_CONVERT: dict[type, Callable[[Any], Any]] = {
    datetime: datetime.isoformat,
    date: date.isoformat,
    time: time.isoformat,
    Decimal: str,
    timedelta: str,
}
