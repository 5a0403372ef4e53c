"""Server-Sent Events at /sse/topic/..., with httpx-sse and raw HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.servers import ServerProcess, new_id
from tests.transports.stomp_clients import stomp_py


async def read_stream(client: httpx.AsyncClient, path: str, **kwargs: Any) -> list[dict[str, Any]]:
    events = []
    async with aconnect_sse(client, "GET", path, **kwargs) as source:
        source.response.raise_for_status()
        async for sse in source.aiter_sse():
            if not sse.data:  # the opening "retry:" block, which browsers do not dispatch
                assert sse.retry == 3000
                continue
            assert sse.event == "status"
            event = json.loads(sse.data)
            assert sse.id == str(event["eventId"])
            events.append(event)
    return events


async def test_seed_flow(server: ServerProcess, http: httpx.AsyncClient) -> None:
    rid = new_id()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as streaming:
        async with aconnect_sse(streaming, "GET", f"/sse/topic/requests/{rid}") as source:
            headers = source.response.headers
            assert headers["content-type"].startswith("text/event-stream")
            assert headers["cache-control"] == "no-cache"
            response = await http.post(
                "/api/query-execution/execute",
                json={"sql": "SELECT * FROM products", "requestId": rid},
            )
            assert response.status_code == 200
            events = []
            async for sse in source.aiter_sse():  # ends by itself after the request's last event
                if sse.data:
                    events.append(json.loads(sse.data))
    assert events == (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    assert events[-1]["status"] == "success" and events[-1]["metadata"]["rowCount"] == 500


async def test_stream_starts_with_retry_and_pings_when_idle(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        async with client.stream("GET", "/sse/topic/nl-to-sql") as response:
            received = b""
            started = time.monotonic()
            async for chunk in response.aiter_bytes():
                received += chunk
                if b": ping" in received:
                    break
    assert received.startswith(b"retry: 3000\n\n")
    assert time.monotonic() - started < 5  # QUART_APP_SSE_PING_SECONDS=1 in the tests


async def test_replay_with_last_event_id_header_and_query(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    rid = new_id()
    await http.post("/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid})
    stored = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        assert await read_stream(client, f"/sse/topic/requests/{rid}?lastEventId=0") == stored
        middle = str(stored[2]["eventId"])
        assert (
            await read_stream(
                client, f"/sse/topic/requests/{rid}", headers={"Last-Event-ID": middle}
            )
            == stored[3:]
        )
        # The header wins over the query parameter, as on an EventSource reconnect.
        assert (
            await read_stream(
                client,
                f"/sse/topic/requests/{rid}?lastEventId=0",
                headers={"Last-Event-ID": middle},
            )
            == stored[3:]
        )
        finished = await client.get(
            f"/sse/topic/requests/{rid}", headers={"Last-Event-ID": str(stored[-1]["eventId"])}
        )
        assert finished.status_code == 204
        assert (await client.get(f"/sse/topic/requests/{rid}")).status_code == 204


async def test_topic_stream_replays_then_goes_live(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    first = new_id()
    await http.post("/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": first})
    stored = (await http.get(f"/api/jobs/{first}/events")).json()["events"]
    second = new_id()
    events: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        async with aconnect_sse(
            client,
            "GET",
            "/sse/topic/query-execution",
            headers={"Last-Event-ID": str(stored[-3]["eventId"])},
        ) as source:
            post = asyncio.create_task(
                http.post(
                    "/api/query-execution/execute", json={"sql": "SELECT 2", "requestId": second}
                )
            )
            async for sse in source.aiter_sse():
                if not sse.data:
                    continue
                event = json.loads(sse.data)
                events.append(event)
                if event["requestId"] == second and event["status"] != "progress":
                    break
            await post
    assert events[:2] == stored[-2:]
    live = [event for event in events if event["requestId"] == second]
    assert live == (await http.get(f"/api/jobs/{second}/events")).json()["events"]
    ids = [event["eventId"] for event in events]
    assert ids == sorted(set(ids))


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/sse/topic/other", {}, 404),
        ("/sse/topic/requests/bad%20id", {}, 404),
        ("/sse/topic/nl-to-sql", {"Last-Event-ID": "abc"}, 400),
        ("/sse/topic/nl-to-sql?lastEventId=-1", {}, 400),
    ],
)
async def test_bad_streams_get_clear_errors(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], status: int
) -> None:
    response = await http.get(path, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["message"]


async def test_stomp_and_sse_deliver_the_same_events(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    rid = new_id()
    connection, collector = await asyncio.to_thread(stomp_py, server.port)
    try:
        connection.subscribe(f"/topic/requests/{rid}", id="1", headers={"receipt": "ready"})
        await asyncio.to_thread(collector.wait_for, "RECEIPT")
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            reading = asyncio.create_task(read_stream(client, f"/sse/topic/requests/{rid}"))
            await asyncio.sleep(0.2)
            await http.post(
                "/api/query-execution/execute",
                json={"sql": "SELECT * FROM orders", "requestId": rid, "maxRows": 30000},
            )
            over_sse = await reading
        over_stomp = await asyncio.to_thread(collector.events_until_terminal, rid)
        raw_stomp = [headers["message-id"] for headers, _ in collector.messages]
    finally:
        connection.disconnect()
    assert len(over_sse) >= 6
    assert over_stomp == over_sse
    assert raw_stomp == [str(event["eventId"]) for event in over_sse]


async def test_line_separators_in_names_do_not_split_an_event(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    """U+2028 and its kin are no line ends of an event stream: a column named with them
    arrives in one piece, in the columns and in the chart."""
    rid = new_id()
    name = "a\u2028b\u2029c\x85d"
    sql = f'SELECT country AS "{name}", count(*) AS n FROM customers GROUP BY 1'
    response = await http.post("/api/query-execution/execute", json={"sql": sql, "requestId": rid})
    assert response.status_code == 200
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as streaming:
        events = await read_stream(streaming, f"/sse/topic/requests/{rid}?lastEventId=0")
    completed = events[-1]["metadata"]
    assert completed["columns"][0]["name"] == name
    assert completed["chart"]["usermeta"]["kind"] == "bar"
