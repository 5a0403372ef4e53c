"""Settings, read once from the environment and validated; nothing else reads ``os.environ``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar


class ConfigError(ValueError):
    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"{name}={value!r} is not valid: expected {expected}")


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "quart_app"


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting of the service; ``Config.from_env()`` documents the variable names.

    Fields named in ``_ENV_NAMES`` come from the variable given there; every other
    field ``x`` comes from ``QUART_APP_X``.
    """

    database_url: str | None = None
    history_url: str | None = None  # None: the embedded database; "memory": this process only
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_model: str | None = None
    llm_timeout_seconds: float = 60.0
    data_dir: Path = field(default_factory=_default_data_dir)
    log_level: str = "INFO"
    # When set, every request but /health, /, /docs and /openapi.json needs it (auth.py).
    api_token: str | None = field(default=None, repr=False)
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
    history_timeout_seconds: float = 5.0
    # A process whose heart-beat in the history database is this late counts as gone (killed,
    # or cut off for good): another process ends the jobs it was running, as failed.
    process_grace_seconds: float = 30.0
    retention_days: float = 7.0
    retention_events: int = 1_000_000
    retention_interval_seconds: float = 60.0
    subscriber_queue_size: int = 1_000
    # Events all replays together may read from the history per second (0: no bound), so
    # that clients replaying at once cannot take the event loop from live delivery.
    replay_events_per_second: int = 20_000
    sse_ping_seconds: float = 15.0
    sse_retry_ms: int = 3_000
    stomp_heartbeat_ms: int = 10_000
    stomp_max_frame_bytes: int = 1_048_576
    stomp_max_headers: int = 64
    stomp_frame_timeout_seconds: float = 10.0
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
    write_coalesce_ms: float = 5.0
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

    _ENV_NAMES: ClassVar[dict[str, str]] = {
        "database_url": "DATABASE_URL",
        "openai_api_key": "OPENAI_API_KEY",
        "openai_base_url": "OPENAI_BASE_URL",
        "openai_model": "OPENAI_MODEL",
    }

    def __post_init__(self) -> None:
        for name in (
            "history_size",
            "history_outage_events",
            "subscriber_queue_size",
            "sse_retry_ms",
            "stomp_max_frame_bytes",
            "stomp_max_headers",
            "stomp_max_pending_frames",
            "stomp_max_subscriptions",
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
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{env_name(name)} must be at least 1")
        for name, url in (("DATABASE_URL", self.database_url), ("history", self.history_url)):
            if url is None or (name == "history" and url == "memory"):
                continue
            if not url.startswith(("postgresql://", "postgres://")):
                what = "QUART_APP_HISTORY_URL" if name == "history" else name
                expected = "a postgresql:// URL" + (" or memory" if name == "history" else "")
                # Only the scheme is repeated: the rest may hold a password.
                shown = url.partition("://")[0] + "://…" if "://" in url else url[:20]
                raise ConfigError(what, shown, expected)
        if self.max_statements_per_client < 0:
            raise ValueError(
                "QUART_APP_MAX_STATEMENTS_PER_CLIENT must be 0 (the pool's size less two) or more"
            )
        if self.max_streams_per_client < 0:
            raise ValueError("QUART_APP_MAX_STREAMS_PER_CLIENT must be 0 (no limit) or more")
        if self.replay_events_per_second < 0:
            raise ValueError("QUART_APP_REPLAY_EVENTS_PER_SECOND must be 0 (no bound) or more")
        if self.max_streams < 0:
            raise ValueError("QUART_APP_MAX_STREAMS must be 0 (the open-file limit) or more")
        if self.history_timeout_seconds <= 0:
            raise ValueError("QUART_APP_HISTORY_TIMEOUT_SECONDS must be more than 0")
        if self.process_grace_seconds <= 0:
            raise ValueError("QUART_APP_PROCESS_GRACE_SECONDS must be more than 0")
        if not 0 <= self.write_coalesce_ms <= 1000:
            raise ValueError("QUART_APP_WRITE_COALESCE_MS must be within 0..1000")
        if self.pool_min_size > self.pool_max_size:
            raise ValueError("QUART_APP_POOL_MIN_SIZE must not exceed QUART_APP_POOL_MAX_SIZE")
        if self.default_max_rows > self.max_rows_limit:
            raise ValueError("QUART_APP_DEFAULT_MAX_ROWS must not exceed QUART_APP_MAX_ROWS_LIMIT")
        if self.default_timeout_ms > self.max_timeout_ms:
            raise ValueError(
                "QUART_APP_DEFAULT_TIMEOUT_MS must not exceed QUART_APP_MAX_TIMEOUT_MS"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for item in fields(cls):
            name = env_name(item.name)
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            values[item.name] = _convert(name, raw, item.type)
        return cls(**values)

    @property
    def uses_openai(self) -> bool:
        """True when questions go to an OpenAI-compatible endpoint rather than the offline engine."""
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def embedded(self) -> bool:
        """True when the service runs its own PostgreSQL through pgserver."""
        return self.database_url is None


def env_name(field_name: str) -> str:
    return Config._ENV_NAMES.get(field_name, f"QUART_APP_{field_name.upper()}")


def _convert(name: str, raw: str, annotation: Any) -> Any:
    kind = str(annotation)
    if kind.startswith("int"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(name, raw, "an integer") from None
    if kind.startswith("float"):
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(name, raw, "a number") from None
        if value < 0:
            raise ConfigError(name, raw, "a number >= 0")
        return value
    if kind == "Path":
        return Path(raw).expanduser()
    if kind == "bool":
        if raw.lower() in ("1", "true", "on", "yes"):
            return True
        if raw.lower() in ("0", "false", "off", "no"):
            return False
        raise ConfigError(name, raw, "on or off")
    if name.endswith("LOG_LEVEL"):
        level = raw.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(name, raw, "DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level
    return raw
