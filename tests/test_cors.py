"""CORS: notebooks and pages on localhost may call REST and SSE; other origins may not."""

from __future__ import annotations

import httpx
import pytest

from tests.servers import ServerProcess


@pytest.mark.parametrize("origin", ["http://localhost:8888", "http://127.0.0.1:8890"])
async def test_localhost_origins_are_allowed(http: httpx.AsyncClient, origin: str) -> None:
    preflight = await http.options(
        "/api/query-execution/execute",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, prefer",
        },
    )
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "prefer" in preflight.headers["access-control-allow-headers"].lower()
    response = await http.post(
        "/api/query-execution/execute", json={"sql": "SELECT 1"}, headers={"Origin": origin}
    )
    assert response.headers["access-control-allow-origin"] == origin
    async with http.stream("GET", "/sse/topic/nl-to-sql", headers={"Origin": origin}) as stream:
        assert stream.headers["access-control-allow-origin"] == origin


async def test_other_origins_get_no_cors_headers(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/query-execution/execute",
        json={"sql": "SELECT 1"},
        headers={"Origin": "http://evil.example"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_allow_list_is_configurable(start_server: object) -> None:
    server: ServerProcess = start_server(QUART_APP_CORS_ORIGINS="https://hub.example.com")  # type: ignore[operator]
    async with httpx.AsyncClient(base_url=server.url) as http:
        allowed = await http.get("/api/jobs", headers={"Origin": "https://hub.example.com"})
        refused = await http.get("/api/jobs", headers={"Origin": "http://localhost:8888"})
    assert allowed.headers["access-control-allow-origin"] == "https://hub.example.com"
    assert "access-control-allow-origin" not in refused.headers
