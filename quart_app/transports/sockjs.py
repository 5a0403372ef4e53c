"""The SockJS protocol (0.3.3, as ``sockjs-client`` 1.6 speaks it) as a Quart blueprint.

Written here because no SockJS server exists for Quart or ASGI: the Python ones
are bound to aiohttp, Tornado or Django. Mounted at a prefix, it serves
``/info``, the iframe page, ``/websocket`` (raw, no SockJS framing) and the
session transports ``/{server}/{session}/{websocket|xhr|xhr_streaming|xhr_send|
eventsource|htmlfile}``; each session runs an application over a
:class:`~.stomp_connection.Carrier` (``sockjs_session.py``); the plain HTTP
answers, with their CORS and caching rules, are ``sockjs_responses.py``. JSONP polling is not
offered: it would let any page read a session's frames through a script tag.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from quart import Blueprint, Response, request, websocket
from quart_cors import cors_exempt
from quart_schema import hide

from ..protocol.sockjs import (
    ANOTHER_CONNECTION,
    EVENTSOURCE_PRELUDE,
    IFRAME_PAGE,
    XHR_STREAMING_PRELUDE,
    BrokenJSON,
    PayloadExpected,
    close_frame,
    decode_messages,
    decode_websocket_message,
    eventsource_event,
    htmlfile_prelude,
    htmlfile_script,
    valid_callback,
    xhr_line,
)
from ..streams import is_loopback
from . import sockjs_responses as answer
from .sockjs_session import AnotherReceiver, Application, Options, Sessions, SockJSSession

_MAX_ID = 128
_RECEIVING = {"xhr", "xhr_streaming", "eventsource", "htmlfile"}
_METHODS = {
    "xhr": "OPTIONS, POST",
    "xhr_streaming": "OPTIONS, POST",
    "xhr_send": "OPTIONS, POST",
    "eventsource": "GET",
    "htmlfile": "GET",
    "websocket": "GET",
}


@dataclass(frozen=True, slots=True)
class Handshake:
    """Who opened a session: their address and the token they presented, if any."""

    address: str
    peer: tuple[str, int] | None
    token: str | None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a SockJS endpoint serves and to whom.

    ``open_session`` is called as a session is opened, in the request that opens
    it, and returns the application to run (or raises an ``APIError``, which
    refuses the request). ``raw`` serves ``/websocket``. ``client_url`` is the
    ``sockjs-client`` script the iframe page loads; ``origin_allowed`` decides
    which cross-origin pages get CORS headers and may frame that page;
    ``credential`` reads the token a request (or WebSocket handshake) presents.
    """

    open_session: Callable[[Handshake], Application]
    raw: Callable[[], Awaitable[None]] | None
    client_url: str
    origin_allowed: Callable[[str], bool]
    frame_ancestors: str
    credential: Callable[[Any], str | None]
    options: Options = field(default_factory=Options)


def sockjs_blueprint(name: str, prefix: str, endpoint: Endpoint) -> Blueprint:
    """A blueprint serving the SockJS endpoint ``endpoint`` at ``prefix`` (no trailing slash)."""
    # Its routes stay out of the OpenAPI document: SockJS is a protocol, not REST.
    blueprint = Blueprint(name, __name__)
    options = endpoint.options
    sessions = Sessions(options)
    iframe = (IFRAME_PAGE % endpoint.client_url).encode()
    iframe_etag = '"' + hashlib.sha256(iframe).hexdigest()[:32] + '"'

    @blueprint.after_app_serving
    async def close_sessions() -> None:
        await sessions.aclose()

    @blueprint.get(prefix, merge_slashes=False)
    @blueprint.get(prefix + "/", merge_slashes=False)
    @cors_exempt
    @hide
    async def greeting() -> Response:
        return answer.text("Welcome to SockJS!\n")

    @blueprint.route(prefix + "/info", methods=["GET", "OPTIONS"], merge_slashes=False)
    @cors_exempt
    @hide
    async def info() -> Response:
        if request.method == "OPTIONS":
            return answer.preflight("OPTIONS, GET", endpoint.origin_allowed)
        return answer.info(options.websocket, options.cookie_needed, endpoint.origin_allowed)

    @blueprint.route(prefix + "/<page>", methods=["GET", "POST"], merge_slashes=False)
    @cors_exempt
    @hide
    async def iframe_page(page: str) -> Response:
        if page == "websocket" and request.method == "GET":  # raw, without an upgrade
            return answer.text(answer.NO_UPGRADE, 400)
        if request.method != "GET" or not answer.is_iframe_page(page):
            return answer.not_found()
        return answer.iframe_page(iframe, iframe_etag, endpoint.frame_ancestors)

    _add_websocket_routes(blueprint, prefix, endpoint)
    _add_session_routes(blueprint, prefix, endpoint, sessions)
    return blueprint


def _add_session_routes(
    blueprint: Blueprint, prefix: str, endpoint: Endpoint, sessions: Sessions
) -> None:
    """A session's HTTP transports: ``/{server}/{session}/{xhr|xhr_send|...}``."""

    @blueprint.route(
        prefix + "/<server>/<session_id>/<transport>",
        methods=["GET", "POST", "OPTIONS"],
        merge_slashes=False,
    )
    @cors_exempt
    @hide
    async def session_transport(server: str, session_id: str, transport: str) -> Any:
        allowed = _METHODS.get(transport)
        if allowed is None or not _valid_ids(server, session_id):
            return answer.not_found()
        if transport == "websocket" and request.method == "GET":
            return answer.text(answer.NO_UPGRADE, 400)
        if request.method == "OPTIONS" and "OPTIONS" in allowed:
            return answer.preflight(allowed, endpoint.origin_allowed)
        if request.method not in allowed or transport == "websocket":
            return answer.not_allowed(allowed)
        if transport == "xhr_send":
            return await _xhr_send(endpoint, sessions, session_id)
        return await _receive(endpoint, sessions, session_id, transport)


def _add_websocket_routes(blueprint: Blueprint, prefix: str, endpoint: Endpoint) -> None:
    """``/websocket`` (raw) and a session's own WebSocket transport."""
    if endpoint.raw is not None:
        blueprint.websocket(prefix + "/websocket", merge_slashes=False)(cors_exempt(endpoint.raw))

    @blueprint.websocket(prefix + "/<server>/<session_id>/websocket", merge_slashes=False)
    @cors_exempt
    async def websocket_session(server: str, session_id: str) -> Response | None:
        if not endpoint.options.websocket or not _valid_ids(server, session_id):
            return answer.not_found()  # the client falls back to another transport
        await _serve_websocket(endpoint, session_id)
        return None


# Receiving -------------------------------------------------------------------


async def _receive(
    endpoint: Endpoint, sessions: Sessions, session_id: str, transport: str
) -> Response:
    callback = None
    if transport == "htmlfile":
        callback = request.args.get("c")
        if not callback:
            return answer.text('"callback" parameter required', 500)
        if not valid_callback(callback):
            return answer.text('invalid "callback" parameter', 500)
    presented = endpoint.credential(request)
    session = sessions.get(session_id)
    if session is not None and not session.admits(presented, _origin_host()):
        return answer.not_found()
    if session is None:
        handshake = Handshake(_address(), request.scope.get("client"), presented)
        application = endpoint.open_session(handshake)
        # Opened with a token, the token holds the session; without, the opener's address.
        opener = None if presented is not None else _origin_host()
        session = sessions.open(session_id, application, presented, opener)
    content_type, prelude, wrap = _FRAMING[transport]
    if callback is not None:
        prelude = htmlfile_prelude(callback)
    receiver = object()
    try:
        session.attach(receiver)
    except AnotherReceiver:
        refusal = wrap(close_frame(ANOTHER_CONNECTION)).encode()
        chunks = [prelude.encode(), refusal] if prelude else [refusal]
        return _session_response(endpoint, chunks, content_type)
    if transport == "xhr":
        try:
            frame = await session.next_frame()
        except BaseException:  # the client went away while waiting
            session.detach(receiver, interrupted=True)
            raise
        session.detach(receiver, interrupted=False)
        return _session_response(endpoint, wrap(frame), content_type)
    stream = _Stream(session, receiver, prelude or "", wrap, endpoint.options.response_limit_bytes)
    response = _session_response(endpoint, stream, content_type)
    response.timeout = None  # Quart otherwise ends long-lived bodies
    return response


class _Stream:
    """A streaming response: the prelude, then frames until the byte limit or the close.

    A class rather than an async generator so that ``aclose`` lets go of the
    session even when the body was never iterated.
    """

    def __init__(
        self,
        session: SockJSSession,
        receiver: object,
        prelude: str,
        wrap: Callable[[str], str],
        limit: int,
    ) -> None:
        self._session = session
        self._receiver = receiver
        self._prelude = prelude.encode()
        self._wrap = wrap
        self._left = limit
        self._done = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._prelude:
            prelude, self._prelude = self._prelude, b""
            return prelude
        if self._done:
            raise StopAsyncIteration
        frame = await self._session.next_frame()
        chunk = self._wrap(frame).encode()
        # The limit counts frames, not the prelude: after it the client opens another
        # request, and the browser can let go of what this one held.
        self._left -= len(chunk)
        if self._left <= 0 or frame[0] == "c":
            self._done = True
            self._session.detach(self._receiver, interrupted=False)
        return chunk

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            self._session.detach(self._receiver, interrupted=True)


def _sse_wrap(frame: str) -> str:
    return eventsource_event(frame)


_FRAMING: dict[str, tuple[str, str | None, Callable[[str], str]]] = {
    "xhr": ("application/javascript;charset=UTF-8", None, xhr_line),
    "xhr_streaming": ("application/javascript;charset=UTF-8", XHR_STREAMING_PRELUDE, xhr_line),
    "eventsource": ("text/event-stream;charset=UTF-8", EVENTSOURCE_PRELUDE, _sse_wrap),
    "htmlfile": ("text/html;charset=UTF-8", None, htmlfile_script),
}


# Sending -----------------------------------------------------------------------


async def _xhr_send(endpoint: Endpoint, sessions: Sessions, session_id: str) -> Response:
    session = sessions.get(session_id)
    # The body is read even when the answer is 404: an answer sent before its request's
    # body was read ends the connection, and a client that reuses it (sockjs-client, any
    # HTTP/1.1 client with keep-alive) finds its next request dropped.
    body = await request.get_data()
    if (
        session is None
        or session.closed  # what it carried would be dropped: the client must know
        or not session.admits(endpoint.credential(request), _origin_host())
    ):
        return answer.not_found()
    try:
        messages = decode_messages(body)
    except (BrokenJSON, PayloadExpected) as error:
        return answer.text(str(error), 500)
    await session.deliver(messages)
    return _session_response(endpoint, b"", "text/plain;charset=UTF-8", status=204)


# WebSocket -------------------------------------------------------------------


async def _serve_websocket(endpoint: Endpoint, session_id: str) -> None:
    """One session over one WebSocket: its lifetime is the connection's, so it is not kept."""
    handshake = Handshake(
        websocket.remote_addr or "unknown",
        websocket.scope.get("client"),
        endpoint.credential(websocket),
    )
    # Opened before the handshake completes, so that a refusal is an HTTP answer.
    session = SockJSSession(session_id, endpoint.open_session(handshake), endpoint.options)
    receiver = object()
    session.attach(receiver)
    try:
        await websocket.accept()
    except BaseException:
        session.detach(receiver, interrupted=True)
        raise
    send = getattr(websocket, "_send", None) or websocket.send  # as websocket._raw_send
    broken = asyncio.Event()
    reader = asyncio.create_task(_read_websocket(session, broken))
    # A reader that fails ends the session, or nothing would read the client any more.
    reader.add_done_callback(lambda _: session.close(1011))
    interrupted = True
    try:
        while True:
            frame = await session.next_frame()
            if broken.is_set():
                break  # what the client sent is not SockJS: the connection ends, no frame
            await send(frame)
            if frame[0] == "c":
                break
        interrupted = broken.is_set()
    finally:
        reader.cancel()
        session.detach(receiver, interrupted=interrupted)
    await websocket.close(1002 if interrupted else 1000)


async def _read_websocket(session: SockJSSession, broken: asyncio.Event) -> None:
    while True:
        data = await websocket.receive()
        try:
            messages = decode_websocket_message(data)
        except BrokenJSON:
            broken.set()
            session.close(1002, "Broken JSON encoding.")
            return
        await session.deliver(messages)


# Headers -----------------------------------------------------------------------


def _address() -> str:
    return request.remote_addr or "unknown"


def _origin_host() -> str:
    """Where a request comes from, for holding a session: every loopback address is one
    (a browser may reach ``localhost`` over IPv4 and IPv6 in turn)."""
    address = _address()
    return "loopback" if is_loopback(address) else address


def _valid_ids(server: str, session_id: str) -> bool:
    """Any value but empty ones, dots (as the protocol says), control characters and
    lengths no client makes (``sockjs-client`` makes 3 and 8 characters)."""
    return all(
        0 < len(part) <= _MAX_ID and "." not in part and part.isprintable()
        for part in (server, session_id)
    )


def _session_response(
    endpoint: Endpoint, body: Any, content_type: str, status: int = 200
) -> Response:
    return answer.session_response(
        body, content_type, endpoint.origin_allowed, endpoint.options.cookie_needed, status
    )
