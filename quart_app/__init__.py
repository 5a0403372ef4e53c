"""Ask PostgreSQL questions and run SQL, with every step reported live over STOMP and SSE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import Config

__all__ = ["Config", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that ``quart_app.charts`` (which a notebook's kernel
    # imports) does not bring the web server with it.
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Config":
        from .config import Config

        return Config
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
