"""A browser's own EventSource, in headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="needs Debian's chromium package (scripts/test installs it)",
    ),
]

FOLLOW = """
async ({ requestId, sql }) => {
  const events = [];
  const source = new EventSource(`/sse/topic/requests/${requestId}`);
  source.addEventListener("status", (e) => events.push({ id: e.lastEventId, event: JSON.parse(e.data) }));
  await new Promise((resolve, reject) => { source.onopen = resolve; setTimeout(() => reject("no open"), 5000); });
  const response = await fetch("/api/query-execution/execute", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sql, requestId }),
  });
  // The stream ends after the last event; the browser reconnects with Last-Event-ID,
  // gets 204 and stops for good (readyState CLOSED).
  const started = Date.now();
  while (source.readyState !== EventSource.CLOSED && Date.now() - started < 10000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { status: response.status, events, readyState: source.readyState };
}
"""


@pytest.fixture(name="page")
async def fixture_page(chromium: Any, server: ServerProcess) -> AsyncIterator[Any]:
    context = await chromium.new_context()
    page = await context.new_page()
    await page.goto(f"{server.url}/health")
    yield page
    await context.close()


async def test_event_source_follows_a_request_and_stops_after_it(
    page: Any, server: ServerProcess
) -> None:
    rid = f"b-{uuid.uuid4().hex[:12]}"
    result = await page.evaluate(
        FOLLOW, {"requestId": rid, "sql": "SELECT * FROM customers LIMIT 300"}
    )
    assert result["status"] == 200
    async with httpx.AsyncClient(base_url=server.url) as http:
        stored = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    assert [
        item["event"] for item in result["events"]
    ] == stored  # no gap, no duplicate after the reconnect
    assert [item["id"] for item in result["events"]] == [str(event["eventId"]) for event in stored]
    assert stored[-1]["metadata"]["rowCount"] == 300
    assert result["readyState"] == 2  # CLOSED: the 204 stopped the reconnecting
