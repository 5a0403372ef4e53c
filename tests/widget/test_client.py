"""The notebook client against the real server."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pandas as pd
import pytest

from tests.servers import ServerProcess, free_port
from widget import Client, RequestFailed


@pytest.fixture(name="client")
def fixture_client(server: ServerProcess) -> Client:
    return Client(server.url)


def test_run_returns_a_typed_dataframe(client: Client) -> None:
    frame = client.run(
        "SELECT id, name, price, now()::date AS today, now() AS at FROM products ORDER BY id LIMIT 5"
    )
    assert list(frame.columns) == ["id", "name", "price", "today", "at"]
    assert len(frame) == 5 and frame["id"].tolist() == [1, 2, 3, 4, 5]
    assert pd.api.types.is_float_dtype(frame["price"])  # numeric: a number again, not a string
    assert pd.api.types.is_datetime64_any_dtype(frame["at"]) and str(frame["at"].dt.tz) == "UTC"
    assert pd.api.types.is_datetime64_any_dtype(frame["today"])
    assert frame.attrs["sql"].startswith("SELECT id") and frame.attrs["requestId"]
    assert frame.attrs["truncated"] is False


def test_ask_converts_and_runs(client: Client) -> None:
    frame = client.ask("Number of orders by status")
    assert isinstance(frame, pd.DataFrame)
    assert sorted(frame["status"]) == ["cancelled", "delivered", "pending", "returned", "shipped"]
    assert frame.iloc[:, -1].sum() == 200_000
    assert (
        "GROUP BY" in frame.attrs["sql"] and frame.attrs["question"] == "Number of orders by status"
    )
    assert client.ask("How many customers are there?", execute=False) == client.convert(
        "How many customers are there?"
    )


def test_limits_are_passed_on(client: Client) -> None:
    frame = client.run("SELECT id FROM orders ORDER BY id", max_rows=3)
    assert frame["id"].tolist() == [1, 2, 3] and frame.attrs["truncated"] is True
    with pytest.raises(RequestFailed, match=r"^timeout: "):
        client.run("SELECT pg_sleep(5)", timeout_ms=200)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.run("DELETE FROM customers"), "unsafe_sql"),
        (lambda c: c.run("SELECT nope FROM customers"), "sql_error"),
        (lambda c: c.ask("What is the profit per product?"), "conversion_failed"),
    ],
)
def test_failures_raise_with_the_error_code(client: Client, call: object, code: str) -> None:
    with pytest.raises(RequestFailed) as raised:
        call(client)  # type: ignore[operator]
    assert raised.value.code == code and str(raised.value).startswith(f"{code}: ")
    assert raised.value.request_id


def test_no_service_at_the_url_is_said_in_one_line_with_how_to_start_one() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client = Client(url)
    for call in (lambda: client.run("SELECT 1"), lambda: asyncio.run(client.aask("anything"))):
        with pytest.raises(RequestFailed) as raised:
            call()
        message = str(raised.value)
        assert message.startswith(f"unreachable: no quart_app service answers at {url} (")
        assert f"python -m quart_app --port {urlsplit(url).port}`" in message
        assert "QUART_APP_URL" in message
        assert "\n" not in message


def test_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUART_APP_URL", "http://example.invalid:9/")
    assert Client().url == "http://example.invalid:9"
    monkeypatch.delenv("QUART_APP_URL")
    assert Client().url == "http://127.0.0.1:8080"


async def test_async_twins(client: Client) -> None:
    frame = await client.arun("SELECT 1 AS one")
    assert frame["one"].tolist() == [1]
    assert "FROM customers" in await client.aconvert("How many customers are there?")
    asked = await client.aask("How many customers are there?")
    assert isinstance(asked, pd.DataFrame) and asked.iloc[0, 0] == 10_000


def test_widget_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUART_APP_WIDGET_MODE", "kernel")
    monkeypatch.setenv("QUART_APP_WIDGET_TRANSPORT", "stomp")
    monkeypatch.setenv("QUART_APP_BROWSER_URL", "http://lab.example:8080/")
    client = Client("http://127.0.0.1:9")
    assert (client.mode, client.transport) == ("kernel", "stomp")
    assert client.browser_url == "http://lab.example:8080"
    assert client.widget is False  # not in a Jupyter kernel
    assert Client(mode="browser").mode == "browser"  # the argument wins
    monkeypatch.setenv("QUART_APP_WIDGET_MODE", "remote")
    with pytest.raises(ValueError, match=r"QUART_APP_WIDGET_MODE must be one of browser, kernel"):
        Client()
    with pytest.raises(ValueError, match=r"^transport must be one of sse, stomp; got 'ws'"):
        Client(mode="kernel", transport="ws")  # type: ignore[arg-type]
