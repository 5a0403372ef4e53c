"""Settings, read once from the environment and validated; nothing else reads ``os.environ``.

``Config`` is a pydantic-settings model: each field ``x`` comes from ``QUART_APP_X``, but
for the few that other tools also read by their usual names (``DATABASE_URL``,
``OPENAI_API_KEY``...). A bad value stops the start with one line naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Final

from pydantic import (
    AliasGenerator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


class ConfigError(ValueError):
    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"{name}={value!r} is not valid: expected {expected}")


# The variables named otherwise than QUART_APP_<FIELD>.
_ENV_NAMES: Final = {
    "database_url": "DATABASE_URL",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
    "openai_model": "OPENAI_MODEL",
}
_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_name(field_name: str) -> str:
    """The environment variable a field is read from."""
    return _ENV_NAMES.get(field_name, f"QUART_APP_{field_name.upper()}")


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "quart_app"


NonNegative = Annotated[float, Field(ge=0)]


class Config(BaseSettings):
    """Every setting of the service.

    ``Config.from_env()`` reads them from the environment; ``Config(name=value, ...)``
    builds them from its arguments and the defaults only (as tests and benchmarks do).
    """

    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        alias_generator=AliasGenerator(validation_alias=env_name),
        validate_by_name=True,
        validate_by_alias=True,
    )

    database_url: str | None = None
    history_url: str | None = None  # None: the embedded database; "memory": this process only
    openai_api_key: str | None = Field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_model: str | None = None
    llm_timeout_seconds: NonNegative = 60.0
    data_dir: Path = Field(default_factory=_default_data_dir)
    log_level: str = "INFO"
    # When set, every request but /health, /, /docs and /openapi.json needs it (auth.py).
    api_token: str | None = Field(default=None, repr=False)
    # Browser origins allowed to call REST, SSE and /ws (the notebook widget, other pages);
    # pages from other origins are refused. Comma-separated origins; "*" allows all.
    # Default: any port on localhost/127.0.0.1.
    cors_origins: str = (
        "http://localhost:*,http://127.0.0.1:*,https://localhost:*,https://127.0.0.1:*"
    )
    # Host names requests may carry besides the loopback names and the listening address
    # (hosts.py: a guard against DNS rebinding). Comma-separated; ports ignored; "*.name"
    # also allows its subdomains; "*" allows all.
    allowed_hosts: str = ""
    # The address listened on: `python -m quart_app --host` sets it (its default when no
    # --host is given). The Host check allows it, and any IP address when it is 0.0.0.0 or ::.
    listen_host: str = "127.0.0.1"
    # Bus and transports
    history_size: int = 10_000
    history_synchronous_commit: bool = False
    # Events delivered and held in memory while the history database cannot store them.
    history_outage_events: int = 100_000
    # A history statement with no answer after this long counts as the database being away.
    history_timeout_seconds: NonNegative = 5.0
    # A process whose heart-beat in the history database is this late counts as gone (killed,
    # or cut off for good): another process ends the jobs it was running, as failed.
    process_grace_seconds: NonNegative = 30.0
    retention_days: NonNegative = 7.0
    retention_events: int = 1_000_000
    retention_interval_seconds: NonNegative = 60.0
    subscriber_queue_size: int = 1_000
    # Events all replays together may read from the history per second (0: no bound), so
    # that clients replaying at once cannot take the event loop from live delivery.
    replay_events_per_second: int = 20_000
    sse_ping_seconds: NonNegative = 15.0
    sse_retry_ms: int = 3_000
    stomp_heartbeat_ms: int = 10_000
    stomp_max_frame_bytes: int = 1_048_576
    stomp_max_headers: int = 64
    stomp_frame_timeout_seconds: NonNegative = 10.0
    # SockJS at /ws (transports/sockjs.py): a "h" frame after this long with nothing sent,
    # so proxies keep an idle response open; a session without a receiving request for
    # its disconnect delay is closed; a streaming response ends after this many bytes
    # (the client opens another) so that the browser can let go of what it held.
    sockjs_heartbeat_seconds: NonNegative = 25.0
    sockjs_disconnect_delay_seconds: NonNegative = 5.0
    sockjs_response_limit_bytes: int = 131_072
    # Set a JSESSIONID cookie on SockJS requests, for load balancers that keep a client on
    # one process by it: a SockJS session lives in the process that opened it.
    sockjs_cookie_needed: bool = False
    # SSE streams and WebSocket sessions one client address may hold at once (0: any number).
    max_streams_per_client: int = 100
    # SSE streams and WebSocket sessions held in all (0: as many as open files allow). An
    # idle one costs about 40 KiB, so 10,000 is about 400 MiB. Loopback addresses are not
    # bounded one by one (every local program shares 127.0.0.1): when this is reached, a
    # new stream closes the oldest of the address holding the most (streams.py).
    max_streams: int = 10_000
    # Frames one WebSocket message may carry: each SEND starts a job, so a message of
    # thousands would start thousands at once.
    stomp_max_pending_frames: int = 100
    # Subscriptions one STOMP session may hold; each may replay history and queue events.
    stomp_max_subscriptions: int = 64
    # A stream that has just written waits for the next tick of a clock shared by all
    # streams, this far apart, so that events published meanwhile go out in one write
    # (0: every event at once, one write each). See transports/pacing.py.
    write_coalesce_ms: NonNegative = 5.0
    # Query execution
    default_max_rows: int = 1_000
    max_rows_limit: int = 1_000_000
    default_timeout_ms: int = 30_000
    max_timeout_ms: int = 600_000
    fetch_batch_rows: int = 5_000
    progress_interval_ms: int = 100
    pool_min_size: int = 1
    pool_max_size: int = 10
    # Statements one client (address) may run at once; 0: the pool's size less two.
    max_statements_per_client: int = 0
    # A result is cut off (truncated, with the reason) once its rows hold this many bytes
    # of JSON, however few they are.
    max_result_bytes: int = 64 * 1024 * 1024
    # Per statement of user SQL: temp files (sorts, hashes spilling to disk) and memory
    # for each sort or hash.
    temp_file_limit_mb: int = 1024
    work_mem_mb: int = 64
    # With DATABASE_URL: run even though its role could write, create or signal (user
    # SQL then has those rights, and only the statement check stands in its way).
    accept_unsafe_database_role: bool = False
    jobs_kept: int = 10_000

    @field_validator("database_url", "history_url")
    @classmethod
    def _postgresql_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        history = info.field_name == "history_url"
        if url is None or (history and url == "memory"):
            return url
        if not url.startswith(("postgresql://", "postgres://")):
            expected = "a postgresql:// URL" + (" or memory" if history else "")
            # Only the scheme is repeated: the rest may hold a password.
            shown = url.partition("://")[0] + "://…" if "://" in url else url[:20]
            raise ConfigError(
                env_name("history_url" if history else "database_url"), shown, expected
            )
        return url

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in _LOG_LEVELS:
            raise ConfigError(
                env_name("log_level"), level, "DEBUG, INFO, WARNING, ERROR or CRITICAL"
            )
        return level.upper()

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, path: Path) -> Path:
        return path.expanduser()

    @model_validator(mode="after")
    def _in_range(self) -> Config:
        for name in _AT_LEAST_ONE:
            if getattr(self, name) < 1:
                raise ValueError(f"{env_name(name)} must be at least 1")
        for name, what in _ZERO_MEANS.items():
            if getattr(self, name) < 0:
                raise ValueError(f"{env_name(name)} must be 0 ({what}) or more")
        for name in ("history_timeout_seconds", "process_grace_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{env_name(name)} must be more than 0")
        if not 0 <= self.write_coalesce_ms <= 1000:
            raise ValueError("QUART_APP_WRITE_COALESCE_MS must be within 0..1000")
        for smaller, larger in (
            ("pool_min_size", "pool_max_size"),
            ("default_max_rows", "max_rows_limit"),
            ("default_timeout_ms", "max_timeout_ms"),
        ):
            if getattr(self, smaller) > getattr(self, larger):
                raise ValueError(f"{env_name(smaller)} must not exceed {env_name(larger)}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only the arguments: the environment is read by from_env, once, on purpose.
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """The settings in ``environ`` (default ``os.environ``); ``ConfigError`` or
        ``ValueError`` (one line, naming the variable) for the first bad one."""
        source = _Environment(cls, os.environ if environ is None else environ)
        try:
            return cls(**source())
        except ValidationError as error:
            raise _one_line(error) from None

    @property
    def uses_openai(self) -> bool:
        """True when questions go to an OpenAI-compatible endpoint rather than the offline engine."""
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def embedded(self) -> bool:
        """True when the service runs its own PostgreSQL through pgserver."""
        return self.database_url is None


# Counts and sizes that must be at least 1, and those where 0 means something.
_AT_LEAST_ONE: Final = (
    "history_size",
    "history_outage_events",
    "subscriber_queue_size",
    "sse_retry_ms",
    "stomp_max_frame_bytes",
    "stomp_max_headers",
    "stomp_max_pending_frames",
    "stomp_max_subscriptions",
    "sockjs_response_limit_bytes",
    "default_max_rows",
    "max_rows_limit",
    "default_timeout_ms",
    "max_timeout_ms",
    "fetch_batch_rows",
    "pool_max_size",
    "jobs_kept",
    "max_result_bytes",
    "temp_file_limit_mb",
    "work_mem_mb",
)
_ZERO_MEANS: Final = {
    "max_statements_per_client": "the pool's size less two",
    "max_streams_per_client": "no limit",
    "replay_events_per_second": "no bound",
    "max_streams": "the open-file limit",
}
# What a value pydantic could not read as its field's type should have been.
_EXPECTED: Final = {
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "int_type": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a number",
    "greater_than_equal": "a number >= 0",
    "bool_parsing": "on or off",
    "bool_type": "on or off",
}


class _Environment(EnvSettingsSource):
    """The variables of ``environ`` (not necessarily ``os.environ``); empty ones are unset."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls, case_sensitive=True)
        # Only the variables named for a field: not, say, a "log_level" of another program.
        names = {env_name(field) for field in settings_cls.model_fields}
        self.env_vars = {
            name: value for name, value in environ.items() if name in names and value != ""
        }


def _one_line(error: ValidationError) -> ValueError:
    """The first problem of ``error`` as one line that names its variable."""
    problem = error.errors()[0]
    cause = problem.get("ctx", {}).get("error")
    if problem["type"] == "value_error" and isinstance(cause, ValueError):
        return cause  # a validator's own words
    where = str(problem["loc"][0]) if problem["loc"] else ""
    name = env_name(where) if where in Config.model_fields else where
    expected = _EXPECTED.get(problem["type"], problem["msg"])
    return ConfigError(name, str(problem["input"]), expected)
