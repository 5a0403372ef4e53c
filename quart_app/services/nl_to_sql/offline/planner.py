"""From a reading of the question to one SELECT statement.

The plan names a subject table (the rows the question is about), filters,
groups, a measure and an ordering; joins come from the shortest foreign-key
paths from the subject to every other table the plan touches.
"""

from __future__ import annotations

from dataclasses import dataclass

from ....errors import ConversionFailed
from .explain import describe
from .lexicon import AVERAGED
from .plan import Measure, Plan, money_table, price_column
from .reading import (
    Reading,
    TimeFilter,
    read,
)
from .rendering import Renderer
from .vocabulary import ColumnRef, Vocabulary, meaning_of, singular

# Words that carry no meaning for the plan beyond what is read elsewhere.
HARMLESS = frozenset(
    """placed make made sold buy bought ordered visited viewed signed registered joined created
    live lives living come comes came based located happened happen occur occurred were was
    been being belong belongs belonging per cent percent its their them they value
    values worth highest lowest largest smallest distinct different unique ever so far time
    period recorded there recent latest newest oldest earliest expensive cheapest pricey
    priciest popular busiest best worst date dates up place drive drives drove driven driving
    hauled haul hauling carried travelled traveled job jobs event events purchase purchases
    transaction transactions us took take taken takes place collected given taught teach
    teaches""".split()
)
_TIME_WORDS = {"newest", "latest", "recent", "oldest", "earliest"}
_PRICE_WORDS = {"expensive", "cheapest", "priciest", "pricey", "cheap"}


@dataclass(frozen=True, slots=True)
class Translation:
    sql: str
    interpretation: str  # the plan in words


def understand(question: str, vocabulary: Vocabulary) -> Translation:
    """One SELECT for ``question``; ``ConversionFailed`` says what was and was not understood."""
    reading = read(question, vocabulary)
    plan = _plan(reading, vocabulary)
    renderer = Renderer(plan, vocabulary)
    sql = renderer.render()
    return Translation(sql, describe(plan, reading, renderer.joins))


def translate(question: str, vocabulary: Vocabulary) -> str:
    return understand(question, vocabulary).sql


def _fail(reading: Reading, why: str) -> ConversionFailed:
    understood = []
    if reading.tables:
        understood.append(
            "tables " + ", ".join(dict.fromkeys(table for _, _, table in reading.tables))
        )
    if reading.values:
        understood.append(
            "values " + ", ".join(f"{ref.column} = {value!r}" for ref, value in reading.values)
        )
    if reading.times:
        understood.append("time " + ", ".join(time.describe() for time in reading.times))
    unknown = [word for word in reading.unused_words() if word not in HARMLESS]
    message = why
    message += (
        f"; understood: {'; '.join(understood)}"
        if understood
        else "; understood nothing it can map to the schema"
    )
    if unknown:
        message += (
            f"; did not understand: {', '.join(repr(word) for word in dict.fromkeys(unknown))}"
        )
    return ConversionFailed(message)


def _plan(reading: Reading, vocabulary: Vocabulary) -> Plan:
    unknown = [word for word in reading.unused_words() if word not in HARMLESS]
    if unknown:
        raise _fail(reading, "the offline engine cannot map every word of the question")
    amounts_table = money_table(vocabulary) if reading.money else None
    if reading.money and amounts_table is None:
        raise _fail(reading, "no table has both a quantity and a price to compute amounts from")

    first_term = _first_term(reading)
    measure = _measure(reading, vocabulary, amounts_table, first_term)
    entity = _entity(reading, measure, first_term)
    groups = _groups(reading, measure, entity)

    subject = _subject(reading, measure, entity, amounts_table)
    if subject is None:
        raise _fail(reading, "found no table the question is about")
    values = list(zip(reading.values, reading.value_at, strict=True))
    pivot = reading.share_pivot
    plan = Plan(
        subject,
        measure,
        entity,
        groups,
        [
            value
            for value, at in values
            if (pivot is None or at < pivot) and at not in reading.excluded_at
        ],
        comparisons=list(reading.comparisons),
    )
    plan.share = [value for value, at in values if pivot is not None and at > pivot]
    plan.excluded = [value for value, at in values if at in reading.excluded_at]
    if pivot is not None and not plan.share:
        raise _fail(reading, "found no value to take the share of")
    plan.absent = [table for table in dict.fromkeys(reading.absent) if table != subject]
    plan.hinted = [
        table for table in dict.fromkeys(reading.hinted) if table not in (subject, *plan.absent)
    ]
    plan.named = [  # every table named is joined: "enrollments in History courses"
        table
        for _, _, table in reading.tables
        if table not in (subject, *plan.absent, *plan.hinted)
    ]
    plan.time_column = reading.time_columns[0] if reading.time_columns else None
    for time in reading.times:
        plan.times.append((time, _time_column(reading, vocabulary, plan, time)))
    plan.order = reading.order
    plan.limit = reading.limit
    if measure is not None and entity is not None and plan.limit is None:
        plan.limit = 1 if _singular_mention(reading, entity) else 10
    if measure is None and reading.order is not None:
        plan.order_column = _order_column(reading, vocabulary, subject)
        if plan.order_column is None:
            raise _fail(reading, "found nothing to order the rows by")
    return plan


def _measure(
    reading: Reading,
    vocabulary: Vocabulary,
    amounts_table: str | None,
    first_term: str | ColumnRef | None,
) -> Measure | None:
    """What is counted, summed or averaged, if anything."""
    table_mentions = [table for _, _, table in reading.tables]
    counted = _table_after(reading, ("most", "fewest", "least", "of", "many"))
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
    if reading.money:
        assert amounts_table is not None
        return Measure("money", amounts_table, "sum", amounts=amounts_table)
    if reading.aggregate is not None and not reading.counting:
        column = _numeric_column(reading, vocabulary) or _amount_of(vocabulary, table_mentions)
        if column is None:
            raise _fail(reading, f"found no number column to take the {reading.aggregate} of")
        return Measure("aggregate", column.table, reading.aggregate, column.column)
    quantity = _quantity_after_count(reading, vocabulary)
    if quantity is not None:  # "how many hours": hours are summed, not counted
        return Measure("aggregate", quantity.table, "sum", quantity.column)
    if reading.counting or (
        counted is not None and reading.order is not None and counted != first_term
    ):
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
            raise _fail(reading, "found nothing to count")
        return Measure("count", target)
    if reading.order is not None and isinstance(first_term, str):
        # "top 5 products by quantity sold": a number column of a related table is summed
        column = _numeric_column(reading, vocabulary)
        if column is not None and column.table != first_term:
            return Measure("aggregate", column.table, "sum", column.column)
    column = _numeric_column(reading, vocabulary)
    ranked = isinstance(first_term, str) and first_term != getattr(column, "table", None)
    if column is not None and (reading.groups or (reading.order is not None and ranked)):
        # "hours per month", "which project has the most hours": a number is totalled
        function = "avg" if any(word in column.column.lower() for word in AVERAGED) else "sum"
        return Measure("aggregate", column.table, function, column.column)
    if reading.groups:
        # "orders per status": rows are counted per group
        target = (
            table_mentions[0] if table_mentions else _subject(reading, None, None, amounts_table)
        )
        if target is not None:
            return Measure("count", target)
    return None


def _amount_of(vocabulary: Vocabulary, tables: list[str]) -> ColumnRef | None:
    """ "total tuition paid": a named table's amount, when it has one number that is no key,
    or one named amount, total, price, cost or fee."""
    for name in tables:
        numbers = [
            column.name
            for column in vocabulary.table(name).columns
            if column.is_number and not _is_key(ColumnRef(name, column.name))
        ]
        named = [
            n for n in numbers if set(meaning_of(n)) & {"amount", "total", "price", "cost", "fee"}
        ]
        if len(named) == 1 or len(numbers) == 1:
            return ColumnRef(name, (named or numbers)[0])
    return None


def _quantity_after_count(reading: Reading, vocabulary: Vocabulary) -> ColumnRef | None:
    """The number column right after "how many", when no table comes first."""
    if not reading.counting:
        return None
    for start, _, refs in reading.columns:
        if start == reading.count_end:
            numbers = [ref for ref in refs if vocabulary.column(ref).is_number]
            if numbers and not _is_key(numbers[0]):
                return numbers[0]
    return None


def _is_key(ref: ColumnRef) -> bool:
    return ref.column.lower().endswith("id")


def _entity(
    reading: Reading, measure: Measure | None, first_term: str | ColumnRef | None
) -> str | ColumnRef | None:
    """What is ranked by the measure: "top 5 customers by revenue", "which country has the
    most customers"."""
    if measure is None or (reading.limit is None and reading.order is None):
        return None
    if isinstance(first_term, ColumnRef) or (
        first_term is not None and first_term != measure.table
    ):
        return first_term
    if measure.kind in ("money", "aggregate") and first_term is not None:
        return first_term
    return None


def _groups(
    reading: Reading, measure: Measure | None, entity: str | ColumnRef | None
) -> list[str | ColumnRef]:
    """The groups asked for, less those that group nothing: the entity, or the very rows
    being measured."""
    measured = ColumnRef(measure.table, measure.column) if measure and measure.column else None
    return [
        group
        for group in dict.fromkeys(reading.groups)
        if group != entity and (measure is None or group not in (measure.table, measured))
    ]


def _first_term(reading: Reading) -> str | ColumnRef | None:
    terms: list[tuple[int, str | ColumnRef]] = []
    for start, end, table in reading.tables:
        # "product category": the table's own column names the thing
        own = [
            ref
            for spot, _, refs in reading.columns
            if spot == end
            for ref in refs
            if ref.table == table
        ]
        terms.append((start, own[0] if own else table))
    terms += [
        (start, refs[0])
        for start, _, refs in reading.columns
        if not _is_measure_column(reading, start)
    ]
    skip = {reading.per_entity_value}
    ordered = [term for _, term in sorted(terms, key=lambda item: item[0]) if term not in skip]
    return ordered[0] if ordered else None


def _is_measure_column(reading: Reading, start: int) -> bool:
    return start > 0 and reading.tokens[start - 1] in ("average", "avg", "mean", "total", "sum", "maximum",
                                                       "minimum", "max", "min")  # fmt: skip


def _table_after(reading: Reading, words: tuple[str, ...]) -> str | None:
    """A table right after one of ``words``, values and "the" between allowed ("most late
    trips")."""
    for start, _, table in reading.tables:
        back = start - 1
        while back >= 0 and (back in reading.value_at or reading.tokens[back] == "the"):
            back -= 1
        if back >= 0 and reading.tokens[back] in words:
            return table
    return None


def _numeric_column(reading: Reading, vocabulary: Vocabulary) -> ColumnRef | None:
    for _, _, refs in reading.columns:
        for ref in refs:
            if vocabulary.column(ref).is_number and not _is_key(ref):
                return ref
    return None


def _subject(
    reading: Reading,
    measure: Measure | None,
    entity: str | ColumnRef | None,
    amounts_table: str | None,
) -> str | None:
    if isinstance(entity, str):
        return entity
    if measure is not None and measure.kind == "count":
        return measure.table
    if measure is not None and measure.kind == "entity_value":
        return measure.table
    if measure is not None:
        return measure.table
    tables = [table for _, _, table in reading.tables]
    if tables:
        return tables[0]
    if reading.values:
        return reading.values[0][0].table
    if reading.columns:
        return reading.columns[0][2][0].table
    return amounts_table


def _time_column(
    reading: Reading, vocabulary: Vocabulary, plan: Plan, time: TimeFilter
) -> ColumnRef:
    # A verb names it ("hired"); else a table named just before the time phrase owns it
    # ("placed orders in 2024", not "per depot in 2024"); else the table a verb points to,
    # what is measured, the subject, or the nearest joined table with a time column.
    if plan.time_column is not None:
        return plan.time_column
    candidates = [
        table
        for start, end, table in reading.tables
        if 0 <= time.position - end <= 2
        and (start == 0 or reading.tokens[start - 1] not in ("per", "by", "each", "every"))
    ]
    candidates += (
        plan.hinted
        + ([plan.measure.table] if plan.measure else [])
        + [plan.subject]
        + [table for table in plan.tables() if table != plan.subject]
    )
    for name in candidates:
        column = vocabulary.time_column(vocabulary.table(name))
        if column is not None:
            return ColumnRef(name, column)
    reachable = []
    for table in vocabulary.schema.tables:
        path = vocabulary.path(plan.subject, table.name)
        found = vocabulary.time_column(table)
        if path is not None and found is not None:
            reachable.append((len(path), table.name, found))
    if reachable:
        _, nearest, found = min(reachable)
        return ColumnRef(nearest, found)
    raise _fail(reading, "found no date or time column for " + time.describe())


def _order_column(reading: Reading, vocabulary: Vocabulary, subject: str) -> ColumnRef | None:
    words = set(reading.tokens)
    table = vocabulary.table(subject)
    if reading.time_columns and not _numeric_column(reading, vocabulary):
        return reading.time_columns[0]  # "which vehicle did we acquire first"
    if words & _TIME_WORDS and (column := vocabulary.time_column(table)):
        return ColumnRef(subject, column)
    if words & _PRICE_WORDS and (column := price_column(table)):
        return ColumnRef(subject, column)
    number = _numeric_column(reading, vocabulary)
    if number is not None:
        return number
    return None


def _singular_mention(reading: Reading, entity: str | ColumnRef) -> bool:
    for _, end, term in [*reading.tables, *((s, e, refs[0]) for s, e, refs in reading.columns)]:
        if term == entity:
            last = reading.tokens[end - 1]
            return singular(last) == last
    return False


__all__ = ["Translation", "translate", "understand"]
