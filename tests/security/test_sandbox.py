"""The sandbox on the embedded defaults, as a stranger meets it: the role, the separate
history database, the clean postmaster environment, the caps, and the hostile corpus,
each checked by its answer and by the absence of its effect."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import stomp

from quart_app.storage.sandbox import HISTORY_DATABASE, READER_ROLE
from tests.security.hostile_sql import NOT_SQL, UNSAFE
from tests.servers import ServerProcess, TestDatabase, collect_sse, wait_until, with_user
from tests.transports.stomp_clients import Collector

TIMEOUT_MS = 2_000
CANARY = f"canary-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Embedded:
    server: ServerProcess
    data_dir: Path
    headers: dict[str, str]

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        # postmaster.pid: pid, data folder, start time, port, socket folder, ...
        lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        return f"postgresql://{user}@/{database}?host={lines[4]}&port={lines[3]}"

    @property
    def postmaster_pid(self) -> int:
        return int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture(scope="module", name="embedded")
def fixture_embedded() -> Iterator[Embedded]:
    """The service on its embedded defaults, in a data folder of its own, with small caps
    and a secret in its environment that no SQL may read."""
    data_dir = Path(tempfile.mkdtemp(prefix="quart_app_sandbox_"))
    server = ServerProcess(
        {
            "QUART_APP_DATA_DIR": str(data_dir),
            "QUART_APP_API_TOKEN": CANARY,
            "QUART_APP_DEFAULT_TIMEOUT_MS": str(TIMEOUT_MS),
            "QUART_APP_MAX_TIMEOUT_MS": "30000",
            "QUART_APP_TEMP_FILE_LIMIT_MB": "2",
            "QUART_APP_WORK_MEM_MB": "1",
            "QUART_APP_MAX_RESULT_BYTES": "200000",
            "QUART_APP_POOL_MAX_SIZE": "4",
            "QUART_APP_MAX_STATEMENTS_PER_CLIENT": "3",
        }
    )
    try:  # the folder goes, also when the server does not start
        server.start(timeout=180)
        yield Embedded(server, data_dir, {"Authorization": f"Bearer {CANARY}"})
    finally:
        if server.process is not None:
            server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(name="client")
async def fixture_client(embedded: Embedded) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=embedded.server.url, headers=embedded.headers, timeout=60
    ) as client:
        yield client


@pytest.fixture(name="admin")
async def fixture_admin(embedded: Embedded) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(embedded.url())
    try:
        yield connection
    finally:
        await connection.close()


async def execute(client: httpx.AsyncClient, sql: str, **body: object) -> httpx.Response:
    return await client.post("/api/query-execution/execute", json={"sql": sql, **body})


async def test_user_sql_runs_as_a_reader_that_cannot_do_more(
    client: httpx.AsyncClient, admin: asyncpg.Connection
) -> None:
    response = await execute(client, "SELECT current_user, count(*) FROM orders")
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [[READER_ROLE, 200_000]]
    role = await admin.fetchrow("SELECT * FROM pg_roles WHERE rolname = $1", READER_ROLE)
    assert role is not None
    assert not any(
        role[name]
        for name in ("rolsuper", "rolcreatedb", "rolcreaterole", "rolreplication", "rolbypassrls")
    )
    held = await admin.fetch(
        "SELECT rolname FROM pg_roles WHERE rolname LIKE 'pg\\_%' AND rolname <> 'pg_database_owner'"
        " AND pg_has_role($1, oid, 'MEMBER')",
        READER_ROLE,
    )
    assert held == []
    assert not await admin.fetchval(
        "SELECT has_database_privilege($1, current_database(), 'CREATE')"
        " OR has_database_privilege($1, current_database(), 'TEMP')"
        " OR has_schema_privilege($1, 'public', 'CREATE')",
        READER_ROLE,
    )
    writable = await admin.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND "
        "has_table_privilege($1, format('%I.%I', schemaname, tablename), 'INSERT, UPDATE, DELETE, TRUNCATE')",
        READER_ROLE,
    )
    assert writable == 0


async def test_the_history_lives_in_a_database_the_reader_cannot_enter(
    embedded: Embedded, client: httpx.AsyncClient, admin: asyncpg.Connection
) -> None:
    response = await execute(client, "SELECT count(*) FROM quart_app.jobs")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "sql_error"
    assert not await admin.fetchval(
        "SELECT has_database_privilege($1, $2, 'CONNECT')", READER_ROLE, HISTORY_DATABASE
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(embedded.url(HISTORY_DATABASE, READER_ROLE))
    history = await asyncpg.connect(embedded.url(HISTORY_DATABASE))
    try:
        assert await history.fetchval("SELECT count(*) FROM quart_app.jobs") > 0
    finally:
        await history.close()


async def test_even_past_the_statement_check_the_role_refuses_what_reaches_outside(
    embedded: Embedded,
) -> None:
    """What the parser refuses, tried straight on a connection as the reader role: the
    database is the boundary, the parser the second guard."""
    reader = await asyncpg.connect(embedded.url(user=READER_ROLE))
    try:
        for sql in (
            "SELECT pg_read_file('/etc/passwd')",
            "SELECT pg_ls_dir('.')",
            "SELECT pg_terminate_backend(pg_backend_pid())",
            "SELECT pg_cancel_backend(1)",
            "SELECT pg_notify('quart_app_events', '1,9000000000000000')",
            "SELECT pg_advisory_lock(1)",
            "SELECT pg_try_advisory_xact_lock(7311542901)",
            "SELECT pg_logical_emit_message(true, 'x', 'y')",
            "SELECT pg_stat_reset()",
            "SELECT pg_import_system_collations('pg_catalog')",
            "SELECT pg_create_physical_replication_slot('owned')",
            "SELECT pg_replication_origin_create('owned')",
            "SELECT pg_switch_wal()",
            "SELECT pg_reload_conf()",
            "SELECT pg_backup_start('owned')",
            "SELECT lo_from_bytea(0, 'x')",
            "SELECT query FROM pg_stat_activity",
            "SELECT statement FROM pg_prepared_statements",
            "SELECT pg_stat_get_backend_activity(b) FROM pg_stat_get_backend_idset() AS b",
            "SELECT txid_current()",
            "SELECT pg_export_snapshot()",
            "SELECT current_setting('data_directory')",
            "SELECT rolpassword FROM pg_authid",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await reader.execute(sql)
        for sql in ("CREATE TEMP TABLE owned (a int)", "CREATE TABLE owned (a int)"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await reader.execute(f"BEGIN READ WRITE; {sql}; COMMIT")
            await reader.execute("ROLLBACK")
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await reader.execute("UPDATE customers SET name = 'x'")
    finally:
        await reader.close()


def test_no_secret_of_the_service_is_in_the_postmasters_environment(
    embedded: Embedded,
) -> None:
    environ = Path(f"/proc/{embedded.postmaster_pid}/environ").read_bytes()
    assert b"PGDATA" in environ  # it is the postmaster's, and readable
    assert CANARY.encode() not in environ
    assert b"QUART_APP_" not in environ


async def test_the_hostile_corpus_is_refused_and_leaves_no_trace(
    client: httpx.AsyncClient, admin: asyncpg.Connection
) -> None:
    owned = f"quart_app_owned_{uuid.uuid4().hex[:12]}"
    footprint = """
        SELECT (SELECT count(*) FROM pg_replication_slots),
               (SELECT count(*) FROM pg_replication_origin),
               (SELECT count(*) FROM pg_collation),
               (SELECT count(*) FROM pg_largeobject_metadata),
               (SELECT count(*) FROM pg_roles),
               (SELECT sum(n_live_tup) FROM pg_stat_user_tables)
    """
    before = tuple(await admin.fetchrow(footprint))
    wal_before = await admin.fetchval("SELECT pg_current_wal_lsn()")
    # Someone else's query, running all along, must not be cancelled or disturbed.
    bystander = asyncio.create_task(
        execute(client, "SELECT pg_sleep(1.5), count(*) FROM customers", timeoutMs=20_000)
    )
    cases = [
        (sql.replace("{owned}", owned), "unsafe_sql") for group in UNSAFE.values() for sql in group
    ]
    cases += [(sql, "sql_error") for sql in NOT_SQL]
    for sql, code in cases:
        response = await execute(client, sql)
        assert response.status_code in (400, 422), (sql[:120], response.text[:300])
        assert response.json()["error"]["code"] == code, (sql[:120], response.text[:300])
    answer = await bystander
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"][0][1] == 10_000
    assert tuple(await admin.fetchrow(footprint)) == before
    wal = await admin.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)", wal_before)
    assert wal < 16 * 1024 * 1024, f"{wal} bytes of WAL written"
    assert not await asyncio.to_thread(lambda: list(Path("/tmp").glob(f"{owned}*")))


async def test_forged_notifications_do_not_stop_live_delivery(
    embedded: Embedded, client: httpx.AsyncClient
) -> None:
    history = await asyncpg.connect(embedded.url(HISTORY_DATABASE))
    try:
        for payload in ("1,9000000000000000", "9223372036854775807,99999999999999999999", "x", ""):
            await history.execute("SELECT pg_notify('quart_app_events', $1)", payload)
    finally:
        await history.close()
    request_id = f"after-forgery-{uuid.uuid4().hex[:8]}"
    received: list[dict[str, object]] = []
    reader = asyncio.create_task(
        collect_sse(
            embedded.server.url,
            f"/sse/topic/requests/{request_id}",
            received,
            headers=embedded.headers,
        )
    )
    await asyncio.sleep(0.5)
    response = await execute(client, "SELECT 1", requestId=request_id)
    assert response.status_code == 200, response.text
    await wait_until(lambda: any(event["status"] == "success" for event in received), timeout=10)
    reader.cancel()
    assert "Traceback" not in embedded.server.log()


async def test_temp_files_are_capped(client: httpx.AsyncClient) -> None:
    response = await execute(
        client,
        "SELECT g FROM generate_series(1, 2000000) AS g ORDER BY g DESC",
        maxRows=1,
        timeoutMs=20_000,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["sqlstate"] == "53400"
    assert "temp_file_limit" in response.json()["error"]["message"]


async def test_a_result_is_cut_at_its_byte_cap_and_kept(client: httpx.AsyncClient) -> None:
    response = await execute(
        client, "SELECT g, repeat('x', 1000) FROM generate_series(1, 1000) AS g", maxRows=1000
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["truncated"] is True and body["truncatedReason"] == "maxResultBytes"
    assert 100 < body["rowCount"] < 200
    assert len(response.content) < 200_000 + 10_000
    kept = await client.get(f"/api/jobs/{body['requestId']}/result")
    assert kept.status_code == 200 and kept.json()["rowCount"] == body["rowCount"]


async def test_a_nul_in_a_json_value_is_returned_and_the_job_ends(
    client: httpx.AsyncClient,
) -> None:
    response = await execute(client, """SELECT '{"a": "x\\u0000y"}'::json AS v""")
    assert response.status_code == 200, response.text
    assert "x" in str(response.json()["rows"][0][0])
    request_id = response.json()["requestId"]
    job = (await client.get(f"/api/jobs/{request_id}")).json()
    assert job["status"] == "success"
    events = (await client.get(f"/api/jobs/{request_id}/events")).json()["events"]
    assert events[-1]["status"] == "success"
    kept = await client.get(f"/api/jobs/{request_id}/result")
    assert kept.status_code == 200 and kept.json()["rowCount"] == 1


def test_one_client_may_not_hold_the_pool_and_others_still_run(embedded: Embedded) -> None:
    """Pool of 4, at most 3 statements per client. On loopback a client is its connection
    (every local program shares 127.0.0.1): one STOMP session's 3 sleepers leave it no room,
    and its 4th statement ends at once in busy; another local client still runs."""
    connection = stomp.WSStompConnection(
        [("127.0.0.1", embedded.server.port)],
        ws_path="/ws",
        header={"Sec-WebSocket-Protocol": "v12.stomp"},
    )
    collector = Collector()
    connection.set_listener("collector", collector)
    connection.connect(passcode=CANARY, wait=True)
    try:
        connection.subscribe("/topic/query-execution", id="1")
        tag = uuid.uuid4().hex[:8]
        for number in range(3):
            body = {
                "sql": "SELECT pg_sleep(3)",
                "requestId": f"sleeper-{tag}-{number}",
                "timeoutMs": 20_000,
            }
            connection.send("/app/query-execution/execute", json.dumps(body))
        time.sleep(1)
        body = {"sql": "SELECT 1", "requestId": f"fourth-{tag}", "timeoutMs": 20_000}
        connection.send("/app/query-execution/execute", json.dumps(body))
        started = time.monotonic()
        events = collector.events_until_terminal(f"fourth-{tag}")
        assert time.monotonic() - started < 1.5
        assert events[-1]["status"] == "error"
        assert events[-1]["metadata"]["error"]["code"] == "busy"
        other = httpx.post(
            f"{embedded.server.url}/api/query-execution/execute",
            json={"sql": "SELECT 1"},
            headers=embedded.headers,
            timeout=30,
        )
        assert other.status_code == 200, other.text
        for number in range(3):
            finished = collector.events_until_terminal(f"sleeper-{tag}-{number}")
            assert finished[-1]["status"] == "success"
    finally:
        connection.disconnect()


def test_waiting_for_a_connection_counts_against_the_statements_own_time(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(QUART_APP_POOL_MAX_SIZE="2", QUART_APP_MAX_STATEMENTS_PER_CLIENT="10")

    async def run() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            sleepers = [
                asyncio.create_task(execute(client, "SELECT pg_sleep(3)", timeoutMs=20_000))
                for _ in range(2)
            ]
            await asyncio.sleep(1)
            started = time.monotonic()
            response = await execute(client, "SELECT 1", timeoutMs=500)
            waited = time.monotonic() - started
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "busy"
            assert "did not start" in response.json()["error"]["message"]
            assert response.headers["Retry-After"] == "1"
            assert 0.4 < waited < 1.9
            for sleeper in sleepers:
                assert (await sleeper).status_code == 200

    asyncio.run(run())


def test_a_database_url_that_could_write_is_refused_in_one_line(database: TestDatabase) -> None:
    server = ServerProcess({"DATABASE_URL": database.url, "QUART_APP_HISTORY_URL": "memory"})
    with pytest.raises(RuntimeError, match="server exited with 2"):
        server.start()
    lines = server.log().strip().splitlines()
    assert len(lines) == 1, server.log()
    assert lines[0].startswith(
        "quart_app: DATABASE_URL logs in as 'postgres', which is a superuser"
    )
    assert re.search(r"CREATE ROLE quart_app_reader(_2)? LOGIN", lines[0])
    assert "Take them from it, or connect as a role that can only read" in lines[0]
    assert f'GRANT CONNECT ON DATABASE "{database.name}"' in lines[0]
    assert "QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE" in lines[0]


def test_the_risk_can_be_accepted_by_name(database: TestDatabase) -> None:
    server = ServerProcess(
        {
            "DATABASE_URL": database.url,
            "QUART_APP_HISTORY_URL": "memory",
            "QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE": "on",
        }
    ).start()
    try:
        response = httpx.post(
            f"{server.url}/api/query-execution/execute", json={"sql": "SELECT 1"}, timeout=30
        )
        assert response.status_code == 200, response.text
        assert "the database role is no boundary for user SQL" in server.log()
    finally:
        server.stop()


def test_a_role_that_may_write_one_table_is_refused_and_named(database: TestDatabase) -> None:
    role = f"quart_app_writer_{uuid.uuid4().hex[:8]}"

    async def grant(statements: str) -> None:
        connection = await asyncpg.connect(database.url)
        try:
            await connection.execute(statements)
        finally:
            await connection.close()

    asyncio.run(
        grant(
            f'CREATE ROLE {role} LOGIN; GRANT CONNECT ON DATABASE "{database.name}" TO {role};'
            f"GRANT USAGE ON SCHEMA public TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA public"
            f" TO {role}; GRANT UPDATE ON orders TO {role}"
        )
    )
    try:
        server = ServerProcess(
            {"DATABASE_URL": with_user(database.url, role), "QUART_APP_HISTORY_URL": "memory"}
        )
        with pytest.raises(RuntimeError, match="server exited with 2"):
            server.start()
        assert "which can write to public.orders" in server.log()
    finally:
        asyncio.run(grant(f"DROP OWNED BY {role}; DROP ROLE {role}"))


async def test_an_error_quoting_a_huge_value_is_cut_to_one_line(
    client: httpx.AsyncClient,
) -> None:
    response = await execute(
        client, "SELECT repeat('z', 5000000)::int", requestId=f"huge-{uuid.uuid4().hex[:8]}"
    )
    assert response.status_code == 422, response.text[:300]
    message = response.json()["error"]["message"]
    assert message.startswith("invalid input syntax for type integer")
    assert message.endswith("more characters)") and len(message) < 1_100
    events = await client.get(f"/api/jobs/{response.json()['requestId']}/events")
    assert len(events.content) < 20_000
    assert (await execute(client, "SELECT 1")).status_code == 200
