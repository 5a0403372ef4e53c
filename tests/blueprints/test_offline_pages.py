"""The pages a browser opens work with no internet: every request that would leave the
machine is refused, and the pages still render from what the service itself serves. (The
widget in JupyterLab is tested the same way: tests/widget/test_jupyterlab.py.)"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.offline import offline_context
from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package"),
]


@pytest.fixture(name="offline")
async def fixture_offline(chromium: Any) -> AsyncIterator[tuple[Any, list[str]]]:
    """A page whose every request off this machine is aborted, and the list of them."""
    context, refused = await offline_context(chromium)
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
