"""The STOMP session on its own: frames in, actions and state out, no server."""

from __future__ import annotations

from typing import Any

import pytest

from quart_app.protocol.stomp import encode_message_head
from quart_app.protocol.stomp_session import (
    SERVER_NAME,
    Action,
    Close,
    CloseSubscription,
    OpenSubscription,
    SendFrame,
    SessionLimits,
    StartOperation,
    State,
    StompSession,
)

OPERATIONS = frozenset({"nl-to-sql/convert", "query-execution/execute"})
CONNECT = "CONNECT\naccept-version:1.2\n\n\0"
SUBSCRIBE = "SUBSCRIBE\nid:{id}\ndestination:/topic/nl-to-sql\n\n\0"
EXECUTE = 'SEND\ndestination:/app/query-execution/execute\nreceipt:go\n\n{"sql": "SELECT 1"}\0'


def new_session(token: str | None = None, **limits: Any) -> StompSession:
    return StompSession(
        SessionLimits(**limits), operations=OPERATIONS, session_id="s-1", required_token=token
    )


def describe(action: Action) -> tuple[Any, ...]:
    """An action as a short tuple a table can spell out."""
    if isinstance(action, SendFrame):
        return (action.frame.command, dict(action.frame.headers))
    if isinstance(action, OpenSubscription):
        return ("open", action.id, str(action.destination), action.after_id, action.ack)
    if isinstance(action, CloseSubscription):
        return ("unsubscribe", action.id)
    if isinstance(action, StartOperation):
        return ("start", action.operation, action.body)
    assert isinstance(action, Close)
    if action.error is None:
        return ("close", action.code)
    headers = action.error.headers
    return ("close", action.code, headers["message"], headers.get("receipt-id"))


def feed(session: StompSession, *chunks: str | bytes, now: float = 0.0) -> list[tuple[Any, ...]]:
    actions = []
    for chunk in chunks:
        data = chunk.encode() if isinstance(chunk, str) else chunk
        actions += session.receive_data(data, now)
    return [describe(action) for action in actions]


def connected(version: str = "1.2", heart_beat: str = "10000,10000") -> tuple[Any, ...]:
    headers = {"version": version, "heart-beat": heart_beat, "server": SERVER_NAME}
    return ("CONNECTED", {**headers, "session": "s-1"})


# The handshake --------------------------------------------------------------

HANDSHAKES = [
    ("CONNECT", None, [CONNECT], [connected()], State.CONNECTED),
    ("STOMP", None, ["STOMP\naccept-version:1.2\n\n\0"], [connected()], State.CONNECTED),
    ("no accept-version", None, ["CONNECT\n\n\0"], [connected("1.0")], State.CONNECTED),
    (
        "highest common version",
        None,
        ["CONNECT\naccept-version:1.0, 1.1\n\n\0"],
        [connected("1.1")],
        State.CONNECTED,
    ),
    (
        "unsupported version",
        None,
        ["CONNECT\naccept-version:2.0\nreceipt:r\n\n\0"],
        [("close", 1002, "unsupported STOMP version", "r")],
        State.CLOSING,
    ),
    (
        "bad heart-beat",
        None,
        ["CONNECT\nheart-beat:x\n\n\0"],
        [("close", 1002, "malformed frame", None)],
        State.CLOSING,
    ),
    (
        "token missing",
        "secret",
        [CONNECT],
        [("close", 1008, "unauthorized", None)],
        State.CLOSING,
    ),
    (
        "token wrong",
        "secret",
        ["CONNECT\npasscode:guess\n\n\0"],
        [("close", 1008, "unauthorized", None)],
        State.CLOSING,
    ),
    ("token given", "secret", ["CONNECT\npasscode:secret\n\n\0"], [connected("1.0")], None),
    ("token not needed", None, ["CONNECT\npasscode:any\n\n\0"], [connected("1.0")], None),
    (
        "twice",
        None,
        [CONNECT, CONNECT],
        [connected(), ("close", 1002, "already connected", None)],
        State.CLOSING,
    ),
    (
        "a frame before CONNECT",
        None,
        [SUBSCRIBE.format(id=1)],
        [("close", 1002, "CONNECT expected", None)],
        State.CLOSING,
    ),
    (
        "DISCONNECT before CONNECT",
        None,
        ["DISCONNECT\nreceipt:bye\n\n\0"],
        [("close", 1002, "CONNECT expected", "bye")],
        State.CLOSING,
    ),
]


@pytest.mark.parametrize(
    ("token", "chunks", "expected", "state"),
    [case[1:] for case in HANDSHAKES],
    ids=[case[0] for case in HANDSHAKES],
)
def test_handshake(
    token: str | None, chunks: list[str], expected: list[tuple[Any, ...]], state: State | None
) -> None:
    session = new_session(token)
    assert session.state is State.AWAITING_CONNECT
    assert feed(session, *chunks) == expected
    assert session.state is (state or State.CONNECTED)


@pytest.mark.parametrize(
    ("offer", "client", "outgoing", "incoming"),
    [
        (10_000, None, 0, 0),
        (10_000, "0,0", 0, 0),
        (10_000, "1000,2000", 10_000, 10_000),  # never more often than the server offers
        (500, "1000,2000", 2_000, 1_000),  # nor more often than the client asks
        (500, "0,5000", 5_000, 0),  # the client sends none: none expected
        (500, "300,0", 0, 500),  # the client wants none: none sent
        (0, "1000,1000", 0, 0),  # heart-beats off on the server
    ],
)
def test_heart_beat_negotiation(
    offer: int, client: str | None, outgoing: int, incoming: int
) -> None:
    session = new_session(heartbeat_ms=offer)
    header = "" if client is None else f"heart-beat:{client}\n"
    (reply,) = feed(session, f"CONNECT\naccept-version:1.2\n{header}\n\0")
    assert reply[1]["heart-beat"] == f"{offer},{offer}"
    assert (session.outgoing_ms, session.incoming_ms) == (outgoing, incoming)


# Frames once connected ----------------------------------------------------------

CONNECTED_FRAMES = [
    (
        "subscribe with receipt",
        [SUBSCRIBE.format(id="a").replace("\n\n", "\nreceipt:1\n\n")],
        [("open", "a", "/topic/nl-to-sql", None, "auto"), ("RECEIPT", {"receipt-id": "1"})],
        State.CONNECTED,
    ),
    (
        "subscribe to a request, replaying",
        ["SUBSCRIBE\nid:r\ndestination:/topic/requests/x-1\nlast-event-id:5\nack:client\n\n\0"],
        [("open", "r", "/topic/requests/x-1", 5, "client")],
        State.CONNECTED,
    ),
    (
        "replay of all history",
        ["SUBSCRIBE\nid:a\ndestination:/topic/query-execution\nlast-event-id:0\n\n\0"],
        [("open", "a", "/topic/query-execution", 0, "auto")],
        State.CONNECTED,
    ),
    (
        "bad last-event-id",
        [SUBSCRIBE.format(id="a").replace("\n\n", "\nlast-event-id:x\n\n")],
        [("close", 1002, "invalid last-event-id", None)],
        State.CLOSING,
    ),
    (
        "unknown destination",
        ["SUBSCRIBE\nid:a\ndestination:/topic/other\nreceipt:77\n\n\0"],
        [("close", 1002, "unknown destination", "77")],
        State.CLOSING,
    ),
    (
        "missing id",
        ["SUBSCRIBE\ndestination:/topic/nl-to-sql\n\n\0"],
        [("close", 1002, "missing id header", None)],
        State.CLOSING,
    ),
    (
        "empty id",
        ["SUBSCRIBE\nid:\ndestination:/topic/nl-to-sql\n\n\0"],
        [("close", 1002, "missing id header", None)],
        State.CLOSING,
    ),
    (
        "missing destination",
        ["SUBSCRIBE\nid:a\n\n\0"],
        [("close", 1002, "missing destination header", None)],
        State.CLOSING,
    ),
    (
        "duplicate id",
        [SUBSCRIBE.format(id="a"), SUBSCRIBE.format(id="a")],
        [
            ("open", "a", "/topic/nl-to-sql", None, "auto"),
            ("close", 1002, "duplicate subscription id", None),
        ],
        State.CLOSING,
    ),
    (
        "one too many",
        [SUBSCRIBE.format(id=n) for n in range(3)],
        [
            ("open", "0", "/topic/nl-to-sql", None, "auto"),
            ("open", "1", "/topic/nl-to-sql", None, "auto"),
            ("close", 1008, "too many subscriptions", None),
        ],
        State.CLOSING,
    ),
    (
        "an id free again after unsubscribing, and room again",
        [
            SUBSCRIBE.format(id=0),
            SUBSCRIBE.format(id=1),
            "UNSUBSCRIBE\nid:0\n\n\0",
            SUBSCRIBE.format(id=0),
        ],
        [
            ("open", "0", "/topic/nl-to-sql", None, "auto"),
            ("open", "1", "/topic/nl-to-sql", None, "auto"),
            ("unsubscribe", "0"),
            ("open", "0", "/topic/nl-to-sql", None, "auto"),
        ],
        State.CONNECTED,
    ),
    (
        "unsubscribe an unknown id",
        ["UNSUBSCRIBE\nid:nope\nreceipt:u\n\n\0"],
        [("RECEIPT", {"receipt-id": "u"})],
        State.CONNECTED,
    ),
    (
        "unsubscribe without id",
        ["UNSUBSCRIBE\n\n\0"],
        [("close", 1002, "missing id header", None)],
        State.CLOSING,
    ),
    (
        "ACK and NACK change nothing",
        ["ACK\nid:1\nreceipt:a\n\n\0NACK\nid:2\n\n\0"],
        [("RECEIPT", {"receipt-id": "a"})],
        State.CONNECTED,
    ),
    (
        "transactions",
        ["BEGIN\ntransaction:t\n\n\0"],
        [("close", 1002, "BEGIN is not supported", None)],
        State.CLOSING,
    ),
    (
        "SEND to an operation",
        [EXECUTE],
        [("start", "query-execution/execute", {"sql": "SELECT 1"})],
        State.CONNECTED,
    ),
    (
        "SEND without a body",
        ["SEND\ndestination:/app/nl-to-sql/convert\n\n\0"],
        [("start", "nl-to-sql/convert", {})],
        State.CONNECTED,
    ),
    (
        "SEND to an unknown operation",
        ["SEND\ndestination:/app/nothing\nreceipt:s\n\n{}\0"],
        [("close", 1002, "unknown destination", "s")],
        State.CLOSING,
    ),
    (
        "SEND outside /app",
        ["SEND\ndestination:/topic/nl-to-sql\n\n{}\0"],
        [("close", 1002, "unknown destination", None)],
        State.CLOSING,
    ),
    (
        "SEND without destination",
        ["SEND\n\n{}\0"],
        [("close", 1002, "missing destination header", None)],
        State.CLOSING,
    ),
    (
        "SEND bad JSON",
        ['SEND\ndestination:/app/query-execution/execute\n\n{"sql":\0'],
        [("close", 1002, "invalid_request", None)],
        State.CLOSING,
    ),
    (
        "DISCONNECT with receipt",
        ["DISCONNECT\nreceipt:bye\n\n\0"],
        [("RECEIPT", {"receipt-id": "bye"}), ("close", 1000)],
        State.CLOSING,
    ),
    ("DISCONNECT", ["DISCONNECT\n\n\0"], [("close", 1000)], State.CLOSING),
    (
        "nothing after DISCONNECT in the same message",
        ["DISCONNECT\n\n\0" + SUBSCRIBE.format(id=1)],
        [("close", 1000)],
        State.CLOSING,
    ),
    (
        "nothing after an error",
        ["SUBSCRIBE\nid:1\ndestination:/x\n\n\0" + SUBSCRIBE.format(id=2), SUBSCRIBE.format(id=3)],
        [("close", 1002, "unknown destination", None)],
        State.CLOSING,
    ),
    (
        "malformed frame",
        ["HELLO\n\n\0"],
        [("close", 1002, "malformed frame", None)],
        State.CLOSING,
    ),
    (
        "invalid UTF-8",
        [b"SEND\nx:\xff\n\n\0"],
        [("close", 1002, "malformed frame", None)],
        State.CLOSING,
    ),
    (
        "too many frames in one message",
        ["ACK\nid:1\n\n\0" * 3],
        [("close", 1008, "too many frames at once", None)],
        State.CLOSING,
    ),
    (
        "a frame split over messages, heart-beats between frames",
        ["\n", "SUBSCRIBE\nid:a\ndesti", "nation:/topic/nl-to-sql\n", "\n\0\n"],
        [("open", "a", "/topic/nl-to-sql", None, "auto")],
        State.CONNECTED,
    ),
]


@pytest.mark.parametrize(
    ("chunks", "expected", "state"),
    [case[1:] for case in CONNECTED_FRAMES],
    ids=[case[0] for case in CONNECTED_FRAMES],
)
def test_frames_once_connected(
    chunks: list[str | bytes], expected: list[tuple[Any, ...]], state: State
) -> None:
    session = new_session(max_subscriptions=2, max_pending_frames=2)
    feed(session, CONNECT)
    assert feed(session, *chunks) == expected
    assert session.state is state


def test_the_error_frame_says_what_went_wrong_in_its_body() -> None:
    session = new_session()
    feed(session, CONNECT)
    (close,) = session.receive_data(b"SUBSCRIBE\nid:1\ndestination:/x\n\n\0", 0.0)
    assert isinstance(close, Close) and close.error is not None
    assert close.error.command == "ERROR"
    assert close.error.headers["content-type"] == "text/plain"
    assert b"'/x': subscribe to /topic/nl-to-sql" in close.error.body
    assert session.closing is close


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_a_subscription_carries_its_message_head(version: str) -> None:
    session = new_session()
    feed(session, f"CONNECT\naccept-version:{version}\n\n\0")
    (opened,) = session.receive_data(SUBSCRIBE.format(id="a:b").encode(), 0.0)
    assert isinstance(opened, OpenSubscription)
    head = encode_message_head("/topic/nl-to-sql", "a:b", version=version).decode()
    assert opened.head == head


# Operations ------------------------------------------------------------------


def test_frames_after_a_send_wait_until_its_operation_started() -> None:
    session = new_session()
    feed(session, CONNECT)
    later = SUBSCRIBE.format(id="a").replace("\n\n", "\nreceipt:sub\n\n")
    assert feed(session, EXECUTE + later) == [
        ("start", "query-execution/execute", {"sql": "SELECT 1"})
    ]
    assert feed(session, "ACK\nid:1\nreceipt:ack\n\n\0") == []  # still waiting
    actions = session.operation_started("rid-1", now=1.0)
    assert [describe(action) for action in actions] == [
        ("RECEIPT", {"receipt-id": "go", "request-id": "rid-1"}),
        ("open", "a", "/topic/nl-to-sql", None, "auto"),
        ("RECEIPT", {"receipt-id": "sub"}),
        ("RECEIPT", {"receipt-id": "ack"}),
    ]


def test_a_refused_operation_is_an_error_with_the_send_receipt() -> None:
    session = new_session()
    feed(session, CONNECT)
    feed(session, EXECUTE + SUBSCRIBE.format(id="a"))
    actions = session.operation_refused("unsafe_sql", "only one read-only statement", now=1.0)
    assert [describe(action) for action in actions] == [("close", 1002, "unsafe_sql", "go")]
    assert session.state is State.CLOSING
    assert session.operation_started("late", now=2.0) == []


# Time ---------------------------------------------------------------------------


def test_connect_must_come_within_the_frame_timeout_from_the_start() -> None:
    session = StompSession(
        SessionLimits(frame_timeout_seconds=10), operations=OPERATIONS, session_id="s", now=100.0
    )
    assert session.read_timeout(now=104.0) == 6.0
    assert [describe(a) for a in session.read_timed_out()] == [
        ("close", 1008, "no CONNECT frame received in time", None)
    ]


def test_a_frame_must_be_complete_within_the_timeout_from_its_first_byte() -> None:
    session = new_session(frame_timeout_seconds=1, heartbeat_ms=0)
    feed(session, CONNECT, now=0.0)
    assert session.read_timeout(now=0.5) is None  # connected and idle: no limit
    feed(session, "SEND\n", now=10.0)
    feed(session, "destination:/app/x\n", now=10.8)  # more bytes do not reset it
    assert session.read_timeout(now=10.8) == pytest.approx(0.2)
    assert [describe(a) for a in session.read_timed_out()] == [
        ("close", 1008, "incomplete frame: the rest did not arrive in time", None)
    ]


def test_client_heart_beats_are_expected_at_twice_their_period() -> None:
    session = new_session(heartbeat_ms=500)
    feed(session, "CONNECT\naccept-version:1.2\nheart-beat:300,0\n\n\0")
    assert session.read_timeout(now=50.0) == 1.0
    assert [describe(a) for a in session.read_timed_out()] == [
        ("close", 1008, "no heart-beat received within 1000 ms", None)
    ]


# Closes decided outside ---------------------------------------------------------

CLOSES = [
    ("make room", lambda s: s.make_room(), ("close", 1013, "closed to make room", None)),
    (
        "server stopping",
        lambda s: s.server_stopping(),
        ("close", 1001, "server shutting down", None),
    ),
    ("slow consumer", lambda s: s.slow_consumer("a", 10), ("close", 1008, "slow consumer", None)),
    (
        "history unreadable",
        lambda s: s.replay_failed("a", "database_unavailable", "down"),
        ("close", 1000, "database_unavailable", None),
    ),
]


@pytest.mark.parametrize(
    ("close", "expected"), [case[1:] for case in CLOSES], ids=[case[0] for case in CLOSES]
)
def test_closes_decided_outside_the_session_and_the_first_one_wins(
    close: Any, expected: tuple[Any, ...]
) -> None:
    session = new_session()
    feed(session, CONNECT)
    assert [describe(action) for action in close(session)] == [expected]
    assert session.state is State.CLOSING
    assert session.make_room() == [] and session.slow_consumer("b", 1) == []
    assert feed(session, SUBSCRIBE.format(id="late")) == []
    session.connection_closed()
    assert session.state is State.CLOSED
