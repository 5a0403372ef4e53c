from __future__ import annotations

import pytest

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
