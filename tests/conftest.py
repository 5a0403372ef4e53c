from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from quart_app.storage import demo_data
from tests import event_hygiene
from tests.servers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ServerProcess,
    TestDatabase,
    scratch_database,
    stop_all,
)


@pytest.fixture(scope="session", name="database")
def fixture_database() -> Iterator[TestDatabase]:
    """The demo data set in a database of this run's own, dropped at the end."""
    with scratch_database() as database:

        async def load() -> None:
            connection = await asyncpg.connect(database.url)
            try:
                await demo_data.load(connection, lambda: asyncpg.connect(database.url))
            finally:
                await connection.close()

        asyncio.run(load())
        yield database
        read, found = asyncio.run(event_hygiene.leaks(database.url))
        assert not found, f"{len(found)} of {read} stored events carry what they must not:\n" + (
            "\n".join(found[:10])
        )


@pytest.fixture(scope="session", name="start_server")
def fixture_start_server(database: TestDatabase) -> Iterator[Callable[..., ServerProcess]]:
    """Starts ``python -m quart_app`` on the test database with extra settings; stopped at the end."""
    started: list[ServerProcess] = []

    def start(**settings: str) -> ServerProcess:
        env = {
            "DATABASE_URL": database.reader_url,
            "QUART_APP_HISTORY_URL": database.url,
            "QUART_APP_SSE_PING_SECONDS": "1",
            "QUART_APP_STOMP_HEARTBEAT_MS": "1000",
            "QUART_APP_STOMP_MAX_FRAME_BYTES": "65536",
            **settings,
        }
        server = ServerProcess(env).start()
        started.append(server)
        return server

    yield start
    stop_all(started)


@pytest.fixture(scope="session", name="server")
def fixture_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server()


@pytest.fixture(scope="session", name="wildcard_server")
def fixture_wildcard_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    """Listening on 0.0.0.0, as QUART_APP_LISTEN_HOST says, with no API token."""
    return start_server(QUART_APP_HISTORY_URL="memory", QUART_APP_LISTEN_HOST="0.0.0.0")


@pytest.fixture(name="http")
async def fixture_http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(name="db")
async def fixture_db(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database.url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="session", name="chromium")
async def fixture_chromium() -> AsyncIterator[Any]:
    """One headless Chromium for the run; each test opens a context of its own in it."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_ARGS)
        )
        yield browser
        await browser.close()
