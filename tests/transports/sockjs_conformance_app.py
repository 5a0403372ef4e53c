"""The app the SockJS project's protocol suite expects, on this project's SockJS layer.

``sockjs-protocol-0.3.3.py`` (repository sockjs/sockjs-protocol) wants four
services at the top of one server: ``/echo``, ``/close``,
``/disabled_websocket_echo`` and ``/cookie_needed_echo``, streaming responses
ended after 4,096 bytes. Run it with ``hypercorn
tests.transports.sockjs_conformance_app:app --bind 127.0.0.1:8081``, then the
suite with ``SOCKJS_URL=http://localhost:8081``; tests/transports/test_sockjs_*
check the same behaviour against the service itself.
"""

from __future__ import annotations

from dataclasses import replace

from quart import Quart, websocket

from quart_app.transports.sockjs import Endpoint, Handshake, sockjs_blueprint
from quart_app.transports.sockjs_session import Application, Options
from quart_app.transports.stomp_connection import Carrier

TRUSTED_ORIGIN = "https://trusted.example"


async def _echo(carrier: Carrier) -> None:
    while True:
        message = await carrier.receive()
        await carrier.send(message if isinstance(message, str) else message.decode())


async def _close(carrier: Carrier) -> None:
    await carrier.close(3000)


async def _raw_echo() -> None:
    await websocket.accept()
    while True:
        await websocket.send(await websocket.receive())


async def _raw_close() -> None:
    await websocket.accept()
    await websocket.close(1000)


def _endpoint(application: Application, raw: object, **options: object) -> Endpoint:
    def open_session(handshake: Handshake) -> Application:
        return application

    return Endpoint(
        open_session=open_session,
        raw=raw,  # type: ignore[arg-type]
        client_url="/static/sockjs-client.min.js",
        origin_allowed=lambda origin: True,
        frame_ancestors="*",
        credential=lambda connection: connection.args.get("access_token"),
        options=replace(Options(response_limit_bytes=4096), **options),  # type: ignore[arg-type]
    )


def create_app() -> Quart:
    app = Quart(__name__)
    services = {
        "echo": _endpoint(_echo, _raw_echo),
        "close": _endpoint(_close, _raw_close),
        "disabled_websocket_echo": _endpoint(_echo, _raw_echo, websocket=False),
        "cookie_needed_echo": _endpoint(_echo, _raw_echo, cookie_needed=True),
        # Not the suite's: for tests/transports/test_sockjs_protocol.py, which wants sessions
        # that expire and beat within a second, and an endpoint that trusts one origin only.
        "short_echo": _endpoint(
            _echo, _raw_echo, disconnect_delay_seconds=0.5, heartbeat_seconds=0.5
        ),
        "short_close": _endpoint(_close, _raw_close, disconnect_delay_seconds=0.5),
        "guarded_echo": replace(
            _endpoint(_echo, _raw_echo),
            origin_allowed=lambda origin: origin == TRUSTED_ORIGIN,
            frame_ancestors=TRUSTED_ORIGIN,
        ),
    }
    for name, endpoint in services.items():
        app.register_blueprint(sockjs_blueprint(name, f"/{name}", endpoint))
    return app


app = create_app()
