"""GET /api/jobs/{id}/chart against a real server: the suggested chart, another kind the
shape offers, and clear refusals."""

from __future__ import annotations

from typing import Any

import httpx

from tests.servers import new_id

STATUSES = "SELECT status, count(*) AS n FROM orders GROUP BY status"


async def execute(http: httpx.AsyncClient, sql: str) -> tuple[str, dict[str, Any]]:
    request_id = new_id()
    response = await http.post(
        "/api/query-execution/execute", json={"sql": sql, "requestId": request_id}
    )
    assert response.status_code == 200, response.text
    return request_id, response.json()


async def test_the_suggested_chart_and_another_kind(http: httpx.AsyncClient) -> None:
    request_id, result = await execute(http, STATUSES)
    suggested = (await http.get(f"/api/jobs/{request_id}/chart")).json()
    assert suggested == result["chart"] and suggested["usermeta"]["kind"] == "bar"
    assert suggested["data"] == {"name": "result"}
    line = await http.get(f"/api/jobs/{request_id}/chart", params={"kind": "line"})
    assert line.status_code == 200 and line.json()["mark"]["type"] == "line"
    events = (await http.get(f"/api/jobs/{request_id}/events")).json()["events"]
    assert events[-1]["metadata"]["chart"] == suggested, "the completed event carries it"


async def test_a_kind_the_shape_does_not_offer_is_refused_saying_what_it_offers(
    http: httpx.AsyncClient,
) -> None:
    request_id, _ = await execute(http, STATUSES)
    scatter = await http.get(f"/api/jobs/{request_id}/chart", params={"kind": "scatter"})
    assert scatter.status_code == 404
    assert "its result offers bar, line" in scatter.json()["error"]["message"]
    table = await http.get(f"/api/jobs/{request_id}/chart", params={"kind": "table"})
    assert table.status_code == 400 and table.json()["error"]["code"] == "invalid_request"


async def test_a_result_with_no_chart_and_a_job_with_no_result(http: httpx.AsyncClient) -> None:
    request_id, result = await execute(http, "SELECT id, name, email FROM customers LIMIT 3")
    assert result["chart"] is None
    answer = await http.get(f"/api/jobs/{request_id}/chart")
    assert answer.status_code == 404 and "its shape has none" in answer.json()["error"]["message"]
    unknown = await http.get(f"/api/jobs/{new_id()}/chart")
    assert unknown.status_code == 404
