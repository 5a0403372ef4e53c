"""A plan in words: what the engine took the question to mean, for people to check."""

from __future__ import annotations

from .plan import Plan
from .reading import Reading
from .vocabulary import ColumnRef, Join, Value


def describe(plan: Plan, reading: Reading, joins: list[Join]) -> str:
    """One line: measure and table, the joins, groups, filters, order and limit, and the
    words ignored."""
    parts = [_measure(plan)]
    if plan.outer is not None:
        parts[0] = f"{plan.outer} per group of the {parts[0]}"
    if joins:
        parts.append("joining " + " → ".join([plan.subject, *(join.right for join in joins)]))
    groups = [_name(group) for group in ([plan.entity] if plan.entity else []) + plan.groups]
    if groups:
        parts.append("per " + ", ".join(groups))
    by_column: dict[ColumnRef, list[Value]] = {}
    for ref, value in plan.values:
        by_column.setdefault(ref, []).append(value)
    filters = [
        f"{_name(ref)} is empty"
        if values == [None]
        else f"{_name(ref)} = {values[0]!r}"
        if len(values) == 1
        else f"{_name(ref)} in ({', '.join(repr(v) for v in values)})"
        for ref, values in by_column.items()
    ]
    filters += [f"{_name(ref)} is not {value!r}" for ref, value in plan.excluded]
    filters += [f"{_name(ref)} {time.describe()}" for time, ref in plan.times]
    for comparison in plan.comparisons:
        subject = (
            _name(comparison.column) if comparison.column else f"count of {comparison.counted}"
        )
        filters.append(f"{subject} {comparison.operator} {comparison.number:g}")
    if filters:
        parts.append("where " + " and ".join(filters))
    if plan.share:
        share = [
            f"{_name(ref)} is empty" if value is None else f"{_name(ref)} = {value!r}"
            for ref, value in plan.share
        ]
        parts.append("share with " + " and ".join(share))
    if plan.absent:
        parts.append("with no " + ", ".join(plan.absent))
    if plan.order_column is not None:
        direction = "lowest" if plan.order == "asc" else "highest"
        parts.append(f"ordered by {_name(plan.order_column)}, {direction} first")
    elif plan.order is not None and plan.measure is not None:
        parts.append("lowest first" if plan.order == "asc" else "highest first")
    if plan.limit is not None:
        parts.append(f"first {plan.limit}")
    ignored = list(dict.fromkeys(reading.ignored_words()))
    if ignored:
        parts.append("ignored: " + ", ".join(ignored))
    return " · ".join(parts)


def _measure(plan: Plan) -> str:
    measure = plan.measure
    if measure is None:
        return f"rows of {plan.subject}"
    if measure.kind == "count":
        return f"count of {measure.table}"
    if measure.kind == "distinct":
        return f"count of different {measure.table}.{measure.column}"
    if measure.kind == "share":
        return f"percentage of {measure.table}"
    if measure.kind == "money":
        return f"sum of quantity * price in {measure.amounts}"
    if measure.kind == "entity_value":
        return f"{measure.function} of the value of each of {measure.table}"
    return f"{measure.function} of {measure.table}.{measure.column}"


def _name(part: object) -> str:
    if isinstance(part, ColumnRef):
        return f"{part.table}.{part.column}"
    text = str(part)
    return text.removeprefix("time:") if text.startswith("time:") else text
