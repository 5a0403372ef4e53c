"""Settings from the environment: each variable's value, and one line naming a bad one."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quart_app.config import Config, ConfigError


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"QUART_APP_HISTORY_URL": "memory:"},
            "QUART_APP_HISTORY_URL='memory:' is not valid: expected a postgresql:// URL or memory",
        ),
        (
            {"DATABASE_URL": "localhost:5432/shop"},
            "DATABASE_URL='localhost:5432/shop' is not valid: expected a postgresql:// URL",
        ),
        (
            {"DATABASE_URL": "postgresq://analyst:secret@db/shop"},
            "DATABASE_URL='postgresq://…' is not valid",
        ),
        ({"QUART_APP_MAX_RESULT_BYTES": "0"}, "QUART_APP_MAX_RESULT_BYTES must be at least 1"),
        (
            {"QUART_APP_MAX_STATEMENTS_PER_CLIENT": "-1"},
            "QUART_APP_MAX_STATEMENTS_PER_CLIENT must be 0",
        ),
        (
            {"QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE": "maybe"},
            "QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE='maybe' is not valid: expected on or off",
        ),
        (
            {"QUART_APP_HISTORY_SIZE": "lots"},
            "QUART_APP_HISTORY_SIZE='lots' is not valid: expected an integer",
        ),
        (
            {"QUART_APP_POOL_MAX_SIZE": "2.5"},
            "QUART_APP_POOL_MAX_SIZE='2.5' is not valid: expected an integer",
        ),
        (
            {"QUART_APP_SSE_PING_SECONDS": "soon"},
            "QUART_APP_SSE_PING_SECONDS='soon' is not valid: expected a number",
        ),
        (
            {"QUART_APP_RETENTION_DAYS": "-1"},
            "QUART_APP_RETENTION_DAYS='-1' is not valid: expected a number >= 0",
        ),
        (
            {"QUART_APP_LOG_LEVEL": "loud"},
            "QUART_APP_LOG_LEVEL='loud' is not valid: expected DEBUG, INFO, WARNING, ERROR or "
            "CRITICAL",
        ),
        ({"QUART_APP_MAX_STREAMS": "-1"}, "QUART_APP_MAX_STREAMS must be 0 (the open-file limit)"),
        (
            {"QUART_APP_HISTORY_TIMEOUT_SECONDS": "0"},
            "QUART_APP_HISTORY_TIMEOUT_SECONDS must be more than 0",
        ),
        (
            {"QUART_APP_WRITE_COALESCE_MS": "1001"},
            "QUART_APP_WRITE_COALESCE_MS must be within 0..1000",
        ),
        (
            {"QUART_APP_POOL_MIN_SIZE": "11"},
            "QUART_APP_POOL_MIN_SIZE must not exceed QUART_APP_POOL_MAX_SIZE",
        ),
        (
            {"QUART_APP_DEFAULT_MAX_ROWS": "10", "QUART_APP_MAX_ROWS_LIMIT": "5"},
            "QUART_APP_DEFAULT_MAX_ROWS must not exceed QUART_APP_MAX_ROWS_LIMIT",
        ),
        (
            {"QUART_APP_DEFAULT_TIMEOUT_MS": "700000"},
            "QUART_APP_DEFAULT_TIMEOUT_MS must not exceed QUART_APP_MAX_TIMEOUT_MS",
        ),
    ],
)
def test_a_bad_setting_is_refused_naming_it(environ: dict[str, str], message: str) -> None:
    with pytest.raises((ConfigError, ValueError), match="^" + re.escape(message)) as raised:
        Config.from_env(environ)
    assert "secret" not in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("environ", "field", "value"),
    [
        ({}, "history_size", 10_000),
        ({}, "database_url", None),
        ({}, "data_dir", Path.home() / ".local" / "share" / "quart_app"),
        ({"QUART_APP_HISTORY_URL": "memory"}, "history_url", "memory"),
        (
            {"DATABASE_URL": "postgres://analyst@db/shop"},
            "database_url",
            "postgres://analyst@db/shop",
        ),
        ({"QUART_APP_HISTORY_URL": "postgresql://h/q"}, "history_url", "postgresql://h/q"),
        ({"OPENAI_API_KEY": "sk-test"}, "openai_api_key", "sk-test"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, "uses_openai", True),
        ({"OPENAI_MODEL": "llama3"}, "openai_model", "llama3"),
        ({}, "uses_openai", False),
        ({"QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE": "on"}, "accept_unsafe_database_role", True),
        ({"QUART_APP_HISTORY_SYNCHRONOUS_COMMIT": "off"}, "history_synchronous_commit", False),
        ({"QUART_APP_HISTORY_SYNCHRONOUS_COMMIT": "yes"}, "history_synchronous_commit", True),
        ({"QUART_APP_MAX_STATEMENTS_PER_CLIENT": "0"}, "max_statements_per_client", 0),
        ({"QUART_APP_HISTORY_SIZE": "5"}, "history_size", 5),
        ({"QUART_APP_WRITE_COALESCE_MS": "0"}, "write_coalesce_ms", 0.0),
        ({"QUART_APP_RETENTION_DAYS": "0.5"}, "retention_days", 0.5),
        ({"QUART_APP_LOG_LEVEL": "debug"}, "log_level", "DEBUG"),
        ({"QUART_APP_DATA_DIR": "~/elsewhere"}, "data_dir", Path.home() / "elsewhere"),
        ({"QUART_APP_API_TOKEN": ""}, "api_token", None),  # empty is unset
        ({"QUART_APP_HISTORY_SIZE": ""}, "history_size", 10_000),
        ({"DATABASE_URL": ""}, "embedded", True),
        ({"database_url": "postgresql://db/shop"}, "database_url", None),  # names are exact
        ({"QUART_APP_DATABASE_URL": "postgresql://db/shop"}, "database_url", None),
    ],
)
def test_a_setting_is_read_from_its_variable(
    environ: dict[str, str], field: str, value: Any
) -> None:
    assert getattr(Config.from_env(environ), field) == value


def test_built_from_arguments_the_environment_is_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUART_APP_HISTORY_SIZE", "7")
    assert Config(history_url="memory").history_size == 10_000
    assert Config.from_env().history_size == 7


def test_secrets_stay_out_of_the_repr() -> None:
    config = Config(openai_api_key="sk-secret", api_token="token-secret")
    assert "secret" not in repr(config)


def test_settings_cannot_change_once_read() -> None:
    config = Config()
    with pytest.raises(ValueError, match="frozen"):
        config.history_size = 1  # type: ignore[misc]


def test_a_bad_setting_stops_the_start_in_one_line() -> None:
    started = subprocess.run(
        [sys.executable, "-m", "quart_app"],
        env={"QUART_APP_HISTORY_SIZE": "lots", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    assert started.stderr == (
        "quart_app: configuration error: QUART_APP_HISTORY_SIZE='lots' is not valid: "
        "expected an integer\n"
    )


def test_a_busy_port_stops_the_start_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = subprocess.run(
            [sys.executable, "-m", "quart_app", "--port", str(port)],
            env={"PATH": "/usr/bin:/bin", "QUART_APP_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert started.returncode == 2
    assert started.stderr.startswith(f"quart_app: cannot listen on 127.0.0.1:{port} (")
    assert started.stderr.count("\n") == 1 and "in use" in started.stderr, started.stderr
    assert not any(tmp_path.iterdir())  # nothing was started: no database made
