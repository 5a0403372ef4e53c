"""The demo data set: a small shop with customers, products, orders and page views.

Generated inside PostgreSQL from a fixed seed, so every fresh data folder holds the same rows.
Built in a schema of its own (on two connections at once when ``load`` may open a second)
and moved into place in one last transaction: an interrupted load leaves nothing where the
data set belongs, and the next load starts over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

import asyncpg

log = logging.getLogger(__name__)

TABLES = ("customers", "products", "orders", "order_items", "page_views")
STAGING_SCHEMA: Final = "quart_app_demo_load"  # where an unfinished load lives

Connect = Callable[[], Awaitable[asyncpg.Connection]]

_SHOP_SCHEMA = """
    CREATE TABLE customers (
        id          integer PRIMARY KEY,
        name        text        NOT NULL,
        email       text        NOT NULL UNIQUE,
        country     text        NOT NULL,
        created_at  timestamptz NOT NULL
    );
    CREATE TABLE products (
        id        integer PRIMARY KEY,
        name      text          NOT NULL,
        category  text          NOT NULL,
        price     numeric(10,2) NOT NULL
    );
    CREATE TABLE orders (
        id           integer     PRIMARY KEY,
        customer_id  integer     NOT NULL,
        ordered_at   timestamptz NOT NULL,
        status       text        NOT NULL
    );
    CREATE TABLE order_items (
        order_id    integer       NOT NULL,
        product_id  integer       NOT NULL,
        quantity    integer       NOT NULL,
        unit_price  numeric(10,2) NOT NULL
    );
"""
_PAGE_VIEWS_SCHEMA = """
    CREATE TABLE page_views (
        id           bigint      NOT NULL,
        customer_id  integer,
        url          text        NOT NULL,
        viewed_at    timestamptz NOT NULL
    );
"""

# Each table's rows, in the order one session draws their random() values from the seed.
_STEPS: tuple[tuple[str, str], ...] = (
    (
        "customers",
        """
        INSERT INTO customers (id, name, email, country, created_at)
        SELECT g,
               first || ' ' || last,
               lower(first) || '.' || lower(last) || g || '@example.com',
               (ARRAY['United States','United States','United States','Germany','Germany',
                      'United Kingdom','United Kingdom','France','France','Canada','Spain',
                      'Italy','Netherlands','Sweden','Japan','Australia','Brazil','India',
                      'Mexico','Poland'])[1 + floor(random() * 20)::int],
               timestamptz '2023-01-01 00:00:00+00' + random() * interval '1095 days'
          FROM generate_series(1, 10000) AS g,
               LATERAL (SELECT (ARRAY['Anna','Ben','Carla','David','Emma','Felix','Grace','Hugo',
                                      'Ines','Jonas','Karin','Liam','Mia','Noah','Olivia','Paul',
                                      'Quinn','Rosa','Sam','Tara','Umar','Vera','Will','Yara',
                                      'Zoe'])[1 + floor(random() * 25)::int] AS first,
                               (ARRAY['Smith','Müller','Garcia','Rossi','Martin','Brown','Schmidt',
                                      'Lopez','Bianchi','Dubois','Wilson','Novak','Andersson',
                                      'Tanaka','Silva','Kowalski','Jones','Meyer','Moreau',
                                      'Taylor'])[1 + floor(random() * 20)::int] AS last,
                               g AS keep) AS names
        """,
    ),
    (
        "products",
        """
        INSERT INTO products (id, name, category, price)
        SELECT g,
               (ARRAY['Classic','Premium','Eco','Compact','Deluxe','Smart','Travel','Pro',
                      'Mini','Ultra'])[1 + (g * 7) % 10] || ' ' ||
               (ARRAY['Lamp','Chair','Kettle','Backpack','Headphones','Notebook','Jacket',
                      'Blender','Monitor','Mug','Sneakers','Tent','Watch','Desk','Speaker',
                      'Camera','Bottle','Keyboard','Pillow','Scarf'])[1 + (g * 13) % 20]
                 || ' ' || g,
               (ARRAY['Electronics','Home','Kitchen','Outdoors','Clothing','Office','Sports',
                      'Books'])[1 + g % 8],
               round((5 + random() * 495)::numeric, 2)
          FROM generate_series(1, 500) AS g
        """,
    ),
    (
        "orders",
        """
        INSERT INTO orders (id, customer_id, ordered_at, status)
        SELECT g,
               1 + floor(random() * 10000)::int,
               timestamptz '2023-01-01 00:00:00+00' + random() * interval '1095 days',
               (ARRAY['delivered','delivered','delivered','delivered','delivered','shipped',
                      'shipped','pending','cancelled','returned'])[1 + floor(random() * 10)::int]
          FROM generate_series(1, 200000) AS g
        """,
    ),
    (
        "order_items",
        """
        INSERT INTO order_items (order_id, product_id, quantity, unit_price)
        SELECT o.id, p.id, 1 + floor(random() * 4)::int, p.price
          FROM orders AS o
          CROSS JOIN LATERAL generate_series(1, 1 + (o.id * 7919) % 5) AS line
          JOIN products AS p ON p.id = 1 + ((o.id * 31) + line * 97) % 500
        """,
    ),
    (
        "page_views",
        """
        INSERT INTO page_views (id, customer_id, url, viewed_at)
        SELECT g,
               CASE WHEN random() < 0.2 THEN NULL ELSE 1 + floor(random() * 10000)::int END,
               (ARRAY['/', '/search', '/cart', '/checkout', '/account', '/products/',
                      '/products/', '/products/', '/category/', '/category/'])[k]
                 || CASE WHEN k BETWEEN 6 AND 8 THEN (1 + floor(random() * 500)::int)::text
                         WHEN k >= 9 THEN (ARRAY['electronics','home','kitchen','outdoors',
                              'clothing','office','sports','books'])[1 + floor(random() * 8)::int]
                         ELSE '' END,
               timestamptz '2023-01-01 00:00:00+00' + random() * interval '1095 days'
          FROM (SELECT g, 1 + floor(random() * 10)::int AS k
                  -- in the select list, generate_series streams its rows; in FROM, it
                  -- would store all of them first
                  FROM (SELECT generate_series(1, 2000000) AS g) AS series) AS v
        """,
    ),
)

# page_views is filled on a session of its own, which first draws the values the tables
# before it draw (4 per customer, 1 per product, 3 per order, 1 per order item): it then
# continues from the same point as in one session, and the rows stay the same.
_DRAWN_BEFORE_PAGE_VIEWS: Final = 4 * 10_000 + 500 + 3 * 200_000 + 600_000

_SHOP_KEYS = """
    ALTER TABLE orders      ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
    ALTER TABLE order_items ADD PRIMARY KEY (order_id, product_id),
                            ADD FOREIGN KEY (order_id)    REFERENCES orders (id),
                            ADD FOREIGN KEY (product_id)  REFERENCES products (id);
    CREATE INDEX ON orders (customer_id);
    CREATE INDEX ON orders (ordered_at);
    ANALYZE customers, products, orders, order_items;
"""
_PAGE_VIEWS_KEYS = """
    ALTER TABLE page_views ADD PRIMARY KEY (id);
    CREATE INDEX ON page_views (viewed_at);
    ANALYZE page_views;
"""
# Once customers and page_views are both there.
_PAGE_VIEWS_FOREIGN_KEY = (
    "ALTER TABLE page_views ADD FOREIGN KEY (customer_id) REFERENCES customers (id)"
)
_SEED = "SELECT setseed(0.20231125)"
_FILLS = dict(_STEPS)


async def is_loaded(connection: asyncpg.Connection) -> bool:
    found = await connection.fetchval(
        """
        SELECT count(*)
          FROM information_schema.tables
         WHERE table_schema = current_schema()
           AND table_name = ANY($1::text[])
        """,
        list(TABLES),
    )
    return bool(found == len(TABLES))


async def ensure_loaded(connection: asyncpg.Connection, connect: Connect | None = None) -> bool:
    """Load the demo data set unless it is there already; True when it was loaded now."""
    if await is_loaded(connection):
        return False
    await load(connection, connect)
    return True


async def load(connection: asyncpg.Connection, connect: Connect | None = None) -> None:
    """Create and fill the five demo tables in ``connection``'s current schema.

    With ``connect``, which opens another connection to the same database, the tables are
    built on both connections at once. What an earlier, interrupted load left is dropped.
    """
    started = time.monotonic()
    print("Loading the demo data set (first start only)...", flush=True)
    schema = await connection.fetchval("SELECT current_schema()")
    await connection.execute(
        f"DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE; CREATE SCHEMA {STAGING_SCHEMA}"
    )
    progress = _Progress()
    other = None if connect is None else await connect()
    try:
        await _side_by_side(
            connection,
            other,
            lambda on: _fill_shop(on, progress),
            lambda on: _fill_page_views(on, progress),
        )
    finally:
        if other is not None:
            await other.close()
    await _publish(connection, schema)
    print(f"Demo data set ready in {time.monotonic() - started:.1f} s", flush=True)


@dataclass
class _Progress:
    filled: int = 0

    def report(self, table: str, status: str) -> None:
        self.filled += 1
        rows = int(status.rsplit(" ", 1)[-1])
        print(f"  [{self.filled}/{len(TABLES)}] {table}: {rows:,} rows", flush=True)


async def _side_by_side(
    connection: asyncpg.Connection,
    other: asyncpg.Connection | None,
    one: Callable[[asyncpg.Connection], Coroutine[Any, Any, None]],
    two: Callable[[asyncpg.Connection], Coroutine[Any, Any, None]],
) -> None:
    """``one`` on ``connection`` and ``two`` on ``other`` at once; one after the other on
    ``connection`` when there is no other. The first error stops both and is raised as is."""
    if other is None:
        await one(connection)
        await two(connection)
        return
    tasks = [asyncio.create_task(one(connection)), asyncio.create_task(two(other))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@contextlib.asynccontextmanager
async def _building(connection: asyncpg.Connection) -> AsyncIterator[None]:
    """A transaction working in the staging schema.

    The tables and indexes a transaction creates are written to disk at its commit: on a
    server with ``wal_level = minimal`` (the embedded one) they skip the WAL entirely.
    Commits need not wait for the WAL: the load counts only once published. Dates are
    drawn in UTC, so that the rows do not depend on the server's time zone.
    """
    async with connection.transaction():
        await connection.execute(
            f"SET LOCAL search_path = {STAGING_SCHEMA}; SET LOCAL synchronous_commit = off; "
            "SET LOCAL TimeZone = 'UTC'"
        )
        yield


async def _fill_shop(connection: asyncpg.Connection, progress: _Progress) -> None:
    async with _building(connection):
        await connection.execute(_SEED + ";" + _SHOP_SCHEMA)
        for table in ("customers", "products", "orders", "order_items"):
            progress.report(table, await connection.execute(_FILLS[table]))
        await connection.execute(_SHOP_KEYS)


async def _fill_page_views(connection: asyncpg.Connection, progress: _Progress) -> None:
    async with _building(connection):
        await connection.execute(_SEED + ";" + _PAGE_VIEWS_SCHEMA)
        await connection.fetchval(
            "SELECT count(random()) FROM (SELECT generate_series(1, $1::int)) AS drawn",
            _DRAWN_BEFORE_PAGE_VIEWS,
        )
        progress.report("page_views", await connection.execute(_FILLS["page_views"]))
        await connection.execute(_PAGE_VIEWS_KEYS)


async def _publish(connection: asyncpg.Connection, schema: str) -> None:
    """Key page_views and move every table into ``schema``, in one transaction."""
    target = _quoted(schema)
    async with connection.transaction():
        await connection.execute(
            f"SET LOCAL search_path = {STAGING_SCHEMA}; " + _PAGE_VIEWS_FOREIGN_KEY
        )
        for table in TABLES:
            await connection.execute(f"ALTER TABLE {table} SET SCHEMA {target}")
        await _grant_defaults(connection, schema, [f"{target}.{table}" for table in TABLES])
        await connection.execute(f"DROP SCHEMA {STAGING_SCHEMA}")


async def _grant_defaults(connection: asyncpg.Connection, schema: str, tables: list[str]) -> None:
    """Grant on ``tables`` what ``schema``'s default privileges grant on tables made there:
    made in the staging schema, they were given only those of the staging schema."""
    grants = await connection.fetch(
        """
        SELECT acl.privilege_type AS privilege, acl.is_grantable AS grantable,
               CASE acl.grantee WHEN 0 THEN 'PUBLIC' ELSE acl.grantee::regrole::text END
                 AS grantee
          FROM pg_default_acl AS defaults
         CROSS JOIN LATERAL aclexplode(defaults.defaclacl) AS acl
         WHERE defaults.defaclnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
           AND defaults.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
           AND defaults.defaclobjtype = 'r'
        """,
        schema,
    )
    for grant in grants:
        option = " WITH GRANT OPTION" if grant["grantable"] else ""
        await connection.execute(
            f"GRANT {grant['privilege']} ON {', '.join(tables)} TO {grant['grantee']}{option}"
        )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
