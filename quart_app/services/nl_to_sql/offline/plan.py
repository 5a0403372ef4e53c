"""The plan of a query: what the question is about, measured, grouped and filtered by."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..schema import Table
from .comparisons import Comparison
from .times import TimeFilter
from .vocabulary import ColumnRef, KeyRef, Value, Vocabulary


@dataclass(frozen=True, slots=True)
class Measure:
    kind: str  # "count", "distinct", "money", "aggregate", "entity_value", "share"
    table: str
    function: str = "count"
    column: str | None = None
    amounts: str | None = None  # the table with quantity and price, for money measures


@dataclass
class Plan:
    subject: str
    measure: Measure | None = None
    entity: str | ColumnRef | None = None  # top-N over a table's rows or a column's values
    groups: list[ColumnRef | str] = field(default_factory=list)
    values: list[tuple[ColumnRef, Value]] = field(default_factory=list)  # None: IS NULL
    times: list[tuple[TimeFilter, ColumnRef]] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    order: str | None = None
    order_column: ColumnRef | None = None
    limit: int | None = None
    share: list[tuple[ColumnRef, Value]] = field(default_factory=list)  # the share's condition
    excluded: list[tuple[ColumnRef, Value]] = field(default_factory=list)  # <> filters
    absent: list[str] = field(default_factory=list)
    absent_times: dict[str, list[tuple[TimeFilter, ColumnRef]]] = field(
        default_factory=dict
    )  # tables with no row for a subject row
    hinted: list[str] = field(default_factory=list)  # tables a verb names: joined on the way
    named: list[str] = field(default_factory=list)  # other tables the question names
    time_column: ColumnRef | None = None  # the date a verb names ("hired")
    keep_empty: bool = False  # LEFT JOINs from the subject: rows with nothing counted count 0
    outer: str | None = None
    keys: tuple[
        KeyRef, ...
    ] = ()  # the foreign keys to join by where several could  # "avg": the measure per group, averaged over the groups

    def tables(self) -> list[str]:
        found = [self.subject]
        parts: list[object] = [
            *self.hinted,
            *self.named,
            self.measure,
            self.entity,
            *self.groups,
            *self.values,
            *self.times,
            *self.comparisons,
            *self.share,
            *self.excluded,
        ]
        for part in parts:
            for table in _tables_of(part):
                if table not in found:
                    found.append(table)
        if self.order_column and self.order_column.table not in found:
            found.append(self.order_column.table)
        return found


def _tables_of(part: object) -> list[str]:
    if isinstance(part, Measure):
        return [part.table] + ([part.amounts] if part.amounts else [])
    if isinstance(part, ColumnRef):
        return [part.table]
    if isinstance(part, str):  # a table name, or "time:<unit>"
        return [] if part.startswith("time:") else [part]
    if isinstance(part, tuple):  # (column, value) filters and (time, column) filters
        return [table for item in part if isinstance(item, ColumnRef) for table in _tables_of(item)]
    if isinstance(part, Comparison):
        return [part.column.table] if part.column else [part.counted] if part.counted else []
    return []


def money_table(vocabulary: Vocabulary) -> str | None:
    for table in vocabulary.schema.tables:
        if quantity_column(table) and price_column(table):
            return table.name
    return None


def quantity_column(table: Table) -> str | None:
    return _number_column_named(table, ("quantity", "qty", "units"))


def price_column(table: Table) -> str | None:
    return _number_column_named(table, ("price", "amount", "cost"))


def _number_column_named(table: Table, words: tuple[str, ...]) -> str | None:
    """The first number column whose name contains one of ``words``."""
    return next(
        (c.name for c in table.columns if c.is_number and any(w in c.name for w in words)), None
    )
