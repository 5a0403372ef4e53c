"""The pages a browser opens work with no internet: every request that would leave the
machine is refused, and the pages still render from what the service itself serves."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package"),
]

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(name="offline")
async def fixture_offline(chromium: Any) -> AsyncIterator[tuple[Any, list[str]]]:
    """A page whose every request off this machine is aborted, and the list of them."""
    context = await chromium.new_context()
    refused: list[str] = []

    async def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK or route.request.url.startswith(
            ("data:", "blob:")
        ):
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_loopback)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, refused
    await context.close()
    assert errors == []


async def test_the_api_docs_list_the_operations_with_no_internet(
    offline: tuple[Any, list[str]], server: ServerProcess
) -> None:
    page, refused = offline
    await page.goto(f"{server.url}/docs")
    paths = page.locator(".opblock-summary-path")
    await paths.first.wait_for(timeout=20_000)
    shown = set(await paths.all_inner_texts())
    assert {"/api/nl-to-sql/convert", "/api/query-execution/execute", "/api/jobs"} <= {
        path.replace("\u200b", "") for path in shown
    }
    assert refused == []


async def test_the_dashboard_loads_everything_from_the_service(
    offline: tuple[Any, list[str]], server: ServerProcess
) -> None:
    page, refused = offline
    await page.goto(f"{server.url}/", wait_until="networkidle")
    assert await page.locator("form").count() >= 1
    assert refused == []
