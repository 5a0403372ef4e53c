"""The STOMP frame codec under generated input: frames back, or StompProtocolError, nothing else."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
import websocket
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quart_app.protocol.stomp import (
    CLIENT_COMMANDS,
    SERVER_COMMANDS,
    Frame,
    FrameParser,
    StompProtocolError,
    encode_frame,
)
from tests.servers import ServerProcess
from tests.transports.stomp_clients import stomp_py

MAX_FRAME = 4096
MAX_HEADERS = 16
FUZZ = settings(
    max_examples=1500,
    deadline=None,
    database=None,  # no .hypothesis folder left behind
    suppress_health_check=[HealthCheck.too_slow],
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` split at the given offsets, as a WebSocket might deliver it."""
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def parse_all(chunks: list[bytes], **limits: int) -> list[Frame]:
    parser = FrameParser(
        max_frame_bytes=limits.get("max_frame_bytes", MAX_FRAME),
        max_headers=limits.get("max_headers", MAX_HEADERS),
    )
    frames: list[Frame] = []
    for chunk in chunks:
        frames += parser.feed(chunk)
        # Whatever it holds back is a part of one frame, within the limit.
        assert len(parser._buffer) <= MAX_FRAME + 4
    return frames


# Bytes that look like STOMP often enough to reach deep into the parser.
PIECES = st.sampled_from(
    [b"CONNECT", b"SEND", b"SUBSCRIBE", b"\n", b"\r\n", b"\x00", b":", b"\\", b"\\c", b"\\n",
     b"\\t", b"content-length:", b"5", b"-1", b"destination:/app/x", b"\xff\xfe", b"\xc3",
     b"receipt:r", b"\n\n", b"id:1", "\u00b9".encode(), b"heart-beat:", b",", b"accept-version:1.2"]
)  # fmt: skip
STOMPISH = st.lists(st.one_of(PIECES, st.binary(max_size=8)), max_size=60).map(b"".join)


@FUZZ
@given(data=st.one_of(st.binary(max_size=600), STOMPISH), cuts=st.lists(st.integers(0, 10**4)))
@example(data=b"SEND\ncontent-length:99999999\n\n", cuts=[])
@example(data="SEND\ncontent-length:\u00b9\n\nx\x00".encode(), cuts=[])  # a digit int() refuses
@example(data=b"SEND\nh:\\x\n\n\x00", cuts=[])
@example(data=b"SEND\n" + b"h:v\n" * 100 + b"\n\x00", cuts=[])
@example(data=b"\xff\xfe\n\n\x00", cuts=[3])
@example(data=b"SEND\n\x00\n\n\x00", cuts=[])
def test_any_bytes_give_frames_or_a_protocol_error(data: bytes, cuts: list[int]) -> None:
    try:
        frames = parse_all(chunked(data, cuts))
    except StompProtocolError:
        return
    for frame in frames:
        assert frame.command in CLIENT_COMMANDS
        assert len(frame.headers) <= MAX_HEADERS


HEADER_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40
)


@FUZZ
@given(
    command=st.sampled_from(sorted(CLIENT_COMMANDS - {"CONNECT", "STOMP"})),
    headers=st.dictionaries(HEADER_TEXT.filter(bool), HEADER_TEXT, max_size=8),
    body=st.binary(max_size=300),
    cuts=st.lists(st.integers(0, 10**4), max_size=6),
    repeat=st.integers(1, 5),
)
def test_encoded_frames_come_back_whole_however_they_are_split(
    command: str, headers: dict[str, str], body: bytes, cuts: list[int], repeat: int
) -> None:
    headers = {name: value for name, value in headers.items() if name.lower() != "content-length"}
    headers["content-length"] = str(len(body))  # a body may hold NULs only with a length
    frame = Frame(command, headers, body)
    frames = parse_all(chunked(encode_frame(frame) * repeat, cuts))
    assert frames == [frame] * repeat


def test_thousands_of_frames_in_one_message() -> None:
    frames = parse_all([b"SEND\ndestination:/app/x\n\nbody\x00\n" * 5000])
    assert len(frames) == 5000


def test_limits_hold_whichever_way_a_frame_arrives() -> None:
    for data in (
        b"SEND\n" + b"x" * (MAX_FRAME + 10),  # never ends its headers
        b"SEND\ncontent-length:%d\n\n" % (MAX_FRAME * 2),  # announces too much
        b"SEND\n" + b"".join(b"h%d:v\n" % i for i in range(MAX_HEADERS + 1)) + b"\n\x00",
    ):
        for cuts in ([], [1, 7, 50], list(range(0, len(data), 3))):
            try:
                parse_all(chunked(data, cuts))
            except StompProtocolError:
                continue
            raise AssertionError(f"no error for {data[:40]!r} split at {cuts[:5]}")


# Over a live /ws -----------------------------------------------------------------

SENTINEL = b"DISCONNECT\nreceipt:end\n\n\x00"
CONNECT = b"CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\x00"
HOSTILE = [
    b'SEND\ndestination:/app/query-execution/execute\n\n{"sql": "SELECT 1"}\x00' * 3000,
    b"SUBSCRIBE\nid:1\ndestination:/topic/nl-to-sql\n" + b"x-h:" + b"v" * 70_000 + b"\n\n\x00",
    b"SUBSCRIBE\n" + b"".join(b"h%d:v\n" % i for i in range(200)) + b"\n\x00",
    b"SUBSCRIBE\nid:\\q\ndestination:/topic/nl-to-sql\n\n\x00",
    b"SUBSCRIBE\nid:\xff\xfe\ndestination:/topic/nl-to-sql\n\n\x00",
    b"SUB\x00SCRIBE\nid:1\n\n\x00",
    b"SEND\ncontent-length:10\n\n\x00\x00\x00",
    b"SEND\ncontent-length:-5\n\n\x00",
    b"\x00\x00\x00\n\n\n",
    b"BEGIN\ntransaction:t\n\n\x00",
]


@pytest.fixture(scope="module", name="fuzzed_server")
def fixture_fuzzed_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server(
        QUART_APP_STOMP_FRAME_TIMEOUT_SECONDS="1", QUART_APP_STOMP_MAX_FRAME_BYTES="65536"
    )


def exchange(port: int, payload: bytes, *, text: bool) -> list[Frame]:
    """Send ``payload`` then a DISCONNECT with a receipt; the frames until the server closes.

    Fails if the server neither closes nor answers within the frame timeout and then some.
    """
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/ws", subprotocols=["v12.stomp"], timeout=8
    )
    parser = FrameParser(commands=SERVER_COMMANDS, max_frame_bytes=10**7)
    frames: list[Frame] = []
    deadline = time.monotonic() + 8
    try:
        for data in (payload, SENTINEL):
            opcode = websocket.ABNF.OPCODE_TEXT if text else websocket.ABNF.OPCODE_BINARY
            ws.send(data, opcode=opcode)
        while True:
            assert time.monotonic() < deadline, f"no close after {frames[-3:]}"
            try:
                message = ws.recv()
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                return frames
            if not message:  # the close frame
                return frames
            frames += parser.feed(message.encode() if isinstance(message, str) else message)
    finally:
        ws.close()
        ws.shutdown()  # close() leaves the socket open when the server closed first


@settings(max_examples=40, deadline=None, database=None)
@given(
    payload=st.one_of(
        st.binary(max_size=300),
        STOMPISH,
        STOMPISH.map(lambda data: CONNECT + data),
        st.sampled_from(HOSTILE).map(lambda data: CONNECT + data),
    ),
    text=st.booleans(),
)
def test_live_sessions_end_in_a_frame_or_an_error_then_close(
    fuzzed_server: ServerProcess, payload: bytes, text: bool
) -> None:
    frames = exchange(fuzzed_server.port, payload, text=text)
    if frames:
        assert frames[-1].command in ("RECEIPT", "ERROR"), frames[-1]
        assert all(frame.command != "ERROR" for frame in frames[:-1])
    # Whatever that client did, the server still serves the next one.
    assert httpx.get(f"{fuzzed_server.url}/health", timeout=5).status_code == 200


def test_after_the_fuzzing_a_client_still_gets_its_events(fuzzed_server: ServerProcess) -> None:
    connection, collector = stomp_py(fuzzed_server.port)
    rid = f"fuzz-{uuid.uuid4().hex[:8]}"
    connection.subscribe(f"/topic/requests/{rid}", id="1", headers={"receipt": "sub"})
    collector.wait_for("RECEIPT")
    response = httpx.post(
        f"{fuzzed_server.url}/api/query-execution/execute",
        json={"sql": "SELECT 1", "requestId": rid},
        timeout=30,
    )
    assert response.status_code == 200
    assert collector.events_until_terminal(rid)[-1]["status"] == "success"
    connection.disconnect()


def test_a_message_of_too_many_frames_starts_nothing(fuzzed_server: ServerProcess) -> None:
    prefix = f"many-{uuid.uuid4().hex[:8]}"
    sends = b"".join(
        b"SEND\ndestination:/app/query-execution/execute\n\n"
        + json.dumps({"sql": "SELECT 1", "requestId": f"{prefix}-{index}"}).encode()
        + b"\x00"
        for index in range(101)
    )
    frames = exchange(fuzzed_server.port, CONNECT + sends, text=True)
    assert [frame.command for frame in frames] == ["ERROR"]  # the whole message refused
    assert frames[-1].headers["message"] == "too many frames at once"
    for index in (0, 100):
        job = httpx.get(f"{fuzzed_server.url}/api/jobs/{prefix}-{index}", timeout=5)
        assert job.status_code == 404
