"""REST: start operations, follow and cancel jobs."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, Field
from quart import Blueprint, request
from quart_schema import (
    document_headers,
    document_querystring,
    document_request,
    document_response,
    tag,
)

from ..bus import valid_request_id
from ..errors import InvalidRequest, NotFound
from ..events import TOPICS, Topic
from ..protocol.json_body import parse_json_body
from ..service import ConvertBody, ExecuteBody, current_service
from ..streams import client_of

blueprint = Blueprint("api", __name__, url_prefix="/api")


class Column(BaseModel):
    name: str
    type: str


class ExecuteResult(BaseModel):
    requestId: str
    sql: str
    columns: list[Column]
    rows: list[list[Any]]
    rowCount: int
    truncated: bool
    truncatedReason: str | None = Field(
        default=None,
        description="Why rows are missing: maxRows, or maxResultBytes "
        "(QUART_APP_MAX_RESULT_BYTES of JSON); null when the result is whole.",
    )
    durationMs: int


class Accepted(BaseModel):
    requestId: str
    status: str = "running"


class ErrorDetail(BaseModel):
    code: str
    message: str
    sqlstate: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
    requestId: str | None = None


class JobBody(BaseModel):
    requestId: str
    topic: str
    status: str = Field(description="running, success, error or cancelled")
    createdAt: str
    finishedAt: str | None
    durationMs: int
    question: str | None = None
    sql: str | None = None
    rowCount: int | None = None
    error: ErrorDetail | None = None


class JobList(BaseModel):
    jobs: list[JobBody]


class EventList(BaseModel):
    events: list[dict[str, Any]]


JobStatus = Literal["running", "success", "error", "cancelled"]


class JobQuery(BaseModel):
    topic: Topic | None = None
    status: JobStatus | None = None
    limit: int = Field(default=50, ge=1, le=1000)


class PreferHeader(BaseModel):
    prefer: str | None = Field(default=None, description="`respond-async` answers 202 at once")


_ERRORS = {status: ErrorBody for status in (400, 404, 409, 422, 503, 504)}


class ConvertResult(BaseModel):
    requestId: str
    sql: str
    engine: str
    model: str | None
    durationMs: int
    result: ExecuteResult | None = None


@blueprint.post("/nl-to-sql/convert")
@tag(["nl-to-sql"])
@document_request(ConvertBody)
@document_headers(PreferHeader)
@document_response(ConvertResult, 200)
@document_response(Accepted, 202)
@document_response(ErrorBody, 400)
@document_response(ErrorBody, 409)
@document_response(ErrorBody, 422)
@document_response(ErrorBody, 503)
@document_response(ErrorBody, 504)
async def convert() -> Any:
    """Turn a question into SQL, streaming each step; with ``execute`` run it too."""
    return await _start("nl-to-sql/convert")


@blueprint.post("/query-execution/execute")
@tag(["query-execution"])
@document_request(ExecuteBody)
@document_headers(PreferHeader)
@document_response(ExecuteResult, 200)
@document_response(Accepted, 202)
@document_response(ErrorBody, 400)
@document_response(ErrorBody, 409)
@document_response(ErrorBody, 422)
@document_response(ErrorBody, 503)
@document_response(ErrorBody, 504)
async def execute() -> Any:
    """Run one read-only SQL statement; events follow on both transports."""
    return await _start("query-execution/execute")


async def _start(operation: str) -> Any:
    body = await json_body()
    job = await current_service().start(
        operation, body, client=client_of(request.scope.get("client"))
    )
    if _prefers_async():
        return (
            {"requestId": job.request_id, "status": "running"},
            202,
            {"Location": f"/api/jobs/{job.request_id}"},
        )
    return await job.outcome()


@blueprint.get("/jobs")
@tag(["jobs"])
@document_querystring(JobQuery)
@document_response(JobList, 200)
@document_response(ErrorBody, 400)
async def list_jobs() -> Any:
    """Recent jobs, newest first."""
    limit_text = request.args.get("limit", "50")
    if not _small_count(limit_text) or not 1 <= int(limit_text) <= 1000:
        raise InvalidRequest("limit must be an integer from 1 to 1000")
    topic = request.args.get("topic") or None
    status = request.args.get("status") or None
    if topic is not None and topic not in TOPICS:
        raise InvalidRequest(f"topic must be one of {', '.join(TOPICS)}")
    if status is not None and status not in get_args(JobStatus):
        raise InvalidRequest(f"status must be one of {', '.join(get_args(JobStatus))}")
    jobs = await current_service().jobs.list(topic=topic, status=status, limit=int(limit_text))
    return {"jobs": jobs}


@blueprint.get("/jobs/<request_id>")
@tag(["jobs"])
@document_response(JobBody, 200)
@document_response(ErrorBody, 404)
async def get_job(request_id: str) -> Any:
    """One job's status."""
    _check_request_id(request_id)
    return await current_service().jobs.get(request_id)


@blueprint.get("/jobs/<request_id>/events")
@tag(["jobs"])
@document_response(EventList, 200)
@document_response(ErrorBody, 404)
async def job_events(request_id: str) -> Any:
    """The request's kept events, in order, as they were streamed."""
    _check_request_id(request_id)
    service = current_service()
    events = await service.bus.history.request_events(request_id)
    if not events:
        await service.jobs.get(request_id)  # 404 when the job is unknown too
    return {"events": [event.to_dict() for event in events]}


@blueprint.get("/jobs/<request_id>/result")
@tag(["jobs"])
@document_response(ExecuteResult, 200)
@document_response(ErrorBody, 404)
async def job_result(request_id: str) -> Any:
    """What execute returned, kept with the job."""
    _check_request_id(request_id)
    return await current_service().jobs.result(request_id)


@blueprint.post("/jobs/<request_id>/cancel")
@tag(["jobs"])
@document_response(Accepted, 202)
@document_response(ErrorBody, 404)
@document_response(ErrorBody, 409)
async def cancel_job(request_id: str) -> Any:
    """Cancel a running job: the database query is stopped and a ``cancelled`` event follows."""
    _check_request_id(request_id)
    await current_service().jobs.cancel(request_id)
    return {"requestId": request_id, "status": "cancelling"}, 202


async def json_body() -> Any:
    return parse_json_body(await request.get_data())


def _check_request_id(request_id: str) -> None:
    """A requestId no job can have (NUL, 65 characters) is a 404 before any query is made."""
    if not valid_request_id(request_id):
        raise NotFound(
            f"no job with requestId {request_id[:64]!r}: a requestId is 1 to 64 characters "
            "of A-Za-z0-9._:-"
        )


def _small_count(text: str) -> bool:
    # isdecimal() alone lets through other scripts' digits and numbers too long for int().
    return text.isascii() and text.isdigit() and len(text) <= 9


def _prefers_async() -> bool:
    prefer = request.headers.get("Prefer", "")
    return any(part.strip().lower() == "respond-async" for part in prefer.split(","))
