"""The typed results become the contract's JSON: the same keys, nulls where it has them,
and no key at all where it says a field may be absent."""

from __future__ import annotations

from quart_app.errors import SQLError
from quart_app.schemas import Column, ConvertResult, ErrorDetail, ExecuteResult, JobView

EXECUTED = ExecuteResult(
    requestId="r1",
    sql="SELECT 1 AS one",
    columns=[Column(name="one", type="int4")],
    rows=[[1]],
    rowCount=1,
    truncated=False,
    truncatedReason=None,
    durationMs=3,
)


def test_an_execute_result_has_every_key_in_order() -> None:
    assert list(EXECUTED.model_dump()) == [
        "requestId",
        "sql",
        "columns",
        "rows",
        "rowCount",
        "truncated",
        "truncatedReason",
        "durationMs",
        "chart",
    ]
    assert EXECUTED.model_dump()["chart"] is None  # null, as the contract has it
    assert EXECUTED.model_dump()["columns"] == [{"name": "one", "type": "int4"}]


def test_a_convert_result_has_a_result_only_when_the_sql_ran() -> None:
    converted = ConvertResult(
        requestId="r1", sql="SELECT 1", engine="offline", model=None, durationMs=2
    )
    assert converted.model_dump() == {
        "requestId": "r1",
        "sql": "SELECT 1",
        "engine": "offline",
        "model": None,
        "durationMs": 2,
    }
    executed = converted.model_copy(update={"result": EXECUTED}).model_dump()
    assert list(executed) == ["requestId", "sql", "engine", "model", "durationMs", "result"]
    assert executed["result"] == EXECUTED.model_dump()


def test_a_job_leaves_out_what_it_does_not_have() -> None:
    running = JobView(
        requestId="r1",
        topic="query-execution",
        status="running",
        createdAt="2026-01-01T00:00:00.000Z",
        finishedAt=None,
        durationMs=5,
        sql="SELECT 1",
    )
    assert running.model_dump() == {
        "requestId": "r1",
        "topic": "query-execution",
        "status": "running",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "finishedAt": None,
        "durationMs": 5,
        "sql": "SELECT 1",
    }


def test_an_error_has_a_sqlstate_only_when_the_database_gave_one() -> None:
    with_state = SQLError("division by zero", sqlstate="22012").to_error()
    without = SQLError("no state", sqlstate=None).to_error()
    assert ErrorDetail(**with_state).model_dump() == with_state
    assert (
        ErrorDetail(**without).model_dump()
        == without
        == {
            "code": "sql_error",
            "message": "no state",
        }
    )
