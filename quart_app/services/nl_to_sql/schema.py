"""What the engines know of the database: tables, columns, keys and values found in the data."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import asyncpg

TEXT_TYPES = frozenset({"text", "character varying", "character", "citext", "name"})
NUMBER_TYPES = frozenset({"integer", "bigint", "smallint", "numeric", "real", "double precision"})
TIME_TYPES = frozenset({"timestamp with time zone", "timestamp without time zone", "date"})
# A text column with at most this many distinct values (in the rows read) is a
# category: all its values are kept, so questions can filter on them by name.
CATEGORY_LIMIT = 50
VALUE_SCAN_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # PostgreSQL's type name, e.g. "integer", "timestamp with time zone"
    nullable: bool
    values: tuple[str, ...] = ()  # every value, for categories
    samples: tuple[str, ...] = ()  # a few values, for other text columns
    comment: str | None = None  # COMMENT ON COLUMN, when the database has one

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES or self.type.startswith("character")

    @property
    def is_number(self) -> bool:
        return self.type in NUMBER_TYPES or self.type.startswith("numeric")

    @property
    def is_time(self) -> bool:
        return self.type in TIME_TYPES


@dataclass(frozen=True, slots=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str  # the referenced table
    referenced: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    schema: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    estimated_rows: int = 0

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    @property
    def qualified(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"


@dataclass(frozen=True, slots=True)
class Schema:
    tables: tuple[Table, ...]
    introspected_at: float = field(default_factory=time.time)

    def table(self, name: str) -> Table | None:
        return next((table for table in self.tables if table.name == name), None)

    def describe(self) -> str:
        """The schema as compact DDL-like text, with sample values, for a prompt."""
        lines = []
        for table in self.tables:
            lines.append(f"TABLE {table.qualified} (about {table.estimated_rows:,} rows)")
            for column in table.columns:
                notes = []
                if column.name in table.primary_key:
                    notes.append("primary key")
                for key in table.foreign_keys:
                    if column.name in key.columns:
                        target = key.referenced[key.columns.index(column.name)]
                        notes.append(f"references {key.table}.{target}")
                if column.comment:
                    notes.append(column.comment.replace("\n", " "))
                if column.values:
                    notes.append("values: " + ", ".join(repr(value) for value in column.values))
                elif column.samples:
                    notes.append("e.g. " + ", ".join(repr(value) for value in column.samples))
                suffix = f"  -- {'; '.join(notes)}" if notes else ""
                lines.append(f"  {column.name} {column.type}{suffix}")
        return "\n".join(lines)


async def introspect(connection: asyncpg.Connection) -> Schema:
    """Tables and views on the search path, their columns, keys, and values of text columns."""
    async with connection.transaction(readonly=True):
        await connection.execute("SET LOCAL statement_timeout = 10000")
        relations = await connection.fetch(_RELATIONS)
        oids = [relation["oid"] for relation in relations]
        columns = await connection.fetch(_COLUMNS, oids)
        constraints = await connection.fetch(_CONSTRAINTS, oids)
        names = {(row["attrelid"], row["attnum"]): row["attname"] for row in columns}
        table_names = {relation["oid"]: relation["name"] for relation in relations}
        tables = []
        for relation in relations:
            oid = relation["oid"]
            found = [
                await _column(connection, relation, row)
                for row in columns
                if row["attrelid"] == oid
            ]
            own = [row for row in constraints if row["conrelid"] == oid]
            primary_key, foreign_keys = _keys(oid, own, names, table_names)
            tables.append(
                Table(
                    relation["name"],
                    relation["schema"],
                    tuple(found),
                    primary_key,
                    foreign_keys,
                    relation["estimated_rows"],
                )
            )
    return Schema(tuple(tables))


_RELATIONS = """
    SELECT c.oid, n.nspname AS schema, c.relname AS name,
           greatest(c.reltuples, 0)::bigint AS estimated_rows
      FROM pg_class AS c
      JOIN pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm')
       AND n.nspname = ANY (current_schemas(false))
       AND NOT c.relispartition
     ORDER BY n.nspname, c.relname
"""
_COLUMNS = """
    SELECT attrelid, attnum, attname, format_type(atttypid, NULL) AS type,
           NOT attnotnull AS nullable, col_description(attrelid, attnum) AS comment
      FROM pg_attribute
     WHERE attrelid = ANY ($1::oid[]) AND attnum > 0 AND NOT attisdropped
     ORDER BY attrelid, attnum
"""
_CONSTRAINTS = """
    SELECT conrelid, contype::text AS contype, conkey, confrelid, confkey
      FROM pg_constraint
     WHERE conrelid = ANY ($1::oid[]) AND contype IN ('p', 'f')
     ORDER BY conrelid, conname
"""


async def _column(
    connection: asyncpg.Connection, relation: asyncpg.Record, row: asyncpg.Record
) -> Column:
    """A column, with the values found in it when it is text."""
    column = Column(row["attname"], row["type"], row["nullable"], comment=row["comment"])
    if not column.is_text:
        return column
    try:
        async with connection.transaction():  # a savepoint: one slow view costs only its values
            return await _with_values(connection, relation["schema"], relation["name"], column)
    except asyncpg.PostgresError:
        return column


def _keys(
    oid: int,
    constraints: list[asyncpg.Record],
    names: dict[tuple[int, int], str],
    table_names: dict[int, str],
) -> tuple[tuple[str, ...], tuple[ForeignKey, ...]]:
    """A table's primary key and its foreign keys to tables on the search path."""
    primary_key: tuple[str, ...] = ()
    foreign_keys = []
    for constraint in constraints:
        keys = tuple(names[(oid, number)] for number in constraint["conkey"])
        if constraint["contype"] == "p":
            primary_key = keys
        elif constraint["confrelid"] in table_names:
            target = constraint["confrelid"]
            referenced = tuple(names.get((target, number), "") for number in constraint["confkey"])
            foreign_keys.append(ForeignKey(keys, table_names[target], referenced))
    return primary_key, tuple(foreign_keys)


async def _with_values(
    connection: asyncpg.Connection, schema: str, table: str, column: Column
) -> Column:
    name = _quote(column.name)
    rows = await connection.fetch(
        f"""
        SELECT DISTINCT value::text AS value
          FROM (SELECT {name} AS value FROM {_quote(schema)}.{_quote(table)} LIMIT {VALUE_SCAN_ROWS}) AS scan
         WHERE value IS NOT NULL
         ORDER BY 1
         LIMIT {CATEGORY_LIMIT + 1}
        """
    )
    values = tuple(row["value"] for row in rows)
    if len(values) <= CATEGORY_LIMIT:
        return replace(column, values=values)
    return replace(column, samples=values[:3])


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class SchemaCache:
    """One introspection per database, reused until refreshed on demand."""

    def __init__(self) -> None:
        self._schema: Schema | None = None
        self._lock = asyncio.Lock()

    async def get(
        self, acquire: Callable[[], Awaitable[Schema]], *, refresh: bool = False
    ) -> tuple[Schema, bool]:
        """The schema, and whether it came from the cache."""
        async with self._lock:
            if self._schema is None or refresh:
                self._schema = await acquire()
                return self._schema, False
            return self._schema, True
