"""The dashboard page at /, driven in headless Chromium."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from tests.offline import page_errors
from tests.servers import ServerProcess
from tests.widget.notebooks import until_no_sleeps

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package"),
]


@pytest.fixture(name="page")
async def fixture_page(chromium: Any, server: ServerProcess) -> AsyncIterator[Any]:
    context = await chromium.new_context()
    page = await context.new_page()
    errors = page_errors(page)
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


async def run_sql(page: Any, sql: str, status: str = "success") -> str:
    """Runs ``sql`` from the form and waits for its outcome; returns its requestId."""
    await page.fill("#request-text", sql)
    await page.click("#sql-button")
    await page.wait_for_selector(f"#current-status[data-status={status}]", timeout=20_000)
    return await page.text_content("#current-id") or ""


async def colour_of(page: Any, variable: str) -> str:
    """What the page's CSS variable ``variable`` computes to, as ``rgb(…)``."""
    colour: str = await page.evaluate(
        """variable => {
            const probe = document.body.appendChild(document.createElement("i"));
            probe.style.color = `var(${variable})`;
            const colour = getComputedStyle(probe).color;
            probe.remove();
            return colour;
        }""",
        variable,
    )
    return colour


async def test_run_sql_shows_the_sql_that_runs_also_after_a_reload(page: Any) -> None:
    sql = "SELECT 41 + 1 AS answer"
    await run_sql(page, sql)
    assert await page.text_content("#current-sql") == sql
    await page.reload()  # the events do not carry it: the page asks the job
    await page.wait_for_selector("#current-status[data-status=success]", timeout=20_000)
    await page.wait_for_function(f"document.querySelector('#current-sql').textContent === {sql!r}")


async def test_a_question_streams_its_sql_into_one_generating_row(
    page: Any, server: ServerProcess
) -> None:
    await page.fill("#request-text", "how many orders were shipped in 2024")
    await page.click("#ask-button")
    await page.wait_for_selector("#current-status[data-status=success]", timeout=20_000)
    request_id = await page.text_content("#current-id")
    async with httpx.AsyncClient(base_url=server.url) as http:
        stored = (await http.get(f"/api/jobs/{request_id}/events")).json()["events"]
    partials = [event for event in stored if event["stage"] == "generating"]
    final_sql = next(event for event in stored if event["stage"] == "completed")["metadata"]["sql"]
    assert len(partials) > 1  # the engine streamed it in pieces
    rows = page.locator("#current-stages li[data-stage=generating]")
    assert await rows.count() == 1
    characters = len(partials[-1]["metadata"]["partialSql"])
    assert f"{characters} characters" in (await rows.text_content() or "")
    assert await page.text_content("#current-sql") == final_sql
    assert "FROM orders" in final_sql


@pytest.mark.parametrize("sql", ["SELECT * FROM nope", "SELECT 1/0"])
async def test_a_failing_sql_is_shown_in_red_with_its_message(
    page: Any, server: ServerProcess, sql: str
) -> None:
    request_id = await run_sql(page, sql, status="error")
    async with httpx.AsyncClient(base_url=server.url) as http:
        stored = (await http.get(f"/api/jobs/{request_id}/events")).json()["events"]
    error = stored[-1]["metadata"]["error"]
    outcome = page.locator("#current-outcome")
    assert error["message"] in (await outcome.text_content() or "")
    bad = await colour_of(page, "--bad")
    bar = page.locator("#current-progress")
    assert await bar.evaluate("bar => getComputedStyle(bar).backgroundColor") == bad
    assert await bar.evaluate("bar => bar.style.width") == "100%"
    assert await outcome.evaluate("outcome => getComputedStyle(outcome).color") == bad
    assert await page.text_content("#current-sql") == sql


async def test_the_cancel_button_stops_the_statement(
    page: Any, server: ServerProcess, db: asyncpg.Connection
) -> None:
    sql = "SELECT pg_sleep(30), 'cancel-button'"
    assert await page.locator("#cancel-button").is_hidden()
    await page.fill("#request-text", sql)
    await page.click("#sql-button")
    await page.wait_for_selector("#current-stages li[data-stage=executing]", timeout=10_000)
    await page.click("#cancel-button")
    await page.wait_for_selector("#current-status[data-status=cancelled]", timeout=5_000)
    assert await page.locator("#cancel-button").is_hidden()
    assert "cancelled by request" in (await page.text_content("#current-outcome") or "")
    await until_no_sleeps(db, sql)  # the database stopped it, not only the page


async def test_a_cancelled_request_is_shown_as_such(page: Any, server: ServerProcess) -> None:
    await page.fill("#request-text", "SELECT pg_sleep(10)")
    await page.click("#sql-button")
    await page.wait_for_selector("#current-stages li[data-stage=executing]", timeout=10_000)
    request_id = await page.text_content("#current-id")
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.post(f"/api/jobs/{request_id}/cancel")).status_code == 202
    await page.wait_for_selector("#current-status[data-status=cancelled]", timeout=10_000)
    assert "cancelled by request" in (await page.text_content("#current-outcome") or "")
    warn = await colour_of(page, "--warn")
    colour = await page.eval_on_selector(
        "#current-progress", "bar => getComputedStyle(bar).backgroundColor"
    )
    assert colour == warn


async def test_a_large_result_says_it_is_being_prepared(page: Any) -> None:
    await page.evaluate(
        """() => {
            window.steps = [];
            new MutationObserver(() => window.steps.push(
                document.querySelector("#current-step").textContent)
            ).observe(document.querySelector("#current-step"), {childList: true});
        }"""
    )
    await page.fill("#max-rows", "200000")
    await run_sql(page, "SELECT g, repeat('x', 20) AS filler FROM generate_series(1, 200000) AS g")
    steps: list[str] = await page.evaluate("window.steps")
    fetched = max(i for i, step in enumerate(steps) if step.startswith("Fetched"))
    assert "preparing result…" in steps[fetched:]
    assert await page.text_content("#current-step") == ""  # finished: no step under way


@pytest.mark.parametrize("width", [800, 1280])
async def test_the_layout_holds_at_common_widths(
    chromium: Any, server: ServerProcess, width: int
) -> None:
    context = await chromium.new_context(viewport={"width": width, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(f"{server.url}/")
        long_sql = "SELECT " + ", ".join(f"{n} AS a_rather_long_column_name_{n}" for n in range(12))
        request_id = await run_sql(page, long_sql)
        row = page.locator(f"#jobs tr[data-request-id='{request_id}']")
        await row.wait_for()
        assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        jobs = await page.locator("section.card:has(#jobs)").bounding_box()
        feed = await page.locator("section.card:has(#feed)").bounding_box()
        table = await page.locator("#jobs").bounding_box()
        assert await one_line(row.locator("td").first)
        assert not overlap(jobs, feed) and not overlap(table, feed)
        assert table["x"] + table["width"] <= jobs["x"] + jobs["width"]
        assert await row.locator("td").first.get_attribute("title") == request_id
        assert await one_line(page.locator("#feed li span:nth-child(2)").first)
    finally:
        await context.close()


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def one_line(element: Any) -> bool:
    """Whether the element's text sits on one line: one line box, one line high."""
    lines: bool = await element.evaluate(
        """element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            const tops = new Set([...range.getClientRects()].map(box => Math.round(box.top)));
            const line = parseFloat(getComputedStyle(element).lineHeight);
            return tops.size === 1 && range.getBoundingClientRect().height <= line * 1.2;
        }"""
    )
    return lines
