"""Schema-driven fuzzing of the HTTP API: no 5xx, and every answer within the API's own schema.

Cases come from schemathesis, driven through hypothesis directly: its pytest
plugin's fixture loader does not run under this pytest.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import ServerProcess

EXAMPLES = 60
# What the API promises: no 5xx, and every answer documented and within its schema. Not
# "every schema-valid request succeeds": a valid body may still hold unsafe SQL or a question
# nothing in the database answers, and those are 422s by design.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_api_answers_within_its_schema(server: ServerProcess) -> None:
    schema = (
        schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        .exclude(path_regex="^/sse/")  # endless streams, covered by the transport tests
        .exclude(path="/")  # the dashboard's HTML page
    )
    tried: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS, timeout=30)
            tried[label] = tried.get(label, 0) + 1  # noqa: B023 - check() runs in this iteration

        check()
    assert len(tried) >= 8, tried
    print(f"\n{sum(tried.values())} generated requests over {len(tried)} operations: {tried}")


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [
        ("GET", "/api/jobs?limit=%C2%B9", None, {}, 400),  # "¹": isdigit() but not int()
        ("GET", "/api/jobs?status=x%00", None, {}, 400),  # a NUL, which PostgreSQL refuses
        ("GET", "/api/jobs?topic=elsewhere", None, {}, 400),
        ("POST", "/api/nl-to-sql/convert", {"question": "¹²"}, {}, 422),
        ("GET", "/sse/topic/nl-to-sql?lastEventId=%C2%B9", None, {}, 400),
    ],
)
async def test_what_the_fuzzing_found_gets_a_clear_error(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: object,
    headers: dict[str, str],
    status: int,
) -> None:
    response = await http.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] in ("invalid_request", "conversion_failed")
