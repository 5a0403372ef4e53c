"""The panel's two reducers agree: ``ProgressWidget.apply`` in Python and ``reduce`` in
``widget.js`` (run under Node) take the same events to the same traits."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from widget import ProgressWidget

SCRIPT = Path(__file__).resolve().parent.parent / "js" / "widget_reduce.mjs"
TRAITS = (
    "status",
    "stage",
    "topic",
    "message",
    "progress",
    "timeline",
    "sql",
    "interpretation",
    "estimated_rows",
    "rows_fetched",
    "row_count",
    "truncated",
    "error",
    "started_at",
    "finished_at",
    "duration_ms",
    "last_event_id",
)
START = datetime(2026, 11, 25, 18, 40, tzinfo=UTC)

Event = dict[str, Any]


def at(ms: int) -> str:
    moment = START + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def event(
    event_id: int,
    topic: str,
    stage: str,
    *,
    ms: int,
    status: str = "progress",
    progress: int | None = None,
    message: str = "",
    **metadata: Any,
) -> Event:
    return {
        "eventId": event_id,
        "requestId": "r-1",
        "topic": topic,
        "stage": stage,
        "status": status,
        "progress": progress,
        "message": message or f"{topic} {stage}",
        "timestamp": at(ms),
        "metadata": metadata,
    }


def execution(first: int, start_ms: int, rows: int = 3, **end: Any) -> list[Event]:
    """A run's events from ``first`` on: received to completed, or to ``end``'s outcome."""
    topic = "query-execution"
    events = [
        event(first, topic, "received", ms=start_ms, progress=0, sql="SELECT id FROM t"),
        event(first + 1, topic, "validating", ms=start_ms + 2, progress=5),
        event(first + 2, topic, "planning", ms=start_ms + 5, progress=10, estimatedRows=rows),
        event(first + 3, topic, "executing", ms=start_ms + 9, progress=20),
        event(first + 4, topic, "fetching", ms=start_ms + 120, progress=60, rowsFetched=rows),
    ]
    if end:
        events.append(event(first + 5, topic, ms=start_ms + 1001, **end))
    else:
        events.append(
            event(
                first + 5,
                topic,
                "completed",
                ms=start_ms + 1001,  # a duration a float count of seconds gets wrong
                status="success",
                progress=100,
                rowCount=rows,
                truncated=False,
            )
        )
    return events


READING = "count of t · where id > 3 · ignored: are, there"


def conversion(first: int = 1, interpretation: str | None = READING) -> list[Event]:
    """A question's events; ``interpretation`` is None from the openai engine."""
    topic = "nl-to-sql"
    return [
        event(first, topic, "received", ms=0, progress=0),
        event(first + 1, topic, "introspecting-schema", ms=3, progress=10),
        event(first + 2, topic, "building-prompt", ms=40, progress=20),
        event(first + 3, topic, "generating", ms=45, progress=40, partialSql="SELECT"),
        event(first + 4, topic, "generating", ms=50, progress=60, partialSql="SELECT id FROM t"),
        event(first + 5, topic, "validating", ms=60, progress=90),
        event(
            first + 6,
            topic,
            "completed",
            ms=61,
            status="success",
            progress=100,
            sql="SELECT id FROM t",
            interpretation=interpretation,
        ),
    ]


FAILED = {
    "stage": "failed",
    "status": "error",
    "error": {"code": "sql_error", "message": 'relation "t" does not exist'},
}
CANCELLED = {"stage": "cancelled", "status": "cancelled", "message": "cancelled by the client"}
PLAIN = execution(1, 0)
ASKED = conversion() + execution(8, 70)

SEQUENCES: dict[str, tuple[bool, list[Event]]] = {
    "a plain run": (True, PLAIN),
    "a question, then its SQL run": (True, ASKED),
    "a question converted only": (False, conversion()),
    "a question the openai engine converted": (
        True,
        conversion(interpretation=None) + execution(8, 70),
    ),
    "a run that fails": (True, execution(1, 0, **FAILED)),
    "a run that is cancelled": (True, execution(1, 0, **CANCELLED)),
    "a question that cannot be converted": (
        True,
        [
            *conversion()[:3],
            event(
                4,
                "nl-to-sql",
                "failed",
                ms=2500,
                status="error",
                error={"code": "conversion_failed", "message": "did not understand"},
            ),
        ],
    ),
    "a replayed duplicate": (True, [*PLAIN[:4], *PLAIN[2:]]),  # a reconnect's replay overlaps
    "out of order": (True, [PLAIN[0], PLAIN[3], PLAIN[1], PLAIN[2], PLAIN[5], PLAIN[4]]),
    "a truncated result": (
        True,
        [*PLAIN[:5], {**PLAIN[5], "metadata": {"rowCount": 2, "truncated": True}}],
    ),
    "events after the end": (
        True,
        [
            *execution(1, 0, **CANCELLED),
            event(7, "query-execution", "fetching", ms=1500, progress=80, rowsFetched=9),
        ],
    ),
}


def python_states(runs: list[tuple[bool, list[Event]]]) -> list[dict[str, Any]]:
    states = []
    for executes, events in runs:
        panel = ProgressWidget(mode="kernel", executes=executes)
        for one in events:
            panel.apply(one)
        states.append({name: getattr(panel, name) for name in TRAITS})
    return states


def javascript_states(runs: list[tuple[bool, list[Event]]]) -> list[dict[str, Any]]:
    initial = {name: getattr(ProgressWidget(mode="kernel"), name) for name in TRAITS}
    given = [
        {"state": {**initial, "executes": executes}, "events": events} for executes, events in runs
    ]
    done = subprocess.run(
        ["node", str(SCRIPT)], input=json.dumps(given), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return [{name: state[name] for name in TRAITS} for state in found]


@pytest.fixture(scope="module", name="in_the_browser")
def fixture_in_the_browser() -> dict[str, dict[str, Any]]:
    """Every sequence's end state from ``widget.js``, in one run of Node."""
    if shutil.which("node") is None:
        pytest.skip("needs Node.js (scripts/test installs it)")
    return dict(zip(SEQUENCES, javascript_states(list(SEQUENCES.values())), strict=True))


@pytest.mark.node
@pytest.mark.parametrize("name", SEQUENCES)
def test_the_browser_and_the_kernel_fill_the_panel_alike(
    name: str, in_the_browser: dict[str, dict[str, Any]]
) -> None:
    (in_the_kernel,) = python_states([SEQUENCES[name]])
    assert in_the_kernel == in_the_browser[name]


@pytest.mark.parametrize(
    ("name", "status", "duration_ms"),
    [
        ("a plain run", "success", 1001),
        ("a question, then its SQL run", "success", 1071),
        ("a question converted only", "success", 61),
        ("a run that fails", "error", 1001),
        ("a run that is cancelled", "cancelled", 1001),
        ("a question that cannot be converted", "error", 2500),
        ("a replayed duplicate", "success", 1001),
        ("out of order", "success", 1001),
    ],
)
def test_how_a_sequence_ends(name: str, status: str, duration_ms: int) -> None:
    executes, events = SEQUENCES[name]
    (state,) = python_states([(executes, events)])
    assert (state["status"], state["duration_ms"]) == (status, duration_ms)


@pytest.mark.parametrize(
    ("name", "interpretation"),
    [
        ("a question, then its SQL run", READING),
        ("a question converted only", READING),
        ("a question the openai engine converted", ""),
        ("a plain run", ""),
    ],
)
def test_the_panel_keeps_the_reading_of_the_question(name: str, interpretation: str) -> None:
    (state,) = python_states([SEQUENCES[name]])
    assert (state["sql"], state["interpretation"]) == ("SELECT id FROM t", interpretation)
