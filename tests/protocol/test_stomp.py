from __future__ import annotations

import pytest

from quart_app.protocol.stomp import (
    Frame,
    FrameParser,
    StompProtocolError,
    encode_frame,
    encode_message_head,
    encode_message_tail,
    negotiate_heartbeat,
    negotiate_version,
    parse_heartbeat,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"CONNECT\naccept-version:1.2\nhost:x\n\n\0",
            Frame("CONNECT", {"accept-version": "1.2", "host": "x"}),
        ),
        (b"CONNECT\r\naccept-version:1.2\r\n\r\n\0", Frame("CONNECT", {"accept-version": "1.2"})),
        (b"SEND\ndestination:/a\n\nhello\0", Frame("SEND", {"destination": "/a"}, b"hello")),
        (b"SEND\ncontent-length:5\n\nhe\0lo\0", Frame("SEND", {"content-length": "5"}, b"he\0lo")),
        (b"SEND\nx:a\\nb\\cc\\\\d\\re\n\n\0", Frame("SEND", {"x": "a\nb:c\\d\re"})),
        (b"SEND\nx:1\nx:2\n\n\0", Frame("SEND", {"x": "1"})),
        (b"SEND\nx:a:b\n\n\0", Frame("SEND", {"x": "a:b"})),
        (b"SEND\nx:\n\n\0", Frame("SEND", {"x": ""})),
        (b"\n\r\n\nDISCONNECT\n\n\0\n\n", Frame("DISCONNECT")),
        ("SEND\nx:ü\n\nü\0".encode(), Frame("SEND", {"x": "ü"}, "ü".encode())),
    ],
)
def test_parses_one_frame(data: bytes, expected: Frame) -> None:
    assert FrameParser().feed(data) == [expected]


def test_connect_headers_are_not_unescaped() -> None:
    (frame,) = FrameParser().feed(b"CONNECT\nlogin:a\\cb\n\n\0")
    assert frame.headers["login"] == "a\\cb"


def test_stomp_10_headers_are_not_unescaped() -> None:
    (frame,) = FrameParser(version="1.0").feed(b"SEND\nx:a\\qb\n\n\0")
    assert frame.headers["x"] == "a\\qb"


def test_frames_split_at_every_byte_and_joined_in_one_chunk() -> None:
    frames = [
        b"SUBSCRIBE\nid:1\ndestination:/topic/nl-to-sql\n\n\0",
        b"SEND\ncontent-length:3\n\n\0\0\0\0",
        b"\n",
        b"DISCONNECT\nreceipt:9\n\n\0",
    ]
    data = b"".join(frames)
    parser = FrameParser()
    split = [frame for index in range(len(data)) for frame in parser.feed(data[index : index + 1])]
    joined = FrameParser().feed(data)
    assert split == joined
    assert [frame.command for frame in joined] == ["SUBSCRIBE", "SEND", "DISCONNECT"]
    assert joined[1].body == b"\0\0\0"
    assert not parser.pending


def test_incomplete_frame_waits() -> None:
    parser = FrameParser()
    assert parser.feed(b"SEND\ndestination:/a\n\nbody") == []
    assert parser.pending
    assert parser.feed(b" more\0") == [Frame("SEND", {"destination": "/a"}, b"body more")]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"HELLO\n\n\0", "unknown command"),
        (b"MESSAGE\n\n\0", "unknown command"),
        (b"SEND\nx:a\\tb\n\n\0", "invalid escape"),
        (b"SEND\nx:a\\\n\n\0", "invalid escape"),
        (b"SEND\nno-colon\n\n\0", "malformed header"),
        (b"SEND\n:value\n\n\0", "malformed header"),
        (b"SEND\ncontent-length:3\n\nabcd\0", "not terminated by NUL"),
        (b"SEND\ncontent-length:-1\n\n\0", "invalid content-length"),
        (b"SEND\ncontent-length:x\n\n\0", "invalid content-length"),
        (b"SEND\nx:\xff\n\n\0", "UTF-8"),
        (b"SEND\n" + b"a:b\n" * 65 + b"\n\0", "more than 64 headers"),
        (b"SEND\n\n" + b"x" * 2000, "larger than 1024 bytes"),
        (b"SEND\n" + b"x" * 2000, "larger than 1024 bytes"),
        (b"SEND\ncontent-length:5000\n\n", "larger than 1024 bytes"),
    ],
)
def test_rejects_malformed_frames(data: bytes, error: str) -> None:
    parser = FrameParser(max_frame_bytes=1024)
    with pytest.raises(StompProtocolError, match=error):
        parser.feed(data)


@pytest.mark.parametrize(
    ("frame", "version", "expected"),
    [
        (Frame("RECEIPT", {"receipt-id": "7"}), "1.2", b"RECEIPT\nreceipt-id:7\n\n\0"),
        (
            Frame("MESSAGE", {"a": "x:y\nz\\\r"}, b"{}"),
            "1.2",
            b"MESSAGE\na:x\\cy\\nz\\\\\\r\n\n{}\0",
        ),
        (Frame("MESSAGE", {"a": "x:y\r"}), "1.1", b"MESSAGE\na:x\\cy\r\n\n\0"),
        (Frame("MESSAGE", {"a": "x:y"}), "1.0", b"MESSAGE\na:x:y\n\n\0"),
        (
            Frame("CONNECTED", {"version": "1.2", "server": "a\\b"}),
            "1.2",
            b"CONNECTED\nversion:1.2\nserver:a\\b\n\n\0",
        ),
    ],
)
def test_encodes_frames(frame: Frame, version: str, expected: bytes) -> None:
    assert encode_frame(frame, version=version) == expected


def test_encode_then_parse_round_trips() -> None:
    frame = Frame("SEND", {"destination": "/a:b", "weird\nname": "v\\al"}, b"x\0y")
    encoded = encode_frame(
        Frame(frame.command, {**frame.headers, "content-length": "3"}, frame.body)
    )
    (parsed,) = FrameParser().feed(encoded)
    assert parsed.headers["destination"] == "/a:b"
    assert parsed.headers["weird\nname"] == "v\\al"
    assert parsed.body == b"x\0y"


@pytest.mark.parametrize(
    ("client", "server", "expected"),
    [
        ((0, 0), (10000, 10000), (0, 0)),
        ((1000, 1000), (10000, 10000), (10000, 10000)),
        ((20000, 500), (10000, 10000), (10000, 20000)),
        ((1000, 0), (10000, 10000), (0, 10000)),
        ((1000, 1000), (0, 0), (0, 0)),
    ],
)
def test_heartbeat_negotiation(
    client: tuple[int, int], server: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert negotiate_heartbeat(client, server) == expected


@pytest.mark.parametrize("value", ["1", "a,b", "1,2,3", "-1,0", ""])
def test_rejects_bad_heartbeat_header(value: str) -> None:
    with pytest.raises(StompProtocolError):
        parse_heartbeat(value)


@pytest.mark.parametrize(
    ("accept_version", "expected"),
    [(None, "1.0"), ("1.0,1.1,1.2", "1.2"), ("1.1", "1.1"), ("1.0, 1.1", "1.1"), ("2.0", None)],
)
def test_version_negotiation(accept_version: str | None, expected: str | None) -> None:
    assert negotiate_version(accept_version) == expected


@pytest.mark.parametrize("version", ["1.2", "1.1", "1.0"])
@pytest.mark.parametrize(
    ("destination", "subscription"),
    [
        ("/topic/requests/a:b", "sub-1"),
        ("/topic/nl-to-sql", "x\\y"),
        ("/topic/query-execution", "0"),
    ],
)
def test_message_head_and_tail_make_the_whole_frame(
    destination: str, subscription: str, version: str
) -> None:
    body = b'{"eventId":7,"message":"caf\xc3\xa9"}'
    whole = encode_frame(
        Frame(
            "MESSAGE",
            {
                "destination": destination,
                "subscription": subscription,
                "message-id": "7",
                "content-type": "application/json",
                "content-length": str(len(body)),
            },
            body,
        ),
        version=version,
    )
    head = encode_message_head(destination, subscription, version=version)
    assert head + encode_message_tail("7", body) == whole
