"""The dashboard draws the followed request's chart beside its table, with no internet:
Vega comes from the service itself. Marks are counted in the chart's SVG."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.offline import offline_context, page_errors
from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package"),
]

# Set to a directory to keep a screenshot of each chart (docs/ keeps them).
SCREENSHOTS = os.environ.get("CHART_SCREENSHOTS")
POINTS = ".result-chart svg .mark-symbol path"
BARS = ".result-chart svg .mark-rect path"


@pytest.fixture(name="page")
async def fixture_page(chromium: Any, server: ServerProcess) -> AsyncIterator[Any]:
    context, refused = await offline_context(chromium, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors = page_errors(page)
    await page.goto(f"{server.url}/")
    yield page
    await context.close()
    assert errors == []
    assert refused == [], "the page asked for something off this machine"


async def ask(page: Any, question: str) -> None:
    await page.fill("#request-text", question)
    await page.click("#ask-button")
    await page.wait_for_selector("#current-status[data-status=success]", timeout=30_000)
    await page.wait_for_selector(".result-chart svg", timeout=20_000)


async def marks(page: Any, selector: str) -> int:
    count: int = await page.locator(selector).count()
    return count


async def switch(page: Any, kind: str) -> None:
    await page.click(f".chart-switch button[data-kind={kind}]")
    await page.wait_for_selector(f".chart-switch button[data-kind={kind}][aria-pressed=true]")


async def test_revenue_per_month_is_a_line_of_twelve_points(page: Any) -> None:
    await ask(page, "revenue per month in 2024")
    assert await page.get_attribute(".result-chart", "data-kind") == "line"
    assert await marks(page, POINTS) == 12
    assert await marks(page, ".result-chart svg .mark-line path") == 1
    assert await page.locator("#current-result tbody tr").count() == 12, "the table beside it"
    labels = await page.locator(".result-chart svg .role-axis-label text").all_text_contents()
    assert "2024" in " ".join(labels) or "Jan" in " ".join(labels), labels
    if SCREENSHOTS:
        await page.locator("#current").screenshot(
            path=str(Path(SCREENSHOTS) / "chart-dashboard-line.png")
        )

    # The user may switch: the same months as bars, then the table alone.
    await switch(page, "bar")
    await page.wait_for_selector(".result-chart[data-kind=bar]")
    assert await marks(page, BARS) == 12
    await switch(page, "table")
    assert await page.locator(".result-chart").is_hidden()
    assert await page.locator("#current-result tbody tr").count() == 12
    await switch(page, "line")
    await page.wait_for_selector(".result-chart[data-kind=line]:visible")
    assert await marks(page, POINTS) == 12


async def test_orders_per_status_is_five_bars(page: Any) -> None:
    await ask(page, "orders per status")
    assert await page.get_attribute(".result-chart", "data-kind") == "bar"
    assert await marks(page, BARS) == 5
    kinds = await page.eval_on_selector_all(
        ".chart-switch button", "buttons => buttons.map((b) => b.dataset.kind)"
    )
    assert kinds == ["bar", "line", "table"]
    if SCREENSHOTS:
        await page.locator("#current").screenshot(
            path=str(Path(SCREENSHOTS) / "chart-dashboard-bar.png")
        )


async def test_a_result_with_no_chart_shows_the_table_alone(page: Any) -> None:
    await page.fill("#request-text", "SELECT id, name, email FROM customers ORDER BY id LIMIT 3")
    await page.click("#sql-button")
    await page.wait_for_selector("#current-status[data-status=success]", timeout=20_000)
    await page.wait_for_selector("#current-result tbody tr")
    assert await page.locator(".result-chart").count() == 0
    assert await page.locator(".chart-switch").count() == 0
