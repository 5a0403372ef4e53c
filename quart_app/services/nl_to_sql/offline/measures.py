"""What a question measures: a count, a total, an average, a share, money."""

from __future__ import annotations

from .lexicon import AVERAGED, MONEY_COLUMNS
from .plan import Measure
from .reading import Reading
from .refusal import fail
from .vocabulary import ColumnRef, Vocabulary


def measure(
    reading: Reading,
    vocabulary: Vocabulary,
    amounts_table: str | None,
    first_term: str | ColumnRef | None,
) -> Measure | None:
    """What is counted, summed or averaged, if anything."""
    table_mentions = [table for _, _, table in reading.tables]
    if reading.share_pivot is not None:
        table = table_mentions[0] if table_mentions else None
        return Measure("share", table) if table else None
    if reading.per_entity_value is not None:
        return Measure(
            "entity_value",
            reading.per_entity_value,
            reading.aggregate or "avg",
            amounts=amounts_table,
        )
    if reading.money and amounts_table is not None:
        return Measure("money", amounts_table, "sum", amounts=amounts_table)
    if reading.money:  # "revenue" with no order lines: the sum of an amount column
        column = _money_column(reading, vocabulary)
        if column is None:
            raise fail(reading, "found no amount, price or quantity to compute money from")
        return Measure("aggregate", column.table, "sum", column.column)
    if reading.aggregate is not None and not reading.counting:
        return _aggregate(reading, vocabulary, table_mentions)
    return _counted_or_totalled(reading, vocabulary, amounts_table, first_term, table_mentions)


def _aggregate(reading: Reading, vocabulary: Vocabulary, table_mentions: list[str]) -> Measure:
    """ "average salary", "total tuition paid", "earliest date of birth"."""
    assert reading.aggregate is not None
    column = numeric_column(reading, vocabulary) or next(
        filter(None, map(vocabulary.amount_column, reading.facts + table_mentions)), None
    )
    dates = [
        refs[0]
        for _, _, refs in reading.columns
        if vocabulary.column(refs[0]).is_time or vocabulary.is_year(refs[0])
    ]
    if reading.aggregate in ("min", "max") and dates:  # "earliest date of birth"
        column = dates[0]
    if column is None:
        raise fail(reading, f"found no number column to take the {reading.aggregate} of")
    return Measure("aggregate", column.table, reading.aggregate, column.column)


def _counted_or_totalled(
    reading: Reading,
    vocabulary: Vocabulary,
    amounts_table: str | None,
    first_term: str | ColumnRef | None,
    table_mentions: list[str],
) -> Measure | None:
    """Distinct values, a count of rows, or a number totalled per group or ranking."""
    counted = _table_after(reading, ("most", "fewest", "least", "of", "many"))
    distinct = _values_counted(reading, vocabulary)
    if distinct is not None:  # "how many countries": distinct values of a column
        return Measure("distinct", distinct.table, "count", distinct.column)
    quantity = _quantity_after_count(reading, vocabulary)
    if quantity is not None:  # "how many hours": hours are summed, not counted
        return Measure("aggregate", quantity.table, "sum", quantity.column)
    if reading.counting or (
        counted is not None and reading.order is not None and counted != first_term
    ):
        return Measure("count", _counted(reading, counted, table_mentions))
    if reading.order is not None and isinstance(first_term, str):
        # "top 5 products by quantity sold": a number column of a related table is summed
        column = numeric_column(reading, vocabulary)
        if column is not None and column.table != first_term:
            return Measure("aggregate", column.table, "sum", column.column)
    column = numeric_column(reading, vocabulary, years=False)
    ranked = isinstance(first_term, str) and first_term != getattr(column, "table", None)
    if column is not None and (reading.groups or (reading.order is not None and ranked)):
        # "hours per month", "which project has the most hours": a number is totalled
        function = "avg" if any(word in column.column.lower() for word in AVERAGED) else "sum"
        return Measure("aggregate", column.table, function, column.column)
    named = {table for _, _, table in reading.tables}
    done = reading.facts + [table for _, table in reading.verb_tables if table not in named]
    if reading.order is not None and done and column is None:
        return Measure("count", done[0])  # "which genre is borrowed the most"
    if reading.groups:
        # "orders per status": rows are counted per group
        target = table_mentions[0] if table_mentions else _fallback_subject(reading, amounts_table)
        if target is not None:
            return Measure("count", target)
    return None


def _counted(reading: Reading, counted: str | None, table_mentions: list[str]) -> str:
    """The table whose rows are counted: named after "how many", else after "most"."""
    after_count = [table for start, _, table in reading.tables if start >= reading.count_end]
    if reading.counting and reading.count_end in reading.value_at:
        # "how many A grades", "how many diesel trucks": what the values describe, unless
        # a table follows them at once
        value = reading.values[reading.value_at.index(reading.count_end)]
        end = reading.count_end + 1
        while end in reading.value_at or end in [s for s, _, _ in reading.columns]:
            end += 1
        if not any(start == end for start, _, _ in reading.tables):
            after_count = [value[0].table]
    target = (after_count[0] if reading.counting and after_count else None) or counted
    target = target or (table_mentions[0] if table_mentions else None)
    if target is None and reading.values:  # "how many analysts are there"
        target = reading.values[0][0].table
    if target is None:
        raise fail(reading, "found nothing to count")
    return target


def _money_column(reading: Reading, vocabulary: Vocabulary) -> ColumnRef | None:
    """The amount money is counted in: a number column named revenue, amount, total, price,
    fee or cost, in a table the question names or nearest to one, in the biggest table."""
    named = [table for _, _, table in reading.tables] + reading.hinted
    ranked = []
    for ref, words, _ in vocabulary.numbers:
        kinds = [index for index, word in enumerate(MONEY_COLUMNS) if word in words]
        if not kinds:
            continue
        paths = [vocabulary.path(table, ref.table) for table in named]
        hops = min((len(path) for path in paths if path is not None), default=99)
        rows = vocabulary.table(ref.table).estimated_rows
        ranked.append((hops, kinds[0], -rows, ref.table, ref.column))
    if not ranked:
        return None
    _, _, _, table, column = min(ranked)
    return ColumnRef(table, column)


def _values_counted(reading: Reading, vocabulary: Vocabulary) -> ColumnRef | None:
    """The column right after "how many" ("distinct" between allowed) when it is no number
    and no table is named there: "how many countries", "number of different cities"."""
    if not reading.counting:
        return None
    spot = reading.count_end
    while spot < len(reading.tokens) and reading.tokens[spot] in _DISTINCT:
        reading.used[spot] = True
        spot += 1
    if any(start == spot for start, _, _ in reading.tables):
        return None
    for start, _, refs in reading.columns:
        if start == spot and not vocabulary.column(refs[0]).is_number:
            return refs[0]
    return None


_DISTINCT = frozenset({"distinct", "different", "unique", "separate"})


def _quantity_after_count(reading: Reading, vocabulary: Vocabulary) -> ColumnRef | None:
    """The number column right after "how many", when no table comes first."""
    if not reading.counting:
        return None
    for start, _, refs in reading.columns:
        if start == reading.count_end:
            numbers = [ref for ref in refs if vocabulary.column(ref).is_number]
            if numbers and not is_key(numbers[0]):
                return numbers[0]
    return None


def is_key(ref: ColumnRef) -> bool:
    return ref.column.lower().endswith("id")


def is_measure_column(reading: Reading, start: int) -> bool:
    return start > 0 and reading.tokens[start - 1] in ("average", "avg", "mean", "total", "sum", "maximum",
                                                       "minimum", "max", "min")  # fmt: skip


def _table_after(reading: Reading, words: tuple[str, ...]) -> str | None:
    """A table right after one of ``words``, values and "the" between allowed ("most late
    trips")."""
    inside = {
        spot for begin, end, _ in [*reading.tables, *reading.columns] for spot in range(begin, end)
    }
    for start, _, table in reading.tables:
        back = start - 1
        while back >= 0 and (  # values and other understood words between: "most late trips"
            back in reading.value_at
            or reading.tokens[back] == "the"
            or (reading.used[back] and back not in inside and reading.tokens[back] not in words)
        ):
            back -= 1
        if back >= 0 and reading.tokens[back] in words:
            return table
    return None


def numeric_column(
    reading: Reading, vocabulary: Vocabulary, *, years: bool = True
) -> ColumnRef | None:
    """The first number column the question names that is no key (nor a year, unless
    ``years``: "average birth year" takes one, "loans per year" does not)."""
    for _, _, refs in reading.columns:
        for ref in refs:
            if vocabulary.column(ref).is_number and not is_key(ref):
                if years or not vocabulary.is_year(ref):
                    return ref
    return None


def _fallback_subject(reading: Reading, amounts_table: str | None) -> str | None:
    if reading.values:
        return reading.values[0][0].table
    if reading.columns:
        return reading.columns[0][2][0].table
    return amounts_table
