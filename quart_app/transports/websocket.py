"""STOMP 1.2 at ``/ws``: over a plain WebSocket, and over SockJS for browsers behind proxies.

A plain WebSocket's handshake picks the subprotocol, admits the stream
(``streams.py``) and checks a token given there; SockJS (``sockjs.py``) does the
same as it opens a session. Everything after is the carrier-agnostic STOMP
connection, fed by the carrier's messages and writing to it. ``/ws/websocket``
is the plain WebSocket again, at the path Spring's SockJS endpoints give it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, Quart, websocket
from quart.asgi import ASGIWebsocketConnection
from quart_cors import cors_exempt

from ..auth import (
    cors_origins,
    frame_ancestors,
    origin_allowed,
    presented_token,
    token_matches,
)
from ..config import Config
from ..runtime import Service, current_service
from ..streams import client_of
from ..wakeup import BoundedInbox
from .direct import direct_socket, direct_writer
from .sockjs import Endpoint, Handshake, sockjs_blueprint
from .sockjs_session import Application, Options
from .stomp_connection import Carrier, StompConnection

blueprint = Blueprint("stomp", __name__)
# Messages a WebSocket holds that its handler has not read yet. Quart's own queue has no
# bound: a client sending while its session is busy (starting an operation, or a SockJS
# session whose STOMP side is behind) would make the server hold all of it. Bounded,
# Hypercorn stops reading the socket, and TCP makes the client wait.
_RECEIVED_MESSAGES = 8


class BoundedWebsocketConnection(ASGIWebsocketConnection):
    """Quart's ASGI WebSocket connection, holding at most a few unread messages."""

    def __init__(self, app: Quart, scope: Any) -> None:
        super().__init__(app, scope)
        self.queue = BoundedInbox(_RECEIVED_MESSAGES)  # type: ignore[assignment]


SUBPROTOCOLS = ("v12.stomp", "v11.stomp", "v10.stomp")
SOCKJS_CLIENT = "/static/vendor/sockjs-client-1.6.1.min.js"


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
        connection = StompConnection(
            service,
            _carrier(websocket),
            required_token=_required_token(service, _presented(websocket)),
            client=client_of(websocket.scope.get("client")),
        )
        admitted.on_end(connection.close_for_room)
        await connection.run()
    finally:
        service.streams.release(admitted)


def sockjs(config: Config) -> Blueprint:
    """SockJS at ``/ws``: each session runs a STOMP connection, as a WebSocket at ``/ws`` does."""
    origins = cors_origins(config.cors_origins)
    endpoint = Endpoint(
        open_session=_stomp_over_sockjs,
        raw=stomp_endpoint,
        client_url=SOCKJS_CLIENT,
        origin_allowed=lambda origin: origin_allowed(origin, origins),
        frame_ancestors=frame_ancestors(config.cors_origins),
        credential=_presented,
        options=Options(
            heartbeat_seconds=config.sockjs_heartbeat_seconds,
            disconnect_delay_seconds=config.sockjs_disconnect_delay_seconds,
            response_limit_bytes=config.sockjs_response_limit_bytes,
            cookie_needed=config.sockjs_cookie_needed,
        ),
    )
    return sockjs_blueprint("sockjs", "/ws", endpoint)


def _stomp_over_sockjs(handshake: Handshake) -> Application:
    service = current_service()
    admitted = service.streams.admit(handshake.address)  # 429 refuses the opening request
    required = _required_token(service, handshake.token)

    async def run(carrier: Carrier) -> None:
        # Closed to make room and still stuck after the grace (its client reads nothing):
        # this task is the one to cancel, not the request that opened the session.
        admitted.task = asyncio.current_task()
        try:
            connection = StompConnection(
                service, carrier, required_token=required, client=client_of(handshake.peer)
            )
            admitted.on_end(connection.close_for_room)
            await connection.run()
        finally:
            service.streams.release(admitted)

    return run


def _presented(connection: Any) -> str | None:
    return presented_token(
        connection.headers.get("Authorization"), connection.args.get("access_token")
    )


def _required_token(service: Service, presented: str | None) -> str | None:
    """The token CONNECT's passcode must carry: None when the handshake presented it."""
    token = service.config.api_token
    return None if token is None or token_matches(token, presented) else token


def _carrier(connection: Any) -> Carrier:
    """The connection's receive, send and close; under Hypercorn, messages are framed here
    and written to the socket when nothing else is in the way (see ``direct.py``)."""
    send = _raw_send(connection)
    socket = direct_socket(send)
    if socket is None:
        return Carrier(receive=connection.receive, send=send, close=connection.close)
    return Carrier(
        receive=connection.receive,
        send=direct_writer(send, socket),
        close=connection.close,
        write_now=socket.try_write,
    )


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
