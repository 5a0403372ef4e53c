"""Processes sharing a history database of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.servers import ServerProcess, TestDatabase, stop_all


@pytest.fixture(name="history_url")
async def fixture_history_url(db: asyncpg.Connection, database: TestDatabase) -> AsyncIterator[str]:
    """A history database of this test's own, so that processes sharing it share nothing else."""
    name = f"quart_app_history_{uuid.uuid4().hex[:8]}"
    await db.execute(f'CREATE DATABASE "{name}"')
    yield database.url.replace(f"/{database.name}", f"/{name}")
    await db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(name="servers")
def fixture_servers(database: TestDatabase, history_url: str) -> Any:
    """Starts processes sharing ``history_url`` (unless told another); all stopped at the end."""
    started: list[ServerProcess] = []

    def start(port: int | None = None, **settings: str) -> ServerProcess:
        env = {
            "DATABASE_URL": database.reader_url,
            "QUART_APP_HISTORY_URL": history_url,
            **settings,
        }
        server = ServerProcess(env, port=port).start()
        started.append(server)
        return server

    yield start
    stop_all(started)
