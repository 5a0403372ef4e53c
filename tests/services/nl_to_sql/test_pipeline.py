"""The NL to SQL pipeline's events and entry points, with the offline engine."""

from __future__ import annotations

import asyncio
import itertools
import json

import httpx
import pytest

from tests.servers import ServerProcess, new_id
from tests.transports.stomp_clients import stomp_py
from tests.transports.test_sse import read_stream

QUESTION = "How many orders were shipped in 2024?"


async def test_conversion_events_follow_the_contract(http: httpx.AsyncClient) -> None:
    rid = new_id()
    response = await http.post(
        "/api/nl-to-sql/convert", json={"question": QUESTION, "requestId": rid}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"requestId", "sql", "engine", "model", "durationMs"}
    events = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    stages = [event["stage"] for event in events]
    assert stages[0] == "received"
    assert (
        stages.index("introspecting-schema")
        < stages.index("building-prompt")
        < stages.index("generating")
    )
    assert (
        stages.index("generating")
        < stages.index("validating")
        < stages.index("completed")
        == len(stages) - 1
    )
    assert {event["topic"] for event in events} == {"nl-to-sql"}
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress) and progress[-1] == 100
    partial = [
        event["metadata"]["partialSql"] for event in events if event["stage"] == "generating"
    ]
    assert len(partial) >= 3 and partial[-1] == body["sql"]
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(partial))
    final = events[-1]["metadata"]
    assert final == {
        "sql": body["sql"],
        "engine": "offline",
        "model": None,
        "durationMs": final["durationMs"],
        "interpretation": "count of orders · where orders.status = 'shipped' and "
        "orders.ordered_at in 2024 · ignored: were",
    }
    # The SQL did not run: no query-execution events, no result.
    assert (await http.get(f"/api/jobs/{rid}/result")).status_code == 404
    job = (await http.get(f"/api/jobs/{rid}")).json()
    assert job["status"] == "success" and job["question"] == QUESTION and job["sql"] == body["sql"]


async def test_execute_continues_under_the_same_request_on_one_stream(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    rid = new_id()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as streaming:
        reading = asyncio.create_task(read_stream(streaming, f"/sse/topic/requests/{rid}"))
        await asyncio.sleep(0.2)
        response = await http.post(
            "/api/nl-to-sql/convert", json={"question": QUESTION, "requestId": rid, "execute": True}
        )
        streamed = await asyncio.wait_for(reading, 30)  # ends after the request's last event
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["requestId"] == rid and result["rowCount"] == 1
    assert (await http.get(f"/api/jobs/{rid}/result")).json() == result
    topics = [event["topic"] for event in streamed]
    split = topics.index("query-execution")
    assert set(topics[:split]) == {"nl-to-sql"} and set(topics[split:]) == {"query-execution"}
    assert streamed[split - 1]["status"] == "success" and streamed[-1]["status"] == "success"
    assert [event["sequence"] for event in streamed] == list(range(1, len(streamed) + 1))
    assert streamed == (await http.get(f"/api/jobs/{rid}/events")).json()["events"]


async def test_failure_says_what_was_understood(http: httpx.AsyncClient) -> None:
    rid = new_id()
    response = await http.post(
        "/api/nl-to-sql/convert",
        json={
            "question": "What is the profit per product in 2024?",
            "requestId": rid,
            "execute": True,
        },
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "understood: tables products; time: in 2024" in message and "'profit'" in message
    events = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    assert events[-1]["metadata"]["failedStage"] == "generating"
    assert {event["topic"] for event in events} == {"nl-to-sql"}


async def test_schema_is_cached_and_refreshed_on_demand(http: httpx.AsyncClient) -> None:
    async def introspection(body: dict[str, object]) -> dict[str, object]:
        rid = new_id()
        await http.post(
            "/api/nl-to-sql/convert", json={"question": QUESTION, "requestId": rid, **body}
        )
        events = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
        return next(
            e["metadata"] for e in events if e["stage"] == "introspecting-schema" and e["metadata"]
        )

    await introspection({})  # the first question of the run may have to read it
    assert (await introspection({}))["cached"] is True
    refreshed = await introspection({"refreshSchema": True})
    assert refreshed == {"tables": 5, "cached": False}


def test_send_over_stomp(server: ServerProcess) -> None:
    rid = new_id()
    connection, collector = stomp_py(server.port)
    try:
        connection.subscribe(f"/topic/requests/{rid}", id="1")
        connection.send(
            "/app/nl-to-sql/convert",
            json.dumps(
                {"question": "Number of orders by status", "requestId": rid, "execute": True}
            ),
            headers={"receipt": "asked"},
        )
        assert collector.wait_for("RECEIPT")[0]["request-id"] == rid
        events = collector.events_until_terminal(rid, topic="query-execution")
    finally:
        connection.disconnect()
    assert events[-1]["metadata"]["rowCount"] == 5


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"question": ""},
        {"question": "   "},
        {"question": 5},
        {"question": "x", "execute": "yes"},
        {"question": "x" * 5000},
    ],
)
async def test_invalid_bodies(http: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await http.post("/api/nl-to-sql/convert", json=body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"
