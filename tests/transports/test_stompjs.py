"""@stomp/stompjs under Node, with `ws` as its WebSocket."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.servers import ServerProcess

SCRIPT = Path(__file__).resolve().parent.parent / "js" / "stomp_client.mjs"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None
    or not (SCRIPT.parent / "node_modules" / "@stomp" / "stompjs").exists(),
    reason="needs Node.js and `npm install` in tests/js (scripts/test does both)",
)


def test_stompjs_follows_a_request(server: ServerProcess) -> None:
    rid = f"js-{uuid.uuid4().hex[:12]}"
    done = subprocess.run(
        [
            "node",
            str(SCRIPT),
            f"ws://127.0.0.1:{server.port}/ws",
            rid,
            "SELECT id, email FROM customers LIMIT 20",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["connected"]["version"] == "1.2"
    assert result["connected"]["heart-beat"] == "1000,1000"
    assert result["receipt"]["request-id"] == rid
    events = [message["body"] for message in result["messages"]]
    assert events == httpx.get(f"{server.url}/api/jobs/{rid}/events").json()["events"]
    assert events[-1]["status"] == "success" and events[-1]["metadata"]["rowCount"] == 20
    for message in result["messages"]:
        assert message["headers"]["message-id"] == str(message["body"]["eventId"])
        assert message["headers"]["destination"] == f"/topic/requests/{rid}"
