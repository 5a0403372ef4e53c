"""The Host check, the guard against DNS rebinding: the rule as a table, then on a live server."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable

import httpx
import pytest
import websocket

from quart_app.errors import ForbiddenHost
from quart_app.hosts import AllowedHosts, check_host, host_name, listens_everywhere
from tests.servers import ServerProcess

LOOPBACK = AllowedHosts.build("", "127.0.0.1")
WILDCARD = AllowedHosts.build("", "0.0.0.0", ["build-box", "build-box.lan.example."])
CONFIGURED = AllowedHosts.build("Notebook.Example:8888, *.corp.example, [fe80::1]", "127.0.0.1")


@pytest.mark.parametrize(
    ("allowed", "host", "served"),
    [
        (LOOPBACK, "localhost", True),
        (LOOPBACK, "localhost:8080", True),
        (LOOPBACK, "LOCALHOST:8080", True),
        (LOOPBACK, "localhost.:8080", True),
        (LOOPBACK, "127.0.0.1:8080", True),
        (LOOPBACK, "[::1]:8080", True),
        (LOOPBACK, "[::1]", True),
        (LOOPBACK, "app.localhost:8080", True),
        (LOOPBACK, None, True),  # HTTP/1.0 without Host: no browser
        (LOOPBACK, "evil.example", False),
        (LOOPBACK, "evil.example:8080", False),
        (LOOPBACK, "localhost.evil.example", False),
        (LOOPBACK, "evillocalhost", False),
        (LOOPBACK, "10.1.2.3:8080", False),  # an address, but not one listened on
        (LOOPBACK, "", True),  # what an HTTP/1.0 request without Host arrives as
        (LOOPBACK, "::1", False),  # an IPv6 address needs its brackets
        (LOOPBACK, "localhost:80:80", False),
        (LOOPBACK, "localhost:http", False),
        (LOOPBACK, "local host", False),
        (LOOPBACK, "localhost\x00.evil.example", False),
        (LOOPBACK, "[evil.example]:8080", False),
        (WILDCARD, "10.1.2.3:8080", True),
        (WILDCARD, "[2001:db8::5]:8080", True),
        (WILDCARD, "build-box:8080", True),
        (WILDCARD, "build-box.lan.example", True),
        (WILDCARD, "localhost", True),
        (WILDCARD, "evil.example:8080", False),
        (WILDCARD, "10.1.2.3.evil.example", False),
        (CONFIGURED, "notebook.example", True),
        (CONFIGURED, "notebook.example:9999", True),  # ports are ignored
        (CONFIGURED, "jupyter.corp.example", True),
        (CONFIGURED, "corp.example", False),  # "*.name" is its subdomains
        (CONFIGURED, "[fe80::1]:8080", True),
        (CONFIGURED, "evil.example", False),
        (AllowedHosts.build("*", "127.0.0.1"), "evil.example", True),
        (AllowedHosts.build("", "192.168.1.20"), "192.168.1.20:8080", True),
        (AllowedHosts.build("", "192.168.1.20"), "192.168.1.21:8080", False),
        (AllowedHosts.build("", "::"), "[2001:db8::5]", True),
        (AllowedHosts.build("", "app.internal"), "app.internal:8080", True),
    ],
)
def test_hosts_served(allowed: AllowedHosts, host: str | None, served: bool) -> None:
    assert allowed.allows(host) is served


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("evil.example:8080", "'evil.example:8080'"),
        ("x" * 300, "'" + "x" * 100 + "'"),  # a long Host is cut in the message
        ("[::1", "'[::1'"),
    ],
)
def test_a_refused_host_is_named_in_the_answer(host: str, says: str) -> None:
    check_host("localhost:8080", LOOPBACK)
    with pytest.raises(ForbiddenHost, match="QUART_APP_ALLOWED_HOSTS") as refused:
        check_host(host, LOOPBACK)
    assert f"host name {says}:" in str(refused.value)


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("Example.COM:8080", "example.com"),
        ("example.com.", "example.com"),
        ("[::1]:80", "::1"),
        ("[::1]x", None),
        ("[::1", None),
        ("[1.2.3.4]", None),
        ("1.2.3.4:99999", "1.2.3.4"),
        ("1.2.3.4:123456", None),
        ("exämple.com", None),
        ("", None),
    ],
)
def test_host_names_are_read_from_host_headers(host: str, name: str | None) -> None:
    assert host_name(host) == name


@pytest.mark.parametrize(
    ("listen_host", "wildcard"),
    [("0.0.0.0", True), ("::", True), ("[::]", True), ("127.0.0.1", False), ("::1", False)],
)
def test_wildcard_addresses(listen_host: str, wildcard: bool) -> None:
    assert listens_everywhere(listen_host) is wildcard


async def test_requests_naming_another_host_are_refused_on_every_transport(
    server: ServerProcess,
) -> None:
    evil = {"Host": "evil.example"}
    rid = f"host-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        refused = await http.post(
            "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}, headers=evil
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden_host"
        assert "QUART_APP_ALLOWED_HOSTS" in refused.json()["error"]["message"]
        assert refused.headers["connection"] == "close"
        assert (await http.get(f"/api/jobs/{rid}")).status_code == 404  # nothing ran
        for path in ("/health", "/api/jobs", "/", f"/sse/topic/requests/{rid}"):
            response = await http.get(path, headers=evil)
            assert response.status_code == 403, path
            assert response.json()["error"]["code"] == "forbidden_host", path
        # A rebinding page is same-origin to the browser: Origin names the evil host too.
        both = {**evil, "Origin": "http://evil.example"}
        assert (await http.get("/sse/topic/query-execution", headers=both)).status_code == 403

        local = {"Host": f"localhost:{server.port}"}
        answered = await http.post(
            "/api/query-execution/execute",
            json={"sql": "SELECT 1", "requestId": rid},
            headers=local,
        )
        assert answered.status_code == 200 and answered.json()["rows"] == [[1]]
        async with http.stream("GET", "/sse/topic/query-execution", headers=local) as stream:
            assert stream.status_code == 200
    with pytest.raises(websocket.WebSocketBadStatusException) as handshake:
        websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/ws",
            subprotocols=["v12.stomp"],
            host="evil.example",
            timeout=10,
        )
    assert handshake.value.status_code == 403
    assert b"forbidden_host" in (handshake.value.resp_body or b"")
    _stomp_connects(server.port, f"localhost:{server.port}")


async def test_a_request_without_host_is_served(server: ServerProcess) -> None:
    """HTTP/1.0 without ``Host``, as a load balancer's health check sends it: no browser
    sends such a request, so it cannot be a rebinding page's."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"GET /health HTTP/1.0\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


async def test_more_host_names_can_be_allowed(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server(QUART_APP_ALLOWED_HOSTS="evil.example", QUART_APP_HISTORY_URL="memory")
    evil = {"Host": "evil.example:8080"}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        response = await http.post(
            "/api/query-execution/execute", json={"sql": "SELECT 1"}, headers=evil
        )
        assert response.status_code == 200
        async with http.stream("GET", "/sse/topic/query-execution", headers=evil) as stream:
            assert stream.status_code == 200
        other = await http.get("/api/jobs", headers={"Host": "other.example"})
        assert other.status_code == 403
    _stomp_connects(server.port, "evil.example")


async def test_on_a_wildcard_address_any_ip_address_and_the_machine_name_are_served(
    wildcard_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=wildcard_server.url, timeout=30) as http:
        for host in ("10.1.2.3", "[2001:db8::5]:8080", socket.gethostname()):
            response = await http.get("/api/jobs", headers={"Host": host})
            assert response.status_code == 200, host
        refused = await http.get("/api/jobs", headers={"Host": "evil.example"})
        assert refused.status_code == 403
    assert "listening on 0.0.0.0 without QUART_APP_API_TOKEN" in wildcard_server.log()


def _stomp_connects(port: int, host: str) -> None:
    connection = websocket.create_connection(
        f"ws://127.0.0.1:{port}/ws", subprotocols=["v12.stomp"], host=host, timeout=10
    )
    try:
        connection.send("CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\0")
        assert str(connection.recv()).startswith("CONNECTED")
    finally:
        connection.close()
