"""The dashboard page at /, driven in headless Chromium."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package"),
]


@pytest.fixture(name="page")
async def fixture_page(chromium: Any, server: ServerProcess) -> AsyncIterator[Any]:
    context = await chromium.new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{server.url}/")
    yield page
    await context.close()
    assert errors == []


async def shown_event_ids(page: Any) -> list[int]:
    ids: list[int] = await page.eval_on_selector_all(
        "#current-stages li", "items => items.map(item => Number(item.dataset.eventId))"
    )
    return ids


async def test_run_sql_and_reload_mid_stream_loses_nothing(
    page: Any, server: ServerProcess
) -> None:
    await page.wait_for_selector("#connection[data-state=live]")
    await page.fill("#request-text", "SELECT g, pg_sleep(0.01) FROM generate_series(1, 300) AS g")
    await page.fill("#max-rows", "300")
    await page.click("#sql-button")
    await page.wait_for_selector("#current-stages li[data-stage=fetching]", timeout=10_000)
    request_id = await page.text_content("#current-id")
    await page.reload()  # mid-stream
    await page.wait_for_selector("#current-status[data-status=success]", timeout=20_000)
    assert await page.text_content("#current-id") == request_id
    assert (await page.text_content("#current-outcome")).startswith("300 rows")
    async with httpx.AsyncClient(base_url=server.url) as http:
        stored = (await http.get(f"/api/jobs/{request_id}/events")).json()["events"]
    assert await shown_event_ids(page) == [event["eventId"] for event in stored]
    stages = await page.eval_on_selector_all(
        "#current-stages li", "items => items.map(i => i.dataset.stage)"
    )
    assert (
        stages[:4] == ["received", "validating", "planning", "executing"]
        and stages[-1] == "completed"
    )
    await page.wait_for_selector(f"#jobs tr[data-request-id='{request_id}']")
    assert await page.locator("#current-result tbody tr").count() == 50  # a preview of the rows


async def test_ask_a_question_and_see_the_feed(page: Any) -> None:
    await page.fill("#request-text", "How many customers are there?")
    await page.click("#ask-button")
    await page.wait_for_selector("#current-status[data-status=success]", timeout=20_000)
    assert "FROM customers" in await page.text_content("#current-sql")
    assert (await page.text_content("#current-outcome")).startswith("1 row in")
    request_id = await page.text_content("#current-id")
    await page.wait_for_selector(f"#feed li >> text={request_id[:12]}")
    topics = await page.eval_on_selector_all(
        "#current-stages li", "items => items.map(i => i.textContent)"
    )
    assert any("nl · generating" in text for text in topics) and any(
        "sql · completed" in text for text in topics
    )


async def test_a_question_shows_how_the_offline_engine_read_it(page: Any) -> None:
    await page.fill("#request-text", "How many customers are there?")
    await page.click("#ask-button")
    await page.wait_for_selector("#current-status[data-status=success]", timeout=20_000)
    reading = page.locator("#current-sql + #current-interpretation")
    assert (await reading.text_content() or "").strip() and await reading.is_visible()
    await page.fill("#request-text", "SELECT 1 AS one")
    await page.click("#sql-button")  # a new request starts with no reading
    await page.wait_for_selector("#current-status[data-status=success]", timeout=20_000)
    assert await reading.text_content() == "" and not await reading.is_visible()


async def test_errors_are_shown(page: Any) -> None:
    await page.fill("#request-text", "DELETE FROM customers")
    await page.click("#sql-button")
    await page.wait_for_selector("#current-status[data-status=error]", timeout=10_000)
    assert "unsafe_sql" in await page.text_content("#current-outcome")


async def test_with_an_api_token_the_page_takes_it_from_its_address(
    chromium: Any, start_server: Callable[..., ServerProcess]
) -> None:
    token = "dash-" + uuid.uuid4().hex
    locked = start_server(QUART_APP_API_TOKEN=token, QUART_APP_HISTORY_URL="memory")
    context = await chromium.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"{locked.url}/?access_token={token}")
        await page.wait_for_selector("#connection[data-state=live]", timeout=10_000)
        await page.fill("#request-text", "SELECT 7 AS seven")
        await page.click("#sql-button")
        await page.wait_for_selector("#current-status[data-status=success]", timeout=20_000)
        assert await page.text_content("#current-result td") == "7"
    finally:
        await context.close()
