"""Who may call: the API token and the allowed browser origins.

With ``QUART_APP_API_TOKEN`` set, every request but ``OPEN_PATHS`` needs it, as a
Bearer header, ``?access_token=`` (browsers' EventSource and WebSocket cannot set
headers; RFC 6750 2.3) or a STOMP ``passcode``. An ``Origin`` that is neither ours nor
allowed is refused before anything runs: a page could not read the answer, but the
query would still have run.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import urlsplit

from .errors import ForbiddenOrigin, Unauthorized

# What needs no token: liveness, the dashboard page (it takes the token from its own
# address to call the API), its static files, and the API's description.
OPEN_PATHS = frozenset({"/health", "/", "/docs", "/openapi.json"})
# Under /ws/ is SockJS, which checks a session's token itself: a session may instead be
# authenticated by STOMP CONNECT's passcode, and its info and iframe pages are public.
OPEN_PREFIXES = ("/static/", "/ws/")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def cors_origins(setting: str) -> list[str | re.Pattern[str]]:
    """``QUART_APP_CORS_ORIGINS`` as quart-cors wants it: ``*`` in an origin matches any port."""
    origins: list[str | re.Pattern[str]] = []
    for origin in (part.strip() for part in setting.split(",")):
        if origin == "*" or (origin and "*" not in origin):
            origins.append(origin)
        elif origin:
            origins.append(re.compile(re.escape(origin).replace(r"\*", r"\d+") + "$"))
    return origins


def frame_ancestors(setting: str) -> str:
    """``QUART_APP_CORS_ORIGINS`` as CSP ``frame-ancestors`` sources: the pages that may frame ours."""
    sources = [part.strip() for part in setting.split(",") if part.strip()]
    return "*" if "*" in sources else " ".join(["'self'", *sources])


def origin_allowed(origin: str, allowed: list[str | re.Pattern[str]]) -> bool:
    """Whether ``origin`` is one of the allowed cross-origin pages (``cors_origins``)."""
    for entry in allowed:
        if entry == "*" or entry == origin:
            return True
        if isinstance(entry, re.Pattern) and entry.match(origin):
            return True
    return False


def check_origin(origin: str | None, host: str, allowed: list[str | re.Pattern[str]]) -> None:
    """Refuse a browser page from an origin that is neither this server nor allowed."""
    if origin is None or urlsplit(origin).netloc == host or origin_allowed(origin, allowed):
        return
    raise ForbiddenOrigin(
        f"pages from {origin} may not call this server: add the origin to QUART_APP_CORS_ORIGINS"
    )


def presented_token(authorization: str | None, access_token: str | None) -> str | None:
    """The token a request carries: ``Authorization: Bearer``, else ``?access_token=``."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return access_token or None


def token_matches(expected: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(expected.encode(), presented.encode())


def check_token(expected: str | None, path: str, presented: str | None) -> None:
    if expected is None or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return
    if not token_matches(expected, presented):
        raise Unauthorized(
            "this server needs its API token: send Authorization: Bearer <token>, "
            "or ?access_token=<token> where headers cannot be set"
            + (" (the token given is not it)" if presented else "")
        )
