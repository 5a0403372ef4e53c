from __future__ import annotations

import pytest

from quart_app.errors import InvalidRequest, SQLError, UnsafeSQL
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
    "SHOW server_version",
    "EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1",
    "EXPLAIN ANALYZE SELECT 1",
    # comments, quotes and operators as PostgreSQL reads them, hiding a call from a lexer
    "SELECT 1 +/* ' */ 0, pg_read_file('/etc/passwd') --'",
    "SELECT \"text\"$a$ ' $a$, pg_ls_dir('.') --'",
    "SELECT #pg_ls_dir('.')",
    "SELECT ##pg_ls_dir('.')",
    "SELECT @pg_read_file('/etc/passwd')",
    "SELECT (ARRAY[1, 2])[1:pg_read_file('/etc/passwd')]",
    "SELECT 1 /* outer /* inner */ still a comment */, pg_ls_dir('.')",
    # every spelling of a name resolves to the function PostgreSQL would call
    "SELECT PG_CATALOG.PG_READ_FILE('/etc/passwd')",
    "SELECT \"pg_read_file\"('/etc/passwd')",
    "SELECT U&\"pg_read_fil\\0065\"('/etc/passwd')",
    "SELECT ('.'::text).pg_ls_dir",
    "SELECT * FROM pg_ls_dir('.')",
    "SELECT * FROM ROWS FROM (pg_ls_dir('.'))",
    # SQL run from a string
    "SELECT ts_stat('SELECT pg_read_file(''/etc/passwd'')::tsvector')",
    "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')",
    "SELECT query_to_xml('SELECT 1', true, true, '')",
    # outside the statement's own read
    "SELECT pg_notify('quart_app_events', '1,9000000000000000')",
    "SELECT pg_advisory_lock(1)",
    "SELECT pg_try_advisory_xact_lock(1)",
    "SELECT pg_logical_emit_message(true, 'x', repeat('x', 1000000))",
    "SELECT pg_stat_reset()",
    "SELECT pg_stat_reset_shared('bgwriter')",
    "SELECT pg_import_system_collations('pg_catalog')",
    "SELECT pg_create_physical_replication_slot('x')",
    "SELECT pg_replication_origin_create('x')",
    "SELECT pg_switch_wal()",
    "SELECT pg_backup_start('x')",
    "SELECT pg_reload_conf()",
    "SELECT pg_cancel_backend(1)",
    "SELECT nextval('orders_id_seq')",
]

SAFE = [
    ("SELECT 1", "query"),
    ("select count(*) from orders;", "query"),
    ("WITH t AS (SELECT 1 AS a) SELECT a FROM t", "query"),
    ("VALUES (1), (2)", "query"),
    ("TABLE products", "query"),
    ("(SELECT 1) UNION (SELECT 2)", "query"),
    ("EXPLAIN SELECT 1", "explain"),
    ("EXPLAIN (VERBOSE, FORMAT JSON) SELECT 1", "explain"),
    ("SELECT 1 AS delete", "query"),
    ("SELECT 1 AS update, 2 AS insert, 'DROP' AS drop", "query"),
    ("SELECT count(*) AS pg_read_file_calls FROM (VALUES (1)) AS v", "query"),
    ("-- a comment\nSELECT 'DELETE FROM customers' AS text", "query"),
    ("SELECT $$update$$", "query"),
    ('SELECT "update" FROM (SELECT 1 AS "update") AS t', "query"),
    # PostgreSQL's own spellings, which the checks must read as PostgreSQL does
    ("SELECT E'it\\'s', 'a\\b', 'it''s'", "query"),
    ("SELECT U&'d\\0061t\\+000061', B'101', X'1F'", "query"),
    ('SELECT U&"d\\0061ta" FROM (SELECT 1 AS data) AS t', "query"),
    ("SELECT '{\"a\": [1]}'::jsonb #> '{a}', '{\"a\": [1]}'::jsonb #>> '{a,0}'", "query"),
    ("SELECT (ARRAY[1, 2])[1], (ARRAY[1, 2]) [2], 5 # 3", "query"),
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


@pytest.mark.parametrize(
    "sql", ["SELEC 1", "SELECT (1", "SELECT 'unterminated", "TABLE customers INTO customers_copy"]
)
def test_sql_postgresql_cannot_parse_is_a_syntax_error(sql: str) -> None:
    with pytest.raises(SQLError) as raised:
        check_sql(sql)
    assert raised.value.sqlstate == "42601"


@pytest.mark.parametrize(
    "sql", ["SELECT $1", "SELECT * FROM orders WHERE id = $1", "EXPLAIN (GENERIC_PLAN) SELECT $1"]
)
def test_parameters_cannot_be_given_and_say_so(sql: str) -> None:
    with pytest.raises(SQLError, match="write the values into the statement") as raised:
        check_sql(sql)
    assert raised.value.sqlstate == "42P02"


def test_the_text_that_runs_is_the_statement_without_its_semicolon() -> None:
    assert check_sql("  SELECT 'é' ;  -- done").sql == "SELECT 'é'"
    assert check_sql("SELECT 1;;").sql == "SELECT 1"


def test_a_statement_nested_beyond_reason_is_refused_not_a_crash() -> None:
    with pytest.raises(UnsafeSQL, match="nested too deeply"):
        check_sql("SELECT " + "(SELECT " * 5000 + "1" + ")" * 5000)
