"""From a reading of the question to one SELECT statement.

The plan names a subject table (the rows the question is about), filters,
groups, a measure and an ordering; joins come from the shortest foreign-key
paths from the subject to every other table the plan touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ....errors import ConversionFailed
from ..schema import Table
from .reading import (
    FILLER,
    Comparison,
    Reading,
    TimeFilter,
    read,
)
from .vocabulary import ColumnRef, Join, Vocabulary, singular

# Words that carry no meaning for the plan beyond what is read elsewhere.
HARMLESS = frozenset(
    """placed make made sold buy bought ordered visited viewed signed registered joined created
    live lives living come comes came based located happened happen occur occurred were was
    been being belong belongs belonging per cent percent its their them they value
    values worth highest lowest largest smallest distinct different unique ever so far time
    period recorded there recent latest newest oldest earliest expensive cheapest pricey
    priciest popular busiest best worst date dates up place""".split()
)
_TIME_WORDS = {"newest", "latest", "recent", "oldest", "earliest"}
_PRICE_WORDS = {"expensive", "cheapest", "priciest", "pricey", "cheap"}


@dataclass(frozen=True, slots=True)
class Measure:
    kind: str  # "count", "money", "aggregate", "entity_value"
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
    values: list[tuple[ColumnRef, str]] = field(default_factory=list)
    times: list[tuple[TimeFilter, ColumnRef]] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    order: str | None = None
    order_column: ColumnRef | None = None
    limit: int | None = None

    def tables(self) -> list[str]:
        found = [self.subject]
        parts: list[object] = [
            self.measure,
            self.entity,
            *self.groups,
            *self.values,
            *self.times,
            *self.comparisons,
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


def translate(question: str, vocabulary: Vocabulary) -> str:
    """One SELECT for ``question``; ``ConversionFailed`` says what was and was not understood."""
    reading = read(question, vocabulary)
    plan = _plan(reading, vocabulary)
    return _Renderer(plan, vocabulary).render()


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
    money_table = _money_table(vocabulary) if reading.money else None
    if reading.money and money_table is None:
        raise _fail(reading, "no table has both a quantity and a price to compute amounts from")

    table_mentions = [table for _, _, table in reading.tables]
    first_term = _first_term(reading)
    measure: Measure | None = None
    entity: str | ColumnRef | None = None

    counted = _table_after(reading, ("most", "fewest", "least", "of", "many"))
    if reading.per_entity_value is not None:
        measure = Measure(
            "entity_value",
            reading.per_entity_value,
            reading.aggregate or "avg",
            amounts=money_table,
        )
    elif reading.money:
        assert money_table is not None
        measure = Measure("money", money_table, "sum", amounts=money_table)
    elif reading.aggregate is not None and not reading.counting:
        column = _numeric_column(reading, vocabulary)
        if column is None:
            raise _fail(reading, f"found no number column to take the {reading.aggregate} of")
        measure = Measure("aggregate", column.table, reading.aggregate, column.column)
    elif reading.counting or (
        counted is not None and reading.order is not None and counted != first_term
    ):
        after_count = [table for start, _, table in reading.tables if start >= reading.count_end]
        target = (after_count[0] if reading.counting and after_count else None) or counted
        target = target or (table_mentions[0] if table_mentions else None)
        if target is None:
            raise _fail(reading, "found nothing to count")
        measure = Measure("count", target)
    elif reading.order is not None and isinstance(first_term, str):
        # "top 5 products by quantity sold": a number column of a related table is summed
        column = _numeric_column(reading, vocabulary)
        if column is not None and column.table != first_term:
            measure = Measure("aggregate", column.table, "sum", column.column)
    if measure is None and reading.groups:
        # "orders per status": rows are counted per group
        target = table_mentions[0] if table_mentions else _subject(reading, None, None, money_table)
        if target is not None:
            measure = Measure("count", target)

    groups = list(dict.fromkeys(reading.groups))
    if measure is not None and (reading.limit is not None or reading.order is not None):
        # "top 5 customers by revenue", "which country has the most customers"
        if isinstance(first_term, ColumnRef) or (
            first_term is not None and first_term != measure.table
        ):
            entity = first_term
        elif measure.kind in ("money", "aggregate") and first_term is not None:
            entity = first_term
    for group in list(groups):
        # Grouping by the entity, or by the very rows being measured, groups nothing.
        measured = ColumnRef(measure.table, measure.column) if measure and measure.column else None
        if group == entity or (measure is not None and group in (measure.table, measured)):
            groups.remove(group)

    subject = _subject(reading, measure, entity, money_table)
    if subject is None:
        raise _fail(reading, "found no table the question is about")
    plan = Plan(
        subject,
        measure,
        entity,
        groups,
        list(reading.values),
        comparisons=list(reading.comparisons),
    )
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
    for start, _, table in reading.tables:
        previous = reading.tokens[start - 1] if start > 0 else ""
        before = reading.tokens[start - 2] if start > 1 else ""
        if previous in words or (previous == "the" and before in words):
            return table
    return None


def _numeric_column(reading: Reading, vocabulary: Vocabulary) -> ColumnRef | None:
    for _, _, refs in reading.columns:
        for ref in refs:
            if vocabulary.column(ref).is_number:
                return ref
    return None


def _money_table(vocabulary: Vocabulary) -> str | None:
    for table in vocabulary.schema.tables:
        if _quantity_column(table) and _price_column(table):
            return table.name
    return None


def _quantity_column(table: Table) -> str | None:
    return next(
        (
            c.name
            for c in table.columns
            if c.is_number and any(w in c.name for w in ("quantity", "qty", "units"))
        ),
        None,
    )


def _price_column(table: Table) -> str | None:
    return next(
        (
            c.name
            for c in table.columns
            if c.is_number and any(w in c.name for w in ("price", "amount", "cost"))
        ),
        None,
    )


def _subject(
    reading: Reading,
    measure: Measure | None,
    entity: str | ColumnRef | None,
    money_table: str | None,
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
    return money_table


def _time_column(
    reading: Reading, vocabulary: Vocabulary, plan: Plan, time: TimeFilter
) -> ColumnRef:
    # A table named just before the time phrase ("placed orders in 2024") owns it;
    # otherwise the subject does, or the nearest joined table with a time column.
    candidates = [table for _, end, table in reading.tables if 0 <= time.position - end <= 2]
    candidates += [plan.subject] + [table for table in plan.tables() if table != plan.subject]
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
    if words & _TIME_WORDS and (column := vocabulary.time_column(table)):
        return ColumnRef(subject, column)
    if words & _PRICE_WORDS and (column := _price_column(table)):
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


class _Renderer:
    def __init__(self, plan: Plan, vocabulary: Vocabulary) -> None:
        self.plan = plan
        self.vocabulary = vocabulary
        self.aliases: dict[str, str] = {}
        self.joins: list[Join] = []
        self.fans_out = False
        self._route()

    def _route(self) -> None:
        plan = self.plan
        self._alias(plan.subject)
        for table in plan.tables()[1:]:
            if table in self.aliases:
                continue
            path = self.vocabulary.path(plan.subject, table)
            if path is None:
                raise ConversionFailed(f"no chain of foreign keys joins {plan.subject} to {table}")
            for join in path:
                if join.right not in self.aliases:
                    self._alias(join.right)
                    self.joins.append(join)
                    self.fans_out = self.fans_out or join.fans_out

    def _alias(self, table: str) -> None:
        words = [word for word in table.split("_") if word]
        alias = "".join(word[0] for word in words) or "t"
        candidate, number = alias, 2
        while candidate in self.aliases.values():
            candidate, number = f"{alias}{number}", number + 1
        self.aliases[table] = candidate

    def ref(self, ref: ColumnRef) -> str:
        return f"{self.aliases[ref.table]}.{_quote(ref.column)}"

    def key(self, table: str) -> list[str]:
        found = self.vocabulary.table(table)
        columns = found.primary_key or tuple(column.name for column in found.columns[:1])
        return [self.ref(ColumnRef(table, column)) for column in columns]

    def render(self) -> str:
        plan = self.plan
        where = self._where()
        source = self._from()
        measure = self._measure_sql()
        having = self._having()
        if measure is None:
            return self._listing(source, where, having)
        keys, labels = self._grouping()
        if plan.measure and plan.measure.kind == "entity_value":
            return self._entity_value(source, where, keys, labels)
        select = [f"{expression} AS {name}" for expression, name in labels] + [
            f"{measure} AS {self._measure_name()}"
        ]
        if having and not keys:  # "how many customers have more than 30 orders"
            matching = f"SELECT {', '.join(self.key(plan.subject))} {source}{where} GROUP BY {', '.join(self.key(plan.subject))}{having}"
            return f"SELECT count(*) AS count FROM ({matching}) AS matching"
        sql = f"SELECT {', '.join(select)} {source}{where}"
        if keys:
            sql += f" GROUP BY {', '.join(keys)}"
        sql += having
        sql += self._order(keys, self._measure_name())
        return sql

    def _from(self) -> str:
        plan = self.plan
        source = f"FROM {self._table_sql(plan.subject)} AS {self.aliases[plan.subject]}"
        for join in self.joins:
            on = " AND ".join(
                f"{self.aliases[join.left]}.{_quote(left)} = {self.aliases[join.right]}.{_quote(right)}"
                for left, right in join.pairs
            )
            source += f" JOIN {self._table_sql(join.right)} AS {self.aliases[join.right]} ON {on}"
        return source

    def _table_sql(self, table: str) -> str:
        found = self.vocabulary.table(table)
        return (
            _quote(found.name)
            if found.schema == "public"
            else f"{_quote(found.schema)}.{_quote(found.name)}"
        )

    def _where(self) -> str:
        conditions = [f"{self.ref(ref)} = {_literal(value)}" for ref, value in self.plan.values]
        for time, ref in self.plan.times:
            column = self.ref(ref)
            if time.kind == "year":
                conditions.append(
                    f"{column} >= '{time.year}-01-01' AND {column} < '{time.year + 1}-01-01'"
                )
            elif time.kind == "month":
                following = (time.year + time.month // 12, time.month % 12 + 1)
                conditions.append(
                    f"{column} >= '{time.year}-{time.month:02d}-01' "
                    f"AND {column} < '{following[0]}-{following[1]:02d}-01'"
                )
            else:
                latest = f"(SELECT max({_quote(ref.column)}) FROM {self._table_sql(ref.table)})"
                conditions.append(f"{column} > {latest} - interval '{time.amount} {time.unit}'")
        for comparison in self.plan.comparisons:
            if comparison.column is not None:
                conditions.append(
                    f"{self.ref(comparison.column)} {comparison.operator} {_number(comparison.number)}"
                )
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def _having(self) -> str:
        counts = [comparison for comparison in self.plan.comparisons if comparison.counted]
        parts = [
            f"count(DISTINCT {', '.join(self.key(comparison.counted or ''))}) {comparison.operator} "
            f"{_number(comparison.number)}"
            for comparison in counts
        ]
        return f" HAVING {' AND '.join(parts)}" if parts else ""

    def _measure_sql(self) -> str | None:
        measure = self.plan.measure
        if measure is None:
            return None
        alias = self.aliases[measure.table]
        if measure.kind == "count":
            if measure.table == self.plan.subject and not self.fans_out and not self.plan.entity:
                return "count(*)"
            return f"count(DISTINCT {', '.join(self.key(measure.table))})"
        if measure.kind in ("money", "entity_value"):
            money = _money_table(self.vocabulary)
            assert money is not None
            table = self.vocabulary.table(money)
            if money not in self.aliases:
                raise ConversionFailed(f"cannot join {money} for amounts")
            amount = f"{self.aliases[money]}.{_quote(_quantity_column(table) or '')} * {self.aliases[money]}.{_quote(_price_column(table) or '')}"
            return f"sum({amount})"
        column = f"{alias}.{_quote(measure.column or '')}"
        if measure.function == "avg":
            return f"round(avg({column}), 2)"
        return f"{measure.function}({column})"

    def _measure_name(self) -> str:
        measure = self.plan.measure
        assert measure is not None
        if measure.kind == "count":
            return (
                "count"
                if measure.table == self.plan.subject and not self.plan.entity
                else f"{measure.table}_count"
            )
        if measure.kind == "money":
            return "revenue"
        if measure.kind == "entity_value":
            return f"{measure.function}_{singular(measure.table)}_value"
        return f"{measure.function}_{measure.column}"

    def _grouping(self) -> tuple[list[str], list[tuple[str, str]]]:
        keys: list[str] = []
        labels: list[tuple[str, str]] = []
        for group in [*([self.plan.entity] if self.plan.entity else []), *self.plan.groups]:
            if isinstance(group, ColumnRef):
                keys.append(self.ref(group))
                labels.append((self.ref(group), _quote(group.column)))
            elif group.startswith("time:"):
                unit = group.removeprefix("time:")
                ref = self._time_for_grouping()
                expression = f"date_trunc('{unit}', {self.ref(ref)})::date"
                keys.append(expression)
                labels.append((expression, unit))
            else:
                table = self.vocabulary.table(group)
                for key in self.key(group):
                    keys.append(key)
                    labels.append((key, f"{singular(group)}_{key.split('.')[-1].strip(chr(34))}"))
                label = self.vocabulary.label_column(table)
                if label and label not in table.primary_key:
                    expression = self.ref(ColumnRef(group, label))
                    keys.append(expression)
                    labels.append((expression, _quote(label)))
        return keys, labels

    def _time_for_grouping(self) -> ColumnRef:
        if self.plan.times:
            return self.plan.times[0][1]
        for table in [self.plan.subject, *self.aliases]:
            column = self.vocabulary.time_column(self.vocabulary.table(table))
            if column:
                return ColumnRef(table, column)
        raise ConversionFailed("found no date or time column to group by")

    def _entity_value(
        self, source: str, where: str, keys: list[str], labels: list[tuple[str, str]]
    ) -> str:
        measure = self.plan.measure
        assert measure is not None
        inner_keys = self.key(measure.table) + keys
        inner_select = [f"{key} AS k{index}" for index, key in enumerate(inner_keys)]
        amount = self._measure_sql()
        inner = f"SELECT {', '.join(inner_select)}, {amount} AS amount {source}{where} GROUP BY {', '.join(inner_keys)}"
        offset = len(self.key(measure.table))
        outer_labels = [f"k{offset + index} AS {name}" for index, (_, name) in enumerate(labels)]
        function = "avg" if measure.function == "avg" else measure.function
        value = f"round({function}(amount), 2)" if function == "avg" else f"{function}(amount)"
        select = [*outer_labels, f"{value} AS {self._measure_name()}"]
        sql = f"SELECT {', '.join(select)} FROM ({inner}) AS per_{singular(measure.table)}"
        outer_keys = [f"k{offset + index}" for index in range(len(labels))]
        if outer_keys:
            sql += f" GROUP BY {', '.join(outer_keys)}"
        sql += self._order(outer_keys, self._measure_name())
        return sql

    def _order(self, keys: list[str], measure_name: str) -> str:
        plan = self.plan
        if plan.order is not None or plan.limit is not None:
            direction = "ASC" if plan.order == "asc" else "DESC"
            tie = f", {', '.join(keys)}" if keys else ""
            sql = f" ORDER BY {measure_name} {direction}{tie}"
        elif keys:
            sql = f" ORDER BY {', '.join(keys)}"
        else:
            sql = ""
        if plan.limit is not None and keys:
            sql += f" LIMIT {plan.limit}"
        return sql

    def _listing(self, source: str, where: str, having: str) -> str:
        plan = self.plan
        subject = self.aliases[plan.subject]
        keys = self.key(plan.subject)
        distinct = "DISTINCT " if self.fans_out and not having else ""
        sql = f"SELECT {distinct}{subject}.* {source}{where}"
        if having:
            sql += f" GROUP BY {', '.join(keys)}{having}"
        if plan.order_column is not None:
            direction = "ASC" if plan.order == "asc" else "DESC"
            sql += f" ORDER BY {self.ref(plan.order_column)} {direction}, {', '.join(keys)}"
        elif plan.limit is not None:
            sql += f" ORDER BY {', '.join(keys)}"
        if plan.limit is not None:
            sql += f" LIMIT {plan.limit}"
        if plan.comparisons and plan.measure is None and having and plan.limit is None:
            sql += f" ORDER BY {', '.join(keys)}"
        return sql


def _quote(identifier: str) -> str:
    if identifier.isidentifier() and identifier.islower() and identifier not in _RESERVED:
        return identifier
    return '"' + identifier.replace('"', '""') + '"'


_RESERVED = frozenset(
    {"order", "user", "group", "select", "from", "where", "table", "limit", "offset"}
)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


__all__ = ["FILLER", "translate"]
