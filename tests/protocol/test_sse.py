from __future__ import annotations

import pytest
from httpx_sse._decoders import SSEDecoder

from quart_app.protocol.sse import encode_comment, encode_event, encode_retry


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"data": '{"a":1}', "event_id": 7, "event": "status"},
            b'id: 7\nevent: status\ndata: {"a":1}\n\n',
        ),
        ({"data": "one\ntwo"}, b"data: one\ndata: two\n\n"),
        ({"data": ""}, b"data: \n\n"),
    ],
)
def test_encode_event(kwargs: dict[str, object], expected: bytes) -> None:
    assert encode_event(**kwargs) == expected  # type: ignore[arg-type]


def test_retry_and_comment() -> None:
    assert encode_retry(3000) == b"retry: 3000\n\n"
    assert encode_comment("ping") == b": ping\n\n"


@pytest.mark.parametrize(
    "data",
    [
        '{"name":"a\u2028b"}',
        '{"name":"a\u2029b"}',
        '{"name":"a\x85b"}',
        '{"name":"a\x0bb\x0cc\x1cd\x1de\x1ef"}',
        "one\r\ntwo\rthree\nfour",
        "trailing\n",
    ],
)
def test_only_cr_and_lf_end_a_line(data: str) -> None:
    """What a client reads back is the data sent: JSON keeps U+2028 and its kin raw in
    strings, and those are no line ends in an event stream."""
    decoder = SSEDecoder()
    events = []
    for line in encode_event(data, event="status").decode().split("\n"):
        event = decoder.decode(line)
        if event is not None:
            events.append(event)
    [event] = events
    expected = data.replace("\r\n", "\n").replace("\r", "\n")
    assert event.data == expected
