"""Bad input is a 4xx (or a STOMP ERROR), never a 5xx, and never a traceback in the log.

Each test sends something Python or PostgreSQL cannot take as it is, then checks
the answer; after each, the server's log holds no traceback and it still answers
``/health`` and a query.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from quart_app.storage.codecs import MAX_JSON_DEPTH
from tests.servers import ServerProcess
from tests.transports.stomp_clients import RawStomp
from widget import Client

INT64_MAX = "9223372036854775807"
PAST_INT64 = "9223372036854775808"
THOUSANDS_OF_DIGITS = "9" * 5000


@pytest.fixture(scope="module", name="target")
def fixture_target(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    """A server of this module's own, so that its log holds only what these tests caused."""
    return start_server()


@pytest.fixture(name="client")
async def fixture_client(target: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=target.url, timeout=30) as client:
        yield client
    # An exception turned into a 4xx on its way out shows nowhere else.
    assert "Traceback" not in target.log(), target.log()[-5000:]
    async with httpx.AsyncClient(base_url=target.url, timeout=30) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        answer = await client.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
        assert answer.status_code == 200 and answer.json()["rows"] == [[1]]


def _refused(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    code = "invalid_request" if status == 400 else "not_found"
    assert response.json()["error"]["code"] == code, response.text
    message: str = response.json()["error"]["message"]
    return message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("[" * 10_000 + "]" * 10_000, "nested too deeply"),
        ('{"sql": "SELECT 1", "x": ' + "[" * 10_000 + "]" * 10_000 + "}", "nested too deeply"),
        ('{"sql": "SELECT 1", "maxRows": 1' + "0" * 5000 + "}", "more than 4300 digits"),
        ('{"sql": "SELECT 1", "timeoutMs": 1' + "0" * 4000 + "}", "timeoutMs"),
        ('{"sql": ' + "[" * 900 + "]" * 900 + "}", "sql"),
        ('{"sql": "SELECT 1", "requestId": ' + '{"a":' * 900 + "1" + "}" * 900 + "}", "requestId"),
        ('{"sql": "SELECT 1", "maxRows": 1e400}', "maxRows"),
        ('{"sql": "SELECT 1", "maxRows": NaN}', "maxRows"),
    ],
)
async def test_bodies_python_cannot_read_are_invalid_requests(
    client: httpx.AsyncClient, body: str, says: str
) -> None:
    for path in ("/api/query-execution/execute", "/api/nl-to-sql/convert"):
        response = await client.post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
        message = _refused(response)
        if path.endswith("execute") or says.startswith(("nested", "more than")):
            assert says in message, path  # convert may name its missing question first


@pytest.mark.parametrize("query", ["", "topic=&status=", "limit=1000&topic=nl-to-sql"])
async def test_empty_or_full_job_queries_list_jobs(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/api/jobs?{query}")
    assert response.status_code == 200, response.text
    jobs = response.json()["jobs"]
    assert isinstance(jobs, list) and len(jobs) <= (1000 if "limit" in query else 50)
    if "topic=nl-to-sql" in query:
        assert {job["topic"] for job in jobs} <= {"nl-to-sql"}


@pytest.mark.parametrize(
    ("path", "body", "says"),
    [
        (
            "/api/query-execution/execute",
            {"sql": "SELECT 1", "timeoutMs": 600_001},
            "timeoutMs may be at most 600000",
        ),
        (
            "/api/query-execution/execute",
            {"sql": "SELECT 1", "maxRows": 1_000_001},
            "maxRows may be at most 1000000",
        ),
        ("/api/nl-to-sql/convert", {"question": "   "}, "question must not be blank"),
    ],
)
async def test_bodies_past_the_settings_bounds_are_invalid_requests(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], says: str
) -> None:
    """The models cannot know these bounds: they come from the settings."""
    assert says in _refused(await client.post(path, json=body))


def _nest(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


# Values PostgreSQL holds and Python does not: each comes back as text, as codecs.py spells it.
VALUES: list[tuple[str, list[Any]]] = [
    (
        "SELECT '10000-01-01'::date, '0044-03-15 BC'::date, 'infinity'::date, "
        "'-infinity'::date, '2024-02-29'::date",
        ["10000-01-01", "0044-03-15 BC", "infinity", "-infinity", "2024-02-29"],
    ),
    (
        "SELECT 'infinity'::timestamp, '-infinity'::timestamptz, "
        "'10000-01-01 12:30'::timestamp, '0044-03-15 12:00+00 BC'::timestamptz, "
        "'2024-01-01 12:00+00'::timestamptz",
        [
            "infinity",
            "-infinity",
            "10000-01-01T12:30:00",
            "0044-03-15T12:00:00+00:00 BC",
            "2024-01-01T12:00:00+00:00",
        ],
    ),
    (
        "SELECT '24:00'::time, '24:00+05'::timetz, '12:00:00.5+05:30'::timetz",
        ["24:00:00", "24:00:00+05:00", "12:00:00.500000+05:30"],
    ),
    (
        "SELECT '1 year 2 mons 3 days'::interval, '178000000 years'::interval, "
        "'1 day 02:03:04.5'::interval",
        ["1 year 2 mons 3 days", "178000000 years", "1 day 02:03:04.5"],
    ),
    (
        "SELECT 'NaN'::numeric, 'Infinity'::numeric, '-Infinity'::numeric, 'NaN'::float8, "
        "'Infinity'::float4, '-Infinity'::float8, 1.5::float8",
        ["NaN", "Infinity", "-Infinity", "NaN", "Infinity", "-Infinity", 1.5],
    ),
    (
        f"SELECT (repeat('[', 3000) || repeat(']', 3000))::jsonb, "
        f"(repeat('[', {MAX_JSON_DEPTH + 1}) || repeat(']', {MAX_JSON_DEPTH + 1}))::json, "
        f"(repeat('[', {MAX_JSON_DEPTH}) || repeat(']', {MAX_JSON_DEPTH}))::json",
        [
            "[" * 3000 + "]" * 3000,
            "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
            _nest(MAX_JSON_DEPTH),
        ],
    ),
    (
        "SELECT ('[' || repeat('1', 5000) || ']')::json, '{\"a\": 1e400}'::json, "
        "'\"\\u0000\"'::json, '{\"a\": [1, 2.5, null, true]}'::jsonb",
        ["[" + "1" * 5000 + "]", '{"a": 1e400}', '"\\u0000"', {"a": [1, 2.5, None, True]}],
    ),
    (
        "SELECT B'101', ROW('infinity'::date, 1), ARRAY[1.5::float8, 'NaN'], "
        "ARRAY['10000-01-01'::date, '2024-01-01'], '[2024-01-01,10000-01-01)'::daterange, "
        "'empty'::int4range, '(1,5]'::int4range",
        [
            "101",
            ["infinity", 1],
            [1.5, "NaN"],
            ["10000-01-01", "2024-01-01"],
            "[2024-01-01,10000-01-01)",
            "empty",
            "[2,6)",
        ],
    ),
    (  # "char", which asyncpg gives as bytes, and the pseudo-types it cannot decode at all
        "SELECT 'r'::\"char\", '\\200'::\"char\", ARRAY['a'::\"char\", 'b'], "
        "NULL::anyarray, NULL::anyrange, NULL::anycompatiblemultirange, NULL::pg_ddl_command, "
        "(SELECT count(*) >= 0 FROM (SELECT most_common_vals FROM pg_stats) AS s)",
        ["r", "\\200", ["a", "b"], None, None, None, None, True],
    ),
]


@pytest.mark.parametrize(("sql", "row"), VALUES, ids=[f"values-{n}" for n in range(len(VALUES))])
async def test_values_python_cannot_hold_come_back_as_text(
    client: httpx.AsyncClient, target: ServerProcess, sql: str, row: list[Any]
) -> None:
    rid = f"values-{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/api/query-execution/execute", json={"sql": sql, "requestId": rid}
    )
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [row]
    assert (await client.get(f"/api/jobs/{rid}")).json()["status"] == "success"
    assert (await client.get(f"/api/jobs/{rid}/result")).json()["rows"] == [row]
    # Kept as it was answered: the job is saved as ended, its result with it.
    history = await asyncpg.connect(target.env["QUART_APP_HISTORY_URL"])
    try:
        saved = await history.fetchrow(
            "SELECT status, result IS NOT NULL AS kept FROM quart_app.jobs WHERE request_id = $1",
            rid,
        )
    finally:
        await history.close()
    assert saved is not None and (saved["status"], saved["kept"]) == ("success", True)


async def test_the_notebook_client_keeps_what_pandas_cannot_hold_as_text(
    client: httpx.AsyncClient, target: ServerProcess
) -> None:
    frame = Client(target.url, widget=False).run(
        "SELECT 'NaN'::numeric AS n, 2.5::numeric AS x, '10000-01-01'::date AS far, "
        "'2024-01-01'::date AS near, 'infinity'::timestamptz AS never"
    )
    row = frame.iloc[0]
    assert row["x"] == 2.5 and row["n"] != row["n"]  # NaN
    assert (row["far"], row["never"]) == ("10000-01-01", "infinity")
    assert str(row["near"]).startswith("2024-01-01")


@pytest.mark.parametrize(
    "path",
    [
        "/api/jobs/a%00b",
        "/api/jobs/a%00b/events",
        "/api/jobs/a%00b/result",
        "/api/jobs/" + "x" * 65,
        "/api/jobs/" + "%F0%9F%98%80" * 64,
        "/api/jobs/a%20b/events",
        "/sse/topic/requests/a%00b",
        "/sse/topic/requests/" + "x" * 65,
    ],
)
async def test_request_ids_no_job_can_have_are_not_found(
    client: httpx.AsyncClient, path: str
) -> None:
    _refused(await client.get(path), 404)
    if path.startswith("/api/jobs/") and path.count("/") == 3:
        _refused(await client.post(path + "/cancel"), 404)


@pytest.mark.parametrize(
    "query",
    [
        "limit=" + THOUSANDS_OF_DIGITS,
        "limit=" + PAST_INT64,
        "limit=-1",
        "limit=0",
        "limit=%D9%A1",  # ARABIC-INDIC DIGIT ONE
        "limit=1e3",
        "topic=a%00b",
        "status=a%00",
    ],
)
async def test_job_list_parameters_out_of_range_are_invalid(
    client: httpx.AsyncClient, query: str
) -> None:
    _refused(await client.get(f"/api/jobs?{query}"))


@pytest.mark.parametrize(
    "value", [THOUSANDS_OF_DIGITS, PAST_INT64, "-1", "1e3", "\u0661", "0x10", "1\x00"]
)
async def test_sse_resume_points_beyond_an_event_id_are_invalid(
    client: httpx.AsyncClient, value: str
) -> None:
    rid = f"resume-{uuid.uuid4().hex[:8]}"
    if "\x00" not in value and value.isascii():  # what a header can carry
        header = await client.get(f"/sse/topic/requests/{rid}", headers={"Last-Event-ID": value})
        assert "eventId" in _refused(header)
    query = await client.get("/sse/topic/query-execution", params={"lastEventId": value})
    assert "eventId" in _refused(query)


async def test_the_largest_event_id_is_a_resume_point(client: httpx.AsyncClient) -> None:
    for headers, params in (({"Last-Event-ID": INT64_MAX}, {}), ({}, {"lastEventId": INT64_MAX})):
        async with client.stream(
            "GET", "/sse/topic/query-execution", headers=headers, params=params
        ) as stream:
            assert stream.status_code == 200


def _stomp_refused(target: ServerProcess, frames: list[str], *, connect: bool = True) -> str:
    """Sends ``frames`` and expects an ERROR, then the close; the ERROR's ``message``."""
    raw = RawStomp(target.port)
    try:
        if connect:
            raw.connect()
        for frame in frames:
            raw.send(frame)
        received = raw.frames(timeout=10)
    finally:
        raw.close()
    assert [frame.command for frame in received] == ["ERROR"], received
    return received[0].headers["message"]


@pytest.mark.parametrize("value", [THOUSANDS_OF_DIGITS, PAST_INT64, "-1", "\u0661", "1.5", ""])
def test_stomp_resume_points_beyond_an_event_id_are_refused(
    client: httpx.AsyncClient, target: ServerProcess, value: str
) -> None:
    subscribe = f"SUBSCRIBE\nid:1\ndestination:/topic/query-execution\nlast-event-id:{value}\n\n\0"
    assert _stomp_refused(target, [subscribe]) == "invalid last-event-id"


@pytest.mark.parametrize("value", [THOUSANDS_OF_DIGITS, PAST_INT64, "-1", "\u0661", "0x10"])
def test_stomp_lengths_and_heart_beats_beyond_a_count_are_refused(
    client: httpx.AsyncClient, target: ServerProcess, value: str
) -> None:
    send = f"SEND\ndestination:/app/query-execution/execute\ncontent-length:{value}\n\n{{}}\0"
    assert _stomp_refused(target, [send]) == "malformed frame"
    for heart_beat in (f"{value},0", f"0,{value}"):
        connect = f"CONNECT\naccept-version:1.2\nheart-beat:{heart_beat}\n\n\0"
        assert _stomp_refused(target, [connect], connect=False) == "malformed frame"


def test_stomp_takes_the_largest_heart_beat(
    client: httpx.AsyncClient, target: ServerProcess
) -> None:
    raw = RawStomp(target.port)
    try:
        raw.connect(heart_beat=f"{INT64_MAX},{INT64_MAX}")
        raw.send("DISCONNECT\nreceipt:bye\n\n\0")
        assert raw.next_frame().command == "RECEIPT"
    finally:
        raw.close()


@pytest.mark.parametrize(
    "body",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"sql": "SELECT 1", "maxRows": 1' + "0" * 5000 + "}",
        '{"sql": "SELECT 1", "x": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
    ],
)
def test_stomp_bodies_python_cannot_read_are_invalid_requests(
    client: httpx.AsyncClient, target: ServerProcess, body: str
) -> None:
    send = f"SEND\ndestination:/app/query-execution/execute\n\n{body}\0"
    assert _stomp_refused(target, [send]) == "invalid_request"
