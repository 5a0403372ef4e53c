"""REST bodies and query strings are validated by the models, in-process (no server, no
database): each refusal is 400 ``invalid_request`` naming what is wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from quart import Quart

from quart_app.app import create_app
from quart_app.config import Config

EXECUTE = "/api/query-execution/execute"
CONVERT = "/api/nl-to-sql/convert"


@pytest.fixture(name="app", scope="module")
def fixture_app() -> Iterator[Quart]:
    # Never started: nothing here gets as far as the database.
    yield create_app(Config(database_url="postgresql://nowhere/db", history_url="memory"))


@pytest.mark.parametrize(
    ("path", "body", "content_type", "says"),
    [
        (EXECUTE, "{bad", "application/json", "the body is not valid JSON"),
        (EXECUTE, "", "application/json", "the body is not valid JSON"),
        (EXECUTE, "[1]", "application/json", "the body must be a JSON object"),
        (CONVERT, "null", "application/json", "the body must be a JSON object"),
        (EXECUTE, "[" * 5000 + "]" * 5000, "application/json", "nested too deeply"),
        (EXECUTE, '{"sql": 1' + "0" * 5000 + "}", "application/json", "more than 4300 digits"),
        (EXECUTE, "{}", "application/json", "sql: Field required"),
        (EXECUTE, '{"sql": 5}', "text/plain", "sql: Input should be a valid string"),
        (EXECUTE, '{"sql": "a\\u0000"}', "application/json", "sql: must not contain NUL"),
        (EXECUTE, '{"sql": "SELECT 1", "maxRows": 0}', "application/json", "maxRows: Input"),
        (EXECUTE, '{"sql": "SELECT 1", "maxRows": "5"}', "application/json", "maxRows: Input"),
        (EXECUTE, '{"sql": "SELECT 1", "requestId": "a b"}', "application/json", "requestId"),
        (CONVERT, '{"question": "q", "execute": "yes"}', "text/plain", "execute: Input"),
    ],
)
async def test_a_bad_body_is_an_invalid_request(
    app: Quart, path: str, body: str, content_type: str, says: str
) -> None:
    response = await app.test_client().post(path, data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    error = (await response.get_json())["error"]
    assert error["code"] == "invalid_request"
    assert says in error["message"]


async def test_a_body_too_large_is_refused_before_it_is_read(app: Quart) -> None:
    response = await app.test_client().post(
        EXECUTE, data="x" * (3 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("limit=0", "limit: Input should be greater than or equal to 1"),
        ("limit=1001", "limit: Input should be less than or equal to 1000"),
        ("limit=1e3", "limit: must be an integer from 1 to 1000"),
        ("limit=%D9%A1", "limit: must be an integer from 1 to 1000"),
        ("limit=" + "9" * 5000, "limit: must be an integer from 1 to 1000"),
        ("limit=", "limit: must be an integer from 1 to 1000"),
        ("topic=elsewhere", "topic: Input should be 'nl-to-sql' or 'query-execution'"),
        ("status=a%00", "status: Input should be 'running', 'success', 'error' or 'cancelled'"),
    ],
)
async def test_a_bad_job_query_is_an_invalid_request(app: Quart, query: str, says: str) -> None:
    response = await app.test_client().get(f"/api/jobs?{query}")
    assert response.status_code == 400
    assert (await response.get_json())["error"] == {"code": "invalid_request", "message": says}
