from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from quart_app.events import StatusEvent, utc_timestamp


def make(**overrides: object) -> StatusEvent:
    fields: dict[str, object] = {
        "event_id": 1,
        "request_id": "r",
        "topic": "query-execution",
        "status": "progress",
        "stage": "received",
        "message": "m",
        "progress": 0,
        "sequence": 1,
        "timestamp": utc_timestamp(),
        "metadata": {},
    }
    fields.update(overrides)
    return StatusEvent(**fields)  # type: ignore[arg-type]


def test_json_has_exactly_the_contract_fields() -> None:
    event = make(metadata={"estimatedRows": 3}, final=True)
    assert list(json.loads(event.json)) == [
        "eventId", "requestId", "topic", "status", "stage", "message",
        "progress", "sequence", "timestamp", "metadata",
    ]  # fmt: skip
    assert json.loads(event.json)["metadata"] == {"estimatedRows": 3}


def test_timestamp_is_rfc3339_utc_with_milliseconds() -> None:
    assert (
        utc_timestamp(datetime(2026, 11, 25, 18, 40, 0, 123456, tzinfo=UTC))
        == "2026-11-25T18:40:00.123Z"
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", utc_timestamp())


@pytest.mark.parametrize(
    "overrides",
    [
        {"event_id": -1},
        {"sequence": 0},
        {"topic": "other"},
        {"status": "done"},
        {"stage": "completed"},
        {"status": "success", "stage": "failed"},
        {"progress": 101},
        {"topic": "nl-to-sql", "stage": "fetching"},
    ],
)
def test_invariants(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make(**overrides)


def test_the_event_hygiene_check_sees_what_it_looks_for() -> None:
    """The end-of-run check (conftest.py) on every stored event: here, that it can fail."""
    from tests.event_hygiene import FORBIDDEN

    clean = '{"stage":"fetching","message":"Fetched 10 rows","metadata":{"sql":"SELECT email FROM customers"}}'
    assert not any(pattern.search(clean) for pattern in FORBIDDEN.values())
    for leak in (
        'Traceback (most recent call last):\n  File "/app/x.py", line 1',
        "cannot connect to postgresql://admin:pw@db/prod",
        '"rows": [["ada.lovelace12@example.com"]]',
        "token s3cret-0a1b was wrong",
    ):
        assert any(pattern.search(leak) for pattern in FORBIDDEN.values()), leak
