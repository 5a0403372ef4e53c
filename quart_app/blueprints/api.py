"""REST: start operations, follow and cancel jobs.

Bodies and query strings are validated by the models of ``schemas.py`` through
quart-schema; its validation errors answer as every other ``invalid_request`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from quart import Blueprint, Request, request
from quart_schema import (
    RequestSchemaValidationError,
    document_headers,
    document_response,
    tag,
    validate_querystring,
    validate_request,
    validate_response,
)

from .. import charts
from ..bus import valid_request_id
from ..errors import InvalidRequest, NotFound
from ..protocol.json_body import parse_json_body
from ..runtime import current_service
from ..schemas import (
    Accepted,
    ChartQuery,
    ChartSpec,
    ConvertBody,
    ConvertResult,
    ErrorBody,
    EventList,
    ExecuteBody,
    ExecuteResult,
    JobList,
    JobQuery,
    JobView,
    PreferHeader,
    describe_validation_error,
)
from ..services.jobs import Job
from ..streams import client_of

blueprint = Blueprint("api", __name__, url_prefix="/api")

F = TypeVar("F", bound=Callable[..., Any])


def error_responses(*statuses: int) -> Callable[[F], F]:
    """Document that the route may answer ``ErrorBody`` with each of ``statuses``."""

    def decorate(route: F) -> F:
        for status in statuses:
            route = document_response(ErrorBody, status)(route)
        return route

    return decorate


class JSONBodyRequest(Request):
    """A request whose body is read as JSON whatever its ``Content-Type`` says (``curl -d``
    sends a form type), and whose unreadable JSON is an ``invalid_request`` that says why."""

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            return parse_json_body(await self.get_data(cache=cache))
        except InvalidRequest:
            if silent:
                return None
            raise


@blueprint.errorhandler(RequestSchemaValidationError)
async def invalid_request(error: RequestSchemaValidationError) -> Any:
    cause = error.validation_error
    message = describe_validation_error(cause) if isinstance(cause, ValidationError) else cause
    refused = InvalidRequest(str(message))
    return refused.to_body(), refused.status


@blueprint.post("/nl-to-sql/convert")
@tag(["nl-to-sql"])
@validate_request(ConvertBody)
@document_headers(PreferHeader)
@validate_response(ConvertResult, 200)
@document_response(Accepted, 202)
@error_responses(400, 409, 422, 503, 504)
async def convert(data: ConvertBody) -> Any:
    """Turn a question into SQL, streaming each step; with ``execute`` run it too."""
    service = current_service()
    return await _answer(await service.convert(data, _client()))


@blueprint.post("/query-execution/execute")
@tag(["query-execution"])
@validate_request(ExecuteBody)
@document_headers(PreferHeader)
@validate_response(ExecuteResult, 200)
@document_response(Accepted, 202)
@error_responses(400, 409, 422, 503, 504)
async def execute(data: ExecuteBody) -> Any:
    """Run one read-only SQL statement; events follow on both transports."""
    service = current_service()
    return await _answer(await service.execute(data, _client()))


async def _answer(job: Job) -> Any:
    """The job's outcome once it ends, or 202 at once with ``Prefer: respond-async``."""
    if _prefers_async():
        accepted = Accepted(requestId=job.request_id)
        return accepted, 202, {"Location": f"/api/jobs/{job.request_id}"}
    return await job.outcome()


@blueprint.get("/jobs")
@tag(["jobs"])
@validate_querystring(JobQuery)
@validate_response(JobList, 200)
@error_responses(400)
async def list_jobs(query_args: JobQuery) -> JobList:
    """Recent jobs, newest first."""
    jobs = await current_service().jobs.list(
        topic=query_args.topic, status=query_args.status, limit=query_args.limit
    )
    return JobList(jobs=jobs)


@blueprint.get("/jobs/<request_id>")
@tag(["jobs"])
@validate_response(JobView, 200)
@error_responses(404)
async def get_job(request_id: str) -> JobView:
    """One job's status."""
    _check_request_id(request_id)
    return await current_service().jobs.get(request_id)


@blueprint.get("/jobs/<request_id>/events")
@tag(["jobs"])
@validate_response(EventList, 200)
@error_responses(404)
async def job_events(request_id: str) -> EventList:
    """The request's kept events, in order, as they were streamed."""
    _check_request_id(request_id)
    service = current_service()
    events = await service.bus.request_events(request_id)
    if not events:
        await service.jobs.get(request_id)  # 404 when the job is unknown too
    return EventList(events=[event.to_dict() for event in events])


@blueprint.get("/jobs/<request_id>/result")
@tag(["jobs"])
@validate_response(ExecuteResult, 200)
@error_responses(404)
async def job_result(request_id: str) -> ExecuteResult:
    """What execute returned, kept with the job."""
    _check_request_id(request_id)
    service = current_service()
    async with service.result_reads:
        return await service.jobs.result(request_id)


@blueprint.get("/jobs/<request_id>/chart")
@tag(["jobs"])
@validate_querystring(ChartQuery)
@validate_response(ChartSpec, 200)
@error_responses(400, 404)
async def job_chart(request_id: str, query_args: ChartQuery) -> Any:
    """The result's chart, as a Vega-Lite spec without data (404 when its shape has none);
    its data is the job's result, ``/api/jobs/{requestId}/result``."""
    _check_request_id(request_id)
    service = current_service()
    async with service.result_reads:
        result = await service.jobs.result(request_id)
        kind = query_args.kind
        if kind is None or (result.chart and result.chart["usermeta"]["kind"] == kind):
            spec = result.chart  # as the result was given it
        else:  # looks at every row: in a thread, so that the loop serves others meanwhile
            spec = await asyncio.to_thread(
                charts.for_result,
                result.columns,
                result.rows,
                kind=kind,
                truncated=result.truncated,
            )
    if spec is None:
        roles = [charts.role_of(column.type) for column in result.columns]
        offered = [kind for kind in charts.kinds_for(roles, result.rowCount) if kind != "table"]
        asked = f"no {kind} chart" if kind else "no chart"
        raise NotFound(
            f"{asked} for job {request_id!r}: "
            + (f"its result offers {', '.join(offered)}" if offered else "its shape has none"),
            request_id=request_id,
        )
    return spec


@blueprint.post("/jobs/<request_id>/cancel")
@tag(["jobs"])
@document_response(Accepted, 202)
@error_responses(404, 409)
async def cancel_job(request_id: str) -> Any:
    """Cancel a running job: the database query is stopped and a ``cancelled`` event follows."""
    _check_request_id(request_id)
    await current_service().jobs.cancel(request_id)
    return Accepted(requestId=request_id, status="cancelling"), 202


def _check_request_id(request_id: str) -> None:
    """A requestId no job can have (NUL, 65 characters) is a 404 before any query is made."""
    if not valid_request_id(request_id):
        raise NotFound(
            f"no job with requestId {request_id[:64]!r}: a requestId is 1 to 64 characters "
            "of A-Za-z0-9._:-"
        )


def _client() -> str:
    return client_of(request.scope.get("client"))


def _prefers_async() -> bool:
    prefer = request.headers.get("Prefer", "")
    return any(part.strip().lower() == "respond-async" for part in prefer.split(","))
