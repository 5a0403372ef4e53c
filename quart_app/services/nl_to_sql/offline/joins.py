"""How tables join: foreign keys as a graph, and the shortest chain of joins between tables."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from ..schema import Schema
from .names import meaning_of


@dataclass(frozen=True, slots=True)
class KeyRef:
    """A foreign key: ``holder``'s ``columns`` refer to ``target``."""

    holder: str
    columns: tuple[str, ...]
    target: str


@dataclass(frozen=True, slots=True)
class Join:
    """``left`` joins ``right`` on these column pairs (left column, right column)."""

    left: str
    right: str
    pairs: tuple[tuple[str, str], ...]
    fans_out: bool  # one row of ``left`` may match many of ``right``
    optional: bool = False  # along a nullable key
    qualified: bool = False  # along a key named for a role: escalated_to_agent_id, not fk_agent


class JoinGraph:
    """The joins of ``schema``'s tables, found once per table."""

    schema: Schema
    _joins: dict[str, list[Join]]

    def joins(self, table: str) -> list[Join]:
        found = self._joins.get(table)
        if found is None:
            found = self._joins[table] = self._find_joins(table)
        return found

    def _find_joins(self, table: str) -> list[Join]:
        found = []
        for other in self.schema.tables:
            for key in other.foreign_keys:
                pairs = tuple(zip(key.columns, key.referenced, strict=True))
                optional = any(
                    (column := other.column(name)) is None or column.nullable
                    for name in key.columns
                )
                qualified = len([w for w in meaning_of(key.columns[0]) if w != "id"]) > 1
                if other.name == table:
                    found.append(Join(table, key.table, pairs, False, optional, qualified))
                if key.table == table:
                    reverse = tuple((r, c) for c, r in pairs)
                    found.append(Join(table, other.name, reverse, True, optional, qualified))
        return found

    def path(self, start: str, goal: str) -> list[Join] | None:
        """The shortest chain of foreign-key joins from ``start`` to ``goal``."""
        return self.path_from([start], goal)

    def path_from(
        self, starts: list[str], goal: str, prefer: tuple[KeyRef, ...] = ()
    ) -> list[Join] | None:
        """The shortest chain of joins to ``goal`` from any of ``starts``: fewest joins, then
        fewest along optional keys (a student's advisor is a weaker tie than a section's
        course), then fewest along keys named for a role (a ticket's agent before the agent it
        was escalated to), then the first found. ``prefer``: keys a verb in the question
        picked, used wherever they join the two tables they join."""
        if goal in starts:
            return []
        best: dict[str, tuple[int, int, int]] = {start: (0, 0, 0) for start in starts}
        heap: list[tuple[int, int, int, int, str, list[Join]]] = [
            (0, 0, 0, order, start, []) for order, start in enumerate(starts)
        ]
        counter = len(starts)
        while heap:
            hops, optional, qualified, _, table, route = heapq.heappop(heap)
            if table == goal:
                return route
            if best.get(table, (hops, optional, qualified)) < (hops, optional, qualified):
                continue
            for join in self.joins(table):
                if not _allowed(join, prefer):
                    continue
                cost = (hops + 1, optional + join.optional, qualified + join.qualified)
                if join.right in best and best[join.right] <= cost:
                    continue
                best[join.right] = cost
                counter += 1
                heapq.heappush(heap, (*cost, counter, join.right, [*route, join]))
        return None


def _allowed(join: Join, prefer: tuple[KeyRef, ...]) -> bool:
    """False for a join between two tables that a preferred key joins some other way."""
    for key in prefer:
        if {join.left, join.right} == {key.holder, key.target} and key.holder != key.target:
            holder_columns = tuple(right if join.fans_out else left for left, right in join.pairs)
            if holder_columns != key.columns:
                return False
    return True
