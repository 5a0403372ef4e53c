"""Ask PostgreSQL questions and run SQL, with every step reported live over STOMP and SSE."""

from .app import create_app
from .config import Config

__all__ = ["Config", "create_app"]
