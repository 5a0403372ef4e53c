"""The time axis of a line chart: the unit its instants are in, or the one to average
them per when there are too many to draw (``charts.py`` holds the rules)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

# Coarser and coarser units for a line with too many instants: Vega-Lite's name, the
# words for the subtitle, and about how many seconds one step is. The finest unit that
# brings the line under its budget of points is taken.
_UNITS = (
    ("utcyearmonthdatehoursminutes", "minute", 60),
    ("utcyearmonthdatehours", "hour", 3_600),
    ("utcyearmonthdate", "day", 86_400),
    ("utcyearweek", "week", 7 * 86_400),
    ("utcyearmonth", "month", 30 * 86_400),
    ("utcyearquarter", "quarter", 91 * 86_400),
    ("utcyear", "year", 365 * 86_400),
)
_FOUR_DIGIT_YEAR = re.compile(r"\d{4}-")


def _parsed(texts: Iterable[str]) -> list[datetime]:
    """ISO dates and times as UTC (those without an offset taken to be UTC)."""
    parsed = []
    for text in texts:
        try:
            instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue  # infinity, or a year past 9999: PostgreSQL's, not Python's
        parsed.append(instant.replace(tzinfo=None) - (instant.utcoffset() or timedelta()))
    return parsed


def time_axis(instants: set[str], budget: int) -> tuple[str | None, list[str], str | None, bool]:
    """The unit of the x axis, notes for the subtitle, y's aggregate, and whether to draw
    a sample of the rows: none of these when the instants fit in ``budget``, else the
    finest unit that brings them under it, with the mean; when not even years do (or the
    dates are past what Python reads), a random sample of ``budget`` rows, per year."""
    if len(instants) <= budget:
        return _natural_unit(_parsed(instants)), [], None, False
    # Four-digit years sort as text as they do in time; 'infinity', BC and years past
    # 9999 are left out of the span (Vega draws what JavaScript's dates can hold).
    dated = sorted(text for text in instants if _FOUR_DIGIT_YEAR.match(text))
    ends = _parsed([dated[0], dated[-1]]) if dated else []
    span = (ends[-1] - ends[0]).total_seconds() if len(ends) == 2 else math.inf
    count = f"{len(instants):,} instants"
    for unit, words, seconds in _UNITS:
        if span / seconds < budget:
            return unit, [f"{count} averaged per {words}"], "mean", False
    return (
        "utcyear",
        [f"{count}: a random sample of {budget:,} rows, averaged per year"],
        "mean",
        True,
    )


def _natural_unit(instants: list[datetime]) -> str | None:
    """The unit the data is already in (every value a month's first day: months), so
    that the axis and tooltips say "Mar 2024" instead of a midnight."""
    if not instants:
        return None
    if any(instant.time() != instant.time().min for instant in instants):
        return None
    if all(instant.day == 1 for instant in instants):
        if all(instant.month == 1 for instant in instants):
            return "utcyear"
        return "utcyearmonth"
    return "utcyearmonthdate"
