"""The processes sharing a history database, and the jobs left running by those that are gone.

Each process has a row in ``quart_app.processes`` whose ``seen_at`` it refreshes
every few seconds (its heart-beat), and its jobs name it as their ``owner``. A
running job whose owner has not been seen for the grace period is an orphan:
see ``services/orphans.py`` for what the other processes do with it.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import asyncpg


async def register(connection: asyncpg.Connection, process_id: str) -> None:
    await connection.execute(
        "INSERT INTO quart_app.processes (id, host, pid) VALUES ($1, $2, $3)",
        process_id,
        socket.gethostname(),
        os.getpid(),
    )


async def heartbeat(connection: asyncpg.Connection, process_id: str) -> float | None:
    """Mark the process seen now; how many seconds it had gone unseen (None: its row was gone)."""
    unseen: float | None = await connection.fetchval(
        """
        UPDATE quart_app.processes AS p
           SET seen_at = now()
          FROM (SELECT seen_at FROM quart_app.processes WHERE id = $1 FOR UPDATE) AS before
         WHERE p.id = $1
        RETURNING extract(epoch FROM now() - before.seen_at)::float8
        """,
        process_id,
    )
    if unseen is None:
        await register(connection, process_id)
    return unseen


async def forget(connection: asyncpg.Connection, process_id: str) -> None:
    """The process stops: its jobs, if any are left running, are orphans at once."""
    await connection.execute("DELETE FROM quart_app.processes WHERE id = $1", process_id)


async def forget_gone(connection: asyncpg.Connection, grace: float) -> None:
    """Drop the rows of processes long gone whose jobs have all ended."""
    await connection.execute(
        """
        DELETE FROM quart_app.processes AS p
         WHERE seen_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM quart_app.jobs AS j
                            WHERE j.owner = p.id AND j.status = 'running')
        """,
        grace,
    )


async def orphans(
    connection: asyncpg.Connection, process_id: str, grace: float
) -> list[asyncpg.Record]:
    """Running jobs of other processes not seen for ``grace`` seconds (or no longer known).

    Jobs without an owner were started by a version that did not record one:
    nothing tells whether their process is alive, so they are left alone.
    """
    rows: list[asyncpg.Record] = await connection.fetch(
        """
        SELECT j.request_id, j.topic, j.owner
          FROM quart_app.jobs AS j
         WHERE j.status = 'running' AND j.owner IS NOT NULL AND j.owner <> $1
           AND NOT EXISTS (SELECT 1 FROM quart_app.processes AS p
                            WHERE p.id = j.owner
                              AND p.seen_at >= now() - make_interval(secs => $2))
         ORDER BY j.created_at
        """,
        process_id,
        grace,
    )
    return rows


async def end_orphan(
    connection: asyncpg.Connection,
    request_id: str,
    owner: str,
    status: str,
    error: dict[str, Any] | None,
) -> bool:
    """Mark an orphan ended; False when it is not one any more (ended, or taken by another)."""
    result = await connection.execute(
        """
        UPDATE quart_app.jobs
           SET status = $3, finished_at = now(), error = $4::jsonb,
               duration_ms = (extract(epoch FROM now() - created_at) * 1000)::integer
         WHERE request_id = $1 AND owner = $2 AND status = 'running'
        """,
        request_id,
        owner,
        status,
        json.dumps(error) if error is not None else None,
    )
    return bool(result == "UPDATE 1")


async def ended_jobs(connection: asyncpg.Connection, request_ids: list[str]) -> set[str]:
    """Which of these jobs are no longer running in the history database."""
    rows = await connection.fetch(
        """
        SELECT request_id FROM quart_app.jobs
         WHERE request_id = ANY($1::text[]) AND status <> 'running'
        """,
        request_ids,
    )
    return {row["request_id"] for row in rows}
