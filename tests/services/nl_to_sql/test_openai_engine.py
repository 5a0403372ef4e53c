"""The OpenAI engine against an OpenAI-compatible server that streams real chunks over HTTP."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.servers import ServerProcess, free_port, new_id, wait_for_events
from tests.services.nl_to_sql.fake_openai import BAD_SQL, GOOD_SQL, FakeOpenAI


@pytest.fixture(scope="module", name="fake")
def fixture_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module", name="llm_server")
def fixture_llm_server(
    start_server: Callable[..., ServerProcess], fake: FakeOpenAI
) -> ServerProcess:
    return start_server(
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_API_KEY="test-key",
        OPENAI_MODEL="fake-sql",
        QUART_APP_LLM_TIMEOUT_SECONDS="2",
    )


async def convert(
    server: ServerProcess, body: dict[str, object]
) -> tuple[httpx.Response, list[dict]]:  # type: ignore[type-arg]
    rid = new_id()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        response = await http.post("/api/nl-to-sql/convert", json={"requestId": rid, **body})
        events = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    return response, events


async def test_streams_the_reply_and_extracts_fenced_sql(
    llm_server: ServerProcess, fake: FakeOpenAI
) -> None:
    response, events = await convert(
        llm_server, {"question": "how many customers are there", "execute": True}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sql"] == GOOD_SQL and body["engine"] == "openai" and body["model"] == "fake-sql"
    assert body["result"]["rows"] == [[10_000]]
    partial = [e["metadata"]["partialSql"] for e in events if e["stage"] == "generating"]
    assert len(partial) > 5  # one event per streamed piece
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(partial))
    assert partial[-1] == GOOD_SQL
    (converted,) = [e for e in events if e["topic"] == "nl-to-sql" and e["status"] == "success"]
    assert converted["metadata"]["interpretation"] is None  # the offline engine's alone
    request = fake.requests[-1]
    assert request["headers"]["authorization"] == "Bearer test-key"
    assert request["body"]["stream"] is True and request["body"]["model"] == "fake-sql"
    system = request["body"]["messages"][0]["content"]
    assert (
        "TABLE customers" in system
        and "references customers.id" in system
        and "'Germany'" in system
    )
    assert not any("test-key" in str(event) for event in events)


async def test_unfenced_sql_after_prose(llm_server: ServerProcess) -> None:
    response, _ = await convert(llm_server, {"question": "[prose] count the customers"})
    assert response.json()["sql"] == GOOD_SQL


async def test_rejected_sql_is_corrected_once_with_the_error_fed_back(
    llm_server: ServerProcess, fake: FakeOpenAI
) -> None:
    response, events = await convert(llm_server, {"question": "[bad-first] how many customers"})
    assert response.status_code == 200, response.text
    assert response.json()["sql"] == GOOD_SQL
    stages = [e["stage"] for e in events]
    assert stages.index("validating") < stages.index("correcting") < len(stages) - 1
    correcting = events[stages.index("correcting")]
    assert "customer_list" in correcting["metadata"]["error"]
    retry = fake.requests[-1]["body"]["messages"]
    assert BAD_SQL in retry[-2]["content"] and "customer_list" in retry[-1]["content"]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        (
            {"OPENAI_API_KEY": "wrong", "OPENAI_MODEL": "fake-sql"},
            "refused the API key: check OPENAI_API_KEY",
        ),
        ({"OPENAI_API_KEY": "k", "OPENAI_MODEL": "limited"}, "rate limiting"),
    ],
)
async def test_endpoint_refusals_become_llm_unavailable(
    start_server: Callable[..., ServerProcess],
    fake: FakeOpenAI,
    settings: dict[str, str],
    fragment: str,
) -> None:
    server = start_server(OPENAI_BASE_URL=fake.base_url, **settings)
    response, events = await convert(server, {"question": "how many customers"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "llm_unavailable"
    assert fragment in response.json()["error"]["message"]
    assert events[-1]["metadata"]["failedStage"] == "generating"


async def test_unreachable_endpoint(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server(OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1")
    response, _ = await convert(server, {"question": "how many customers"})
    assert response.status_code == 503
    assert "cannot connect to the LLM endpoint" in response.json()["error"]["message"]


async def test_endpoint_that_hangs_times_out(llm_server: ServerProcess) -> None:
    started = time.monotonic()
    response, _ = await convert(llm_server, {"question": "[hang] how many customers"})
    assert response.status_code == 503
    assert "did not answer in time" in response.json()["error"]["message"]
    assert time.monotonic() - started < 10  # QUART_APP_LLM_TIMEOUT_SECONDS=2


async def test_cancel_while_generating(
    start_server: Callable[..., ServerProcess], fake: FakeOpenAI
) -> None:
    server = start_server(
        OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="k", QUART_APP_LLM_TIMEOUT_SECONDS="60"
    )
    rid = new_id()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        accepted = await http.post(
            "/api/nl-to-sql/convert",
            json={"requestId": rid, "question": "[hang] count customers"},
            headers={"Prefer": "respond-async"},
        )
        assert accepted.status_code == 202
        await wait_for_events(http, rid, until="generating")
        cancelled_at = time.monotonic()
        assert (await http.post(f"/api/jobs/{rid}/cancel")).status_code == 202
        events = await wait_for_events(http, rid, timeout=5)
        assert time.monotonic() - cancelled_at < 1.0
    assert events[-1]["status"] == "cancelled" and events[-1]["topic"] == "nl-to-sql"
    assert events[-1]["metadata"]["failedStage"] == "generating"
