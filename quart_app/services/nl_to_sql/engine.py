"""What an engine is: something that turns a question and a schema into SQL, streamed in pieces."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from .schema import Schema


@dataclass(frozen=True, slots=True)
class Attempt:
    """A previous try that the database rejected, fed back for a correction."""

    sql: str
    error: str


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    question: str
    schema: Schema
    messages: list[dict[str, str]]  # the chat prompt, for engines that take one
    previous: Attempt | None = None
    # What the engine says of its reply besides the SQL: the offline engine puts its
    # reading of the question in words under "interpretation".
    notes: dict[str, Any] = field(default_factory=dict)


class Engine(Protocol):
    name: str  # "openai" or "offline"
    model: str | None

    def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        """The reply, piece by piece; the pipeline extracts the SQL from the whole."""
        ...


_LANGUAGE_TAGS = frozenset({"", "sql", "postgresql", "postgres", "pgsql", "psql"})
_STATEMENT_START = re.compile(r"\b(WITH|SELECT|VALUES|TABLE|EXPLAIN|SHOW)\b", re.IGNORECASE)


def extract_sql(reply: str) -> str:
    """The SQL in a reply, fenced (```sql ... ```) or not.

    Also used on a reply still streaming in: it then gives the SQL so far, which
    only grows, and nothing while the reply is still prose or a fence's tag.
    """
    fence = reply.find("```")
    if fence >= 0:
        rest = reply[fence + 3 :]
        tag, newline, body = rest.partition("\n")
        if not newline:
            word = tag.strip().lower()
            if any(known.startswith(word) for known in _LANGUAGE_TAGS):
                return ""  # still reading the fence's language tag
            return rest.strip().rstrip("`").strip()
        if tag.strip().lower() not in _LANGUAGE_TAGS:  # SQL on the fence's own line
            body = rest
        end = body.find("```")
        return (body[:end] if end >= 0 else body.rstrip("`")).strip()
    start = _STATEMENT_START.search(reply)
    if start is None:
        return ""
    text = reply[start.start() :]
    if ";" in text:  # unfenced SQL followed by prose: the statement ends at its semicolon
        text = text[: text.index(";") + 1]
    return text.strip()
