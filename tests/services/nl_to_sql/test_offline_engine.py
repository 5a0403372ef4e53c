"""The offline engine over the demo data: its translation in-process, the answers compared
as result sets on the database, and a few questions end to end through the API."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from quart_app.errors import ConversionFailed
from quart_app.services.nl_to_sql.offline.planner import translate
from quart_app.services.nl_to_sql.offline.vocabulary import Vocabulary
from quart_app.services.nl_to_sql.schema import introspect
from quart_app.services.sql_safety import check_sql
from tests.services.nl_to_sql.compare import same_result
from tests.services.nl_to_sql.demo_schema import DEMO_SCHEMA, without_samples
from tests.services.nl_to_sql.questions import (
    ABSENCE,
    CASES,
    HELD_OUT,
    PHRASINGS,
    UNANSWERABLE,
    Case,
)

VOCABULARY = Vocabulary.of(DEMO_SCHEMA)
# Through the whole service: a count, a top-N over joins in order, a filter on a value.
END_TO_END = [
    "How many customers signed up in 2023?",
    "Top 5 customers by total spend",
    "Show pending orders from customers in Canada",
]


def marked(case: Case) -> object:
    if case.known_miss:
        return pytest.param(case, marks=pytest.mark.xfail(reason=case.known_miss, strict=True))
    return case


def by_question(case: Case) -> str:
    return case.question


@pytest.mark.parametrize(
    "case", [marked(case) for case in CASES + HELD_OUT + ABSENCE + PHRASINGS], ids=by_question
)
def test_each_question_becomes_one_statement_the_check_accepts(case: Case) -> None:
    sql = translate(case.question, VOCABULARY)
    checked = check_sql(sql)
    assert checked.kind == "query" and checked.sql.startswith("SELECT"), sql


@pytest.mark.parametrize(
    "case", [marked(case) for case in CASES + HELD_OUT + ABSENCE + PHRASINGS], ids=by_question
)
async def test_answers_match_the_expected_result(case: Case, db: asyncpg.Connection) -> None:
    sql = translate(case.question, VOCABULARY)
    got = [list(row) for row in await db.fetch(sql)]
    expected = [list(row) for row in await db.fetch(case.expected_sql)]
    assert same_result(got, expected, ordered=case.ordered), (sql, got[:5], expected[:5])


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_refuses_what_it_cannot_map(question: str) -> None:
    with pytest.raises(ConversionFailed, match="did not understand"):
        translate(question, VOCABULARY)


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("Average number of orders", "nothing to take the avg of counts over"),
        ("What is the profit per product?", "did not understand: 'profit'"),
        ("How many orders in March?", "did not understand: 'march'"),  # which year's March?
    ],
)
def test_a_refusal_says_why(question: str, why: str) -> None:
    with pytest.raises(ConversionFailed, match=why):
        translate(question, VOCABULARY)


async def test_the_demo_schema_is_what_introspection_finds(db: asyncpg.Connection) -> None:
    assert without_samples(await introspect(db)) == DEMO_SCHEMA


@pytest.mark.parametrize("question", END_TO_END)
async def test_answers_through_the_api(
    question: str, http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    (case,) = [case for case in CASES if case.question == question]
    response = await http.post(
        "/api/nl-to-sql/convert",
        json={"question": case.question, "execute": True, "maxRows": 50_000},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"] == "offline" and body["model"] is None
    assert " ".join(body["sql"].split()) == translate(case.question, VOCABULARY)  # as in-process
    expected = [list(row) for row in await db.fetch(case.expected_sql)]
    got = body["result"]["rows"]
    assert same_result(got, expected, ordered=case.ordered), (body["sql"], got[:5], expected[:5])


async def test_a_refusal_through_the_api(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/nl-to-sql/convert", json={"question": UNANSWERABLE[0], "execute": True}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "conversion_failed"
    assert "did not understand" in error["message"]


@pytest.mark.parametrize(
    ("got", "expected", "ordered", "same"),
    [
        ([[1, "a", "2.50"]], [["a", 2.5]], False, True),  # an extra id column is allowed
        ([["2024-01-01"]], [["2024-01-01T00:00:00+00:00"]], False, True),
        ([[1], [2]], [[2], [1]], False, True),
        ([[1], [2]], [[2], [1]], True, False),
        ([[1]], [[1], [1]], False, False),
        ([["a", 1]], [["a", 2]], False, False),
    ],
)
def test_result_comparison(
    got: list[list[object]], expected: list[list[object]], ordered: bool, same: bool
) -> None:
    assert same_result(got, expected, ordered=ordered) is same
