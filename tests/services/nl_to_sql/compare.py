"""Comparing result sets, not SQL: the way text-to-SQL answers are judged."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_MIDNIGHT = re.compile(r"(\d{4}-\d\d-\d\d)[T ]00:00:00(\+00:00|Z)?$")


def normalise(value: Any) -> str:
    """One spelling per value, whether it came from asyncpg or from the JSON of the API."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float, Decimal)):
        return f"{float(value):.2f}"
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, date):
        value = value.isoformat()
    text = str(value)
    if _NUMBER.fullmatch(text):
        return f"{float(text):.2f}"
    if match := _MIDNIGHT.match(text):
        return match.group(1)
    return text


def same_result(
    got: Sequence[Sequence[Any]], expected: Sequence[Sequence[Any]], *, ordered: bool
) -> bool:
    """True when ``got`` holds ``expected``'s rows on some choice of its columns.

    Extra columns in ``got`` (an id next to a name, say) are allowed; the order of
    columns is not compared; the order of rows only when ``ordered``.
    """
    if len(got) != len(expected):
        return False
    if not expected:
        return True
    width = len(expected[0])
    want = [tuple(sorted(map(normalise, row))) for row in expected]
    if not ordered:
        want.sort()
    cells = [[normalise(value) for value in row] for row in got]  # once, not per choice
    for columns in itertools.combinations(range(len(got[0])), width):
        rows = [tuple(sorted(row[index] for index in columns)) for row in cells]
        if not ordered:
            rows.sort()
        if rows == want:
            return True
    return False
