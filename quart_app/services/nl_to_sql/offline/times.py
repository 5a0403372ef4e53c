"""Time in a question: "in 2020", "in March 2025", "before 2018", "the last 30 days"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ....errors import ConversionFailed

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
Bound = Literal["in", "before", "after", "since"]
BOUNDS: dict[str, Bound] = {
    "before": "before",
    "until": "before",
    "after": "after",
    "since": "since",
}


@dataclass(frozen=True, slots=True)
class TimeFilter:
    kind: Literal["year", "month", "recent", "current"]
    position: int = 0  # where the phrase starts in the question
    year: int = 0
    month: int = 0
    amount: int = 0
    unit: str = "day"
    bound: Bound = "in"

    def describe(self) -> str:
        if self.kind == "current":
            return f"in the newest {self.unit} of data"
        if self.kind == "recent":
            return f"in the last {self.amount} {self.unit}{'s' if self.amount != 1 else ''} of data"
        period = str(self.year) if self.kind == "year" else f"{self.year}-{self.month:02d}"
        return f"{self.bound} {period}"

    def period(self) -> tuple[str, str]:
        """The first day of the year or month, and the first day after it."""
        if self.kind == "year":
            return f"{self.year}-01-01", f"{self.year + 1}-01-01"
        following = (self.year + self.month // 12, self.month % 12 + 1)
        return f"{self.year}-{self.month:02d}-01", f"{following[0]}-{following[1]:02d}-01"


def find_times(tokens: list[str]) -> list[tuple[TimeFilter, int, int]]:
    """Each time phrase: its filter, and where it starts and ends in ``tokens``."""
    found = []
    position = 0
    while position < len(tokens):
        token = tokens[position]
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        bound: Bound = BOUNDS.get(tokens[position - 1], "in") if position else "in"
        start = position - 1 if bound != "in" else position
        if token in ("last", "past", "previous", "recent") and position + 1 < len(tokens):
            amount, unit_at = (
                (int(following), position + 2) if following.isdecimal() else (1, position + 1)
            )
            unit = tokens[unit_at].rstrip("s") if unit_at < len(tokens) else ""
            if unit in ("day", "week", "month", "year"):
                found.append(
                    (
                        TimeFilter("recent", position, amount=amount, unit=unit),
                        position,
                        unit_at + 1,
                    )
                )
                position = unit_at + 1
                continue
        if (
            token == "between"
            and _year(following)
            and tokens[position + 2 : position + 3] == ["and"]
        ):
            last = tokens[position + 3] if position + 3 < len(tokens) else ""
            if _year(last):  # "between 2019 and 2021": since the first, before the year after
                found.append((TimeFilter("year", position, year=int(following), bound="since"),
                              position, position + 2))  # fmt: skip
                found.append((TimeFilter("year", position, year=int(last) + 1, bound="before"),
                              position + 2, position + 4))  # fmt: skip
                position += 4
                continue
        if token == "this" and following.rstrip("s") in ("year", "month", "week"):
            time = TimeFilter("current", position, unit=following.rstrip("s"))
            found.append((time, position, position + 2))  # the newest year of data
            position += 2
            continue
        if token in MONTHS and following.isdecimal() and len(following) == 4:
            time = TimeFilter("month", start, year=int(following), month=MONTHS[token], bound=bound)
            found.append((time, start, position + 2))
            position += 2
            continue
        if token.isdecimal() and len(token) == 4 and 1900 <= int(token) <= 2100:
            found.append(
                (TimeFilter("year", start, year=int(token), bound=bound), start, position + 1)
            )
        position += 1
    return found


def _year(token: str) -> bool:
    return token.isdecimal() and len(token) == 4 and 1900 <= int(token) <= 2100


def condition(column: str, time: TimeFilter, latest: str, years: bool) -> str:
    """The WHERE condition for ``time`` on ``column``; ``latest`` is the column's newest value
    (for "the last 30 days"); ``years`` when the column holds years as numbers."""
    if years:
        return _in_years(column, time, latest)
    if time.kind == "recent":
        return f"{column} > {latest} - interval '{time.amount} {time.unit}'"
    if time.kind == "current":
        return f"{column} >= date_trunc('{time.unit}', {latest})"
    first, after = time.period()
    return {
        "in": f"{column} >= '{first}' AND {column} < '{after}'",
        "before": f"{column} < '{first}'",
        "after": f"{column} >= '{after}'",
        "since": f"{column} >= '{first}'",
    }[time.bound]


def _in_years(column: str, time: TimeFilter, latest: str) -> str:
    """ "published in 2020", "born before 1950": a number column of years."""
    if time.kind in ("month", "current") or (time.kind == "recent" and time.unit != "year"):
        raise ConversionFailed(f"{column} holds years, not {time.describe()}")
    if time.kind == "recent":
        return f"{column} > {latest} - {time.amount}"
    operator = {"in": "=", "before": "<", "after": ">", "since": ">="}[time.bound]
    return f"{column} {operator} {time.year}"
