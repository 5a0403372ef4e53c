"""What an engine is: something that turns a question and a schema into SQL, streamed in pieces."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

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


class Engine(Protocol):
    name: str  # "openai" or "offline"
    model: str | None

    def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        """The reply, piece by piece; the pipeline extracts the SQL from the whole."""
        ...


_FENCE = re.compile(
    r"```[ \t]*(?:sql|postgresql|postgres|pgsql)?[ \t]*\n?(.*?)(?:```|$)", re.DOTALL | re.IGNORECASE
)
_STATEMENT_START = re.compile(r"\b(WITH|SELECT|VALUES|TABLE|EXPLAIN|SHOW)\b", re.IGNORECASE)


def extract_sql(reply: str) -> str:
    """The SQL in a reply, fenced (```sql ... ```) or not; also works on a partial reply."""
    fenced = _FENCE.search(reply)
    if fenced:
        text = fenced.group(1)
    else:
        start = _STATEMENT_START.search(reply)
        text = reply[start.start() :] if start else reply
        # Unfenced SQL followed by prose: keep the statement, up to its end.
        if ";" in text:
            text = text[: text.index(";") + 1]
    return text.strip()
