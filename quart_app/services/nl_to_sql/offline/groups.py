"""Groups in a question: "per region", "by status and year", "monthly", "which month"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .names import find_phrase
from .vocabulary import ColumnRef, Vocabulary

if TYPE_CHECKING:
    from .reading import Reading

TIME_UNITS = {"day": "day", "daily": "day", "week": "week", "weekly": "week", "month": "month",
              "monthly": "month", "quarter": "quarter", "year": "year", "yearly": "year"}  # fmt: skip
GROUP_MARKERS = ("for each", "for every", "in each", "per", "by", "each")


def read_groups(reading: Reading, vocabulary: Vocabulary) -> None:
    tokens = reading.tokens
    ends = []
    for marker in GROUP_MARKERS:
        start = 0
        while (at := find_phrase(tokens, marker, start)) >= 0:
            start = at + 1
            end = _group_at(reading, vocabulary, at, at + len(marker.split()))
            if end is not None:
                ends.append(end)
    while ends:  # "by status and year"
        end = ends.pop()
        if end < len(tokens) and tokens[end] == "and":
            following = _group_at(reading, vocabulary, end, end + 1)
            if following is not None:
                ends.append(following)
    for position, token in enumerate(tokens):
        if token in TIME_UNITS and position and tokens[position - 1] in ("which", "what"):
            reading.groups.append(f"time:{TIME_UNITS[token]}")  # "which month saw the most"
            reading.used[position] = True
            continue
        if (
            token in TIME_UNITS
            and not reading.used[position]  # "monthly fee" is a column
            and TIME_UNITS[token] != token
            and f"time:{TIME_UNITS[token]}" not in reading.groups
        ):
            reading.groups.append(f"time:{TIME_UNITS[token]}")  # "monthly revenue"
            reading.used[position] = True


def _group_at(reading: Reading, vocabulary: Vocabulary, at: int, after: int) -> int | None:
    """The group named at ``after`` (a marker at ``at`` before it), recorded; where it ends."""
    tokens = reading.tokens
    if after >= len(tokens):
        return None
    word = tokens[after]
    if tokens[at] == "by":
        reading.after_by.append(after)
    if word in TIME_UNITS or singular_unit(word) in TIME_UNITS:
        unit = TIME_UNITS.get(word) or TIME_UNITS[singular_unit(word)]
        reading.groups.append(f"time:{unit}")
        reading.mark(at, after + 1)
        return after + 1
    found = None
    agent = tokens[at] == "by" and at > 0 and _participle(tokens[at - 1])
    for position, end, refs in reading.columns:
        ranking = reading.order is not None or reading.limit is not None
        if position == after and agent:  # "operated by tail number X": whose, not per
            reading.used[at] = True
            continue
        if position == after and not (ranking and _measures(vocabulary, refs[0])):
            reading.groups.append(refs[0])
            reading.mark(at, after)
            found = end
    for position, end, table in reading.tables:
        if position == after and agent:  # "paid by accounts in BR": who paid, not per account
            reading.used[at] = True
            continue
        if position == after:
            column = next((refs for spot, _, refs in reading.columns if spot == end), [])
            owned = [ref for ref in column if ref.table == table]
            reading.groups.append(owned[0] if owned else table)  # "per product category"
            reading.mark(at, after)
            found = end
    return found


def _participle(word: str) -> bool:
    return word.endswith("ed") or word in _PARTICIPLES


_PARTICIPLES = frozenset(
    "paid made done written taken given sold bought held run owned sent spent won lost".split()
)


def _measures(vocabulary: Vocabulary, ref: ColumnRef) -> bool:
    """A measure, not a key: "top 3 projects by budget" orders by it."""
    return vocabulary.column(ref).is_number and not ref.column.lower().endswith("id")


def singular_unit(word: str) -> str:
    return word[:-1] if word.endswith("s") else word
