"""Which chart a result gets, chosen from its shape: the rules, in one place.

A column plays one of four roles, from its PostgreSQL type (or, in a notebook, its
pandas dtype): a *time*, a *number*, a *category* (text, enums, booleans…) or *other*
(JSON, arrays, bytes, intervals: never charted). Then, first match wins:

====================================================  =============  ====================
the result's columns                                  chart          the user may switch to
====================================================  =============  ====================
one row holding one number                            big number     table
a time and one to ten numbers                        line           bar, table
a category and a number                               bar            line, table
two numbers                                           scatter        line, table
anything else                                         none: the table alone
====================================================  =============  ====================

The chart is a Vega-Lite spec *without data*: its data is the named source
``result``, the rows of the result as objects (``/api/jobs/{id}/result``, or a
DataFrame), so the spec can travel in events, which never carry rows. Big results
stay cheap, and the spec says so in its subtitle: a bar chart shows the 20 largest
categories and sums the rest as "other"; a line over more than ``POINTS`` instants
is averaged per minute, hour, day… (the finest unit that fits); a scatter of more
than ``POINTS`` rows is a random sample of them. The spec's transforms do this
where the rows are, so every renderer draws the same few thousand marks at most.
Decimals and times arrive as text (JSON has no such types): the spec parses them.
How a line's time axis is chosen is in ``chart_time.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

from .chart_time import time_axis

Role = Literal["time", "number", "category", "other"]
Spec = dict[str, Any]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MIME_TYPE = "application/vnd.vegalite.v5+json"
DATA_NAME = "result"
POINTS = 2_000  # the most marks a line or a scatter draws
BARS = 20  # the most categories a bar chart draws, besides "other"
OTHER = "other"
SERIES = 10  # the most numbers a line chart draws against one time

NUMBER_TYPES = frozenset({"int2", "int4", "int8", "float4", "float8", "numeric", "oid"})
TIME_TYPES = frozenset({"date", "timestamp", "timestamptz"})
NOT_CHARTED = frozenset(
    {"json", "jsonb", "bytea", "interval", "time", "timetz", "money", "tsvector", "xml"}
)


def role_of(type_name: str) -> Role:
    """A PostgreSQL type's role in a chart."""
    if type_name in NUMBER_TYPES:
        return "number"
    if type_name in TIME_TYPES:
        return "time"
    if type_name in NOT_CHARTED or type_name.endswith("[]") or type_name.startswith("_"):
        return "other"
    return "category"


def kinds_for(roles: Sequence[Role], row_count: int) -> tuple[str, ...]:
    """The charts a result of this shape may be drawn as, the suggested one first
    (``table`` last); no charts at all when the shape has none."""
    times, numbers = roles.count("time"), roles.count("number")
    if row_count == 0 or "other" in roles:
        return ()
    if row_count == 1 and list(roles) == ["number"]:
        return ("number", "table")
    if times == 1 and numbers == len(roles) - 1 and 1 <= numbers <= SERIES:
        return ("line", "bar", "table")
    if len(roles) == 2 and numbers == 1 and roles.count("category") == 1:
        return ("bar", "line", "table")
    if len(roles) == 2 and numbers == 2:
        return ("scatter", "line", "table")
    return ()


def suggest(
    names: Sequence[str],
    roles: Sequence[Role],
    columns: Sequence[Sequence[Any]],
    *,
    kind: str | None = None,
    truncated: bool = False,
) -> dict[str, Any] | None:
    """The chart for a result, or None: ``columns`` holds each column's values (JSON
    values as execute returns them). ``kind`` asks for one of the shape's other charts."""
    row_count = len(columns[0]) if columns else 0
    kinds = kinds_for(list(roles), row_count)
    if not kinds or not _nameable(names):
        return None  # no chart for this shape, or columns a chart cannot name apart
    chosen = kind or kinds[0]
    if chosen not in kinds or chosen == "table":
        return None
    spec = _BUILDERS[chosen](list(names), list(roles), columns)
    notes = [*spec.pop("_notes", [])]
    if truncated:
        notes.append(f"the first {row_count:,} rows only: the result was cut short")
    spec["usermeta"] = {"kind": chosen, "kinds": list(kinds), "rows": row_count}
    if notes:
        spec.setdefault("title", {})["subtitle"] = notes
    return {"$schema": SCHEMA, "data": {"name": DATA_NAME}, **spec}


class Column(Protocol):
    """A result's column as execute describes it: its name and PostgreSQL type."""

    name: str
    type: str


def for_result(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    kind: str | None = None,
    truncated: bool = False,
) -> dict[str, Any] | None:
    """The chart for execute's result: its columns and its rows."""
    roles = [role_of(column.type) for column in columns]
    if not kinds_for(roles, len(rows)):
        return None  # the common case, decided without looking at a row
    names = [column.name for column in columns]
    values: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return suggest(names, roles, values, kind=kind, truncated=truncated)


def with_data(spec: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``spec`` with its rows in it, as a notebook or a file keeps it."""
    return {**spec, "data": {"values": list(records)}}


def records(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows as objects keyed by column name: the shape Vega-Lite's data takes."""
    return [dict(zip(names, row, strict=True)) for row in rows]


# The charts --------------------------------------------------------------------------


def _number(names: list[str], roles: list[Role], columns: Sequence[Sequence[Any]]) -> Spec:
    value = names[0]
    return {
        "title": {"text": _label(value)},
        "transform": [_as_number(value)],
        "mark": {"type": "text", "fontSize": 56, "fontWeight": "bold", "align": "center"},
        "encoding": {
            "text": {"field": _field(value), "type": "quantitative", "format": ","},
            "x": {"value": 160},
            "y": {"value": 45},
        },
        "width": 320,
        "height": 90,
    }


def _line(names: list[str], roles: list[Role], columns: Sequence[Sequence[Any]]) -> Spec:
    time = names[roles.index("time")]
    values = [name for name, role in zip(names, roles, strict=True) if role == "number"]
    instants = {value for value in columns[roles.index("time")] if isinstance(value, str)}
    unit, notes, y_aggregate, sampled = time_axis(instants, POINTS // len(values))
    transform: list[dict[str, Any]] = [_as_time(time), *map(_as_number, values)]
    if sampled:
        transform.insert(0, {"sample": POINTS // len(values)})
    series, y_name = None, values[0]
    if len(values) > 1:
        # Names of our own, unlikely to be a column's (a window's rank, below, too).
        transform.append({"fold": [_field(v) for v in values], "as": ["__series", "__value"]})
        series, y_name = "__series", "__value"
    y_title = ", ".join(map(_label, values))
    y: dict[str, Any] = {"field": _field(y_name), "type": "quantitative", "title": y_title}
    if y_aggregate:
        y["aggregate"] = y_aggregate
    x = _channel(time, "temporal")
    if unit:
        x["timeUnit"] = unit
    encoding: dict[str, Any] = {"x": x, "y": y, "tooltip": [x, {**y, "format": ","}]}
    if len(values) > 1:
        encoding["tooltip"][-1]["title"] = "value"
        encoding["color"] = {"field": series, "type": "nominal", "title": None}
        encoding["tooltip"].insert(1, {"field": series, "type": "nominal", "title": "series"})
    mark = {"type": "line", "point": len(instants) <= 100}
    return {
        "title": {"text": _label(f"{', '.join(values)} by {time}")},
        "transform": transform,
        "mark": mark,
        "encoding": encoding,
        "width": 560,
        "height": 260,
        "_notes": notes,
    }


def _bar(names: list[str], roles: list[Role], columns: Sequence[Sequence[Any]]) -> Spec:
    if "time" in roles:  # a line's data as bars, one per instant
        spec = _line(names, roles, columns)
        spec["mark"] = {"type": "bar"}
        if "timeUnit" in spec["encoding"]["x"]:  # one bar per month (day, year): labelled so
            spec["encoding"]["x"] = {**spec["encoding"]["x"], "type": "ordinal"}
        spec["encoding"].pop("color", None)
        if "fold" in spec["transform"][-1]:
            series = {"field": "__series", "type": "nominal"}
            spec["encoding"]["xOffset"] = series
            spec["encoding"]["color"] = {**series, "title": None}
        return spec
    category, value = names[roles.index("category")], names[roles.index("number")]
    transform: list[dict[str, Any]] = [_as_number(value)]
    notes = []
    distinct = len(set(map(_hashable, columns[roles.index("category")])))
    if distinct > BARS:
        transform += _top(category, value)
        notes.append(f"the {BARS} largest of {distinct:,}; the other {distinct - BARS:,} summed")
    tooltip = [_channel(category, "nominal"), _channel(value, "quantitative", format=",")]
    return {
        "title": {"text": _label(f"{value} by {category}")},
        "transform": transform,
        "mark": {"type": "bar"},
        "encoding": {
            "y": _channel(category, "nominal", sort="-x"),
            "x": _channel(value, "quantitative"),
            "tooltip": tooltip,
        },
        "width": 480,
        "_notes": notes,
    }


def _scatter(names: list[str], roles: list[Role], columns: Sequence[Sequence[Any]]) -> Spec:
    x, y = names
    transform: list[dict[str, Any]] = [_as_number(x), _as_number(y)]
    notes = []
    if len(columns[0]) > POINTS:
        transform.append({"sample": POINTS})
        notes.append(f"{POINTS:,} of {len(columns[0]):,} rows, sampled at random")
    return {
        "title": {"text": _label(f"{y} against {x}")},
        "transform": transform,
        "mark": {"type": "point", "filled": True, "opacity": 0.7},
        "encoding": {
            "x": _channel(x, "quantitative", scale={"zero": False}),
            "y": _channel(y, "quantitative", scale={"zero": False}),
            "tooltip": [
                _channel(x, "quantitative", format=","),
                _channel(y, "quantitative", format=","),
            ],
        },
        "width": 480,
        "height": 320,
        "_notes": notes,
    }


def _line_of_anything(
    names: list[str], roles: list[Role], columns: Sequence[Sequence[Any]]
) -> Spec:
    if "time" in roles:
        return _line(names, roles, columns)
    spec = _bar(names, roles, columns) if "category" in roles else _scatter(names, roles, columns)
    spec["mark"] = {"type": "line", "point": len(columns[0]) <= 100}
    if "category" in roles:  # categories along x, in the result's own order
        y, x = spec["encoding"]["y"], spec["encoding"]["x"]
        spec["encoding"]["x"] = {**y, "sort": None, "type": "ordinal"}
        spec["encoding"]["y"] = x
    else:  # a line through the points from left to right
        spec["encoding"]["order"] = {"field": spec["encoding"]["x"]["field"]}
    return spec


_BUILDERS = {"number": _number, "line": _line_of_anything, "bar": _bar, "scatter": _scatter}


# Pieces --------------------------------------------------------------------------------


# Names every JavaScript object has already: Vega keys plain objects by field name,
# and a column named like one of these breaks it.
_TAKEN = frozenset(
    {
        "__proto__", "constructor", "hasOwnProperty", "isPrototypeOf",
        "propertyIsEnumerable", "toLocaleString", "toString", "valueOf",
        "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
    }
)  # fmt: skip


def _nameable(names: Sequence[str]) -> bool:
    """Names a chart can tell apart and Vega can use: distinct, not empty, not taken."""
    return len(set(names)) == len(names) and all(name and name not in _TAKEN for name in names)


def _field(name: str) -> str:
    """A column name as a Vega-Lite field: dots, brackets and quotes would mean a path."""
    return re.sub(r"""([.\[\]\\'"])""", r"\\\1", name)


def _label(name: str) -> str:
    """A column name as a title. Vega-Lite writes titles into expressions it generates
    (tooltips, descriptions) escaping quotes but not backslashes or line breaks: those
    become a look-alike and spaces."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", name).replace("\\", "\u2216")


def _channel(name: str, kind: str, **more: Any) -> dict[str, Any]:
    """An encoding channel of column ``name``, titled with the name."""
    return {"field": _field(name), "type": kind, "title": _label(name), **more}


def _datum(name: str) -> str:
    return f"datum[{json.dumps(name)}]"


def _as_number(name: str) -> dict[str, str]:
    # Decimals arrive as text; toNumber leaves numbers as they are.
    return {"calculate": f"toNumber({_datum(name)})", "as": name}


def _as_time(name: str) -> dict[str, str]:
    # Dates and times without an offset are read as UTC, as are those with one, so that
    # a month starts on the 1st whatever the viewer's time zone.
    value = _datum(name)
    return {
        "calculate": f"isValid({value}) ? toDate(test(/[zZ]|[+-][0-9][0-9]:?[0-9][0-9]$/, "
        f"{value}) ? {value} : length({value}) <= 10 ? {value} + 'T00:00:00Z' : "
        f"{value} + 'Z') : null",
        "as": name,
    }


def _top(category: str, value: str) -> list[dict[str, Any]]:
    """The largest BARS categories, and the rest summed as one bar named "other"."""
    total = [{"op": "sum", "field": _field(value), "as": value}]
    return [
        {"aggregate": total, "groupby": [_field(category)]},
        {
            "window": [{"op": "row_number", "as": "__rank"}],
            "sort": [{"field": _field(value), "order": "descending"}],
        },
        {
            "calculate": f"datum.__rank <= {BARS} ? {_datum(category)} : {json.dumps(OTHER)}",
            "as": category,
        },
        {"aggregate": total, "groupby": [_field(category)]},
    ]


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value
