"""The offline engine over the demo data: answers compared as result sets, through the real API."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.services.nl_to_sql.compare import same_result
from tests.services.nl_to_sql.questions import CASES, HELD_OUT, UNANSWERABLE, Case


def marked(case: Case) -> object:
    if case.known_miss:
        return pytest.param(case, marks=pytest.mark.xfail(reason=case.known_miss, strict=True))
    return case


@pytest.mark.parametrize(
    "case", [marked(case) for case in CASES + HELD_OUT], ids=lambda case: case.question
)
async def test_answers_match_the_expected_result(
    case: Case, http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    response = await http.post(
        "/api/nl-to-sql/convert",
        json={"question": case.question, "execute": True, "maxRows": 50_000},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"] == "offline" and body["model"] is None
    expected = [list(row) for row in await db.fetch(case.expected_sql)]
    got = body["result"]["rows"]
    assert same_result(got, expected, ordered=case.ordered), (body["sql"], got[:5], expected[:5])


@pytest.mark.parametrize("question", UNANSWERABLE)
async def test_refuses_what_it_cannot_map(question: str, http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/nl-to-sql/convert", json={"question": question, "execute": True}
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
