"""The chart rule on a table of result shapes, and what each spec asks its renderer for."""

from __future__ import annotations

import json
from typing import Any

import pytest

from quart_app.charts import BARS, POINTS, kinds_for, records, role_of, suggest, with_data

MONTHS = [f"2024-{month:02d}-01T00:00:00+00:00" for month in range(1, 13)]
STATUSES = ["cancelled", "delivered", "pending", "returned", "shipped"]
Columns = dict[str, tuple[str, list[Any]]]


def chart(columns: Columns, **options: Any) -> dict[str, Any] | None:
    """``suggest`` for named columns, each given as (PostgreSQL type, values)."""
    names = list(columns)
    roles = [role_of(type_name) for type_name, _ in columns.values()]
    return suggest(names, roles, [values for _, values in columns.values()], **options)


SHAPES: list[tuple[str, Columns, str | None]] = [
    ("one number", {"count": ("int8", [42])}, "number"),
    ("one decimal", {"avg": ("numeric", ["3.14"])}, "number"),
    ("one number, two rows", {"n": ("int4", [1, 2])}, None),
    ("one text", {"name": ("text", ["Ada"])}, None),
    (
        "month and revenue",
        {"month": ("timestamptz", MONTHS), "revenue": ("numeric", ["1.5"] * 12)},
        "line",
    ),
    (
        "day and two numbers",
        {
            "day": ("date", ["2024-01-01", "2024-01-02"]),
            "a": ("int4", [1, 2]),
            "b": ("float8", [1.0, 2.0]),
        },
        "line",
    ),
    ("status and count", {"status": ("text", STATUSES), "count": ("int8", [1, 2, 3, 4, 5])}, "bar"),
    (
        "enum and count",
        {"status": ("order_status", STATUSES), "count": ("int8", [1, 2, 3, 4, 5])},
        "bar",
    ),
    (
        "flag and total",
        {"active": ("bool", [True, False]), "total": ("numeric", ["1", "2"])},
        "bar",
    ),
    ("two numbers", {"price": ("numeric", ["1", "2"]), "quantity": ("int4", [3, 4])}, "scatter"),
    ("three numbers", {"a": ("int4", [1]), "b": ("int4", [2]), "c": ("int4", [3])}, None),
    (
        "category, category, number",
        {"a": ("text", ["x"]), "b": ("text", ["y"]), "n": ("int4", [1])},
        None,
    ),
    (
        "two times and a number",
        {"a": ("date", ["2024-01-01"]), "b": ("date", ["2024-01-02"]), "n": ("int4", [1])},
        None,
    ),
    ("time and text", {"day": ("date", ["2024-01-01"]), "name": ("text", ["x"])}, None),
    ("JSON and a number", {"doc": ("jsonb", [{"a": 1}]), "n": ("int4", [1])}, None),
    ("array and a number", {"tags": ("text[]", [["a"]]), "n": ("int4", [1])}, None),
    ("interval and a number", {"took": ("interval", ["1 day"]), "n": ("int4", [1])}, None),
    ("no rows", {"status": ("text", []), "count": ("int8", [])}, None),
    ("no columns", {}, None),
    ("names apart by a space", {"n": ("int4", [1]), "n ": ("int4", [2])}, "scatter"),
]


@pytest.mark.parametrize(
    ("columns", "expected"), [(c, e) for _, c, e in SHAPES], ids=[n for n, _, _ in SHAPES]
)
def test_the_rule_picks_a_chart_from_the_shape(columns: Columns, expected: str | None) -> None:
    spec = chart(columns)
    assert (spec and spec["usermeta"]["kind"]) == expected
    if spec is not None:
        assert spec["data"] == {"name": "result"}, "the spec carries no rows"
        assert spec["$schema"].endswith("/vega-lite/v5.json")
        assert spec["usermeta"]["kinds"][0] == expected
        assert spec["usermeta"]["kinds"][-1] == "table", "the table is always a choice"
        json.dumps(spec)  # JSON through and through: it travels in events


def test_columns_a_chart_cannot_name_get_none() -> None:
    assert suggest(["n", "n"], ["number", "number"], [[1], [2]]) is None
    assert suggest(["", "n"], ["category", "number"], [["a"], [2]]) is None  # a DataFrame's


@pytest.mark.parametrize(
    ("columns", "kind", "mark"),
    [
        ({"month": ("date", ["2024-01-01", "2024-02-01"]), "n": ("int4", [1, 2])}, "bar", "bar"),
        ({"status": ("text", STATUSES), "n": ("int4", [1, 2, 3, 4, 5])}, "line", "line"),
        ({"x": ("int4", [1, 2]), "y": ("int4", [3, 4])}, "line", "line"),
    ],
)
def test_the_user_may_switch_to_another_chart_of_the_shape(
    columns: Columns, kind: str, mark: str
) -> None:
    spec = chart(columns, kind=kind)
    assert spec is not None and spec["mark"]["type"] == mark
    assert spec["usermeta"]["kind"] == kind


def test_a_switch_the_shape_does_not_offer_gives_no_chart() -> None:
    one = {"count": ("int8", [42])}
    assert chart(one, kind="line") is None
    assert chart(one, kind="table") is None
    assert chart({"status": ("text", ["a"]), "n": ("int4", [1])}, kind="scatter") is None


def test_a_line_through_months_shows_every_month_as_a_point() -> None:
    spec = chart({"month": ("timestamptz", MONTHS), "revenue": ("numeric", ["1"] * 12)})
    assert spec is not None
    assert spec["mark"] == {"type": "line", "point": True}
    assert spec["encoding"]["x"]["timeUnit"] == "utcyearmonth"
    assert "aggregate" not in spec["encoding"]["y"]
    assert "subtitle" not in spec["title"]
    # Decimals and times arrive as text and are parsed by the spec itself.
    calculated = {step["as"]: step["calculate"] for step in spec["transform"]}
    assert calculated["revenue"] == 'toNumber(datum["revenue"])'
    assert "toDate" in calculated["month"]


def test_a_line_over_too_many_instants_is_averaged_and_says_so() -> None:
    hours = [f"2024-01-{1 + hour // 24:02d}T{hour % 24:02d}:00:00" for hour in range(24 * 30)]
    few = chart({"at": ("timestamp", hours), "n": ("int4", list(range(len(hours))))})
    assert few is not None and "aggregate" not in few["encoding"]["y"]
    assert "timeUnit" not in few["encoding"]["x"], "hours are not a calendar unit"
    many = chart({"at": ("timestamp", _spread(POINTS + 1)), "n": ("int4", [1] * (POINTS + 1))})
    assert many is not None
    assert many["encoding"]["y"]["aggregate"] == "mean"
    assert many["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"
    assert many["title"]["subtitle"] == [f"{POINTS + 1:,} instants averaged per day"]


def test_a_dense_short_line_is_averaged_per_hour_not_per_day() -> None:
    # 3,000 instants 46 seconds apart: under two days, so days would leave two points.
    seconds = [
        f"2023-01-{1 + s // 86_400:02d}T{s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        for s in range(0, 3000 * 46, 46)
    ]
    spec = chart({"at": ("timestamp", seconds), "n": ("int4", [1] * 3000)})
    assert spec is not None
    assert spec["encoding"]["x"]["timeUnit"] == "utcyearmonthdatehours"
    assert spec["title"]["subtitle"] == ["3,000 instants averaged per hour"]


def _spread(count: int) -> list[str]:
    """``count`` instants an hour apart."""
    return [
        f"2024-{1 + hour // (24 * 28):02d}-{1 + hour // 24 % 28:02d}T{hour % 24:02d}:00:00"
        for hour in range(count)
    ]


def test_a_bar_chart_keeps_the_largest_categories_and_sums_the_rest() -> None:
    names = [f"c{index}" for index in range(BARS + 7)]
    spec = chart({"name": ("text", names), "n": ("int4", list(range(len(names))))})
    assert spec is not None
    steps = [next(iter(step)) for step in spec["transform"]]
    assert steps == ["calculate", "aggregate", "window", "calculate", "aggregate"]
    assert f"datum.__rank <= {BARS}" in spec["transform"][3]["calculate"]
    assert spec["title"]["subtitle"] == [f"the {BARS} largest of {BARS + 7}; the other 7 summed"]
    assert spec["encoding"]["y"]["sort"] == "-x", "largest first"


def test_a_big_scatter_is_sampled_and_says_so() -> None:
    count = POINTS * 3
    spec = chart({"x": ("float8", [1.0] * count), "y": ("float8", [2.0] * count)})
    assert spec is not None
    assert {"sample": POINTS} in spec["transform"]
    assert spec["title"]["subtitle"] == [f"{POINTS:,} of {count:,} rows, sampled at random"]


def test_a_truncated_result_says_the_chart_shows_part_of_it() -> None:
    spec = chart({"status": ("text", STATUSES), "n": ("int4", [1] * 5)}, truncated=True)
    assert spec is not None
    assert spec["title"]["subtitle"] == ["the first 5 rows only: the result was cut short"]


def test_column_names_that_look_like_paths_stay_one_field() -> None:
    spec = chart({"o.status": ("text", STATUSES), 'n["x"]': ("int4", [1] * 5)})
    assert spec is not None
    assert spec["encoding"]["y"]["field"] == "o\\.status"
    assert spec["encoding"]["x"]["field"] == 'n\\[\\"x\\"\\]'
    assert spec["transform"][0] == {"calculate": 'toNumber(datum["n[\\"x\\"]"])', "as": 'n["x"]'}


@pytest.mark.parametrize(
    ("type_name", "role"),
    [
        ("int8", "number"),
        ("numeric", "number"),
        ("timestamptz", "time"),
        ("date", "time"),
        ("text", "category"),
        ("mood", "category"),
        ("bool", "category"),
        ("jsonb", "other"),
        ("int4[]", "other"),
        ("interval", "other"),
        ("time", "other"),
    ],
)
def test_roles_of_types(type_name: str, role: str) -> None:
    assert role_of(type_name) == role
    assert kinds_for([role_of(type_name)], 1) == (("number", "table") if role == "number" else ())


CHARTED = [(name, columns) for name, columns, expected in SHAPES if expected]


@pytest.mark.parametrize("columns", [c for _, c in CHARTED], ids=[n for n, _ in CHARTED])
def test_every_chart_is_a_spec_altair_takes(columns: Columns) -> None:
    """Altair validates against the Vega-Lite schema: each kind each shape offers passes."""
    import altair

    suggested = chart(columns)
    assert suggested is not None
    for kind in suggested["usermeta"]["kinds"][:-1]:
        spec = chart(columns, kind=kind)
        assert spec is not None
        names = list(columns)
        rows = zip(*(values for _, values in columns.values()), strict=True)
        drawn = altair.Chart.from_dict(with_data(spec, records(names, rows)))
        assert drawn.to_dict()["usermeta"]["kind"] == kind
