"""STOMP 1.2 over WebSocket at /ws, with stomp.py and with raw frames."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.servers import ServerProcess, new_id
from tests.transports.stomp_clients import RawStomp, stomp_py


@pytest.fixture(name="raw_stomp")
def fixture_raw_stomp(server: ServerProcess) -> Iterator[Callable[..., RawStomp]]:
    """Opens raw STOMP connections to the test server; all are closed afterwards."""
    opened: list[RawStomp] = []

    def open_one(**options: object) -> RawStomp:
        client = RawStomp(server.port, **options)  # type: ignore[arg-type]
        opened.append(client)
        return client

    yield open_one
    for client in opened:
        client.close()


def api_events(server: ServerProcess, request_id: str) -> list[dict[str, object]]:
    events: list[dict[str, object]] = httpx.get(
        f"{server.url}/api/jobs/{request_id}/events"
    ).json()["events"]
    return events


def test_seed_flow_with_stomp_py(server: ServerProcess) -> None:
    connection, collector = stomp_py(server.port)
    rid = new_id()
    try:
        connection.subscribe(
            f"/topic/requests/{rid}", id="sub-1", headers={"receipt": "subscribed"}
        )
        assert collector.wait_for("RECEIPT")[0]["receipt-id"] == "subscribed"
        body = json.dumps(
            {"sql": "SELECT id, name FROM customers ORDER BY id", "requestId": rid, "maxRows": 2500}
        )
        connection.send("/app/query-execution/execute", body, headers={"receipt": "sent"})
        receipt, _ = collector.wait_for("RECEIPT")
        assert receipt["receipt-id"] == "sent" and receipt["request-id"] == rid
        events = collector.events_until_terminal(rid)
    finally:
        connection.disconnect()
    assert [event["stage"] for event in events][:4] == [
        "received",
        "validating",
        "planning",
        "executing",
    ]
    assert events[-1]["status"] == "success" and events[-1]["metadata"]["rowCount"] == 2500
    assert events == api_events(server, rid)
    headers = collector.messages[0][0]
    assert headers["destination"] == f"/topic/requests/{rid}"
    assert headers["subscription"] == "sub-1"
    assert headers["message-id"] == str(events[0]["eventId"])
    assert headers["content-type"] == "application/json"


def test_send_without_request_id_gets_one_in_the_receipt(server: ServerProcess) -> None:
    connection, collector = stomp_py(server.port)
    try:
        connection.subscribe("/topic/query-execution", id="all")
        connection.send(
            "/app/query-execution/execute",
            json.dumps({"sql": "SELECT 42"}),
            headers={"receipt": "r"},
        )
        rid = collector.wait_for("RECEIPT")[0]["request-id"]
        assert uuid.UUID(rid).version == 4
        events = collector.events_until_terminal(rid)
    finally:
        connection.disconnect()
    assert events[-1]["metadata"]["rowCount"] == 1


def test_replay_from_last_event_id_then_live(server: ServerProcess) -> None:
    rid = new_id()
    httpx.post(
        f"{server.url}/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
    )
    stored = api_events(server, rid)
    connection, collector = stomp_py(server.port)
    try:
        connection.subscribe(f"/topic/requests/{rid}", id="all", headers={"last-event-id": "0"})
        connection.subscribe(
            f"/topic/requests/{rid}",
            id="tail",
            headers={"last-event-id": str(stored[2]["eventId"])},
        )
        connection.subscribe(
            "/topic/query-execution",
            id="topic",
            headers={"last-event-id": str(stored[-2]["eventId"])},
        )
        time.sleep(0.5)
        later = new_id()
        connection.send(
            "/app/query-execution/execute", json.dumps({"sql": "SELECT 2", "requestId": later})
        )
        collector.events_until_terminal(later)
    finally:
        connection.disconnect()
    by_subscription: dict[str, list[dict[str, object]]] = {}
    for headers, body in collector.messages:
        by_subscription.setdefault(headers["subscription"], []).append(body)
    assert by_subscription["all"] == stored
    assert by_subscription["tail"] == stored[3:]
    topic = by_subscription["topic"]
    assert topic[0] == stored[-1]
    assert [event["requestId"] for event in topic[1:]] == [later] * len(api_events(server, later))
    ids = [event["eventId"] for event in topic]
    assert ids == sorted(set(ids))


def test_unsubscribe_stops_delivery(server: ServerProcess) -> None:
    connection, collector = stomp_py(server.port)
    try:
        connection.subscribe("/topic/query-execution", id="q")
        connection.unsubscribe(id="q", headers={"receipt": "gone"})
        collector.wait_for("RECEIPT")
        httpx.post(f"{server.url}/api/query-execution/execute", json={"sql": "SELECT 1"})
        time.sleep(0.3)
    finally:
        connection.disconnect()
    assert collector.messages == []


def test_disconnect_with_receipt(raw_stomp: Callable[..., RawStomp], server: ServerProcess) -> None:
    client = raw_stomp()
    assert client.ws.subprotocol == "v12.stomp"
    connected = client.connect()
    assert connected.headers["version"] == "1.2"
    assert connected.headers["heart-beat"] == "1000,1000"
    client.send("DISCONNECT\nreceipt:bye\n\n\0")
    assert client.next_frame() == type(connected)("RECEIPT", {"receipt-id": "bye"})
    assert client.closed


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["v10.stomp", "v11.stomp", "v12.stomp"], "v12.stomp"),
        (["v11.stomp"], "v11.stomp"),
        ([], None),
    ],
)
def test_subprotocol_is_echoed(
    raw_stomp: Callable[..., RawStomp], offered: list[str], chosen: str | None
) -> None:
    client = raw_stomp(subprotocols=offered)
    try:
        assert client.ws.subprotocol == chosen
        assert client.connect().command == "CONNECTED"
    finally:
        client.close()


def test_stomp_10_and_11_clients(raw_stomp: Callable[..., RawStomp], server: ServerProcess) -> None:
    for accept, version in (("1.0", "1.0"), ("1.1", "1.1"), (None, "1.0")):
        client = raw_stomp()
        header = f"accept-version:{accept}\n" if accept else ""
        client.send(f"CONNECT\n{header}\n\0")
        assert client.next_frame().headers["version"] == version
        client.close()


def test_heart_beats_are_sent_and_enforced(
    raw_stomp: Callable[..., RawStomp], server: ServerProcess
) -> None:
    client = raw_stomp()
    client.connect(heart_beat="1000,500")
    started = time.monotonic()
    frames = client.frames(timeout=6)  # we send nothing: the server must give up on us
    waited = time.monotonic() - started
    assert client.heartbeats >= 1  # server -> client every max(1000, 500) ms
    assert frames[-1].command == "ERROR" and "heart-beat" in frames[-1].headers["message"]
    assert 1.5 < waited < 5


def test_client_heart_beats_keep_the_connection_open(
    raw_stomp: Callable[..., RawStomp], server: ServerProcess
) -> None:
    client = raw_stomp()
    client.connect(heart_beat="300,0")
    for _ in range(12):
        client.send("\n")
        time.sleep(0.25)
    client.send("SUBSCRIBE\nid:1\ndestination:/topic/nl-to-sql\nreceipt:alive\n\n\0")
    assert client.next_frame().headers == {"receipt-id": "alive"}
    client.close()


MALFORMED = [
    ("bad command", "HELLO\n\n\0", "malformed frame", "unknown command"),
    (
        "bad escape",
        "CONNECT\n\n\0SEND\ndestination:/app/x\\t\n\n\0",
        "malformed frame",
        "invalid escape",
    ),
    (
        "missing NUL",
        "CONNECT\n\n\0SEND\ndestination:/app/x\ncontent-length:2\n\nabc\0",
        "malformed frame",
        "NUL",
    ),
    (
        "oversize",
        "CONNECT\n\n\0SEND\ndestination:/a\n\n" + "x" * 70_000 + "\0",
        "malformed frame",
        "larger than",
    ),
    (
        "bad content-length",
        "CONNECT\n\n\0SEND\ncontent-length:abc\n\n\0",
        "malformed frame",
        "content-length",
    ),
    (
        "before CONNECT",
        "SUBSCRIBE\nid:1\ndestination:/topic/nl-to-sql\n\n\0",
        "CONNECT expected",
        "",
    ),
    (
        "unknown destination",
        "CONNECT\n\n\0SUBSCRIBE\nid:1\ndestination:/topic/other\n\n\0",
        "unknown destination",
        "/topic/other",
    ),
    (
        "missing id",
        "CONNECT\n\n\0SUBSCRIBE\ndestination:/topic/nl-to-sql\n\n\0",
        "missing id header",
        "",
    ),
    (
        "bad last-event-id",
        "CONNECT\n\n\0SUBSCRIBE\nid:1\ndestination:/topic/nl-to-sql\nlast-event-id:x\n\n\0",
        "invalid last-event-id",
        "",
    ),
    (
        "SEND nowhere",
        "CONNECT\n\n\0SEND\ndestination:/app/nothing\n\n{}\0",
        "unknown destination",
        "",
    ),
    (
        "SEND bad JSON",
        'CONNECT\n\n\0SEND\ndestination:/app/query-execution/execute\n\n{"sql":\0',
        "invalid_request",
        "JSON",
    ),
    (
        "SEND bad body",
        'CONNECT\n\n\0SEND\ndestination:/app/query-execution/execute\n\n{"sql":5}\0',
        "invalid_request",
        "sql",
    ),
    ("transactions", "CONNECT\n\n\0BEGIN\ntransaction:t\n\n\0", "BEGIN is not supported", ""),
    ("bad version", "CONNECT\naccept-version:2.0\n\n\0", "unsupported STOMP version", ""),
    ("invalid UTF-8", b"CONNECT\n\n\0SEND\nx:\xff\n\n\0", "malformed frame", "UTF-8"),
]


@pytest.mark.parametrize(
    ("data", "message", "detail"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_input_gets_error_then_close(
    raw_stomp: Callable[..., RawStomp],
    server: ServerProcess,
    data: str | bytes,
    message: str,
    detail: str,
) -> None:
    bystander, collector = stomp_py(server.port)
    bystander.subscribe("/topic/query-execution", id="b")
    client = raw_stomp()
    try:
        client.send(data)
        frames = [frame for frame in client.frames(timeout=5) if frame.command != "CONNECTED"]
        assert [frame.command for frame in frames] == ["ERROR"]
        assert frames[0].headers["message"] == message
        assert detail in frames[0].body.decode()
        assert client.closed
        rid = new_id()
        response = httpx.post(
            f"{server.url}/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
        )
        assert response.status_code == 200
        assert collector.events_until_terminal(rid)[-1]["status"] == "success"
    finally:
        client.close()
        bystander.disconnect()


def test_error_frame_carries_the_receipt_id(
    raw_stomp: Callable[..., RawStomp], server: ServerProcess
) -> None:
    client = raw_stomp()
    client.connect()
    client.send("SUBSCRIBE\nid:1\ndestination:/nowhere\nreceipt:77\n\n\0")
    error = client.next_frame()
    assert error.command == "ERROR" and error.headers["receipt-id"] == "77"


def test_frames_split_across_messages_and_joined_in_one(
    raw_stomp: Callable[..., RawStomp], server: ServerProcess
) -> None:
    client = raw_stomp()
    rid = new_id()
    data = (
        "CONNECT\naccept-version:1.2\n\n\0"
        f"SUBSCRIBE\nid:1\ndestination:/topic/requests/{rid}\n\n\0"
        "SEND\ndestination:/app/query-execution/execute\nreceipt:go\n"
        f"content-length:{len(body := json.dumps({'sql': 'SELECT 1', 'requestId': rid}))}\n\n{body}\0"
    )
    for start in range(0, len(data), 7):
        client.send(data[start : start + 7])
    frames = []
    while (
        not frames
        or json.loads(frames[-1].body or b'{"status":"progress"}').get("status") == "progress"
    ):
        frames.append(client.next_frame())
    commands = [frame.command for frame in frames]
    assert commands[0] == "CONNECTED" and "RECEIPT" in commands
    messages = [json.loads(frame.body) for frame in frames if frame.command == "MESSAGE"]
    assert [m["sequence"] for m in messages] == list(range(1, len(messages) + 1))
    assert messages[-1]["status"] == "success"
    client.close()


def test_a_frame_trickled_a_byte_at_a_time_must_still_arrive_in_time(
    start_server: Callable[..., ServerProcess],
) -> None:
    """The frame timeout runs from the frame's first byte: bytes that keep coming do not reset it."""
    server = start_server(QUART_APP_STOMP_FRAME_TIMEOUT_SECONDS="1")
    for connect_first, expected in (
        (False, "no CONNECT frame received in time"),
        (True, "incomplete frame: the rest did not arrive in time"),
    ):
        client = RawStomp(server.port)
        if connect_first:
            client.connect()
        stop = threading.Event()

        def trickle(client: RawStomp = client, stop: threading.Event = stop) -> None:
            with contextlib.suppress(Exception):  # until the server closes the connection
                for byte in "SEND\ndestination:/app/query-execution/execute\n" * 50:
                    if stop.wait(0.1):
                        return
                    client.send(byte)

        sender = threading.Thread(target=trickle)
        started = time.monotonic()
        sender.start()
        try:
            frames = client.frames(timeout=8)
            waited = time.monotonic() - started
        finally:
            stop.set()
            sender.join()
            client.close()
        assert frames and frames[-1].command == "ERROR", frames
        assert frames[-1].headers["message"] == expected
        assert waited < 4  # 1 s, with slack; the bytes would have gone on for 9 s
