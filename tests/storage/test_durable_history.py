"""History in PostgreSQL: restarts, several processes, a process killed mid-stream, retention."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import asyncpg
import httpx

from tests.servers import collect_sse, free_port, new_id, wait_for_events, wait_until
from tests.transports.stomp_clients import stomp_py
from tests.transports.test_sse import read_stream

SLOW_QUERY = "SELECT g, pg_sleep(0.02) FROM generate_series(1, 500) AS g"  # about 10 s


async def test_restart_mid_stream_then_resume_on_both_transports(servers: Any) -> None:
    port = free_port()
    first = servers(port=port)
    rid = new_id()
    over_sse: list[dict[str, Any]] = []
    reading = asyncio.create_task(collect_sse(first.url, f"/sse/topic/requests/{rid}", over_sse))
    connection, collector = await asyncio.to_thread(stomp_py, port)
    connection.subscribe(f"/topic/requests/{rid}", id="1", headers={"receipt": "ready"})
    await asyncio.to_thread(collector.wait_for, "RECEIPT")
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
        response = await http.post(
            "/api/query-execution/execute",
            json={"sql": SLOW_QUERY, "requestId": rid, "maxRows": 500},
            headers={"Prefer": "respond-async"},
        )
        assert response.status_code == 202
    await wait_until(lambda: sum(e["stage"] == "fetching" for e in over_sse) >= 3)
    first.stop()  # mid-stream: the running query is cancelled as the process stops
    await asyncio.wait_for(reading, 10)
    over_stomp = [body for _, body in collector.messages]
    connection.disconnect()

    second = servers(port=port)  # the same address, a new process
    async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
        stored = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
        assert stored[-1]["status"] == "cancelled"
        rest = await read_stream(
            http,
            f"/sse/topic/requests/{rid}",
            headers={"Last-Event-ID": str(over_sse[-1]["eventId"])},
        )
        assert over_sse + rest == stored
        finished = await http.get(
            f"/sse/topic/requests/{rid}", headers={"Last-Event-ID": str(stored[-1]["eventId"])}
        )
        assert finished.status_code == 204
    connection, collector = await asyncio.to_thread(stomp_py, port)
    last = str(over_stomp[-1]["eventId"]) if over_stomp else "0"
    connection.subscribe(f"/topic/requests/{rid}", id="2", headers={"last-event-id": last})
    resumed = await asyncio.to_thread(collector.events_until_terminal, rid)
    connection.disconnect()
    assert over_stomp + resumed == stored


async def test_two_processes_act_as_one_service(servers: Any) -> None:
    a, b = servers(), servers()
    rid = new_id()
    over_sse_on_a: list[dict[str, Any]] = []
    reading = asyncio.create_task(collect_sse(a.url, f"/sse/topic/requests/{rid}", over_sse_on_a))
    connection, collector = await asyncio.to_thread(stomp_py, b.port)
    connection.subscribe(f"/topic/requests/{rid}", id="1", headers={"receipt": "ready"})
    await asyncio.to_thread(collector.wait_for, "RECEIPT")
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{b.url}/api/nl-to-sql/convert",
            json={"question": "Number of orders by status", "requestId": rid, "execute": True},
        )
        assert response.status_code == 200
        await asyncio.wait_for(reading, 20)
        over_stomp_on_b = await asyncio.to_thread(
            collector.events_until_terminal, rid, 20, topic="query-execution"
        )
        connection.disconnect()
        stored = (await http.get(f"{a.url}/api/jobs/{rid}/events")).json()["events"]
        assert over_sse_on_a == stored and over_stomp_on_b == stored
        ids = [event["eventId"] for event in stored]
        assert ids == sorted(set(ids))
        # One service: a requestId used on B is taken on A too; jobs are seen from both.
        reused = await http.post(
            f"{a.url}/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
        )
        assert reused.status_code == 409
        assert (await http.get(f"{a.url}/api/jobs/{rid}")).json()["status"] == "success"
        assert (await http.get(f"{a.url}/api/jobs/{rid}/result")).json()["rowCount"] == 5
        # Cancel on B what runs on A.
        sleeper = new_id()
        await http.post(
            f"{a.url}/api/query-execution/execute",
            json={"sql": "SELECT pg_sleep(30)", "requestId": sleeper},
            headers={"Prefer": "respond-async"},
        )
        async with httpx.AsyncClient(base_url=b.url, timeout=30) as on_b:
            await wait_for_events(on_b, sleeper, until="executing")
            cancelled_at = time.monotonic()
            assert (await on_b.post(f"/api/jobs/{sleeper}/cancel")).status_code == 202
            events = await wait_for_events(on_b, sleeper, timeout=5)
        assert events[-1]["status"] == "cancelled" and time.monotonic() - cancelled_at < 1.5


async def test_killed_process_loses_nothing_and_its_requests_end(servers: Any) -> None:
    grace = {"QUART_APP_PROCESS_GRACE_SECONDS": "2"}
    a = servers(QUART_APP_FETCH_BATCH_ROWS="5", QUART_APP_PROGRESS_INTERVAL_MS="0", **grace)
    b = servers(**grace)
    rid = new_id()
    connection, collector = await asyncio.to_thread(stomp_py, b.port)
    connection.subscribe("/topic/query-execution", id="all", headers={"receipt": "ready"})
    await asyncio.to_thread(collector.wait_for, "RECEIPT")
    on_a: list[dict[str, Any]] = []  # a client of A, which will move to B
    reading = asyncio.create_task(collect_sse(a.url, f"/sse/topic/requests/{rid}", on_a))

    def over_stomp() -> list[dict[str, Any]]:
        return [body for _, body in collector.messages if body["requestId"] == rid]

    async with httpx.AsyncClient(timeout=30) as http:
        await http.post(
            f"{a.url}/api/query-execution/execute",
            json={
                "sql": "SELECT g, pg_sleep(0.0005) FROM generate_series(1, 20000) AS g",
                "requestId": rid,
                "maxRows": 20000,
            },
            headers={"Prefer": "respond-async"},
        )
        await wait_until(lambda: len(over_stomp()) > 200)
        assert a.process is not None
        a.process.send_signal(signal.SIGKILL)
        a.process.wait()
        killed_at = time.monotonic()
        # B takes A for gone after the grace period, and ends its request for everyone.
        await wait_until(lambda: over_stomp()[-1]["status"] != "progress", timeout=20)
        ended_after = time.monotonic() - killed_at
        stored = (await http.get(f"{b.url}/api/jobs/{rid}/events")).json()["events"]
        connection.disconnect()
        assert over_stomp() == stored  # B delivered exactly what was stored, in order
        assert [event["sequence"] for event in stored] == list(range(1, len(stored) + 1))
        last = stored[-1]
        assert last["status"] == "error" and last["stage"] == "failed"
        assert last["metadata"]["error"]["code"] == "internal"
        assert last["metadata"]["failedStage"] == "fetching"
        assert "stopped before it finished" in last["message"]
        assert [event["status"] for event in stored[:-1]] == ["progress"] * (len(stored) - 1)
        # The grace period (2 s) runs from A's last heart-beat, which came a fifth of it (or,
        # with A busy, somewhat more) before the kill: about 2 s here, 1.9 to 2.0 measured.
        assert 0.5 <= ended_after < 15, ended_after
        job = (await http.get(f"{b.url}/api/jobs/{rid}")).json()
        assert job["status"] == "error" and job["error"]["code"] == "internal"
        assert "ended as failed" in b.log()
        assert (
            await http.post(f"{b.url}/api/query-execution/execute", json={"sql": "SELECT 1"})
        ).status_code == 200
    # The client of A reconnects to B with its last eventId, misses nothing, and its stream ends.
    await asyncio.wait_for(reading, 10)
    assert on_a
    resumed: list[dict[str, Any]] = []
    last_seen = str(on_a[-1]["eventId"])
    await asyncio.wait_for(
        collect_sse(
            b.url, f"/sse/topic/requests/{rid}", resumed, headers={"Last-Event-ID": last_seen}
        ),
        10,
    )
    assert on_a + resumed == stored


async def test_listener_reconnects_and_catches_up(servers: Any, history_url: str) -> None:
    a, b = servers(), servers()
    rid = new_id()
    admin = await asyncpg.connect(history_url)
    try:
        dropped = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'quart_app listener' AND datname = current_database()"
        )
        assert dropped == 2
    finally:
        await admin.close()
    over_sse_on_b: list[dict[str, Any]] = []
    reading = asyncio.create_task(
        collect_sse(b.url, f"/sse/topic/requests/{rid}", over_sse_on_b, params={"lastEventId": "0"})
    )
    async with httpx.AsyncClient(timeout=30) as http:
        await http.post(
            f"{a.url}/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
        )
        await asyncio.wait_for(reading, 20)
        assert over_sse_on_b == (await http.get(f"{a.url}/api/jobs/{rid}/events")).json()["events"]
    await wait_until(lambda: "history listener reconnected" in b.log())
    assert "history listener lost its connection; reconnecting" in b.log()


async def test_retention_bounds_the_tables(servers: Any, history_url: str) -> None:
    server = servers(
        QUART_APP_RETENTION_EVENTS="40",
        QUART_APP_JOBS_KEPT="5",
        QUART_APP_RETENTION_INTERVAL_SECONDS="0.2",
    )
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for _ in range(15):
            assert (
                await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
            ).status_code == 200
    await asyncio.sleep(1.0)
    admin = await asyncpg.connect(history_url)
    try:
        events = await admin.fetchval("SELECT count(*) FROM quart_app.status_events")
        jobs = await admin.fetchval("SELECT count(*) FROM quart_app.jobs")
        newest = await admin.fetchval("SELECT max(event_id) FROM quart_app.status_events")
        last = await admin.fetchval("SELECT last_id FROM quart_app.event_ids")
    finally:
        await admin.close()
    assert events <= 40 and jobs <= 5
    assert newest == last  # the newest events are the ones kept
