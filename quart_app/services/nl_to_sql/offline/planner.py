"""From a reading of the question to one SELECT statement.

The plan names a subject table (the rows the question is about), filters,
groups, a measure and an ordering; joins come from the shortest foreign-key
paths from the subject to every other table the plan touches.
"""

from __future__ import annotations

from dataclasses import dataclass

from .explain import describe
from .lexicon import END_DATES
from .measures import is_measure_column, numeric_column
from .measures import measure as find_measure
from .plan import Measure, Plan, money_table, price_column
from .reading import Reading, read
from .refusal import HARMLESS, fail
from .rendering import Renderer
from .times import TimeFilter
from .vocabulary import ColumnRef, Vocabulary, singular, words_of

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


def _plan(reading: Reading, vocabulary: Vocabulary) -> Plan:
    related = reading.relation_words()
    unknown = [w for w in reading.unused_words() if w not in HARMLESS and w not in related]
    if unknown:
        raise fail(reading, "the offline engine cannot map every word of the question")
    amounts_table = money_table(vocabulary) if reading.money else None

    first_term = _first_term(reading)
    measure = find_measure(reading, vocabulary, amounts_table, first_term)
    entity = _entity(reading, measure, first_term)
    groups = _groups(reading, measure, entity)

    subject = _subject(reading, measure, entity, amounts_table)
    if subject is None:
        raise fail(reading, "found no table the question is about")
    counted_per = _counted_per(measure, entity, groups)
    if counted_per is not None:
        subject = counted_per
    plan = Plan(subject, measure, entity, groups, comparisons=list(reading.comparisons))
    plan.keep_empty = counted_per is not None
    _filters(plan, reading, vocabulary)
    _ordering(plan, reading, vocabulary)
    return plan


def _filters(plan: Plan, reading: Reading, vocabulary: Vocabulary) -> None:
    """Values, shares, exclusions, absences, the tables a verb or a name adds, and times."""
    subject = plan.subject
    values = list(zip(reading.values, reading.value_at, strict=True))
    pivot = reading.share_pivot
    plan.values = [
        value
        for value, at in values
        if (pivot is None or at < pivot) and at not in reading.excluded_at
    ]
    plan.share = [value for value, at in values if pivot is not None and at > pivot]
    plan.excluded = [value for value, at in values if at in reading.excluded_at]
    if pivot is not None and not plan.share:
        raise fail(reading, "found no value to take the share of")
    if subject in reading.absent:  # "admissions with no admissions": nothing sensible to say
        raise fail(reading, f"cannot ask for {subject} without {subject}")
    plan.absent = list(dict.fromkeys(reading.absent))
    times = list(reading.times)
    for table, at in zip(reading.absent, reading.absent_at, strict=True):
        column = vocabulary.time_column(vocabulary.table(table))
        after = [time for time in times if time.position > at]
        if table in plan.absent and column and after:  # "members with no loans in 2024"
            plan.absent_times[table] = [(time, ColumnRef(table, column)) for time in after]
            times = [time for time in times if time not in after]
    plan.hinted = [
        table for table in dict.fromkeys(reading.hinted) if table not in (subject, *plan.absent)
    ]
    plan.named = [  # every table named is joined: "enrollments in History courses"
        table
        for _, _, table in reading.tables
        if table not in (subject, *plan.absent, *plan.hinted)
    ]
    plan.time_column = reading.time_columns[0] if reading.time_columns else None
    plan.keys = tuple(reading.keys)
    for time in times:
        plan.times.append((time, _time_column(reading, vocabulary, plan, time)))


def _ordering(plan: Plan, reading: Reading, vocabulary: Vocabulary) -> None:
    """Order and limit, and an average (or extreme) taken over the groups' counts."""
    measure, entity, groups = plan.measure, plan.entity, plan.groups
    plan.order = reading.order
    plan.limit = reading.limit
    if measure is not None and reading.by_time:  # "most recent order of each customer"
        raise fail(reading, "cannot rank by date and by a measure at once")
    if (
        measure is not None
        and measure.kind == "count"
        and reading.aggregate in ("avg", "max", "min")
    ):
        if not (groups or entity):  # "average number of orders": per what?
            raise fail(reading, f"found nothing to take the {reading.aggregate} of counts over")
        plan.outer = reading.aggregate
    if measure is not None and entity is not None and plan.limit is None:
        plan.limit = 1 if _singular_mention(reading, entity) else 10
    if measure is None and reading.order is not None:
        plan.order_column = _order_column(reading, vocabulary, plan.subject)
        if plan.order_column is None:
            raise fail(reading, "found nothing to order the rows by")
        if plan.limit is None and _singular_mention(reading, plan.subject):
            plan.limit = 1  # "the oldest book"


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
        if not is_measure_column(reading, start)
    ]
    skip = {reading.per_entity_value}
    ordered = [term for _, term in sorted(terms, key=lambda item: item[0]) if term not in skip]
    return ordered[0] if ordered else None


def _counted_per(
    measure: Measure | None, entity: str | ColumnRef | None, groups: list[str | ColumnRef]
) -> str | None:
    """The table whose every row gets a count, zero included: "how many books has each author
    written", "which author has the fewest books"."""
    if measure is None or measure.kind != "count":
        return None
    per = [entity] if entity is not None else groups
    if len(per) == 1 and isinstance(per[0], str) and not per[0].startswith("time:"):
        return per[0] if per[0] != measure.table else None
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
    ended = any(isinstance(value, str) and value.lower() in END_DATES for _, value in plan.values)
    for name in candidates if ended else ():  # "cancelled during 2023": when they ended
        for found_column in vocabulary.table(name).columns:
            if found_column.is_time and set(words_of(found_column.name)) & (END_DATES | {"end"}):
                return ColumnRef(name, found_column.name)
    for years in (False, True):  # a date of loans before the year a book was published
        for name in candidates:
            column = vocabulary.time_column(vocabulary.table(name), years=years)
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
    raise fail(reading, "found no date or time column for " + time.describe())


def _order_column(reading: Reading, vocabulary: Vocabulary, subject: str) -> ColumnRef | None:
    words = set(reading.tokens)
    table = vocabulary.table(subject)
    if reading.time_columns and not numeric_column(reading, vocabulary):
        return reading.time_columns[0]  # "which vehicle did we acquire first"
    if words & _TIME_WORDS and (column := vocabulary.time_column(table)):
        return ColumnRef(subject, column)
    if words & _PRICE_WORDS and (column := price_column(table)):
        return ColumnRef(subject, column)
    number = numeric_column(reading, vocabulary)
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
