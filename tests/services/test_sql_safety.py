from __future__ import annotations

import pytest

from quart_app.errors import InvalidRequest, UnsafeSQL
from quart_app.services.sql_safety import check_sql

UNSAFE = [
    "INSERT INTO customers (id) VALUES (1)",
    "UPDATE products SET price = 0",
    "DELETE FROM orders",
    "MERGE INTO products p USING products q ON p.id = q.id WHEN MATCHED THEN DELETE",
    "TRUNCATE order_items",
    "DROP TABLE page_views",
    "CREATE TABLE x (a int)",
    "ALTER TABLE customers ADD COLUMN x int",
    "GRANT SELECT ON customers TO public",
    "COPY customers TO '/tmp/customers.csv'",
    "COPY (SELECT 1) TO PROGRAM 'touch /tmp/owned'",
    "SET statement_timeout = 0",
    "RESET ALL",
    "BEGIN",
    "VACUUM customers",
    "LOCK TABLE customers",
    "DO $$ BEGIN DELETE FROM customers; END $$",
    "CALL something()",
    "WITH gone AS (DELETE FROM customers RETURNING *) SELECT count(*) FROM gone",
    "WITH new AS (INSERT INTO products (id) VALUES (9999) RETURNING id) SELECT * FROM new",
    "SELECT 1; DELETE FROM customers",
    "SELECT 1; SELECT 2",
    "SELECT * INTO customers_copy FROM customers",
    "SELECT * FROM customers FOR UPDATE",
    "SELECT * FROM customers FOR SHARE",
    "EXPLAIN ANALYZE DELETE FROM customers",
    "SELECT pg_terminate_backend(1)",
    "SELECT set_config('statement_timeout', '0', false)",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT lo_import('/etc/passwd')",
    "PREPARE p AS SELECT 1",
    "LISTEN x",
]

SAFE = [
    ("SELECT 1", "query"),
    ("select count(*) from orders;", "query"),
    ("WITH t AS (SELECT 1 AS a) SELECT a FROM t", "query"),
    ("VALUES (1), (2)", "query"),
    ("TABLE products", "query"),
    ("(SELECT 1) UNION (SELECT 2)", "query"),
    ("EXPLAIN SELECT 1", "explain"),
    ("EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", "explain"),
    ("SHOW server_version", "show"),
    ("-- a comment\nSELECT 'DELETE FROM customers' AS text", "query"),
    ("SELECT $$update$$", "query"),
    ('SELECT "update" FROM (SELECT 1 AS "update") AS t', "query"),
    # PostgreSQL's own spellings, which the checks must read as PostgreSQL does
    ("SELECT E'it\\'s', 'a\\b', 'it''s'", "query"),
    ("SELECT U&'d\\0061t\\+000061', B'101', X'1F'", "query"),
    ('SELECT U&"d\\0061ta" FROM (SELECT 1 AS data) AS t', "query"),
    ("SELECT '{\"a\": [1]}'::jsonb #> '{a}', '{\"a\": [1]}'::jsonb #>> '{a,0}'", "query"),
    ("SELECT (ARRAY[1, 2])[1], ARRAY[1, 2] [2], 5 # 3", "query"),
    ("SELECT $tag$ ; DELETE FROM x $tag$", "query"),
    ("/* a note */ SELECT 1 -- and another", "query"),
]


@pytest.mark.parametrize("sql", UNSAFE)
def test_rejects_unsafe_sql(sql: str) -> None:
    with pytest.raises(UnsafeSQL):
        check_sql(sql)


@pytest.mark.parametrize(("sql", "kind"), SAFE)
def test_accepts_one_read_only_statement(sql: str, kind: str) -> None:
    checked = check_sql(sql)
    assert checked.kind == kind
    assert not checked.sql.endswith(";")


@pytest.mark.parametrize("sql", ["", "   ", "-- nothing", ";"])
def test_empty_sql_is_an_invalid_request(sql: str) -> None:
    with pytest.raises(InvalidRequest):
        check_sql(sql)
