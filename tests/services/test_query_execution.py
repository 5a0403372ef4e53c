"""Query execution through REST, against the real server and the demo data set."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

import asyncpg
import httpx
import pytest

from tests.servers import ServerProcess, TcpProxy, TestDatabase, new_id, wait_for_events


async def test_returns_rows_as_json_values(http: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    sql = "SELECT c.id, c.name, p.price, c.created_at, NULL::int AS nothing FROM customers c JOIN products p USING (id) ORDER BY id LIMIT 3"
    response = await http.post(
        "/api/query-execution/execute", json={"sql": sql, "requestId": (rid := new_id())}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["requestId"] == rid and body["sql"] == sql
    assert [c["name"] for c in body["columns"]] == ["id", "name", "price", "created_at", "nothing"]
    assert [c["type"] for c in body["columns"]] == [
        "int4",
        "text",
        "numeric",
        "timestamptz",
        "int4",
    ]
    expected = await db.fetch(sql)
    assert body["rowCount"] == len(expected) == 3 and body["truncated"] is False
    for row, record in zip(body["rows"], expected, strict=True):
        assert row[0] == record["id"] and isinstance(row[0], int)
        assert Decimal(row[2]) == record["price"]
        assert row[3] == record["created_at"].isoformat()
        assert row[4] is None
    assert isinstance(body["durationMs"], int)


async def test_events_follow_the_contract(http: httpx.AsyncClient) -> None:
    rid = new_id()
    response = await http.post(
        "/api/query-execution/execute",
        json={"sql": "SELECT * FROM orders", "requestId": rid, "maxRows": 50000},
    )
    assert response.status_code == 200
    events = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    stages = [event["stage"] for event in events]
    assert stages[:4] == ["received", "validating", "planning", "executing"]
    assert set(stages[4:-1]) == {"fetching"} and stages[-1] == "completed"
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))
    ids = [event["eventId"] for event in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress) and progress[-1] == 100
    assert {event["topic"] for event in events} == {"query-execution"}
    assert events[2]["metadata"]["estimatedRows"] > 100_000
    fetched = [event["metadata"]["rowsFetched"] for event in events if event["stage"] == "fetching"]
    assert fetched == sorted(fetched) and fetched[-1] == 50000
    assert len(fetched) <= 50000 // 1000 + 1  # batches, never one event per row
    final = events[-1]
    assert final["status"] == "success"
    assert final["metadata"]["rowCount"] == 50000 and final["metadata"]["truncated"] is True
    assert [c["name"] for c in final["metadata"]["columns"]] == [
        "id",
        "customer_id",
        "ordered_at",
        "status",
    ]
    assert "rows" not in final["metadata"]


async def test_fetching_reports_at_least_every_250_ms_while_rows_flow(
    http: httpx.AsyncClient,
) -> None:
    rid = new_id()
    response = await http.post(
        "/api/query-execution/execute",
        json={
            "sql": "SELECT g, pg_sleep(0.0003) FROM generate_series(1, 4000) AS g",
            "requestId": rid,
            "maxRows": 4000,
        },
    )
    assert response.status_code == 200, response.text
    events = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    times = [
        time.mktime(time.strptime(e["timestamp"][:19], "%Y-%m-%dT%H:%M:%S"))
        + int(e["timestamp"][20:23]) / 1000
        for e in events
        if e["stage"] in ("executing", "fetching", "completed")
    ]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) >= 4 and max(gaps) < 1.0, gaps


async def test_max_rows_truncates(http: httpx.AsyncClient) -> None:
    body = (
        await http.post(
            "/api/query-execution/execute",
            json={"sql": "SELECT id FROM orders ORDER BY id", "maxRows": 7},
        )
    ).json()
    assert body["rowCount"] == 7 and body["truncated"] is True
    assert body["rows"] == [[n] for n in range(1, 8)]
    exact = (
        await http.post(
            "/api/query-execution/execute",
            json={"sql": "SELECT 1 UNION ALL SELECT 2", "maxRows": 2},
        )
    ).json()
    assert exact["rowCount"] == 2 and exact["truncated"] is False


async def test_postgres_errors_carry_sqlstate(http: httpx.AsyncClient) -> None:
    rid = new_id()
    response = await http.post(
        "/api/query-execution/execute", json={"sql": "SELECT nope FROM customers", "requestId": rid}
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "sql_error",
            "message": 'column "nope" does not exist',
            "sqlstate": "42703",
        },
        "requestId": rid,
    }
    final = (await http.get(f"/api/jobs/{rid}/events")).json()["events"][-1]
    assert final["status"] == "error" and final["stage"] == "failed"
    assert final["metadata"] == {"error": response.json()["error"], "failedStage": "planning"}
    division = await http.post(
        "/api/query-execution/execute", json={"sql": "SELECT 1 / (id - id) FROM products"}
    )
    assert division.status_code == 422 and division.json()["error"]["sqlstate"] == "22012"


async def test_timeout(http: httpx.AsyncClient) -> None:
    rid = new_id()
    started = time.monotonic()
    response = await http.post(
        "/api/query-execution/execute",
        json={"sql": "SELECT pg_sleep(10)", "timeoutMs": 300, "requestId": rid},
    )
    assert response.status_code == 504 and response.json()["error"]["code"] == "timeout"
    assert time.monotonic() - started < 5
    final = (await http.get(f"/api/jobs/{rid}/events")).json()["events"][-1]
    assert final["status"] == "error" and final["metadata"]["error"]["code"] == "timeout"


async def test_cancel_stops_the_backend_query(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    rid = new_id()
    response = await http.post(
        "/api/query-execution/execute",
        json={"sql": "SELECT pg_sleep(30) AS cancel_me", "requestId": rid},
        headers={"Prefer": "respond-async"},
    )
    assert response.status_code == 202
    assert response.json() == {"requestId": rid, "status": "running"}
    assert response.headers["Location"] == f"/api/jobs/{rid}"
    await wait_for_events(http, rid, until="executing")
    await asyncio.sleep(0.2)
    assert await running_sleeps(db) == 1
    cancelled_at = time.monotonic()
    assert (await http.post(f"/api/jobs/{rid}/cancel")).status_code == 202
    events = await wait_for_events(http, rid, timeout=5)
    assert time.monotonic() - cancelled_at < 1.0
    assert events[-1]["status"] == "cancelled" and events[-1]["stage"] == "cancelled"
    assert events[-1]["metadata"]["error"]["code"] == "cancelled"
    assert await running_sleeps(db) == 0
    job = (await http.get(f"/api/jobs/{rid}")).json()
    assert job["status"] == "cancelled" and job["finishedAt"] is not None
    again = await http.post(f"/api/jobs/{rid}/cancel")
    assert again.status_code == 409


async def test_cancelled_synchronous_request_answers_409(http: httpx.AsyncClient) -> None:
    rid = new_id()
    pending = asyncio.create_task(
        http.post(
            "/api/query-execution/execute", json={"sql": "SELECT pg_sleep(30)", "requestId": rid}
        )
    )
    await wait_for_events(http, rid, until="executing")
    await http.post(f"/api/jobs/{rid}/cancel")
    response = await pending
    assert response.status_code == 409 and response.json()["error"]["code"] == "cancelled"


async def running_sleeps(db: asyncpg.Connection) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()"
    )
    return count


async def checksum(db: asyncpg.Connection) -> tuple[object, ...]:
    return tuple(
        await db.fetchrow(
            """
            SELECT (SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM customers AS c),
                   (SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM products AS p),
                   (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items),
                   (SELECT count(*) FROM page_views),
                   (SELECT string_agg(table_name, ',' ORDER BY table_name)
                      FROM information_schema.tables WHERE table_schema = 'public'),
                   (SELECT count(*) FROM pg_roles)
            """
        )
    )


UNSAFE_STATEMENTS = [
    "COPY customers TO STDOUT",
    "COPY (SELECT 1) TO PROGRAM 'touch /tmp/quart_app_owned'",
    "INSERT INTO products (id, name, category, price) VALUES (9999, 'x', 'y', 1)",
    "UPDATE products SET price = 0",
    "DELETE FROM page_views",
    "DROP TABLE order_items",
    "CREATE TABLE intruder (a int)",
    "ALTER TABLE customers DROP COLUMN email",
    "TRUNCATE orders CASCADE",
    "GRANT ALL ON customers TO PUBLIC",
    "CREATE ROLE intruder",
    "SET default_transaction_read_only = off",
    "WITH gone AS (DELETE FROM customers RETURNING id) SELECT count(*) FROM gone",
    "SELECT 1; DELETE FROM customers",
    "SELECT * INTO stolen FROM customers",
    "SELECT * FROM products FOR UPDATE",
]


async def test_unsafe_statements_are_refused_and_change_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    before = await checksum(db)
    for sql in UNSAFE_STATEMENTS:
        rid = new_id()
        response = await http.post(
            "/api/query-execution/execute", json={"sql": sql, "requestId": rid}
        )
        assert response.status_code == 422, (sql, response.text)
        assert response.json()["error"]["code"] == "unsafe_sql", sql
        final = (await http.get(f"/api/jobs/{rid}/events")).json()["events"][-1]
        assert final["metadata"]["failedStage"] == "validating"
    assert await checksum(db) == before


async def test_read_only_transaction_neutralises_what_the_parser_lets_through(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await db.execute(
        """
        CREATE TABLE IF NOT EXISTS sneaky_target (a int);
        CREATE OR REPLACE FUNCTION sneaky_write() RETURNS int LANGUAGE sql
            AS 'INSERT INTO sneaky_target VALUES (1) RETURNING a';
        """
    )
    try:
        response = await http.post(
            "/api/query-execution/execute", json={"sql": "SELECT sneaky_write()"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["sqlstate"] == "25006"  # read_only_sql_transaction
        assert await db.fetchval("SELECT count(*) FROM sneaky_target") == 0
    finally:
        await db.execute("DROP FUNCTION sneaky_write(); DROP TABLE sneaky_target")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "invalid_request"),
        ({"sql": 1}, 400, "invalid_request"),
        ({"sql": ""}, 400, "invalid_request"),
        ({"sql": "SELECT 1", "maxRows": 0}, 400, "invalid_request"),
        ({"sql": "SELECT 1", "maxRows": "10"}, 400, "invalid_request"),
        ({"sql": "SELECT 1", "maxRows": 10**9}, 400, "invalid_request"),
        ({"sql": "SELECT 1", "timeoutMs": -5}, 400, "invalid_request"),
        ({"sql": "SELECT 1", "requestId": "has space"}, 400, "invalid_request"),
        ({"sql": "SELECT 1", "requestId": "x" * 65}, 400, "invalid_request"),
        ([1, 2], 400, "invalid_request"),
    ],
)
async def test_invalid_bodies(
    http: httpx.AsyncClient, body: object, status: int, code: str
) -> None:
    response = await http.post("/api/query-execution/execute", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


async def test_bad_json_and_unknown_ids(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/query-execution/execute",
        content=b'{"sql": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and "JSON" in response.json()["error"]["message"]
    assert (await http.get("/api/jobs/never-seen")).status_code == 404
    assert (await http.get("/api/jobs/never-seen/events")).status_code == 404
    assert (await http.post("/api/jobs/never-seen/cancel")).status_code == 404
    assert (await http.get("/api/nothing-here")).json()["error"]["code"] == "not_found"


async def test_request_ids_are_generated_or_kept_and_never_reused(http: httpx.AsyncClient) -> None:
    generated = (await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})).json()[
        "requestId"
    ]
    assert uuid.UUID(generated).version == 4
    rid = new_id()
    assert (
        await http.post("/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid})
    ).status_code == 200
    reused = await http.post(
        "/api/query-execution/execute", json={"sql": "SELECT 2", "requestId": rid}
    )
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "conflict"
    job = (await http.get(f"/api/jobs/{rid}")).json()
    assert job["status"] == "success" and job["rowCount"] == 1 and job["sql"] == "SELECT 1"
    result = (await http.get(f"/api/jobs/{rid}/result")).json()
    assert result["rows"] == [[1]]
    listed = (await http.get("/api/jobs", params={"topic": "query-execution", "limit": 2})).json()[
        "jobs"
    ]
    assert len(listed) == 2 and listed[0]["requestId"] == rid


async def test_explain_runs_unplanned_and_the_transaction_only_reads(
    http: httpx.AsyncClient,
) -> None:
    rid = new_id()
    explain = (
        await http.post(
            "/api/query-execution/execute",
            json={"sql": "EXPLAIN SELECT * FROM orders", "requestId": rid},
        )
    ).json()
    assert "Seq Scan on orders" in explain["rows"][0][0]
    planning = [
        e
        for e in (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
        if e["stage"] == "planning"
    ]
    assert planning[0]["metadata"]["estimatedRows"] is None
    setting = (
        await http.post(
            "/api/query-execution/execute",
            json={"sql": "SELECT current_setting('transaction_read_only')"},
        )
    ).json()
    assert setting["rows"] == [["on"]]
    show = await http.post("/api/query-execution/execute", json={"sql": "SHOW work_mem"})
    assert show.status_code == 422 and show.json()["error"]["code"] == "unsafe_sql"


async def test_health_and_openapi(http: httpx.AsyncClient) -> None:
    assert (await http.get("/health")).json() == {"status": "ok"}
    spec = (await http.get("/openapi.json")).json()
    for path in (
        "/api/query-execution/execute",
        "/api/jobs/{request_id}",
        "/api/jobs/{request_id}/cancel",
    ):
        assert path in spec["paths"], sorted(spec["paths"])
    assert (await http.get("/docs")).status_code == 200


async def test_database_outage_is_reported_and_recovered_from(
    start_server: Callable[..., ServerProcess], database: TestDatabase
) -> None:
    """Down when the service starts, then up, lost and back: meanwhile requests get
    database_unavailable and the service stays up; it recovers unaided."""
    proxy = TcpProxy(database.address)  # not started: nothing answers on its port yet
    # In a thread: the proxy runs on this event loop, and the server connects through it.
    server = await asyncio.to_thread(
        start_server,
        DATABASE_URL=f"postgresql://{database.reader}@127.0.0.1:{proxy.port}/{database.name}",
    )
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        early = await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
        assert early.status_code == 503, early.text
        assert early.json()["error"]["code"] == "database_unavailable"
        assert "is not reachable yet" in server.log()
        await proxy.start()
        assert (
            await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
        ).status_code == 200
        await proxy.stop()
        down = await http.post(
            "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": (rid := new_id())}
        )
        assert down.status_code == 503, down.text
        assert down.json()["error"]["code"] == "database_unavailable"
        final = (await http.get(f"/api/jobs/{rid}/events")).json()["events"][-1]
        assert final["metadata"]["error"]["code"] == "database_unavailable"
        assert (await http.get("/health")).status_code == 200
        await proxy.start()
        up = await http.post("/api/query-execution/execute", json={"sql": "SELECT 2"})
        assert up.status_code == 200 and up.json()["rows"] == [[2]]
    await proxy.stop()


@pytest.mark.parametrize(
    ("sql", "cut_at"),
    [
        ("SELECT pg_sleep(5)", "executing"),  # mid-query
        ("SELECT g, pg_sleep(0.01) FROM generate_series(1, 2000) AS g", "fetching"),  # mid-stream
    ],
)
async def test_database_lost_mid_query_or_mid_stream(
    start_server: Callable[..., ServerProcess], database: TestDatabase, sql: str, cut_at: str
) -> None:
    proxy = TcpProxy(database.address)
    await proxy.start()
    # In a thread: the proxy runs on this event loop, and the server connects through it.
    server = await asyncio.to_thread(
        start_server,
        DATABASE_URL=f"postgresql://{database.reader}@127.0.0.1:{proxy.port}/{database.name}",
        QUART_APP_FETCH_BATCH_ROWS="50",
    )
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            rid = new_id()
            started = await http.post(
                "/api/query-execution/execute",
                json={"sql": sql, "requestId": rid, "maxRows": 5000},
                headers={"Prefer": "respond-async"},
            )
            assert started.status_code == 202
            await wait_for_events(http, rid, until=cut_at)
            await proxy.stop()
            events = await wait_for_events(http, rid)
            final = events[-1]
            assert final["status"] == "error", final
            assert final["metadata"]["error"]["code"] == "database_unavailable", final
            assert final["metadata"]["failedStage"] in ("executing", "fetching")
            assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
            assert (await http.get("/health")).status_code == 200
            await proxy.start()  # PostgreSQL is back: the next query works, unaided
            up = await http.post("/api/query-execution/execute", json={"sql": "SELECT 3"})
            assert up.status_code == 200 and up.json()["rows"] == [[3]]
    finally:
        await proxy.stop()
