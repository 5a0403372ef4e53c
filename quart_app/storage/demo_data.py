"""The demo data set: a small shop with customers, products, orders and page views.

Generated inside PostgreSQL from a fixed seed, so every fresh data folder holds
the same rows; loaded in one transaction, so an interrupted load leaves nothing.
"""

from __future__ import annotations

import logging
import time

import asyncpg

log = logging.getLogger(__name__)

TABLES = ("customers", "products", "orders", "order_items", "page_views")

_SCHEMA = """
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
    CREATE TABLE page_views (
        id           bigint      NOT NULL,
        customer_id  integer,
        url          text        NOT NULL,
        viewed_at    timestamptz NOT NULL
    );
"""

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
                  FROM generate_series(1, 2000000) AS g) AS v
        """,
    ),
)

_CONSTRAINTS = """
    ALTER TABLE orders      ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
    ALTER TABLE order_items ADD PRIMARY KEY (order_id, product_id),
                            ADD FOREIGN KEY (order_id)    REFERENCES orders (id),
                            ADD FOREIGN KEY (product_id)  REFERENCES products (id);
    ALTER TABLE page_views  ADD PRIMARY KEY (id),
                            ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
    CREATE INDEX ON orders (customer_id);
    CREATE INDEX ON orders (ordered_at);
    CREATE INDEX ON page_views (viewed_at);
"""


async def is_loaded(connection: asyncpg.Connection) -> bool:
    found = await connection.fetchval(
        """
        SELECT count(*)
          FROM information_schema.tables
         WHERE table_schema = 'public'
           AND table_name = ANY($1::text[])
        """,
        list(TABLES),
    )
    return bool(found == len(TABLES))


async def ensure_loaded(connection: asyncpg.Connection) -> bool:
    """Load the demo data set unless it is there already; True when it was loaded now."""
    if await is_loaded(connection):
        return False
    await load(connection)
    return True


async def load(connection: asyncpg.Connection) -> None:
    """Create and fill the five demo tables in ``connection``'s current schema."""
    started = time.monotonic()
    print("Loading the demo data set (first start only)...", flush=True)
    async with connection.transaction():
        await connection.execute("SET LOCAL synchronous_commit = off")
        await connection.execute("SELECT setseed(0.20231125)")
        await connection.execute(_SCHEMA)
        for number, (table, statement) in enumerate(_STEPS, start=1):
            status = await connection.execute(statement)
            rows = int(status.rsplit(" ", 1)[-1])
            print(f"  [{number}/{len(_STEPS)}] {table}: {rows:,} rows", flush=True)
        await connection.execute(_CONSTRAINTS)
    await connection.execute("ANALYZE " + ", ".join(TABLES))
    print(f"Demo data set ready in {time.monotonic() - started:.1f} s", flush=True)
