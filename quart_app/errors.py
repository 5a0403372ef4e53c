"""One error family for everything a request can fail with, and its JSON form.

Each ``code`` is one of the contract's error codes and maps to one HTTP status;
services raise these, REST turns them into ``{"error": {...}}`` bodies and the
event stream into ``metadata.error``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

# A message is one line for a person. PostgreSQL's may quote a whole value (an invalid
# cast of a 100 MB string says it in full): every event, stored row and subscriber
# would carry it.
MAX_MESSAGE_CHARS: Final = 1_000


def bounded_message(text: str) -> str:
    """``text`` cut to ``MAX_MESSAGE_CHARS``, saying how much was left out."""
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return f"{text[:MAX_MESSAGE_CHARS]}… ({len(text) - MAX_MESSAGE_CHARS:,} more characters)"


class APIError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        message = bounded_message(message)
        super().__init__(message)
        self.message = message
        self.request_id = request_id

    def to_error(self) -> dict[str, Any]:
        """The ``{"code", "message"}`` object used in bodies and event metadata."""
        return {"code": self.code, "message": self.message}

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.to_error()}
        if self.request_id is not None:
            body["requestId"] = self.request_id
        return body


class InvalidRequest(APIError):
    status = 400
    code = "invalid_request"


class Unauthorized(APIError):
    """No API token, or the wrong one, where the server has one (``QUART_APP_API_TOKEN``)."""

    status = 401
    code = "unauthorized"


class ForbiddenOrigin(APIError):
    """A browser page from an origin outside ``QUART_APP_CORS_ORIGINS``."""

    status = 403
    code = "forbidden_origin"


class ForbiddenHost(APIError):
    """A ``Host`` this service does not answer to: a DNS-rebinding page, most likely."""

    status = 403
    code = "forbidden_host"

    def __init__(self, host: str) -> None:
        super().__init__(
            f"this server does not answer to the host name {host[:100]!r}: reach it by "
            "localhost, 127.0.0.1 or its listening address, or add the name to "
            "QUART_APP_ALLOWED_HOSTS"
        )


class TooManyStreams(APIError):
    """An address other than loopback holds ``QUART_APP_MAX_STREAMS_PER_CLIENT`` streams already."""

    status = 429
    code = "too_many_streams"


class NotFound(APIError):
    status = 404
    code = "not_found"


class Conflict(APIError):
    status = 409
    code = "conflict"


class RequestIdInUse(Conflict):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"requestId {request_id!r} has already been used", request_id=request_id)


class Cancelled(APIError):
    status = 409
    code = "cancelled"


class UnsafeSQL(APIError):
    status = 422
    code = "unsafe_sql"


class SQLError(APIError):
    status = 422
    code = "sql_error"

    def __init__(
        self, message: str, *, sqlstate: str | None, request_id: str | None = None
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.sqlstate = sqlstate

    def to_error(self) -> dict[str, Any]:
        error = super().to_error()
        if self.sqlstate:
            error["sqlstate"] = self.sqlstate
        return error


class ConversionFailed(APIError):
    status = 422
    code = "conversion_failed"


class DatabaseUnavailable(APIError):
    status = 503
    code = "database_unavailable"


class Busy(APIError):
    """No database connection for this statement: the pool stayed full for its whole
    timeout, or its client already runs as many statements as it may."""

    status = 503
    code = "busy"
    retry_after = 1  # seconds; sent as Retry-After


class LLMUnavailable(APIError):
    status = 503
    code = "llm_unavailable"


class QueryTimeout(APIError):
    status = 504
    code = "timeout"


class InternalError(APIError):
    status = 500
    code = "internal"


class EndedElsewhere(InternalError):
    """Another process ended this request, having taken this one for gone.

    Events this process publishes for it afterwards are refused with this error
    (``services/orphans.py`` tells the whole story).
    """
