"""The request and response bodies of the API, as pydantic models.

They are the validation (quart-schema's ``validate_request`` and ``validate_querystring``
on REST, ``parse_body`` on STOMP ``SEND``), the OpenAPI document, and the typed
results the services hand back; they become JSON only at the edge. Fields are named
as the JSON names them. A field made with ``omitted_when_none`` is left out of the
JSON when it has no value, as the contract says of ``result``, ``question`` and the like.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .errors import InvalidRequest
from .events import Topic

M = TypeVar("M", bound=BaseModel)

REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
JobStatus = Literal["running", "success", "error", "cancelled"]
ChartKind = Literal["number", "line", "bar", "scatter"]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refused here, not as a driver error later.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)


def omitted_when_none(description: str | None = None) -> Any:
    """A field that defaults to None and is left out of the JSON while None."""
    return Field(default=None, exclude_if=lambda value: value is None, description=description)


# Requests ------------------------------------------------------------------


class ExecuteBody(BaseModel):
    """Body of ``POST /api/query-execution/execute`` and ``SEND /app/query-execution/execute``."""

    model_config = ConfigDict(strict=True)

    sql: Annotated[str, NoNul] = Field(
        min_length=1, max_length=1_000_000, description="One read-only statement."
    )
    requestId: str | None = Field(default=None, pattern=REQUEST_ID_PATTERN)
    maxRows: int | None = Field(default=None, ge=1, description="Rows returned at most (1000).")
    timeoutMs: int | None = Field(default=None, ge=1, description="Statement timeout (30000).")


class ConvertBody(BaseModel):
    """Body of ``POST /api/nl-to-sql/convert`` and ``SEND /app/nl-to-sql/convert``."""

    model_config = ConfigDict(strict=True)

    question: Annotated[str, NoNul] = Field(
        min_length=1, max_length=4_000, description="The question, in words."
    )
    requestId: str | None = Field(default=None, pattern=REQUEST_ID_PATTERN)
    execute: bool = Field(default=False, description="Run the SQL too, under the same requestId.")
    maxRows: int | None = Field(default=None, ge=1, description="With execute: rows at most.")
    timeoutMs: int | None = Field(
        default=None, ge=1, description="With execute: statement timeout."
    )
    refreshSchema: bool = Field(default=False, description="Introspect the database again first.")


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value  # ?topic= means any topic


def _count(value: Any) -> Any:
    # ASCII digits only: int() would take other scripts' digits, "1_000" and " 5".
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise ValueError("must be an integer from 1 to 1000")
    return value


class JobQuery(BaseModel):
    """The query string of ``GET /api/jobs``."""

    topic: Annotated[Topic | None, BeforeValidator(_empty_is_none)] = None
    status: Annotated[JobStatus | None, BeforeValidator(_empty_is_none)] = None
    limit: Annotated[int, BeforeValidator(_count)] = Field(default=50, ge=1, le=1000)


class ChartQuery(BaseModel):
    """The query string of ``GET /api/jobs/{requestId}/chart``."""

    kind: Annotated[ChartKind | None, BeforeValidator(_empty_is_none)] = Field(
        default=None,
        description="Another chart the result's shape offers (its spec's `usermeta.kinds`); "
        "by default the suggested one.",
    )


class ChartSpec(BaseModel):
    """A Vega-Lite v5 spec without data: its data is the named source `result`."""

    model_config = ConfigDict(extra="allow")


class PreferHeader(BaseModel):
    prefer: str | None = Field(default=None, description="`respond-async` answers 202 at once")


def parse_body(model: type[M], body: Any) -> M:
    """``body`` (decoded JSON) as ``model``, or ``InvalidRequest`` saying what is wrong."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise InvalidRequest(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    """Each problem as ``field: what is wrong``, in one line."""
    problems = []
    for item in error.errors():
        if not item["loc"] and item["type"] in ("model_type", "model_attributes_type"):
            problems.append("the body must be a JSON object")
            continue
        where = ".".join(str(part) for part in item["loc"]) or "body"
        # A validator's own words, without pydantic's "Value error, " before them.
        cause = item.get("ctx", {}).get("error") if item["type"] == "value_error" else None
        problems.append(f"{where}: {cause if cause is not None else item['msg']}")
    return "; ".join(problems)


# Results -------------------------------------------------------------------


class Column(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: str


class ExecuteResult(BaseModel):
    """What execute returns: the statement's columns and rows (JSON values)."""

    model_config = ConfigDict(frozen=True)

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
    chart: dict[str, Any] | None = Field(
        default=None,
        description="A Vega-Lite v5 spec chosen from the result's shape, without data: its "
        "data is the named source `result`, these rows as objects keyed by column name. "
        "Null when no chart suits the shape.",
    )


class ConvertResult(BaseModel):
    """What convert returns; with execute, what execute returned as result."""

    model_config = ConfigDict(frozen=True)

    requestId: str
    sql: str
    engine: str
    model: str | None
    durationMs: int
    result: ExecuteResult | None = omitted_when_none()


class Accepted(BaseModel):
    requestId: str
    status: str = "running"


class ErrorDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    sqlstate: str | None = omitted_when_none()


class ErrorBody(BaseModel):
    error: ErrorDetail
    requestId: str | None = None


class JobView(BaseModel):
    """One job as the jobs API shows it."""

    model_config = ConfigDict(frozen=True)

    requestId: str
    topic: Topic
    status: JobStatus
    createdAt: str
    finishedAt: str | None
    durationMs: int
    question: str | None = omitted_when_none()
    sql: str | None = omitted_when_none()
    rowCount: int | None = omitted_when_none()
    error: ErrorDetail | None = omitted_when_none()


class JobList(BaseModel):
    jobs: list[JobView]


class EventList(BaseModel):
    events: list[dict[str, Any]]
