"""The HTTP side of SockJS: its pages, CORS, caching and cookie rules, as Quart responses.

Every answer a SockJS endpoint gives over plain HTTP is built here: the
``/info`` body, the iframe page (cached for a year, framed only by allowed
pages), preflights, session responses (never cached, CORS as the protocol
wants it, ``JSESSIONID`` when asked for) and the protocol's plain-text errors.
"""

from __future__ import annotations

import email.utils
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from quart import Response, request

_YEAR = 31_536_000
_NOT_CACHED = "no-store, no-cache, must-revalidate, max-age=0"
_IFRAME_NAME = re.compile(r"iframe(-[^/]*)?\.html")
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9._\-]{1,128}")
NO_UPGRADE = 'Can "Upgrade" only to "WebSocket".'

OriginAllowed = Callable[[str], bool]


def text(body: str, status: int = 200) -> Response:
    return Response(body.encode(), status=status, content_type="text/plain;charset=UTF-8")


def not_found() -> Response:
    return text("Not found", 404)


def not_allowed(allowed: str) -> Response:
    response = Response(b"", status=405)
    response.headers.pop("Content-Type", None)
    response.headers["Allow"] = allowed
    return response


def info(websocket: bool, cookie_needed: bool, origin_allowed: OriginAllowed) -> Response:
    body = {
        "websocket": websocket,
        "cookie_needed": cookie_needed,
        "origins": ["*:*"],
        "entropy": secrets.randbits(32),
    }
    response = Response(
        json.dumps(body, separators=(",", ":")).encode(),
        status=200,
        content_type="application/json;charset=UTF-8",
    )
    response.headers["Cache-Control"] = _NOT_CACHED
    _cors(response, origin_allowed)
    return response


def is_iframe_page(name: str) -> bool:
    return _IFRAME_NAME.fullmatch(name) is not None


def iframe_page(page: bytes, etag: str, frame_ancestors: str) -> Response:
    if request.headers.get("If-None-Match") == etag:
        response = Response(b"", status=304)
        response.headers.pop("Content-Type", None)
    else:
        response = Response(page, status=200, content_type="text/html;charset=UTF-8")
    response.headers["Cache-Control"] = f"public, max-age={_YEAR}"
    response.headers["Expires"] = _expires(_YEAR)
    response.headers["ETag"] = etag
    # Only pages allowed to use the service may embed this page, which talks to the
    # service with its origin: without this, any site could, through it.
    response.headers["Content-Security-Policy"] = f"frame-ancestors {frame_ancestors}"
    return response


def preflight(methods: str, origin_allowed: OriginAllowed) -> Response:
    response = Response(b"", status=204)
    response.headers.pop("Content-Type", None)
    response.headers["Cache-Control"] = f"public, max-age={_YEAR}"
    response.headers["Expires"] = _expires(_YEAR)
    response.headers["Access-Control-Max-Age"] = str(_YEAR)
    response.headers["Access-Control-Allow-Methods"] = methods
    if requested := request.headers.get("Access-Control-Request-Headers"):
        response.headers["Access-Control-Allow-Headers"] = requested
    _cors(response, origin_allowed)
    return response


def session_response(
    body: Any,
    content_type: str,
    origin_allowed: OriginAllowed,
    cookie_needed: bool,
    status: int = 200,
) -> Response:
    """A response of a session's transport: never cached, SockJS's CORS, the cookie."""
    response = Response(body, status=status, content_type=content_type)
    response.headers["Cache-Control"] = _NOT_CACHED
    _cors(response, origin_allowed)
    if cookie_needed:  # for load balancers that keep a client on one process by it
        value = request.cookies.get("JSESSIONID") or ""
        if not _COOKIE_VALUE.fullmatch(value):  # echoed only when it cannot add attributes
            value = "dummy"
        response.headers["Set-Cookie"] = f"JSESSIONID={value}; path=/"
    return response


def _cors(response: Response, origin_allowed: OriginAllowed) -> None:
    """SockJS's CORS: the page's origin echoed with credentials, ``*`` when it sent none."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"


def _expires(seconds: int) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)
