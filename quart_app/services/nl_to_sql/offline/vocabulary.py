"""The words a schema gives: names of tables, columns and the values in them, and how tables join.

Everything here is derived from the introspected schema: table and column names
become phrases (with plural and singular forms), category values become
filters, and foreign keys become the join graph.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from ..schema import Column, Schema, Table


@dataclass(frozen=True, slots=True)
class ColumnRef:
    table: str
    column: str


@dataclass(frozen=True, slots=True)
class Join:
    """``left`` joins ``right`` on these column pairs (left column, right column)."""

    left: str
    right: str
    pairs: tuple[tuple[str, str], ...]
    fans_out: bool  # one row of ``left`` may match many of ``right``


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words_of(name: str) -> list[str]:
    return [word for word in re.split(r"[_\W]+", name.lower()) if word]


@dataclass
class Vocabulary:
    schema: Schema
    tables: dict[str, str] = field(default_factory=dict)  # phrase -> table
    columns: dict[str, list[ColumnRef]] = field(default_factory=dict)  # phrase -> columns
    values: dict[str, tuple[ColumnRef, str]] = field(
        default_factory=dict
    )  # lower value -> (column, value)

    @classmethod
    def of(cls, schema: Schema) -> Vocabulary:
        vocabulary = cls(schema)
        last_words: dict[str, list[str]] = {}
        for table in schema.tables:
            words = words_of(table.name)
            base = [*words[:-1], singular(words[-1])]
            for phrase in (
                " ".join(words),
                " ".join(base),
                " ".join([*base[:-1], plural(base[-1])]),
            ):
                vocabulary.tables.setdefault(phrase, table.name)
            last_words.setdefault(singular(words[-1]), []).append(table.name)
        for word, names in last_words.items():
            if len(names) == 1:  # "items" for order_items, when no other table ends so
                vocabulary.tables.setdefault(word, names[0])
                vocabulary.tables.setdefault(plural(word), names[0])
        for table in schema.tables:
            for column in table.columns:
                ref = ColumnRef(table.name, column.name)
                words = words_of(column.name)
                for phrase in {" ".join(words), " ".join([*words[:-1], plural(words[-1])])}:
                    vocabulary.columns.setdefault(phrase, []).append(ref)
                for value in column.values:
                    if len(value) >= 2 and not value.isdecimal():
                        vocabulary.values.setdefault(value.lower(), (ref, value))
        return vocabulary

    def table(self, name: str) -> Table:
        table = self.schema.table(name)
        assert table is not None
        return table

    def column(self, ref: ColumnRef) -> Column:
        column = self.table(ref.table).column(ref.column)
        assert column is not None
        return column

    def label_column(self, table: Table) -> str | None:
        """The column that names a row for people: ``name``, ``title``, else the first text one."""
        for preferred in ("name", "title", "label", "full_name", "username", "email", "url"):
            if table.column(preferred) is not None:
                return preferred
        return next((column.name for column in table.columns if column.is_text), None)

    def time_column(self, table: Table) -> str | None:
        return next((column.name for column in table.columns if column.is_time), None)

    def joins(self, table: str) -> list[Join]:
        found = []
        for other in self.schema.tables:
            for key in other.foreign_keys:
                pairs = tuple(zip(key.columns, key.referenced, strict=True))
                if other.name == table:
                    found.append(Join(table, key.table, pairs, fans_out=False))
                if key.table == table:
                    found.append(
                        Join(table, other.name, tuple((r, c) for c, r in pairs), fans_out=True)
                    )
        return found

    def path(self, start: str, goal: str) -> list[Join] | None:
        """The shortest chain of foreign-key joins from ``start`` to ``goal``."""
        if start == goal:
            return []
        seen = {start}
        queue: deque[tuple[str, list[Join]]] = deque([(start, [])])
        while queue:
            table, route = queue.popleft()
            for join in self.joins(table):
                if join.right in seen:
                    continue
                if join.right == goal:
                    return [*route, join]
                seen.add(join.right)
                queue.append((join.right, [*route, join]))
        return None
