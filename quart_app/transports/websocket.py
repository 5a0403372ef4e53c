"""STOMP 1.2 over WebSocket at ``/ws``: the handshake, then a :class:`StompConnection`.

The handshake picks the subprotocol, admits the stream (``streams.py``) and
checks a token given there; everything after it is the carrier-agnostic STOMP
connection, fed by this WebSocket's messages and writing to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, websocket
from quart_cors import cors_exempt

from ..auth import presented_token, token_matches
from ..runtime import current_service
from ..streams import client_of
from .stomp_connection import Carrier, StompConnection

blueprint = Blueprint("stomp", __name__)

SUBPROTOCOLS = ("v12.stomp", "v11.stomp", "v10.stomp")


@blueprint.websocket("/ws")
@cors_exempt  # CORS does not apply to WebSockets; STOMP clients often send no Origin at all
async def stomp_endpoint() -> None:
    service = current_service()
    address = websocket.remote_addr or "unknown"
    # Refused (429) before the handshake completes when this client holds its share
    # already; when the server holds all it may, another stream is closed to make room.
    admitted = service.streams.admit(address)
    try:
        offered = websocket.requested_subprotocols
        chosen = next((name for name in SUBPROTOCOLS if name in offered), None)
        await websocket.accept(subprotocol=chosen)
        token = service.config.api_token
        presented = presented_token(
            websocket.headers.get("Authorization"), websocket.args.get("access_token")
        )
        # Not given (or not right) on the handshake: CONNECT's passcode must carry it.
        required = None if token is None or token_matches(token, presented) else token
        connection = StompConnection(
            service,
            _carrier(websocket),
            required_token=required,
            client=client_of(websocket.scope.get("client")),
        )
        admitted.on_end(connection.close_for_room)
        await connection.run()
    finally:
        service.streams.release(admitted)


def _carrier(connection: Any) -> Carrier:
    return Carrier(receive=connection.receive, send=_raw_send(connection), close=connection.close)


def _raw_send(connection: Any) -> Callable[[str], Awaitable[None]]:
    """The connection's send, without the turn of the event loop Quart adds to each message.

    ``Websocket.send`` yields (``asyncio.sleep(0)``) before every message, for handlers that
    would otherwise send in a tight loop. The writer here already waits between writes, and
    under load that extra turn doubles the event-loop steps per message and splits each
    burst of writes in two. ``_send`` is the callable ``send`` ends in, after the yield and
    an ``accept`` that has already happened; without it (another Quart), ``send`` is used.
    """
    send: Callable[[str], Awaitable[None]] = getattr(connection, "_send", None) or connection.send
    return send
