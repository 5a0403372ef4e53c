"""What no status event may carry: result rows, connection strings, secrets, stack traces.

The suite's shared history keeps every event of every server that used it; at
the end of the run ``conftest.py`` reads them all and fails the run on any of
these.
"""

from __future__ import annotations

import re

import asyncpg

FORBIDDEN = {
    "a stack trace": re.compile(r"Traceback \(most recent call last\)|File \"/"),
    "a connection string": re.compile(r"postgres(ql)?://"),
    # The demo data set's e-mail addresses appear only in result rows.
    "a result row": re.compile(r"[a-z]+\.[a-z]+\d+@example\.com"),
    # The secrets the tests give their servers.
    "an API key or token": re.compile(r"test-key|s3cret-[0-9a-f]|dash-[0-9a-f]"),
}


async def leaks(url: str) -> tuple[int, list[str]]:
    """How many events were read, and what those that carry something forbidden carry."""
    connection = await asyncpg.connect(url)
    try:
        if await connection.fetchval("SELECT to_regclass('quart_app.status_events')") is None:
            return 0, []
        bodies = [
            row["body"]
            for row in await connection.fetch(
                "SELECT body FROM quart_app.status_events ORDER BY event_id"
            )
        ]
    finally:
        await connection.close()
    found = [
        f"{what}: {body[:300]}"
        for body in bodies
        for what, pattern in FORBIDDEN.items()
        if pattern.search(body)
    ]
    return len(bodies), found
