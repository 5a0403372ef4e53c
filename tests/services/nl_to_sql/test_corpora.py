"""The offline engine on databases it was not written for: question → SQL → rows, compared
with the rows of gold SQL written before the engine saw the question."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import ModuleType

import asyncpg
import pytest

from quart_app.errors import ConversionFailed
from quart_app.services.nl_to_sql.offline.planner import translate
from quart_app.services.nl_to_sql.offline.vocabulary import Vocabulary
from quart_app.services.nl_to_sql.prompt import build_messages
from quart_app.services.nl_to_sql.schema import Schema
from tests.servers import TestDatabase
from tests.services.nl_to_sql import corpus
from tests.services.nl_to_sql.compare import same_result
from tests.services.nl_to_sql.questions import Case
from tests.snippets import snippet

CORPORA = {name: corpus.load(name) for name in corpus.NAMES}


@pytest.fixture(scope="session", name="schemas")
def fixture_schemas(database: TestDatabase) -> Iterator[dict[str, Schema]]:
    """Every corpus loaded into the run's database, as introspection finds it."""

    async def install(module: ModuleType, side_by_side: asyncio.Semaphore) -> Schema:
        async with side_by_side:
            connection = await asyncpg.connect(database.url)
            try:
                return await corpus.install(connection, module)
            finally:
                await connection.close()

    async def install_all() -> dict[str, Schema]:
        side_by_side = asyncio.Semaphore(3)  # each corpus in a schema of its own
        schemas = await asyncio.gather(*(install(m, side_by_side) for m in CORPORA.values()))
        return dict(zip(CORPORA, schemas, strict=True))

    yield asyncio.run(install_all())


@pytest.fixture(scope="session", name="vocabularies")
def fixture_vocabularies(schemas: dict[str, Schema]) -> dict[str, Vocabulary]:
    return {name: Vocabulary.of(schema) for name, schema in schemas.items()}


def test_the_prompt_in_the_docs_is_the_one_an_llm_gets(schemas: dict[str, Schema]) -> None:
    messages = build_messages(schemas["hr"], "List the 5 highest paid employees")
    shown = "".join(f"--- {m['role']} ---\n{m['content'].rstrip()}\n\n" for m in messages)
    assert snippet("hr-prompt", "output of").text == shown.rstrip() + "\n"


def cases() -> Iterator[object]:
    for name, module in CORPORA.items():
        for case in module.CASES:
            marks = (
                [pytest.mark.xfail(reason=case.known_miss, strict=True)] if case.known_miss else []
            )
            yield pytest.param(module, case, id=f"{name}: {case.question}", marks=marks)


@pytest.mark.parametrize(("module", "case"), list(cases()))
async def test_answers_match_the_gold_result(
    module: ModuleType, case: Case, vocabularies: dict[str, Vocabulary], db: asyncpg.Connection
) -> None:
    sql = translate(case.question, vocabularies[module.NAME])
    await corpus.use(db, module)
    got = [list(row) for row in await db.fetch(sql)]
    expected = [list(row) for row in await db.fetch(case.expected_sql)]
    assert same_result(got, expected, ordered=case.ordered), (sql, got[:5], expected[:5])


@pytest.mark.parametrize(
    ("module", "question"),
    [
        pytest.param(module, question, id=f"{name}: {question}")
        for name, module in CORPORA.items()
        for question in module.UNANSWERABLE
    ],
)
def test_refuses_what_it_cannot_map(
    module: ModuleType, question: str, vocabularies: dict[str, Vocabulary]
) -> None:
    with pytest.raises(ConversionFailed, match="did not understand"):
        translate(question, vocabularies[module.NAME])
