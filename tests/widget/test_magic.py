"""The %%ask cell magic in a real IPython shell, against the real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.servers import ServerProcess
from widget.magic import interpolate


@pytest.fixture(name="shell")
def fixture_shell(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("QUART_APP_URL", server.url)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "widget")
    yield shell
    InteractiveShell.clear_instance()


def test_ask_returns_a_dataframe_and_stores_it(shell: Any) -> None:
    shell.user_ns["country"] = "Germany"
    result = shell.run_cell_magic("ask", "--limit 5 germans <<", "customers from {country}")
    assert isinstance(result, pd.DataFrame) and len(result) == 5
    assert set(result["country"]) == {"Germany"}
    assert shell.user_ns["germans"] is result
    assert "'Germany'" in result.attrs["sql"]


def test_no_execute_returns_the_sql(shell: Any) -> None:
    sql = shell.run_cell_magic("ask", "--no-execute", "How many customers are there?")
    assert isinstance(sql, str) and "FROM customers" in sql


def test_failures_are_one_line(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert shell.run_cell_magic("ask", "", "What is the profit per product?") is None
    assert shell.run_cell_magic("ask", "--limit x", "How many customers?") is None
    assert shell.run_cell_magic("ask", "result", "How many customers?") is None
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[0].startswith("%%ask failed: conversion_failed: ")
    assert errors[1].startswith("%%ask: argument --limit")
    assert errors[2].startswith("%%ask: store the result with NAME <<")
    assert "Traceback" not in "".join(errors)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("from {country}", "from Germany"),
        ("top {n} customers", "top 5 customers"),
        ("{missing} stays", "{missing} stays"),
        ("{n:03d}", "005"),
        ("{country.__class__}", "{country.__class__}"),  # only plain names are filled in
    ],
)
def test_interpolation_fills_names_only(question: str, expected: str) -> None:
    assert interpolate(question, {"country": "Germany", "n": 5}) == expected
