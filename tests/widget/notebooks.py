"""Running the notebooks in notebooks/ with nbclient, and reading back their panels."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import asyncpg
import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
VEGA_LITE = "application/vnd.vegalite.v5+json"


def execute(name: str, env: dict[str, str], timeout: int = 120) -> Any:
    """The notebook executed top to bottom in a fresh kernel; raises on a cell's error."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute(env={**os.environ, **env})
    return notebook


def code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def panels(cell: Any, notebook: Any) -> list[dict[str, Any]]:
    """The saved state of each ProgressWidget shown in ``cell``."""
    states = notebook.metadata["widgets"][WIDGET_STATE]["state"]
    found = []
    for output in cell.outputs:
        view = output.get("data", {}).get(WIDGET_VIEW)
        if view:
            found.append(states[view["model_id"]]["state"])
    return found


def charts(cell: Any) -> list[dict[str, Any]]:
    """The Vega-Lite specs ``cell`` displayed, with their data."""
    return [
        output.data[VEGA_LITE] for output in cell.outputs if VEGA_LITE in output.get("data", {})
    ]


def text(cell: Any) -> str:
    """Everything a cell printed or displayed as plain text."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


async def active_sleeps(db: asyncpg.Connection, sql: str = "SELECT pg_sleep(60)") -> int:
    """How many backends are running ``sql`` right now."""
    count: int = await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE query = $1 AND state = 'active'", sql
    )
    return count


async def until_no_sleeps(db: asyncpg.Connection, sql: str = "SELECT pg_sleep(60)") -> None:
    for _ in range(50):
        if await active_sleeps(db, sql) == 0:
            return
        await asyncio.sleep(0.1)
    assert await active_sleeps(db, sql) == 0, f"{sql} still runs"
