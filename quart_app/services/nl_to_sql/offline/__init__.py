"""The offline engine: deterministic NL to SQL from the introspected schema alone.

It knows no table names or questions in advance. Table, column and value names
come from the schema, joins from its foreign keys; what it knows of English is
a small set of words for counting, ordering, aggregating, grouping and time.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from ..engine import GenerationRequest
from .planner import understand
from .vocabulary import Vocabulary

_CLAUSES = re.compile(r"\s(?=FROM |JOIN |WHERE |GROUP BY |HAVING |ORDER BY |LIMIT |AND )")


class OfflineEngine:
    name = "offline"
    model: str | None = None

    def __init__(self) -> None:
        self._vocabularies: dict[float, Vocabulary] = {}

    async def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        """The SQL clause by clause, as an LLM would stream it; ``ConversionFailed`` if lost."""
        schema = request.schema
        vocabulary = self._vocabularies.get(schema.introspected_at)
        if vocabulary is None:
            vocabulary = Vocabulary.of(schema)
            self._vocabularies = {schema.introspected_at: vocabulary}
        translation = understand(request.question, vocabulary)
        request.notes["interpretation"] = translation.interpretation
        sql = translation.sql
        pieces = _CLAUSES.split(sql)
        for index, piece in enumerate(pieces):
            yield piece if index == 0 else f"\n{piece}"
            await asyncio.sleep(0)


__all__ = ["OfflineEngine"]
