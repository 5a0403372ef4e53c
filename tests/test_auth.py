"""Who may call, as tables: the token a request carries, the paths that need it, origins."""

from __future__ import annotations

import re

import pytest

from quart_app.auth import (
    check_origin,
    check_token,
    cors_origins,
    presented_token,
    token_matches,
)
from quart_app.errors import ForbiddenOrigin, Unauthorized

TOKEN = "s3cret"


@pytest.mark.parametrize(
    ("authorization", "access_token", "presented"),
    [
        ("Bearer s3cret", None, "s3cret"),
        ("bearer s3cret", None, "s3cret"),  # the scheme's case does not matter
        ("BEARER   s3cret  ", None, "s3cret"),
        ("Bearer s3cret", "other", "s3cret"),  # the header wins over the query
        (None, "s3cret", "s3cret"),
        ("Basic dXNlcjpwdw==", "s3cret", "s3cret"),  # another scheme is no token
        ("Basic dXNlcjpwdw==", None, None),
        ("Bearer ", None, None),
        ("Bearer", "s3cret", "s3cret"),
        ("s3cret", None, None),  # a token without its scheme
        (None, "", None),
        (None, None, None),
    ],
)
def test_the_token_a_request_carries(
    authorization: str | None, access_token: str | None, presented: str | None
) -> None:
    assert presented_token(authorization, access_token) == presented


@pytest.mark.parametrize(
    ("presented", "matches"),
    [
        ("s3cret", True),
        ("s3cret ", False),
        ("S3CRET", False),
        ("s3cre", False),
        ("", False),
        (None, False),
        ("s3crét", False),  # not ASCII: compared as bytes, refused, never an error
    ],
)
def test_tokens_match_exactly(presented: str | None, matches: bool) -> None:
    assert token_matches(TOKEN, presented) is matches


@pytest.mark.parametrize(
    ("expected", "path", "presented", "allowed"),
    [
        (None, "/api/jobs", None, True),  # no token set: everyone may call
        (TOKEN, "/api/jobs", TOKEN, True),
        (TOKEN, "/api/jobs", None, False),
        (TOKEN, "/api/jobs", "wrong", False),
        (TOKEN, "/api/query-execution/execute", None, False),
        (TOKEN, "/sse/topic/requests/r-1", None, False),
        (TOKEN, "/ws", None, False),
        (TOKEN, "/health", None, True),
        (TOKEN, "/", None, True),
        (TOKEN, "/docs", None, True),
        (TOKEN, "/openapi.json", None, True),
        (TOKEN, "/static/dashboard.js", None, True),
        (TOKEN, "/static", None, False),
        (TOKEN, "/healthz", None, False),
        (TOKEN, "/api/../health", None, False),  # the path as routed, not as it could be read
    ],
)
def test_which_paths_need_the_token(
    expected: str | None, path: str, presented: str | None, allowed: bool
) -> None:
    if allowed:
        check_token(expected, path, presented)
    else:
        with pytest.raises(Unauthorized) as refused:
            check_token(expected, path, presented)
        assert TOKEN not in str(refused.value)
        assert ("the token given is not it" in str(refused.value)) is (presented is not None)


@pytest.mark.parametrize(
    ("setting", "origins"),
    [
        ("", []),
        ("*", ["*"]),
        ("http://localhost:8888", ["http://localhost:8888"]),
        (" http://a.example , http://b.example ,", ["http://a.example", "http://b.example"]),
    ],
)
def test_cors_origins_without_wildcards(setting: str, origins: list[str]) -> None:
    assert cors_origins(setting) == origins


@pytest.mark.parametrize(
    ("origin", "matches"),
    [
        ("http://localhost:8888", True),
        ("http://localhost:1", True),
        ("http://localhost:", False),
        ("http://localhost:88a", False),
        ("http://localhost:8888/", False),
        ("https://localhost:8888", False),
        ("http://localhostx8888", False),
    ],
)
def test_a_star_in_an_origin_is_any_port(origin: str, matches: bool) -> None:
    (pattern,) = cors_origins("http://localhost:*")
    assert isinstance(pattern, re.Pattern)
    assert bool(pattern.match(origin)) is matches


ALLOWED = cors_origins("http://localhost:*, https://notebook.example")


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "served"),
    [
        (None, "127.0.0.1:8000", [], True),  # no Origin: not a browser page
        ("http://127.0.0.1:8000", "127.0.0.1:8000", [], True),  # the server's own page
        ("http://127.0.0.1:8001", "127.0.0.1:8000", [], False),  # another port, another origin
        ("http://evil.example", "127.0.0.1:8000", [], False),
        ("http://evil.example", "127.0.0.1:8000", ["*"], True),
        ("null", "127.0.0.1:8000", [], False),  # a sandboxed frame or a file
        ("http://localhost:8888", "127.0.0.1:8000", ALLOWED, True),
        ("https://notebook.example", "127.0.0.1:8000", ALLOWED, True),
        ("http://notebook.example", "127.0.0.1:8000", ALLOWED, False),
        ("http://localhost.evil.example", "127.0.0.1:8000", ALLOWED, False),
    ],
)
def test_origins_served(
    origin: str | None, host: str, allowed: list[str | re.Pattern[str]], served: bool
) -> None:
    if served:
        check_origin(origin, host, allowed)
    else:
        with pytest.raises(ForbiddenOrigin, match="QUART_APP_CORS_ORIGINS"):
            check_origin(origin, host, allowed)
