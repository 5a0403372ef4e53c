"""The widget in a real JupyterLab, driven by Playwright in headless Chromium.

The panel's front end follows the request from the server itself (browser mode),
so these tests watch its DOM while the kernel is busy, click its Cancel button, and
check what it wrote back into the saved notebook.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.offline import offline_context
from tests.servers import ServerProcess
from tests.widget.jupyterlab import JupyterLab
from tests.widget.notebooks import NOTEBOOKS, WIDGET_STATE, active_sleeps, until_no_sleeps

# Set to a directory to keep screenshots of the finished panel (docs/ keeps them).
SCREENSHOTS = os.environ.get("WIDGET_SCREENSHOTS")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="needs Debian's chromium package (scripts/test installs it)",
    ),
]

SETUP = "from widget import Client, RequestFailed\nclient = Client()"
STOMP_SETUP = 'from widget import Client\nclient = Client(transport="stomp")'
# The browser cannot reach this address: Cancel has to go through the kernel.
UNREACHABLE_SETUP = (
    "from widget import Client, RequestFailed\n"
    'client = Client(mode="kernel", browser_url="http://127.0.0.1:9")'
)
BUSY = (
    "import time\n"
    'job = client.start("SELECT pg_sleep(1.5), count(*) AS views FROM page_views")\n'
    "time.sleep(8)  # the kernel stays busy; the panel must not wait for it\n"
    'print("slept")'
)
BLOCKED = (
    "try:\n"
    '    client.run("SELECT pg_sleep(60)")\n'
    "except RequestFailed as error:\n"
    '    print("stopped:", error)'
)

# Snapshots of every panel (title, status, current stage, rows line), taken every 20 ms.
RECORD = """
() => {
  window.__panels = [];
  setInterval(() => {
    document.querySelectorAll(".qa-panel").forEach((panel, index) => {
      const snapshot = {
        index,
        title: panel.querySelector(".qa-title")?.textContent,
        status: panel.dataset.status,
        stage: panel.querySelector(".qa-stages li[data-state=current]")?.dataset.stage ?? null,
      };
      const last = window.__panels.filter((seen) => seen.index === index).at(-1);
      if (!last || last.status !== snapshot.status || last.stage !== snapshot.stage) window.__panels.push(snapshot);
    });
  }, 20);
}
"""

# WCAG contrast between an element's text colour and the first opaque background behind it.
CONTRAST = """
(element) => {
  // null when the panel re-rendered under us (a detached node has no computed style)
  if (!element.isConnected) return null;
  const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  let node = element;
  let background = null;
  while (node && node.nodeType === 1) {
    const color = rgb(getComputedStyle(node).backgroundColor);
    if (color.length === 3 || color[3] > 0.9) { background = color.slice(0, 3); break; }
    node = node.parentElement;
  }
  background ??= [255, 255, 255];
  const [a, b] = [luminance(rgb(getComputedStyle(element).color).slice(0, 3)), luminance(background)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""


def write_notebook(path: Path, *sources: str) -> None:
    notebook = new_notebook(
        cells=[new_code_cell(source) for source in sources],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, path)


def start_lab(root: Path, server: ServerProcess) -> JupyterLab:
    for name in ("quickstart.ipynb", "live_progress.ipynb"):
        shutil.copy(NOTEBOOKS / name, root / name)
    write_notebook(root / "busy.ipynb", SETUP, BUSY)
    write_notebook(root / "busy-stomp.ipynb", STOMP_SETUP, BUSY)
    write_notebook(root / "blocked.ipynb", SETUP, BLOCKED)
    write_notebook(
        root / "kernel-cancel.ipynb",
        UNREACHABLE_SETUP,
        'job = client.start("SELECT pg_sleep(60)")',
    )
    return JupyterLab(root, env={"QUART_APP_URL": server.url, "QUART_APP_WIDGET_MODE": "browser"})


@pytest.fixture(scope="module", name="lab")
def fixture_lab(
    server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    lab = start_lab(tmp_path_factory.mktemp("lab"), server)
    yield lab
    lab.close()


@pytest.fixture(name="page")
async def fixture_page(chromium: Any) -> AsyncIterator[Any]:
    # With no internet: JupyterLab and the panel load everything from this machine.
    context, refused = await offline_context(chromium, viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    yield page
    await context.close()
    assert refused == []


async def open_notebook(page: Any, lab: JupyterLab, name: str) -> None:
    await page.goto(f"{lab.url}/lab/tree/{name}?reset")  # without the last test's tabs
    await page.wait_for_function(
        "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=60_000,
    )


async def command(page: Any, name: str) -> None:
    # Not awaited in the page: run-all resolves only once every cell has run.
    await page.evaluate("(name) => { window.jupyterapp.commands.execute(name); }", name)


async def kernel_status(page: Any) -> str:
    status: str = await page.eval_on_selector(
        ".jp-Notebook-ExecutionIndicator", "node => node.dataset.status"
    )
    return status


async def wait_idle(page: Any, timeout: float = 90_000) -> None:
    # Busy first (the run has begun), then idle again (every cell has run).
    await page.wait_for_function(
        """() => {
          const cells = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
          const done = cells.every((prompt) => /\\[\\d+\\]/.test(prompt.textContent));
          return done && document.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status === 'idle';
        }""",
        timeout=timeout,
    )


def saved_panels(path: Path) -> list[dict[str, Any]]:
    notebook = json.loads(path.read_text())
    states = notebook["metadata"]["widgets"][WIDGET_STATE]["state"]
    return [entry["state"] for entry in states.values() if entry["model_name"] == "AnyModel"]


async def test_quickstart_panels_go_through_their_stages(page: Any, lab: JupyterLab) -> None:
    await open_notebook(page, lab, "quickstart.ipynb")
    await page.evaluate(RECORD)
    await command(page, "notebook:run-all-cells")
    await wait_idle(page)

    # The first of two: client.watch shows the same request again at the end.
    panels = page.locator(".qa-panel", has=page.locator(".qa-title", has_text="top 5 customers"))
    assert await panels.count() == 2
    panel = panels.first
    assert await panel.get_attribute("data-status") == "success"  # the cell has returned
    assert re.fullmatch(r"5 rows in \d+ ms", await panel.locator(".qa-message").inner_text())
    assert await panel.locator(".qa-preview tbody tr").count() == 5
    assert (await panel.locator(".qa-sql").inner_text()).startswith("SELECT")
    # The offline engine's reading of the question, under the SQL.
    reading = await panel.locator(".qa-sql + .qa-interpretation").inner_text()
    assert reading.startswith("sum of ") and "per customers" in reading, reading
    done = await panel.locator(".qa-stages li[data-state=done]").all_inner_texts()
    assert done[:6] == ["received", "schema", "prompt", "generating", "validating", "done"]
    assert len(done) == 12  # both topics, every stage

    snapshots = await page.evaluate("window.__panels")
    seen = [s for s in snapshots if s["title"] == "top 5 customers by revenue"]
    assert seen[-1]["status"] == "success"
    assert any(s["status"] == "running" and s["stage"] for s in seen), (
        seen
    )  # live, not only the end
    statuses = {s["title"]: s["status"] for s in snapshots}
    assert statuses["SELECT pg_sleep(30)"] == "cancelled"
    assert statuses["How many page views per month in 2024?"] == "success"

    # What the browser saw is written back to the model, and saved with the notebook.
    await command(page, "docmanager:save")
    await page.wait_for_timeout(500)
    saved = {p["title"]: p for p in saved_panels(lab.root / "quickstart.ipynb")}
    asked = saved["top 5 customers by revenue"]
    assert asked["status"] == "success" and asked["row_count"] == 5
    assert len(asked["timeline"]) == 12 and asked["connection"] in {"live", "done"}
    assert saved["SELECT pg_sleep(30)"]["status"] == "cancelled"
    if SCREENSHOTS:
        await panel.screenshot(path=str(Path(SCREENSHOTS) / "widget-light.png"))


@pytest.mark.parametrize("notebook", ["busy.ipynb", "busy-stomp.ipynb"])
async def test_panel_stays_live_while_the_kernel_is_busy(
    page: Any, lab: JupyterLab, notebook: str
) -> None:
    """Over SSE (EventSource) and over STOMP on /ws, the browser's own subscription."""
    await open_notebook(page, lab, notebook)
    await command(page, "notebook:run-all-cells")
    panel = page.locator(".qa-panel")
    await panel.wait_for()
    running = await page.wait_for_function(
        "() => document.querySelector('.qa-panel')?.dataset.status === 'running'", timeout=20_000
    )
    assert running
    started = time.monotonic()
    await page.wait_for_function(
        "() => document.querySelector('.qa-panel')?.dataset.status === 'success'", timeout=20_000
    )
    # The query ended and the panel showed it while the cell was still sleeping.
    assert await kernel_status(page) == "busy"
    assert "slept" not in await page.locator(".jp-OutputArea-output").all_inner_texts()
    assert time.monotonic() - started < 6
    assert "1 row" in await panel.locator(".qa-message").inner_text()
    await wait_idle(page)
    outputs = await page.locator(".jp-OutputArea-output").all_inner_texts()
    assert any("slept" in text for text in outputs)


async def test_cancel_button_stops_the_query(
    page: Any, lab: JupyterLab, server: ServerProcess, db: asyncpg.Connection
) -> None:
    await open_notebook(page, lab, "blocked.ipynb")
    await command(page, "notebook:run-all-cells")
    panel = page.locator(".qa-panel")
    await panel.locator("li[data-stage=executing][data-state=current]").wait_for(timeout=20_000)
    request_id = (await panel.locator(".qa-foot").inner_text()).split(" ")[0]
    assert await active_sleeps(db) == 1
    clicked = time.monotonic()
    await panel.locator(".qa-cancel").click()
    await page.wait_for_function(
        "() => document.querySelector('.qa-panel')?.dataset.status === 'cancelled'", timeout=10_000
    )
    shown = time.monotonic() - clicked
    assert shown < 5, shown
    assert (await panel.locator(".qa-error").inner_text()).startswith("cancelled: ")
    await until_no_sleeps(db)  # the backend really stopped, not just the panel
    # The blocked cell got its answer: RequestFailed with the cancelled code.
    await wait_idle(page, timeout=20_000)
    outputs = "\n".join(await page.locator(".jp-OutputArea-output").all_inner_texts())
    assert "stopped: cancelled: " in outputs
    async with httpx.AsyncClient(base_url=server.url) as http:
        job = (await http.get(f"/api/jobs/{request_id}")).json()
    assert job["status"] == "cancelled"


async def test_cancel_goes_through_the_kernel_when_the_browser_cannot_reach_the_server(
    page: Any, lab: JupyterLab, db: asyncpg.Connection
) -> None:
    await open_notebook(page, lab, "kernel-cancel.ipynb")
    await command(page, "notebook:run-all-cells")
    await wait_idle(page)
    panel = page.locator(".qa-panel")
    assert "updated by the kernel" in await panel.locator(".qa-foot").inner_text()
    assert await active_sleeps(db) == 1
    await panel.locator(".qa-cancel").click()
    await until_no_sleeps(db)


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
async def test_panel_is_readable_in_light_and_dark_themes(
    page: Any, lab: JupyterLab, theme: str
) -> None:
    lab.choose_theme(theme)  # for the page opened next
    try:
        name = f"theme-{theme.split()[-1].lower()}.ipynb"
        write_notebook(lab.root / name, SETUP, 'client.ask("top 5 customers by revenue")')
        await open_notebook(page, lab, name)
        await command(page, "notebook:run-all-cells")
        panel = page.locator(".qa-panel[data-status=success]")
        await panel.locator(".qa-preview").wait_for(timeout=30_000)
        dark = await page.evaluate("document.body.dataset.jpThemeLight === 'false'")
        assert dark == (theme == "JupyterLab Dark")
        for part in (".qa-title", ".qa-sql", ".qa-preview td", ".qa-stages li[data-state=done]"):
            ratio = None
            for _ in range(50):  # the panel may re-render as its state settles
                ratio = await panel.locator(part).first.evaluate(CONTRAST)
                if ratio is not None:
                    break
                await asyncio.sleep(0.1)
            assert ratio is not None and ratio >= 4.5, (theme, part, ratio)
        if SCREENSHOTS and dark:  # the light one comes from the quickstart test
            await panel.screenshot(path=str(Path(SCREENSHOTS) / "widget-dark.png"))
    finally:
        lab.choose_theme(None)  # the other tests' pages show the default again


VEGA_MIME = "application/vnd.vegalite.v5+json"


async def until_count(locator: Any, expected: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while (count := await locator.count()) != expected:
        assert time.monotonic() < deadline, f"{count} of {expected}"
        await asyncio.sleep(0.1)


async def test_charts_are_drawn_under_the_panels_and_switch(page: Any, lab: JupyterLab) -> None:
    """JupyterLab draws each chart itself, from the Vega-Lite output the kernel shows; the
    panel's buttons switch it through the kernel. Marks are counted in the SVG."""
    write_notebook(
        lab.root / "charts.ipynb",
        SETUP,
        'revenue = client.ask("revenue per month in 2024")',
        'statuses = client.ask("orders per status")',
    )
    await open_notebook(page, lab, "charts.ipynb")
    await command(page, "notebook:run-all-cells")
    await wait_idle(page)
    line, bars = page.locator(".jp-CodeCell").nth(1), page.locator(".jp-CodeCell").nth(2)
    points = line.locator(".jp-RenderedVegaLite svg .mark-symbol path")
    await until_count(points, 12)
    await until_count(bars.locator(".jp-RenderedVegaLite svg .mark-rect path"), 5)
    assert await line.locator(".qa-chart-switch button[aria-pressed=true]").inner_text() == "Line"
    if SCREENSHOTS:
        for cell, name in ((line, "line"), (bars, "bar")):
            path = Path(SCREENSHOTS) / f"chart-widget-{name}.png"
            await cell.locator(".jp-RenderedVegaLite").screenshot(path=str(path))

    # Bars for the same months, then the table alone: the kernel redraws the output.
    await line.locator(".qa-chart-switch button[data-kind=bar]").click()
    await until_count(line.locator(".jp-RenderedVegaLite svg .mark-rect path"), 12)
    await line.locator(".qa-chart-switch button[data-kind=table]").click()
    await until_count(line.locator(".jp-RenderedVegaLite"), 0)
    assert await line.locator(".qa-preview tbody tr").count() == 10  # the panel's table stays

    # The saved notebook holds the chart with its rows: it draws again with no server.
    await command(page, "docmanager:save")
    await page.wait_for_timeout(500)
    saved = json.loads((lab.root / "charts.ipynb").read_text())
    [spec] = [
        out["data"][VEGA_MIME]
        for out in saved["cells"][2]["outputs"]
        if VEGA_MIME in out.get("data", {})
    ]
    assert spec["mark"] == {"type": "bar"} and len(spec["data"]["values"]) == 5
