"""The real `sockjs-client` 1.6.1 under Node, carrying @stomp/stompjs, on each of its transports."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import ServerProcess

JS = Path(__file__).resolve().parent.parent / "js"
SCRIPT = JS / "sockjs_client.mjs"
CLIENT = JS / "node_modules" / "sockjs-client"
VENDORED = (
    Path(__file__).resolve().parents[2] / "quart_app/static/vendor/sockjs-client-1.6.1.min.js"
)
# What sockjs-client offers under Node (the others need a browser's document or XDR).
TRANSPORTS = ["websocket", "xhr-streaming", "xhr-polling", "eventsource"]
SHORT_LIMIT = 512

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None
    or not (JS / "node_modules" / "@stomp" / "stompjs").exists()
    or not CLIENT.exists(),
    reason="needs Node.js and `npm install` in tests/js (scripts/test does both)",
)


def run_client(server: ServerProcess, transport: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(SCRIPT), f"{server.url}/ws", transport, *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    # What sockjs-client opened, not what it was asked for: it would fall back silently.
    assert result["transport"] == transport
    return result


def stored_events(server: ServerProcess, rid: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/api/jobs/{rid}/events")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def check_messages(messages: list[dict[str, Any]], rid: str) -> None:
    for message in messages:
        assert message["headers"]["message-id"] == str(message["body"]["eventId"])
        assert message["headers"]["destination"] == f"/topic/requests/{rid}"
        assert message["headers"]["content-type"] == "application/json"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sockjs_client_follows_a_request(server: ServerProcess, transport: str) -> None:
    rid = f"sockjs-{transport}-{uuid.uuid4().hex[:12]}"
    result = run_client(
        server, transport, rid, "execute", "SELECT id, email FROM customers LIMIT 20"
    )
    assert result["connected"]["version"] == "1.2"
    assert result["connected"]["heart-beat"] == "1000,1000"
    assert result["receipt"] is not None and result["receipt"]["request-id"] == rid
    events = [message["body"] for message in result["messages"]]
    assert events == stored_events(server, rid)
    assert [event["stage"] for event in events][:2] == ["received", "validating"]
    assert events[-1]["stage"] == "completed"
    assert events[-1]["status"] == "success" and events[-1]["metadata"]["rowCount"] == 20
    check_messages(result["messages"], rid)
    assert result["closed"] is not None and result["closed"]["code"] == 1000


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sockjs_client_replays_after_last_event_id(server: ServerProcess, transport: str) -> None:
    rid = f"sockjs-replay-{transport}-{uuid.uuid4().hex[:12]}"
    response = httpx.post(
        f"{server.url}/api/query-execution/execute",
        json={"sql": "SELECT id FROM products LIMIT 5", "requestId": rid},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    history = stored_events(server, rid)
    assert len(history) >= 4 and history[-1]["stage"] == "completed"
    after = history[1]["eventId"]
    result = run_client(server, transport, rid, "replay", str(after))
    events = [message["body"] for message in result["messages"]]
    assert events == [event for event in history if event["eventId"] > after]
    assert events == history[2:]
    check_messages(result["messages"], rid)


@pytest.fixture(scope="module", name="short_responses")
def fixture_short_responses(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    """Streaming responses cut after 512 bytes of frames, and SockJS "h" frames every 0.2 s."""
    return start_server(
        QUART_APP_HISTORY_URL="memory",
        QUART_APP_SOCKJS_RESPONSE_LIMIT_BYTES=str(SHORT_LIMIT),
        QUART_APP_SOCKJS_HEARTBEAT_SECONDS="0.2",
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sockjs_client_across_many_responses(
    short_responses: ServerProcess, transport: str
) -> None:
    """A request whose events fill many streaming responses: the client reopens, loses nothing."""
    rid = f"sockjs-short-{transport}-{uuid.uuid4().hex[:12]}"
    # About a second of rows, so that `fetching` events keep coming and idle gaps get "h".
    sql = "SELECT id, pg_sleep(0.001) FROM page_views WHERE id <= 1000"
    result = run_client(short_responses, transport, rid, "execute", sql)
    events = [message["body"] for message in result["messages"]]
    assert events == stored_events(short_responses, rid)
    assert events[-1]["status"] == "success" and events[-1]["metadata"]["rowCount"] == 1000
    # More than a few limits' worth: on the streaming transports, several responses.
    assert len(json.dumps(events)) > 4 * SHORT_LIMIT
    check_messages(result["messages"], rid)


def test_vendored_client_is_the_npm_build() -> None:
    """The service serves, for the iframe page, exactly the build npm ships."""
    assert VENDORED.read_bytes() == (CLIENT / "dist" / "sockjs.min.js").read_bytes()
    assert json.loads((CLIENT / "package.json").read_text())["version"] == "1.6.1"
