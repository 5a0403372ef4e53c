"""Hostile statements, each of which must be refused or neutralised, by kind.

``UNSAFE`` is refused by the checks before any database work (422 ``unsafe_sql``).
``NEUTRALISED`` passes those checks and is stopped by PostgreSQL: the READ ONLY
transaction, the statement timeout, or the extended protocol's one statement.
``{owned}`` is a file name under /tmp that must never come to exist.
"""

from __future__ import annotations

UNSAFE: dict[str, list[str]] = {
    "data changes": [
        "INSERT INTO customers (name) VALUES ('x')",
        "INSERT INTO customers (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = 'x'",
        "UPDATE customers SET name = 'x'",
        "UPDATE orders o SET total = 0 FROM customers c WHERE c.id = o.customer_id",
        "DELETE FROM orders",
        "DELETE FROM orders USING customers WHERE customers.id = orders.customer_id",
        "MERGE INTO products p USING products q ON p.id = q.id WHEN MATCHED THEN DELETE",
        "TRUNCATE orders, customers CASCADE",
        "COPY customers FROM STDIN",
        "COPY customers TO '/tmp/{owned}'",
        "COPY (SELECT 1) TO PROGRAM 'touch /tmp/{owned}'",
        "COPY customers FROM PROGRAM 'touch /tmp/{owned}'",
    ],
    "schema changes": [
        "CREATE TABLE t (a int)",
        "CREATE TABLE t AS SELECT * FROM customers",
        "SELECT * INTO customers_copy FROM customers",
        "DROP TABLE orders",
        "ALTER TABLE customers ADD COLUMN x int",
        "CREATE INDEX ON customers (name)",
        "CREATE VIEW v AS SELECT 1",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE EXTENSION dblink",
        "CREATE SCHEMA s",
        "CREATE RULE r AS ON SELECT TO customers DO INSTEAD NOTHING",
        "COMMENT ON TABLE customers IS 'owned'",
        "CREATE ROLE owned LOGIN SUPERUSER",
        "ALTER ROLE CURRENT_USER SET statement_timeout = 0",
        "GRANT ALL ON customers TO PUBLIC",
        "REVOKE SELECT ON customers FROM PUBLIC",
        "ALTER SYSTEM SET statement_timeout = 0",
        "CREATE DATABASE owned",
        "DROP DATABASE postgres",
        "REINDEX TABLE customers",
        "CLUSTER customers USING customers_pkey",
        "VACUUM FULL customers",
        "ANALYZE customers",
        "CHECKPOINT",
        "LOAD 'plpgsql'",
    ],
    "transactions and sessions": [
        "BEGIN",
        "COMMIT",
        "START TRANSACTION READ WRITE",
        "SET TRANSACTION READ WRITE",
        "SET statement_timeout = 0",
        "SET SESSION AUTHORIZATION DEFAULT",
        "SET ROLE NONE",
        "RESET ALL",
        "DISCARD ALL",
        "LISTEN owned",
        "NOTIFY owned",
        "PREPARE p AS DELETE FROM orders",
        "EXECUTE p",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "LOCK TABLE customers IN ACCESS EXCLUSIVE MODE",
        "DO $$ BEGIN DELETE FROM orders; END $$",
        "CALL owned()",
    ],
    "writes inside a query": [
        "WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone",
        "WITH n AS (INSERT INTO products (id) VALUES (9999) RETURNING id) SELECT * FROM n",
        "WITH u AS (UPDATE customers SET name = 'x' RETURNING 1) SELECT 1",
        "SELECT * FROM (WITH d AS (DELETE FROM orders RETURNING 1) SELECT * FROM d) AS s",
        "WITH RECURSIVE r AS (SELECT 1) , d AS (DELETE FROM orders RETURNING 1) SELECT * FROM r",
        "EXPLAIN ANALYZE DELETE FROM orders",
        "EXPLAIN (ANALYZE, FORMAT JSON) INSERT INTO customers (name) VALUES ('x')",
        "EXPLAIN ANALYZE WITH d AS (DELETE FROM orders RETURNING 1) SELECT * FROM d",
        "SELECT * FROM customers FOR UPDATE",
        "SELECT * FROM customers FOR NO KEY UPDATE",
        "SELECT * FROM customers FOR SHARE",
        "SELECT * FROM customers FOR KEY SHARE SKIP LOCKED",
        "SELECT * FROM customers FOR/**/UPDATE",
    ],
    "functions acting outside the query": [
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
        "SELECT pg_cancel_backend(pg_backend_pid())",
        "SELECT pg_catalog.pg_terminate_backend(1)",
        'SELECT "pg_terminate_backend"(1)',
        "SELECT PG_TERMINATE_BACKEND (1)",
        "SELECT pg_terminate_backend/**/(1)",
        "SELECT set_config('statement_timeout', '0', false)",
        "SELECT 1 FROM customers ORDER BY set_config('default_transaction_read_only', 'off', true)",
        "SELECT pg_reload_conf()",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_read_binary_file('/etc/passwd')",
        "SELECT * FROM pg_ls_dir('/')",
        "SELECT pg_stat_file('/etc/passwd')",
        "SELECT lo_import('/etc/passwd')",
        "SELECT lo_export(1, '/tmp/{owned}')",
        "SELECT lo_create(4242)",
        "SELECT * FROM dblink('dbname=postgres', 'DELETE FROM orders') AS t(a int)",
        "SELECT dblink_exec('dbname=postgres', 'DROP TABLE orders')",
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_notify('owned', 'x')",
        "SELECT query_to_xml('DELETE FROM orders RETURNING 1', true, true, '')",
        "VALUES (pg_terminate_backend(1))",
        "SELECT * FROM ROWS FROM (pg_terminate_backend(1))",
        "SELECT nextval('orders_id_seq')",
        "SELECT setval('orders_id_seq', 1)",
        "SELECT pg_notify('quart_app_events', '1,9000000000000000')",
        "SELECT pg_notify('quart_app_cancel', 'someone-elses-request')",
        "SELECT pg_logical_emit_message(true, 'x', repeat('x', 10000000))",
        "SELECT pg_stat_reset()",
        "SELECT pg_stat_reset_shared('bgwriter')",
        "SELECT pg_import_system_collations('pg_catalog')",
        "SELECT pg_try_advisory_lock(7311542901)",
        "SELECT pg_switch_wal()",
        "SELECT pg_backup_start('owned')",
        "SELECT pg_create_physical_replication_slot('owned')",
        "SELECT pg_create_logical_replication_slot('owned', 'pgoutput')",
        "SELECT pg_replication_origin_create('owned')",
        "SELECT pg_ls_dir('.')",
        "SELECT pg_read_file('postmaster.opts')",
        "SELECT txid_current()",
        "SELECT pg_current_xact_id()",
        "SELECT pg_export_snapshot()",
        "SELECT pg_stat_get_backend_activity(b) FROM pg_stat_get_backend_idset() AS b",
        "SELECT * FROM pg_prepared_statement()",
    ],
    "SQL run from a string": [
        "SELECT ts_stat('SELECT pg_read_file(''/etc/passwd'')::tsvector')",
        "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')",
        "SELECT query_to_xml_and_xmlschema('SELECT 1', true, true, '')",
        "SELECT cursor_to_xml('c', 1, true, true, '')",
        "SELECT table_to_xml('customers', true, true, '')",
        "SELECT database_to_xml(true, true, '')",
    ],
    "parser bypasses": [
        # a comment started right after an operator
        "SELECT 1 +/* ' */ 0, pg_read_file('/etc/passwd') --'",
        # a dollar quote right after a quoted name
        "SELECT \"text\"$a$ ' $a$, pg_ls_dir('.') --'",
        # names glued to an operator prefix
        "SELECT #pg_ls_dir('.')",
        "SELECT ##pg_ls_dir('.')",
        "SELECT @pg_read_file('/etc/passwd')",
        "SELECT (ARRAY[1, 2, 3])[1:pg_read_file('/etc/passwd')::int]",
        "SELECT (ARRAY[1, 2, 3])[:pg_ls_dir('.')::int]",
        # attribute notation is a call too
        "SELECT ('/etc/passwd'::text).pg_read_file",
    ],
    "more than one statement": [
        "SELECT 1; DELETE FROM orders",
        "SELECT 1;DELETE FROM orders;",
        "SELECT ';'; DELETE FROM orders",
        "SELECT $a$ ; $a$; DELETE FROM orders",
        "SHOW search_path; DROP TABLE orders",
        "SELECT 1; SELECT 2",
    ],
    "comment and quoting tricks": [
        "/* SELECT */ DELETE FROM orders",
        "-- SELECT\nDELETE FROM orders",
        "SELECT 1 --\n; DELETE FROM orders",
        "DELETE/**/FROM orders",
        "SeLeCt 1; dElEtE fRoM orders",
        # PostgreSQL nests block comments: for it, the code below starts after ' */
        "/* /* */ SELECT ' */ SELECT pg_terminate_backend(1) --'",
        # with standard_conforming_strings, 'a\' ends the string
        "SELECT 'a\\', pg_terminate_backend(1) --'",
        "SELECT E'\\\\'; DELETE FROM orders --'",
        'SELECT 1 AS "a\\", pg_terminate_backend(1) --"',
        # PostgreSQL's # is XOR, [..] a subscript: not a comment, not a quoted name
        "SELECT 1 # pg_terminate_backend(1)::int",
        "SELECT (ARRAY[1]) [pg_terminate_backend(1)::int]",
        # U&"..." names spell pg_terminate_backend with Unicode escapes
        'SELECT U&"\\0070g_terminate_backend"(1)',
        'SELECT u&"\\+000070g_terminate_backend"(1)',
        "SELECT U&\"!0070g_terminate_backend\" UESCAPE '!'(1)",
    ],
    "too long to check": [
        "SELECT " + "+".join(["1"] * 60_000),
        "SELECT " + "(SELECT " * 3_000 + "1" + ")" * 3_000,
    ],
}

# PostgreSQL's grammar rejects them: refused as the syntax errors they are (sql_error).
NOT_SQL: list[str] = [
    "TABLE customers INTO customers_copy",
    "SELECT ARRAY[1] [pg_terminate_backend(1)::int]",
    "SELECT 1 # -- pg_terminate_backend(1)",
]

# Pass the checks; PostgreSQL refuses them (sql_error: the role may not) or stops them (timeout).
NEUTRALISED: list[tuple[str, str]] = [
    ("SELECT rolname, rolpassword FROM pg_authid", "sql_error"),
    ("SELECT * FROM pg_stat_activity", "sql_error"),  # other users' statements
    ("SELECT name, statement FROM pg_prepared_statements", "sql_error"),  # kept on the pool
    ("SELECT current_setting('data_directory')", "sql_error"),
    ("SELECT lo_get(1)", "sql_error"),
    ("SELECT pg_sleep(30)", "timeout"),
    ("SELECT count(*) FROM generate_series(1, 1e12::bigint)", "timeout"),
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "timeout",
    ),
    (
        "SELECT count(*) FROM customers a, customers b, customers c, customers d, customers e",
        "timeout",
    ),
]
