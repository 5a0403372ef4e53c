"""The notebooks, executed top to bottom by nbclient against a real server."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.servers import ServerProcess
from tests.widget.notebooks import charts, code_cells, execute, panels, text

NL_STAGES = ["received", "introspecting-schema", "building-prompt", "generating", "validating"]
SQL_STAGES = ["received", "validating", "planning", "executing", "fetching"]


def stages(panel: dict[str, Any], topic: str) -> list[str]:
    return [entry["stage"] for entry in panel["timeline"] if entry["topic"] == topic]


def cell_starting(notebook: Any, prefix: str) -> Any:
    return next(cell for cell in code_cells(notebook) if cell.source.startswith(prefix))


@pytest.fixture(scope="module", name="quickstart")
def fixture_quickstart(server: ServerProcess) -> Any:
    return execute(
        "quickstart.ipynb", {"QUART_APP_URL": server.url, "QUART_APP_WIDGET_MODE": "kernel"}
    )


def test_quickstart_asks_and_the_panel_records_every_stage(quickstart: Any) -> None:
    cell = cell_starting(quickstart, "top = client.ask")
    [panel] = panels(cell, quickstart)
    assert panel["status"] == "success" and panel["row_count"] == 5
    assert stages(panel, "nl-to-sql") == [*NL_STAGES, "completed"]
    assert stages(panel, "query-execution") == [*SQL_STAGES, "completed"]
    assert panel["progress"] == 100 and panel["duration_ms"] > 0
    assert panel["sql"].startswith("SELECT") and "LIMIT 5" in panel["sql"]
    assert panel["preview"]["columns"] == ["customer_id", "name", "revenue"]
    assert len(panel["preview"]["rows"]) == 5 and panel["preview"]["numeric"] == [True, False, True]
    # The output's plain-text form, for viewers without widgets, says how it ended.
    assert ": success, 5 rows" in text(cell)
    assert "customer_id" in text(cell)  # the DataFrame itself


def test_quickstart_runs_sql_and_the_magic(quickstart: Any, server: ServerProcess) -> None:
    [run] = panels(cell_starting(quickstart, "categories = client.run"), quickstart)
    assert run["status"] == "success" and run["kind"] == "run" and run["row_count"] == 8
    assert stages(run, "nl-to-sql") == [] and stages(run, "query-execution")[-1] == "completed"
    magic = cell_starting(quickstart, "%%ask per_month <<")
    [asked] = panels(magic, quickstart)
    assert asked["title"] == "How many page views per month in 2024?"  # {year} filled in
    assert asked["status"] == "success" and asked["row_count"] == 12
    assert "month" in text(cell_starting(quickstart, "per_month.head(3)"))
    assert all(panel["url"] == server.url and panel["mode"] == "kernel" for panel in (run, asked))


def test_quickstart_keeps_its_charts_in_the_saved_outputs(quickstart: Any) -> None:
    """The charts are Vega-Lite outputs with their rows: a saved notebook draws them again
    with no server and no kernel."""
    magic = cell_starting(quickstart, "%%ask per_month <<")
    [line] = charts(magic)
    assert line["mark"]["type"] == "line" and len(line["data"]["values"]) == 12
    assert line["usermeta"]["kinds"] == ["line", "bar", "table"]
    [asked] = panels(magic, quickstart)
    assert asked["chart_kinds"] == ["line", "bar", "table"] and asked["chart_kind"] == "line"
    [bars] = charts(cell_starting(quickstart, "from widget import chart"))
    assert bars["mark"] == {"type": "bar"} and bars["data"]["values"] == line["data"]["values"]
    assert "'kind': 'line'" in text(cell_starting(quickstart, 'per_month.attrs["chart"]'))
    # Three columns (an id, a name, a number) suit no chart: the table alone.
    assert charts(cell_starting(quickstart, "top = client.ask")) == []


def test_quickstart_cancels(quickstart: Any) -> None:
    [panel] = panels(cell_starting(quickstart, "job = client.start"), quickstart)
    assert panel["status"] == "cancelled" and panel["error"]["code"] == "cancelled"
    assert stages(panel, "query-execution")[-1] == "cancelled"
    assert text(cell_starting(quickstart, "job.cancel()")).startswith("cancelled: ")


def test_quickstart_looks_at_history(quickstart: Any) -> None:
    jobs = text(cell_starting(quickstart, "client.jobs("))
    assert "cancelled" in jobs and "success" in jobs
    events = text(cell_starting(quickstart, "client.events("))
    assert "introspecting-schema" in events and "completed" in events
    [watched] = panels(cell_starting(quickstart, "client.watch("), quickstart)
    [asked] = panels(cell_starting(quickstart, "top = client.ask"), quickstart)
    assert watched["request_id"] == asked["request_id"]
    assert watched["status"] == "success" and watched["timeline"] == asked["timeline"]


async def test_live_progress_notebook(server: ServerProcess, db: asyncpg.Connection) -> None:
    notebook = execute(
        "live_progress.ipynb", {"QUART_APP_URL": server.url, "QUART_APP_WIDGET_MODE": "kernel"}
    )
    expected = await db.fetchval("SELECT count(*) FROM page_views WHERE viewed_at >= '2025-01-01'")
    cell = cell_starting(notebook, "views = client.run")
    [scan] = panels(cell, notebook)
    assert scan["status"] == "success" and scan["row_count"] == expected
    assert f"({expected}, False)" in text(cell)
    # Progress was reported against the planner's estimate while rows came in.
    assert scan["estimated_rows"] > 100_000
    fetching = next(entry for entry in scan["timeline"] if entry["stage"] == "fetching")
    assert "Fetched" in fetching["message"]
    [started] = panels(cell_starting(notebook, "import time"), notebook)
    assert started["status"] == "success" and started["row_count"] == 400_000
    assert started["truncated"] is True  # 2,000,000 rows, maxRows 400,000
    [asked] = panels(cell_starting(notebook, 'client.ask("number of page views'), notebook)
    assert asked["status"] == "success" and asked["row_count"] == 36
    assert "generating" in stages(asked, "nl-to-sql") and "page_views" in asked["sql"]


def test_browser_mode_without_a_browser_still_ends_with_the_outcome(
    server: ServerProcess,
) -> None:
    """No front end follows the events here; the kernel writes the outcome it received."""
    notebook = execute(
        "quickstart.ipynb", {"QUART_APP_URL": server.url, "QUART_APP_WIDGET_MODE": "browser"}
    )
    [asked] = panels(cell_starting(notebook, "top = client.ask"), notebook)
    assert asked["mode"] == "browser" and asked["status"] == "success"
    assert asked["row_count"] == 5 and len(asked["preview"]["rows"]) == 5
    [cancelled] = panels(cell_starting(notebook, "job = client.start"), notebook)
    assert cancelled["status"] == "cancelled"
    [watched] = panels(cell_starting(notebook, "client.watch("), notebook)
    assert watched["status"] == "success" and stages(watched, "query-execution")
