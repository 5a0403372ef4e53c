"""A plan as SQL: joins along foreign keys, aliases, grouping, ordering and limits."""

from __future__ import annotations

from ....errors import ConversionFailed
from .plan import Plan, money_table, price_column, quantity_column
from .times import TimeFilter, condition
from .vocabulary import ColumnRef, Join, Value, Vocabulary, singular, words_of


class Renderer:
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
            path = self.vocabulary.path_from(list(self.aliases), table, plan.keys)
            if path is None:
                raise ConversionFailed(f"no chain of foreign keys joins {plan.subject} to {table}")
            for join in path:
                if join.right not in self.aliases:
                    self._alias(join.right)
                    self.joins.append(join)
                    self.fans_out = self.fans_out or join.fans_out

    def _alias(self, table: str) -> None:
        alias = "".join(word[0] for word in words_of(table) if word[0].isalpha()) or "t"
        if alias in _KEYWORDS:
            alias += "_"  # "as" for advising_sessions
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
        if plan.outer is not None:  # "average number of items per order": over the groups
            name = self._measure_name()
            value = f"round(avg({name}), 2)" if plan.outer == "avg" else f"{plan.outer}({name})"
            return f"SELECT {value} AS {plan.outer}_{name} FROM ({sql}) AS per_group"
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
            kind = "LEFT JOIN" if self.plan.keep_empty else "JOIN"
            source += f" {kind} {self._table_sql(join.right)} AS {self.aliases[join.right]} ON {on}"
        return source

    def _table_sql(self, table: str) -> str:
        found = self.vocabulary.table(table)
        return (
            _quote(found.name)
            if found.schema == "public"
            else f"{_quote(found.schema)}.{_quote(found.name)}"
        )

    def _where(self) -> str:
        by_column: dict[ColumnRef, list[Value]] = {}
        for ref, value in self.plan.values:  # "Germany or France", "Germany and France"
            by_column.setdefault(ref, []).append(value)
        conditions = [
            f"{self.ref(ref)} IN ({', '.join(_literal(v) for v in texts)})"
            if len(texts := [v for v in values if isinstance(v, str)]) == len(values) > 1
            else " AND ".join(self._equals(ref, value) for value in values)
            for ref, values in by_column.items()
        ]
        conditions += [
            f"{self.ref(ref)} IS DISTINCT FROM {_literal(value)}"
            if isinstance(value, str)
            else f"{self.ref(ref)} IS NOT {'NULL' if value is None else str(value).upper()}"
            for ref, value in self.plan.excluded
        ]
        conditions += [self._none_in(table) for table in self.plan.absent]
        for time, ref in self.plan.times:
            conditions.append(self._time(time, ref, self.ref(ref)))
        for comparison in self.plan.comparisons:
            if comparison.column is not None:
                conditions.append(
                    f"{self.ref(comparison.column)} {comparison.operator} {_number(comparison.number)}"
                )
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def _time(self, time: TimeFilter, ref: ColumnRef, column: str) -> str:
        latest = f"(SELECT max({_quote(ref.column)}) FROM {self._table_sql(ref.table)})"
        return condition(column, time, latest, self.vocabulary.is_year(ref))

    def _distinct(self, table: str) -> str:
        """A table's key for count(DISTINCT ...): a row value when it has several columns."""
        key = self.key(table)
        return key[0] if len(key) == 1 else f"({', '.join(key)})"

    def _equals(self, ref: ColumnRef, value: Value) -> str:
        if isinstance(value, str):
            return f"{self.ref(ref)} = {_literal(value)}"
        return f"{self.ref(ref)} IS {'NULL' if value is None else str(value).upper()}"

    def _none_in(self, table: str) -> str:
        """NOT EXISTS over the foreign-key path from the subject to ``table``."""
        path = self.vocabulary.path(self.plan.subject, table)
        if not path:
            raise ConversionFailed(f"no chain of foreign keys joins {self.plan.subject} to {table}")
        inner = {join.right: f"x{index}" for index, join in enumerate(path, start=1)}
        first, *rest = path
        source = f"{self._table_sql(first.right)} AS {inner[first.right]}"
        for join in rest:
            on = " AND ".join(
                f"{inner[join.left]}.{_quote(left)} = {inner[join.right]}.{_quote(right)}"
                for left, right in join.pairs
            )
            source += f" JOIN {self._table_sql(join.right)} AS {inner[join.right]} ON {on}"
        outer = self.aliases[self.plan.subject]
        correlation = " AND ".join(
            f"{inner[first.right]}.{_quote(right)} = {outer}.{_quote(left)}"
            for left, right in first.pairs
        )
        for time, ref in self.plan.absent_times.get(table, []):  # "no loans in 2024"
            correlation += " AND " + self._time(
                time, ref, f"{inner[ref.table]}.{_quote(ref.column)}"
            )
        return f"NOT EXISTS (SELECT 1 FROM {source} WHERE {correlation})"

    def _having(self) -> str:
        counts = [comparison for comparison in self.plan.comparisons if comparison.counted]
        parts = [
            f"count(DISTINCT {self._distinct(comparison.counted or '')}) {comparison.operator} "
            f"{_number(comparison.number)}"
            for comparison in counts
        ]
        return f" HAVING {' AND '.join(parts)}" if parts else ""

    def _measure_sql(self) -> str | None:
        measure = self.plan.measure
        if measure is None:
            return None
        alias = self.aliases[measure.table]
        if measure.kind == "share":
            condition = " AND ".join(self._equals(ref, value) for ref, value in self.plan.share)
            rows = f"DISTINCT {self._distinct(measure.table)}" if self.fans_out else "*"
            return (
                f"round(100.0 * count({rows}) FILTER (WHERE {condition}) / "
                f"nullif(count({rows}), 0), 2)"
            )
        if measure.kind == "count":
            if measure.table == self.plan.subject and not self.fans_out and not self.plan.entity:
                return "count(*)"
            return f"count(DISTINCT {self._distinct(measure.table)})"
        if measure.kind in ("money", "entity_value"):
            money = money_table(self.vocabulary)
            assert money is not None
            table = self.vocabulary.table(money)
            if money not in self.aliases:
                raise ConversionFailed(f"cannot join {money} for amounts")
            amount = f"{self.aliases[money]}.{_quote(quantity_column(table) or '')} * {self.aliases[money]}.{_quote(price_column(table) or '')}"
            return f"sum({amount})"
        column = f"{alias}.{_quote(measure.column or '')}"
        if measure.kind == "distinct":
            return f"count(DISTINCT {column})"
        if measure.function == "avg":
            return f"round(avg({column}), 2)"
        if measure.function == "median":
            return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column})"
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
        if measure.kind == "share":
            return "percent"
        if measure.kind == "distinct":
            return f"{measure.column}_count"
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
                if self.vocabulary.is_year(ref):
                    if unit != "year":
                        raise ConversionFailed(f"{ref.column} holds years, not {unit}s")
                    expression = self.ref(ref)  # "books per year": published_year itself
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
        if self.plan.time_column is not None:
            return self.plan.time_column
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
            direction = "ASC" if plan.order == "asc" else "DESC NULLS LAST"
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
        if plan.order_column is not None and distinct and plan.order_column.table != plan.subject:
            raise ConversionFailed(
                f"cannot order {plan.subject} by {plan.order_column.table}."
                f"{plan.order_column.column}: there are several of those for each"
            )
        if plan.order_column is not None:
            direction = "ASC" if plan.order == "asc" else "DESC NULLS LAST"
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


_KEYWORDS = frozenset(
    """all and any as asc at by case cast do else end for from if in is limit not of
    offset on only or order select table then to union user when where with""".split()
)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
