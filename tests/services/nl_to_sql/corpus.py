"""Databases the offline engine was not written for, each with questions and gold SQL.

A corpus is a module in ``corpora/``: ``NAME``, ``SETUP`` (DDL and data, run in
an empty schema of its own), ``CASES`` and ``UNANSWERABLE``. ``install`` loads
one into schema ``nlc_<NAME>`` and returns what introspection finds there, as
the service would on a database whose search path is that schema.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import asyncpg

from quart_app.services.nl_to_sql.schema import Schema, introspect

NAMES = (
    "hr",
    "fleet",
    "university",
    "library",
    "streaming",
    "saas",
    "clinic",
    "utility",
    "airline",
)


def load(name: str) -> ModuleType:
    return importlib.import_module(f"tests.services.nl_to_sql.corpora.{name}")


def schema_name(corpus: ModuleType) -> str:
    return f"nlc_{corpus.NAME}"


async def install(connection: asyncpg.Connection, corpus: ModuleType) -> Schema:
    """``corpus`` loaded into its own schema (replacing any earlier copy), introspected."""
    schema = schema_name(corpus)
    await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    await use(connection, corpus)
    async with connection.transaction():
        await connection.execute(corpus.SETUP)
    # Row estimates, as a live database has them: of this corpus's tables (the rest of the
    # database, the demo data set above all, need not be sampled again for each corpus).
    tables = await connection.fetch(
        """
        SELECT format('%I.%I', n.nspname, c.relname) AS name
          FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')
        """,
        schema,
    )
    if tables:
        await connection.execute("ANALYZE " + ", ".join(row["name"] for row in tables))
    return await introspect(connection)


async def use(connection: asyncpg.Connection, corpus: ModuleType) -> None:
    """Unqualified names on ``connection`` resolve in ``corpus``'s schema from now on."""
    await connection.execute(f"SET search_path TO {schema_name(corpus)}")
