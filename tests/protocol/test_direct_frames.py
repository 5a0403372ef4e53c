"""WebSocket frames made by quart_app/transports/direct.py are the bytes wsproto makes."""

from __future__ import annotations

import pytest
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import TextMessage

from quart_app.transports.direct import frame


@pytest.mark.parametrize(
    "text", ["", "x", "x" * 125, "x" * 126, "x" * 65_535, "x" * 65_536, "é" * 70_000]
)
def test_a_text_frame_is_the_one_wsproto_sends(text: str) -> None:
    server = Connection(ConnectionType.SERVER)
    assert frame(text.encode()) == server.send(TextMessage(data=text))
