from __future__ import annotations

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
    ],
)
def test_a_bad_setting_is_refused_naming_it(environ: dict[str, str], message: str) -> None:
    with pytest.raises(
        (ConfigError, ValueError), match="^" + message.replace("?", r"\?")
    ) as raised:
        Config.from_env(environ)
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"QUART_APP_HISTORY_URL": "memory"},
        {"DATABASE_URL": "postgres://analyst@db/shop", "QUART_APP_HISTORY_URL": "postgresql://h/q"},
        {"QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE": "on", "QUART_APP_MAX_STATEMENTS_PER_CLIENT": "0"},
    ],
)
def test_good_settings_are_taken(environ: dict[str, str]) -> None:
    Config.from_env(environ)
