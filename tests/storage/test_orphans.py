"""Jobs left running by a process that is gone are ended by the others, once, as a client expects.

A killed process is shown end to end in test_durable_history.py and a cut-off one in
test_history_outage.py; here the rows such processes leave behind are written straight
into the history database, so that every case of what was left is covered.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import httpx

from tests.servers import collect_sse, new_id, wait_until

GRACE = {"QUART_APP_PROCESS_GRACE_SECONDS": "1"}

Step = tuple[str, str, str, int | None, bool]  # topic, status, stage, progress, final


async def leave_behind(
    connection: asyncpg.Connection,
    request_id: str,
    topic: str,
    steps: list[Step],
    *,
    owner: str | None,
) -> None:
    """What a process that died leaves: its job `running`, and the events it had stored."""
    async with connection.transaction():
        await connection.execute(
            """
            INSERT INTO quart_app.jobs (request_id, topic, status, created_at, owner)
            VALUES ($1, $2, 'running', now() - interval '3 seconds', $3)
            """,
            request_id,
            topic,
            owner,
        )
        last = await connection.fetchval(
            "UPDATE quart_app.event_ids SET last_id = last_id + $1 RETURNING last_id", len(steps)
        )
        for offset, (step_topic, status, stage, progress, final) in enumerate(steps):
            event_id = last - len(steps) + 1 + offset
            body = {
                "eventId": event_id,
                "requestId": request_id,
                "topic": step_topic,
                "status": status,
                "stage": stage,
                "message": stage,
                "progress": progress,
                "sequence": offset + 1,
                "timestamp": "2026-11-26T00:00:00.000Z",
                "metadata": {},
            }
            await connection.execute(
                """
                INSERT INTO quart_app.status_events (event_id, request_id, topic, final, body)
                VALUES ($1, $2, $3, $4, $5)
                """,
                event_id,
                request_id,
                step_topic,
                final,
                json.dumps(body),
            )


async def test_what_a_gone_process_left_is_ended_once(servers: Any, history_url: str) -> None:
    server = servers(**GRACE)
    other = servers(**GRACE)  # two processes look for orphans: each is still ended once
    fetching, converted, finished, unowned, nothing = (new_id() for _ in range(5))
    streams: list[dict[str, Any]] = []
    # A client following the request, as it would have been: the end reaches it.
    following = asyncio.create_task(
        collect_sse(server.url, f"/sse/topic/requests/{fetching}", streams)
    )
    connection = await asyncpg.connect(history_url)
    try:
        await wait_until(lambda: "Running on" in server.log() and "Running on" in other.log())
        qe = "query-execution"
        await leave_behind(
            connection,
            fetching,
            qe,
            [
                (qe, "progress", "received", 0, False),
                (qe, "progress", "executing", 20, False),
                (qe, "progress", "fetching", 55, False),
            ],
            owner="killed",
        )
        # NL → SQL then execute: the conversion ended, the execution had not begun.
        await leave_behind(
            connection,
            converted,
            "nl-to-sql",
            [
                ("nl-to-sql", "progress", "received", 0, False),
                ("nl-to-sql", "success", "completed", 100, False),
            ],
            owner="killed",
        )
        # Its last event was stored, and the process died before saving the job.
        await leave_behind(
            connection,
            finished,
            qe,
            [(qe, "progress", "received", 0, False), (qe, "success", "completed", 100, True)],
            owner="killed",
        )
        # From a version without heart-beats: nothing says whether its process is alive.
        await leave_behind(
            connection, unowned, qe, [(qe, "progress", "received", 0, False)], owner=None
        )
        # No event stored at all.
        await leave_behind(connection, nothing, "nl-to-sql", [], owner="killed")
    finally:
        await connection.close()

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:

        async def job(request_id: str) -> dict[str, Any]:
            body: dict[str, Any] = (await http.get(f"/api/jobs/{request_id}")).json()
            return body

        async def events(request_id: str) -> list[dict[str, Any]]:
            body = (await http.get(f"/api/jobs/{request_id}/events")).json()
            return list(body["events"])

        for request_id in (fetching, converted, finished, nothing):
            for _ in range(100):
                if (await job(request_id))["status"] != "running":
                    break
                await asyncio.sleep(0.1)
        await asyncio.wait_for(following, 10)

        ended = await events(fetching)
        assert streams == ended
        assert [e["sequence"] for e in ended] == [1, 2, 3, 4]
        last = ended[-1]
        assert (last["topic"], last["status"], last["stage"]) == (qe, "error", "failed")
        assert last["progress"] == 55  # progress never drops, and is not faked to 100
        assert last["metadata"] == {
            "error": {
                "code": "internal",
                "message": "the server process running this request stopped before it finished",
            },
            "failedStage": "fetching",
        }
        assert last["message"].startswith("Failed while fetching: ")
        fetching_job = await job(fetching)
        assert fetching_job["status"] == "error"
        assert fetching_job["error"]["code"] == "internal"
        assert fetching_job["finishedAt"] is not None and fetching_job["durationMs"] >= 3000

        tail = (await events(converted))[2:]
        assert [(e["topic"], e["status"], e["sequence"]) for e in tail] == [(qe, "error", 3)]
        assert tail[0]["metadata"]["failedStage"] == "received"
        assert (await job(converted))["status"] == "error"

        assert len(await events(finished)) == 2  # nothing added after its last event
        assert (await job(finished))["status"] == "success"

        only = await events(nothing)
        assert [(e["topic"], e["status"], e["sequence"]) for e in only] == [
            ("nl-to-sql", "error", 1)
        ]

        assert (await job(unowned))["status"] == "running"
        assert len(await events(unowned)) == 1

    # Each was ended by one of the two processes, never by both.
    logs = server.log() + other.log()
    assert logs.count("was left running by a process that is gone") == 3
    assert logs.count("had ended; saved as success") == 1
