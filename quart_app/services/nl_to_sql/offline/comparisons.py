"""Comparisons with numbers: of a column ("price over 450") or of a count of related rows
("more than 30 orders", "with 3 orders")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .vocabulary import ColumnRef, Vocabulary

if TYPE_CHECKING:
    from .reading import Reading


@dataclass(frozen=True, slots=True)
class Comparison:
    operator: str  # ">", "<", ">=", "<="
    number: float
    column: ColumnRef | None  # None: compares a count of ``counted``
    counted: str | None = None


_COMPARATORS = {
    "more": ">", "greater": ">", "higher": ">", "larger": ">", "bigger": ">", "over": ">",
    "above": ">", "exceeding": ">", "less": "<", "lower": "<", "smaller": "<", "fewer": "<",
    "under": "<", "below": "<", "cheaper": "<",
}  # fmt: skip


def read_comparisons(reading: Reading, vocabulary: Vocabulary) -> None:
    """ "more than 30 orders", "price over 450", "with 3 orders", "at least 2"."""
    tokens = reading.tokens
    for position, token in enumerate(tokens):
        operator = _COMPARATORS.get(token)
        if (
            token in ("with", "exactly")
            and position + 2 < len(tokens)
            and _is_number(tokens[position + 1])
        ):
            following = tokens[position + 2]
            numbers = [
                r for r in vocabulary.columns.get(following, []) if vocabulary.column(r).is_number
            ]
            if following in vocabulary.tables or numbers:  # "with 3 orders", "with 0 refills"
                operator = "="
        if (
            token == "at"
            and position + 1 < len(tokens)
            and tokens[position + 1] in ("least", "most")
        ):
            operator = ">=" if tokens[position + 1] == "least" else "<="
            end = position + 2
        else:
            end = position + 1
        if operator is None or reading.used[position]:
            continue
        if end < len(tokens) and tokens[end] == "than":
            end += 1
        if end >= len(tokens) or not _is_number(tokens[end]):
            continue
        if (
            operator == "="
            and tokens[end] == "0"
            and tokens[end + 1 : end + 2]
            and (tokens[end + 1] in vocabulary.tables)
        ):
            continue  # "with 0 orders" is absence
        number = float(tokens[end])
        after = tokens[end + 1] if end + 1 < len(tokens) else ""
        counted = vocabulary.tables.get(after)
        if counted is not None:  # "more than 30 orders": a count of related rows
            reading.comparisons.append(Comparison(operator, number, None, counted))
            reading.mark(position, end + 2)
            continue
        column = _numeric_column_before(reading, vocabulary, position, token == "cheaper")
        if column is not None:
            reading.comparisons.append(Comparison(operator, number, column))
            reading.mark(position, end + 1)


def _numeric_column_before(
    reading: Reading, vocabulary: Vocabulary, position: int, price_implied: bool
) -> ColumnRef | None:
    """The number column a comparison is about: named just before it ("price over 450"),
    else just after the number ("more than 500 pages"), else a named table's amount ("fines
    over 10")."""
    tokens = reading.tokens
    after = position + 2 + (position + 1 < len(tokens) and tokens[position + 1] == "than")
    for spot in [*range(position - 1, max(-1, position - 5), -1), after]:
        for first in (spot - 1, spot):  # "page count over 500", "price over 450"
            if first < 0 or spot >= len(tokens):
                continue
            refs = vocabulary.columns.get(" ".join(tokens[first : spot + 1]), [])
            numeric = [ref for ref in refs if vocabulary.column(ref).is_number]
            if numeric:
                reading.mark(first, spot + 1)
                return numeric[0]
    for back in range(position - 1, max(-1, position - 5), -1):
        table = vocabulary.tables.get(tokens[back])
        amount = vocabulary.amount_column(table) if table else None
        if amount is not None:
            return amount
    if price_implied:
        return next(iter(_price_columns(vocabulary)), None)
    return None


def _price_columns(vocabulary: Vocabulary) -> list[ColumnRef]:
    found = []
    for table in vocabulary.schema.tables:
        for column in table.columns:
            if column.is_number and any(
                word in column.name for word in ("price", "cost", "amount")
            ):
                found.append(ColumnRef(table.name, column.name))
    # The plain price of a thing before the price of a line item.
    return sorted(found, key=lambda ref: (ref.column != "price", ref.table))


def _is_number(token: str) -> bool:
    return bool(re.fullmatch(r"\d+(\.\d+)?", token))
