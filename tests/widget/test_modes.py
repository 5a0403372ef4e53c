"""The client's two ways of filling the panel, outside a notebook (the panel's comm is a dummy).

Kernel mode starts the request with ``Prefer: respond-async`` and follows its
events over SSE from the calling code; browser mode posts and waits, leaving the
events to the panel's front end, and writes the outcome it received.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.servers import ServerProcess, TcpProxy
from widget import Client, ProgressWidget, RequestFailed


def panel_of(job: object) -> ProgressWidget:
    widget = job.widget  # type: ignore[attr-defined]
    assert isinstance(widget, ProgressWidget)
    return widget


@pytest.mark.parametrize("mode", ["kernel", "browser"])
def test_a_started_run_ends_in_the_panel(server: ServerProcess, mode: str) -> None:
    client = Client(server.url, widget=True, mode=mode)  # type: ignore[arg-type]
    job = client.start("SELECT id, price FROM products ORDER BY id", max_rows=3)
    frame = job.wait()
    panel = panel_of(job)
    assert frame["id"].tolist() == [1, 2, 3] and frame.attrs["truncated"] is True
    assert panel.status == "success" and panel.row_count == 3 and panel.truncated
    assert panel.preview["columns"] == ["id", "price"] and len(panel.preview["rows"]) == 3
    assert panel.preview["numeric"] == [True, True]
    timeline = [entry["stage"] for entry in panel.timeline]
    if mode == "kernel":  # every event went through the panel, once
        assert timeline == [
            "received",
            "validating",
            "planning",
            "executing",
            "fetching",
            "completed",
        ]
        assert panel.estimated_rows is not None and panel.progress == 100
        assert panel.duration_ms is not None and panel.duration_ms >= 0
    else:  # the events are the browser's to show; the kernel wrote the outcome
        assert timeline == []


def test_kernel_mode_ask_streams_the_sql_into_the_panel(server: ServerProcess) -> None:
    client = Client(server.url, widget=True, mode="kernel")
    job = client.start(question="Number of orders by status")
    frame = job.wait()
    panel = panel_of(job)
    assert len(frame) == 5 and frame.attrs["sql"] == panel.sql
    stages = [(entry["topic"], entry["stage"]) for entry in panel.timeline]
    assert ("nl-to-sql", "generating") in stages and stages[-1] == ("query-execution", "completed")
    assert panel.status == "success" and panel.row_count == 5
    sql = client.start(question="Number of orders by status", execute=False).wait()
    assert sql == frame.attrs["sql"]


@pytest.mark.parametrize(
    ("sql", "code"),
    [("DELETE FROM customers", "unsafe_sql"), ("SELECT nope FROM customers", "sql_error")],
)
def test_kernel_mode_failures_raise_and_show(server: ServerProcess, sql: str, code: str) -> None:
    client = Client(server.url, widget=True, mode="kernel")
    job = client.start(sql)
    with pytest.raises(RequestFailed) as raised:
        job.wait()
    assert raised.value.code == code and raised.value.request_id == job.request_id
    panel = panel_of(job)
    assert panel.status == "error" and panel.error["code"] == code
    assert panel.timeline[-1]["stage"] == "failed"
    assert f"error, {code}: " in repr(panel)


async def test_kernel_mode_async_twin(server: ServerProcess) -> None:
    client = Client(server.url, widget=True, mode="kernel")
    frame = await client.aask("How many customers are there?")
    assert frame.iloc[0, 0] == 10_000


async def test_kernel_mode_reconnects_and_replays_after_a_dropped_stream(
    server: ServerProcess,
) -> None:
    proxy = TcpProxy(("127.0.0.1", server.port))
    await proxy.start()
    client = Client(f"http://127.0.0.1:{proxy.port}", widget=True, mode="kernel")
    job = await asyncio.to_thread(client.start, "SELECT pg_sleep(1.5), 1 AS one")

    async def outage() -> None:
        await asyncio.sleep(0.6)
        await proxy.stop()  # every connection dropped, the SSE stream among them
        await asyncio.sleep(0.3)
        await proxy.start()

    try:
        dropped = asyncio.create_task(outage())
        frame = await asyncio.to_thread(job.wait)
        await dropped
    finally:
        await proxy.stop()
    panel = panel_of(job)
    assert frame["one"].tolist() == [1] and panel.status == "success"
    stages = [entry["stage"] for entry in panel.timeline]
    assert stages == ["received", "validating", "planning", "executing", "fetching", "completed"]


def test_a_stale_browser_update_does_not_undo_the_outcome(server: ServerProcess) -> None:
    """The browser's update sent just before it learnt of the end arrives after it."""
    client = Client(server.url, widget=True, mode="browser")
    job = client.start("SELECT 1 AS one")
    job.wait()
    panel = panel_of(job)
    final = (panel.status, panel.stage, panel.progress, panel.message)
    assert final[0] == "success" and re.fullmatch(r"1 row in \d+ ms", panel.message)
    panel.set_state({"status": "running", "stage": "fetching", "progress": 80, "message": "x"})
    assert (panel.status, panel.stage, panel.progress, panel.message) == final
    panel.set_state({"timeline": [{"topic": "query-execution", "stage": "received"}]})
    assert panel.timeline  # what the browser saw is still taken
