"""The charts drawn by Vega itself (the copies the service serves, under Node, no browser):
what the marks hold, for big results and for names that could trip the spec up."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from quart_app.charts import BARS, POINTS, SERIES, records, role_of, suggest

ROOT = Path(__file__).parents[1]
VENDOR = ROOT / "quart_app" / "static" / "vendor" / "vega"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")


def drawn(columns: dict[str, tuple[str, list[Any]]], kind: str | None = None) -> dict[str, Any]:
    """The marks Vega draws for these columns (PostgreSQL type, values), by mark type."""
    names = list(columns)
    values = [column for _, column in columns.values()]
    spec = suggest(names, [role_of(t) for t, _ in columns.values()], values, kind=kind)
    assert spec is not None
    rows = records(names, zip(*values, strict=True))
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "js" / "render_chart.mjs"), str(VENDOR)],
        input=json.dumps({"spec": spec, "rows": rows}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    output = json.loads(done.stdout)
    assert output["warnings"] == [], output["warnings"]
    marks: dict[str, Any] = {}
    for mark in output["marks"]:
        marks.setdefault(mark["type"], []).extend(mark["data"])
    return marks


def test_many_categories_are_the_largest_bars_and_one_other_holding_the_rest() -> None:
    names = [f"c{index:03d}" for index in range(300)]
    counts = [str(index) for index in range(300)]  # numeric arrives as text
    bars = drawn({"name": ("text", names), "n": ("numeric", counts)})["rect"]
    assert len(bars) == BARS + 1
    shown = {bar["name"]: bar["n"] for bar in bars}
    assert shown["other"] == sum(range(300 - BARS))
    assert {name for name in shown if name != "other"} == set(names[-BARS:])


def test_a_category_named_like_the_ranking_keeps_its_labels() -> None:
    names = [f"c{index}" for index in range(BARS + 5)]
    bars = drawn({"rank": ("text", names), "n": ("int4", list(range(len(names))))})["rect"]
    labels = {bar["rank"] for bar in bars}
    assert "other" in labels and labels - {"other"} <= set(names)


def test_a_long_line_is_averaged_into_at_most_the_points_allowed() -> None:
    hours = [
        f"2024-{1 + h // 672:02d}-{1 + h // 24 % 28:02d}T{h % 24:02d}:00:00" for h in range(6000)
    ]
    points = drawn({"at": ("timestamp", hours), "n": ("int4", [2] * 6000)})["line"]
    assert len(points) == 6000 // 24, "a point a day"
    assert all(point["mean_n"] == 2 for point in points), "the mean of each day"


def test_a_big_scatter_draws_a_sample() -> None:
    xs = list(range(POINTS * 3))
    points = drawn({"x": ("int4", xs), "y": ("float8", [float(x) for x in xs])})["symbol"]
    assert len(points) == POINTS


def test_months_are_months_in_every_time_zone_and_strings_become_numbers() -> None:
    months = [f"2024-{month:02d}-01" for month in range(1, 13)]
    marks = drawn({"month": ("date", months), "revenue": ("numeric", ["1.5"] * 12)})
    points = marks["symbol"]
    assert len(points) == 12
    assert all(point["revenue"] == 1.5 for point in points)
    # Each point sits on the first of its month at midnight UTC.
    stamps = sorted(point["month"] for point in points)
    assert stamps[0] == 1704067200000  # 2024-01-01T00:00:00Z in ms


def test_two_numbers_per_month_are_two_lines_even_named_like_the_fold() -> None:
    months = [f"2024-{month:02d}-01T00:00:00+00:00" for month in range(1, 7)]
    marks = drawn(
        {"month": ("timestamptz", months), "value": ("int4", [1] * 6), "series": ("int4", [2] * 6)}
    )
    assert len(marks["symbol"]) == 12
    assert {point["__series"] for point in marks["symbol"]} == {"value", "series"}


@pytest.mark.parametrize(
    "name",
    [
        'a"b',
        "a'b",
        "a\\b",
        "a.b",
        "a[0]",
        "</script><img src=x onerror=alert(1)>",
        "a\u2028b",
        "line\nbreak",
        "a\\",
        "\\",
        'x\\""]);alert(2);//',
        "prototype",
    ],
)
def test_any_column_name_is_a_field_and_nothing_else(name: str) -> None:
    other = "n" if name != "n" else "m"
    bars = drawn({name: ("text", ["x", "y"]), other: ("int4", [1, 2])})["rect"]
    assert sorted(bar[name] for bar in bars) == ["x", "y"]


@pytest.mark.parametrize("name", ["constructor", "__proto__", "toString", "valueOf"])
def test_a_name_every_javascript_object_has_gets_no_chart(name: str) -> None:
    assert suggest([name, "n"], ["category", "number"], [["x"], [1]]) is None
    assert suggest(["c", name], ["category", "number"], [["x"], [1]]) is None


def test_more_numbers_than_a_line_can_show_get_no_chart() -> None:
    months = ["2024-01-01"]
    columns = [months, *([1] for _ in range(SERIES + 1))]
    names = ["month", *(f"n{index}" for index in range(SERIES + 1))]
    assert suggest(names, ["time", *["number"] * (SERIES + 1)], columns) is None
    assert suggest(names[:-1], ["time", *["number"] * SERIES], columns[:-1]) is not None


def test_several_numbers_share_the_points_of_one_line() -> None:
    hours = [
        f"2024-{1 + h // 672:02d}-{1 + h // 24 % 28:02d}T{h % 24:02d}:00:00" for h in range(3000)
    ]
    columns = {"at": ("timestamp", hours), **{f"n{i}": ("int4", [i] * 3000) for i in range(5)}}
    points = drawn(columns)["line"]
    assert len(points) == 5 * 125, "five lines of a point a day"


def test_years_past_what_even_a_year_a_point_allows_are_a_sample() -> None:
    years = [f"{year:04d}-01-01" for year in range(1, 12_001)]  # some past 9999
    points = drawn({"t": ("date", years), "v": ("int4", list(range(12_000)))})["line"]
    assert 1 < len(points) <= POINTS
