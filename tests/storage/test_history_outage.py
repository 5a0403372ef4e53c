"""The history database goes away while clients stream: delivery goes on, it is stored later."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx

from tests.servers import (
    ServerProcess,
    TcpProxy,
    TestDatabase,
    collect_sse,
    new_id,
    wait_for_events,
    wait_until,
)
from tests.transports.stomp_clients import stomp_py

# About 5 s of rows, 25 at a time: a progress event every 100 ms or so.
SLOW_QUERY = "SELECT g, pg_sleep(0.02) FROM generate_series(1, 250) AS g"


async def behind_proxy(
    servers: Any, history_url: str, database: TestDatabase, **settings: str
) -> tuple[TcpProxy, ServerProcess]:
    """A server whose history database is reached through a proxy the test controls."""
    proxy = TcpProxy(database.address)
    await proxy.start()
    name = urlsplit(history_url).path.lstrip("/")
    # In a thread: the proxy runs on this event loop, and the server connects through it to start.
    server = await asyncio.to_thread(
        servers,
        QUART_APP_HISTORY_URL=f"postgresql://postgres@127.0.0.1:{proxy.port}/{name}",
        QUART_APP_FETCH_BATCH_ROWS="25",
        **settings,
    )
    return proxy, server


async def wait_until_stored(
    history_url: str, request_id: str, expected: list[dict[str, Any]], timeout: float = 30
) -> None:
    """Until the history database itself holds ``expected`` as the request's events."""
    connection = await asyncpg.connect(history_url)
    try:

        async def stored() -> list[dict[str, Any]]:
            rows = await connection.fetch(
                """
                SELECT body FROM quart_app.status_events
                 WHERE request_id = $1 ORDER BY event_id
                """,
                request_id,
            )
            return [json.loads(row["body"]) for row in rows]

        deadline = time.monotonic() + timeout
        while (rows := await stored()) != expected:
            assert time.monotonic() < deadline, f"stored {rows}, expected {expected}"
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


def assert_one_request(events: list[dict[str, Any]]) -> None:
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))
    ids = [event["eventId"] for event in events]
    assert ids == sorted(set(ids))
    assert events[-1]["status"] == "success"


async def test_delivery_goes_on_and_everything_is_stored_once_it_is_back(
    servers: Any, history_url: str, database: TestDatabase
) -> None:
    proxy, server = await behind_proxy(servers, history_url, database)
    rid = new_id()
    over_sse: list[dict[str, Any]] = []
    reading = asyncio.create_task(collect_sse(server.url, f"/sse/topic/requests/{rid}", over_sse))
    connection, collector = await asyncio.to_thread(stomp_py, server.port)
    try:
        connection.subscribe(f"/topic/requests/{rid}", id="r", headers={"receipt": "ready"})
        await asyncio.to_thread(collector.wait_for, "RECEIPT")
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            started = await http.post(
                "/api/query-execution/execute",
                json={"sql": SLOW_QUERY, "requestId": rid, "maxRows": 1000},
                headers={"Prefer": "respond-async"},
            )
            assert started.status_code == 202, started.text
            await wait_until(lambda: len(over_sse) >= 3)
            await proxy.stop()  # the history database is gone; the query database is not
            before = over_sse[-1]["eventId"]
            await wait_until(lambda: over_sse[-1]["eventId"] > before + 2)

            # Meanwhile: the server answers, the running job is known, new jobs get a clear 503.
            assert (await http.get("/health")).status_code == 200
            job = await http.get(f"/api/jobs/{rid}")
            assert job.status_code == 200 and job.json()["status"] == "running"
            refused = await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "database_unavailable"
            assert "history" in refused.json()["error"]["message"]
            # A client that reconnects during the outage, from an event it saw, gets the rest.
            resumed_from = over_sse[-1]["eventId"]
            resumed: list[dict[str, Any]] = []
            await collect_sse(
                server.url,
                f"/sse/topic/requests/{rid}",
                resumed,
                headers={"Last-Event-ID": str(resumed_from)},
            )
            await asyncio.wait_for(reading, 30)
            assert "the history database cannot store events" in server.log()

            assert_one_request(over_sse)
            assert [e for e in over_sse if e["eventId"] > resumed_from] == resumed != []
            # stomp.py reads on a thread of its own: its last frame may come just after SSE's
            await wait_until(lambda: len(collector.messages) >= len(over_sse))
            over_stomp = [body for _, body in collector.messages]
            assert over_stomp == over_sse
            unstored = [e for e in over_sse if e["eventId"] > before]
            assert len(unstored) >= 3 and unstored[-1]["status"] == "success"

            # Back: the held events are stored under the eventIds the clients saw.
            await proxy.start()
            await wait_until_stored(history_url, rid, over_sse)
            stored = await wait_for_events(http, rid)
            assert stored == over_sse
            job = (await http.get(f"/api/jobs/{rid}")).json()
            assert job["status"] == "success" and job["rowCount"] == 250
            result = await http.get(f"/api/jobs/{rid}/result")
            assert result.status_code == 200 and len(result.json()["rows"]) == 250
            # New jobs work again, numbered after the held events.
            after = await http.post(
                "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": new_id()}
            )
            assert after.status_code == 200, after.text
            later = await wait_for_events(http, after.json()["requestId"])
            assert later[0]["eventId"] > over_sse[-1]["eventId"]
            assert "Traceback" not in server.log(), server.log()
    finally:
        connection.disconnect()
        await proxy.stop()


async def test_another_process_stored_meanwhile(
    servers: Any, history_url: str, database: TestDatabase
) -> None:
    """Only A loses the history; B goes on storing. A's held events go after B's, none lost."""
    proxy, a = await behind_proxy(servers, history_url, database)
    b = servers()
    rid_a, rid_b = new_id(), new_id()
    on_a: list[dict[str, Any]] = []
    reading = asyncio.create_task(collect_sse(a.url, f"/sse/topic/requests/{rid_a}", on_a))
    try:
        async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
            await http.post(
                f"{a.url}/api/query-execution/execute",
                json={"sql": SLOW_QUERY, "requestId": rid_a, "maxRows": 1000},
                headers={"Prefer": "respond-async"},
            )
            await wait_until(lambda: len(on_a) >= 3)
            await proxy.stop()
            on_b = await http.post(
                "/api/query-execution/execute",
                json={"sql": "SELECT g FROM generate_series(1, 5) AS g", "requestId": rid_b},
            )
            assert on_b.status_code == 200, on_b.text
            await asyncio.wait_for(reading, 30)
            assert_one_request(on_a)
            await proxy.start()
            await wait_until(lambda: "held events stored" in a.log(), timeout=30)
            assert "other processes stored" in a.log()

            stored_a = await wait_for_events(http, rid_a)
            stored_b = await wait_for_events(http, rid_b)
            strip = [{k: v for k, v in e.items() if k != "eventId"} for e in on_a]
            assert [{k: v for k, v in e.items() if k != "eventId"} for e in stored_a] == strip
            assert_one_request(stored_a)
            # A's held events were stored after B's, which B stored during the outage; A's
            # client had seen them under the eventIds A gave them then.
            moved = [e for e in stored_a if e["eventId"] > stored_b[-1]["eventId"]]
            assert len(moved) >= 2 and moved[-1]["status"] == "success"
            seen = [e["eventId"] for e in on_a[-len(moved) :]]
            assert seen != [e["eventId"] for e in moved]
            # Both processes replay the same history.
            for server in (a, b):
                replayed: list[dict[str, Any]] = []
                await collect_sse(
                    server.url,
                    f"/sse/topic/requests/{rid_a}",
                    replayed,
                    params={"lastEventId": "0"},
                )
                assert replayed == stored_a
            assert "Traceback" not in a.log() + b.log(), a.log()
    finally:
        await proxy.stop()


async def test_a_write_whose_commit_went_through_unanswered_is_not_stored_twice(
    servers: Any, history_url: str, database: TestDatabase
) -> None:
    """The connection drops after COMMIT is sent, before its answer: the events are stored,
    and the writer does not know it. Nothing may be delivered or stored twice."""
    proxy, server = await behind_proxy(servers, history_url, database)
    rid = new_id()
    seen: list[dict[str, Any]] = []
    reading = asyncio.create_task(collect_sse(server.url, f"/sse/topic/requests/{rid}", seen))
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            await asyncio.sleep(0.5)  # the stream is open, and the server idle
            proxy.cut_after(b"COMMIT")
            await http.post(
                "/api/query-execution/execute",
                json={"sql": SLOW_QUERY, "requestId": rid},
                headers={"Prefer": "respond-async"},
            )
            await asyncio.wait_for(reading, 30)
            assert_one_request(seen)  # each event once, whichever way it was found out
            # Either the process's own NOTIFY, on the listening connection, delivered the
            # committed events before the write gave up: they count as stored. Or it did
            # not: the process holds them, and on storing finds them stored already.
            await wait_until(
                lambda: (
                    "but it had been committed" in server.log()
                    or "held events stored" in server.log()
                ),
                timeout=30,
            )
            if "held events stored" in server.log():
                assert "had been stored already" in server.log()
            assert await wait_for_events(http, rid) == seen
            assert (await http.get(f"/api/jobs/{rid}")).json()["status"] == "success"
        connection = await asyncpg.connect(history_url)
        try:
            copies = await connection.fetch(
                """
                SELECT (body::jsonb ->> 'sequence')::int AS sequence, count(*) AS copies
                  FROM quart_app.status_events WHERE request_id = $1
                 GROUP BY 1 ORDER BY 1
                """,
                rid,
            )
        finally:
            await connection.close()
        assert [(row["sequence"], row["copies"]) for row in copies] == [
            (index, 1) for index in range(1, len(seen) + 1)
        ]
    finally:
        await proxy.stop()


async def test_a_process_cut_off_too_long_has_its_request_ended_by_another(
    servers: Any, history_url: str, database: TestDatabase
) -> None:
    """A loses the history for longer than the grace period while it runs a job: B ends the
    job for everyone, and when A is back, nothing of A's follows that end."""
    grace = {"QUART_APP_PROCESS_GRACE_SECONDS": "2"}
    proxy, a = await behind_proxy(servers, history_url, database, **grace)
    b = servers(**grace)
    rid = new_id()
    on_a: list[dict[str, Any]] = []
    on_b: list[dict[str, Any]] = []
    following = asyncio.create_task(collect_sse(a.url, f"/sse/topic/requests/{rid}", on_a))
    reading = asyncio.create_task(collect_sse(b.url, f"/sse/topic/requests/{rid}", on_b))
    try:
        async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
            await http.post(
                f"{a.url}/api/query-execution/execute",
                # About 20 s: still running when A is back.
                json={"sql": SLOW_QUERY.replace("0.02", "0.08"), "requestId": rid},
                headers={"Prefer": "respond-async"},
            )
            await wait_until(lambda: len(on_b) >= 3)
            await proxy.stop()
            await asyncio.wait_for(reading, 20)  # B ends the request: the stream ends
            last = on_b[-1]
            assert last["status"] == "error" and last["metadata"]["error"]["code"] == "internal"
            assert [e["sequence"] for e in on_b] == list(range(1, len(on_b) + 1))

            await proxy.start()
            await wait_until(lambda: "was ended by another process" in a.log(), timeout=30)
            await wait_until(lambda: "had been ended by another process" in a.log(), timeout=30)
            # A stopped the job, and what it held or published for it afterwards was dropped.
            assert await wait_for_events(http, rid) == on_b
            job = (await http.get(f"/api/jobs/{rid}")).json()
            assert job["status"] == "error" and job["error"]["code"] == "internal"
            assert (await http.get(f"{a.url}/api/jobs/{rid}")).json() == job
            after = await http.post(
                f"{a.url}/api/query-execution/execute",
                json={"sql": "SELECT 1", "requestId": new_id()},
            )
            assert after.status_code == 200, after.text
            # A's own client saw A's events meanwhile, under A's numbering; it still gets
            # the end, and its stream ends too.
            await asyncio.wait_for(following, 10)
            assert on_a[-1] == last
            assert "Traceback" not in a.log() + b.log(), a.log()
    finally:
        await proxy.stop()


async def test_after_an_outage_for_every_process_none_is_taken_for_gone(
    servers: Any, history_url: str, database: TestDatabase
) -> None:
    """Both processes lose the history for longer than the grace period: when it is back,
    every heart-beat is late, and still no process ends the jobs of another."""
    grace = {"QUART_APP_PROCESS_GRACE_SECONDS": "2"}
    proxy, a = await behind_proxy(servers, history_url, database, **grace)
    name = urlsplit(history_url).path.lstrip("/")
    proxied = f"postgresql://postgres@127.0.0.1:{proxy.port}/{name}"
    b = await asyncio.to_thread(servers, QUART_APP_HISTORY_URL=proxied, **grace)
    rid = new_id()
    seen: list[dict[str, Any]] = []
    reading = asyncio.create_task(collect_sse(a.url, f"/sse/topic/requests/{rid}", seen))
    try:
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
            await http.post(
                "/api/query-execution/execute",
                json={"sql": SLOW_QUERY.replace("0.02", "0.06"), "requestId": rid},
                headers={"Prefer": "respond-async"},
            )
            await wait_until(lambda: len(seen) >= 3)
            await proxy.stop()
            await asyncio.sleep(5)  # beyond the grace period, for both
            await proxy.start()
            await asyncio.wait_for(reading, 30)
            assert_one_request(seen)
            await wait_until_stored(history_url, rid, seen)
            assert await wait_for_events(http, rid) == seen
            assert (await http.get(f"/api/jobs/{rid}")).json()["status"] == "success"
            await asyncio.sleep(2)  # a few more heart-beats and looks for orphans
            assert "gone" not in a.log() + b.log()
    finally:
        await proxy.stop()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_a_history_database_that_stops_answering(
    servers: Any, history_url: str, database: TestDatabase
) -> None:
    """Nothing refused, nothing answered: writes give up after their time limit, delivery
    goes on meanwhile, and the server waits for the database without spinning."""
    proxy, server = await behind_proxy(
        servers, history_url, database, QUART_APP_HISTORY_TIMEOUT_SECONDS="2"
    )
    assert server.process is not None
    rid = new_id()
    seen: list[dict[str, Any]] = []
    reading = asyncio.create_task(collect_sse(server.url, f"/sse/topic/requests/{rid}", seen))
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            await http.post(
                "/api/query-execution/execute",
                json={"sql": SLOW_QUERY, "requestId": rid, "maxRows": 1000},
                headers={"Prefer": "respond-async"},
            )
            await wait_until(lambda: len(seen) >= 3)
            proxy.hang()
            cpu_before, wall_before = cpu_seconds(server.process.pid), time.monotonic()
            try:
                await asyncio.wait_for(reading, 30)  # the job ends, every event delivered live
            except TimeoutError:
                raise AssertionError(f"{len(seen)} events, then none:\n{server.log()}") from None
            assert_one_request(seen)
            refused = await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "database_unavailable"
            await asyncio.sleep(max(0.0, 8 - (time.monotonic() - wall_before)))
            busy = (cpu_seconds(server.process.pid) - cpu_before) / (time.monotonic() - wall_before)
            assert busy < 0.5, f"the server used {busy:.0%} of a core while waiting"
            proxy.resume()
            await wait_until_stored(history_url, rid, seen, timeout=60)
            assert await wait_for_events(http, rid) == seen
            assert (await http.get(f"/api/jobs/{rid}")).json()["status"] == "success"
    finally:
        await proxy.stop()
