"""Decoding what Python cannot hold: the decoders as tables, then on a real connection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from quart_app.storage.codecs import (
    MAX_JSON_DEPTH,
    decode_date,
    decode_json,
    decode_time,
    decode_timestamp,
    decode_timestamptz,
    decode_timetz,
    install_codecs,
)
from quart_app.storage.values import jsonable, jsonable_row
from tests.servers import TestDatabase

DAY_US = 86_400_000_000


@pytest.mark.parametrize(
    ("days", "decoded"),
    [
        (0, date(2000, 1, 1)),
        (-730_119, date(1, 1, 1)),
        (2_921_939, date(9999, 12, 31)),
        (2_921_940, "10000-01-01"),
        (-730_120, "0001-12-31 BC"),
        (-2_451_545, "4714-11-24 BC"),  # PostgreSQL's first day
        (2**31 - 1, "infinity"),
        (-(2**31), "-infinity"),
    ],
)
def test_dates(days: int, decoded: date | str) -> None:
    assert decode_date((days,)) == decoded


@pytest.mark.parametrize(
    ("microseconds", "naive", "aware"),
    [
        (0, datetime(2000, 1, 1), datetime(2000, 1, 1, tzinfo=UTC)),
        (DAY_US + 1, datetime(2000, 1, 2, 0, 0, 0, 1), datetime(2000, 1, 2, 0, 0, 0, 1, UTC)),
        (2_921_940 * DAY_US, "10000-01-01T00:00:00", "10000-01-01T00:00:00+00:00"),
        (2_921_940 * DAY_US + 1_500_000, "10000-01-01T00:00:01.500000", None),
        (-730_120 * DAY_US + 43_200_000_000, "0001-12-31T12:00:00 BC", None),
        (-730_120 * DAY_US, None, "0001-12-31T00:00:00+00:00 BC"),
        (2**63 - 1, "infinity", "infinity"),
        (-(2**63), "-infinity", "-infinity"),
    ],
)
def test_timestamps(
    microseconds: int, naive: datetime | str | None, aware: datetime | str | None
) -> None:
    if naive is not None:
        assert decode_timestamp((microseconds,)) == naive
    if aware is not None:
        assert decode_timestamptz((microseconds,)) == aware


@pytest.mark.parametrize(
    ("value", "decoded"),
    [
        ((0,), time(0)),
        ((DAY_US - 1,), time(23, 59, 59, 999_999)),
        ((DAY_US,), "24:00:00"),
        ((DAY_US, -18_000), "24:00:00+05:00"),
        ((DAY_US, 12_600), "24:00:00-03:30"),
        ((DAY_US, -3_661), "24:00:00+01:01:01"),
        ((43_200_000_000, -19_800), time(12, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
    ],
)
def test_times(value: tuple[int, ...], decoded: time | str) -> None:
    decode = decode_timetz if len(value) == 2 else decode_time
    assert decode(value) == decoded  # type: ignore[arg-type]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ('{"a": [1, 2.5, null, true, "x"]}', {"a": [1, 2.5, None, True, "x"]}),
        ("12345678901234567890", 12345678901234567890),
        ("1e308", 1e308),
        ("1e400", "1e400"),  # beyond a float
        ('{"a": -1e400}', '{"a": -1e400}'),
        ("[" + "1" * 5000 + "]", "[" + "1" * 5000 + "]"),  # beyond int()
        (_nested(10_000), _nested(10_000)),  # beyond json.loads
        (_nested(MAX_JSON_DEPTH + 1), _nested(MAX_JSON_DEPTH + 1)),
        ('{"a": ' * 200 + "1" + "}" * 200, '{"a": ' * 200 + "1" + "}" * 200),
        ('["' + "[" * 500 + '"]', ["[" * 500]),  # brackets in a string are no depth
        ('"\\u0000"', '"\\u0000"'),  # jsonb, where results are kept, refuses NUL
        ('["a\\\\u0000"]', ["a\\u0000"]),  # an escaped backslash, then text
        ('"\\ud800"', '"\\ud800"'),  # a lone surrogate, which jsonb refuses too
        ('{"\\uDC00": 1}', '{"\\uDC00": 1}'),  # in a key, in capitals
        ('["\\ude00\\ud83d"]', '["\\ude00\\ud83d"]'),  # a pair the wrong way round
        ('["\\ud83d\\ude00", "\\u00e9"]', ["\U0001f600", "\u00e9"]),  # a pair: one character
        ('["a\\\\ud800"]', ["a\\ud800"]),  # an escaped backslash, then text
    ],
)
def test_json(text: str, decoded: Any) -> None:
    assert decode_json(text) == decoded


def test_json_at_the_depth_limit_is_parsed() -> None:
    value = decode_json(_nested(MAX_JSON_DEPTH))
    for _ in range(MAX_JSON_DEPTH - 1):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        (Decimal("NaN"), "NaN"),
        (Decimal("-Infinity"), "-Infinity"),
        (asyncpg.Range(1, 5), "[1,5)"),
        (asyncpg.Range(None, date(2024, 1, 1), upper_inc=True), "(,2024-01-01]"),
        (asyncpg.Range(empty=True), "empty"),
        (asyncpg.BitString("0101"), "0101"),
    ],
)
def test_json_forms(value: Any, text: str) -> None:
    assert jsonable(value) == text


@pytest.fixture(name="connection")
async def fixture_connection(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database.url)
    await install_codecs(connection)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("sql", "row"),
    [
        (
            "SELECT '10000-01-01'::date, '0044-03-15 BC'::date, 'infinity'::date, "
            "'2024-02-29'::date, '5874897-12-31'::date",
            ["10000-01-01", "0044-03-15 BC", "infinity", "2024-02-29", "5874897-12-31"],
        ),
        (
            "SELECT '294276-12-31 23:59:59.999999'::timestamp, "
            "'4713-01-01 00:00+00 BC'::timestamptz, '2024-06-01 12:34:56.789+00'::timestamptz",
            [
                "294276-12-31T23:59:59.999999",
                "4713-01-01T00:00:00+00:00 BC",
                "2024-06-01T12:34:56.789000+00:00",
            ],
        ),
        ("SELECT '24:00'::time, '12:00-03'::timetz", ["24:00:00", "12:00:00-03:00"]),
        (
            "SELECT '-1 mon'::interval, interval '-2147483648 months'",
            ["-1 mons", "-178956970 years -8 mons"],
        ),
        (
            "SELECT ARRAY['10000-01-01'::date, '2024-01-01'], ARRAY['infinity'::timestamptz], "
            "'[2024-01-01,10000-01-01)'::daterange, 'empty'::int4range, "
            "'{[1,3), [5,7)}'::int4multirange, ARRAY['[1,2]'::json, '\"\\u0000\"']",
            [
                ["10000-01-01", "2024-01-01"],
                ["infinity"],
                "[2024-01-01,10000-01-01)",
                "empty",
                ["[1,3)", "[5,7)"],
                [[1, 2], '"\\u0000"'],
            ],
        ),
        (  # pseudo-types asyncpg cannot decode, as PostgreSQL's text
            "SELECT ARRAY[1, 2]::anyarray::text::int[], "
            "(SELECT histogram_bounds FROM pg_stats WHERE schemaname = 'pg_catalog' "
            "AND tablename = 'pg_class' AND attname = 'relname') IS NOT NULL, NULL::anyarray, "
            "NULL::anyrange, NULL::anycompatiblemultirange, NULL::pg_ddl_command",
            [[1, 2], True, None, None, None, None],
        ),
        (
            "SELECT histogram_bounds FROM pg_stats WHERE histogram_bounds IS NOT NULL "
            "AND schemaname = 'pg_catalog' LIMIT 1",
            None,  # any text: it ran at all
        ),
    ],
)
async def test_values_on_a_connection(
    connection: asyncpg.Connection, sql: str, row: list[Any] | None
) -> None:
    decoded = jsonable_row(await connection.fetchrow(sql))
    if row is None:
        assert isinstance(decoded[0], str) and decoded[0].startswith("{"), decoded
    else:
        assert decoded == row
    json.dumps(decoded)  # and it is JSON


async def test_parameters_go_out_as_they_come_back(connection: asyncpg.Connection) -> None:
    values = (
        date(2024, 1, 2),
        datetime(2024, 1, 2, 3, 4, 5, 6),
        datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        time(1, 2, 3, 4),
        time(1, 2, 3, tzinfo=timezone(timedelta(hours=5))),
    )
    row = await connection.fetchrow(
        "SELECT $1::date, $2::timestamp, $3::timestamptz, $4::time, $5::timetz, "
        "$6::interval, $7::jsonb",
        *values,
        timedelta(days=1, seconds=5, microseconds=7),
        {"a": [1]},
    )
    assert tuple(row)[:5] == values
    assert tuple(row)[5:] == ("1 day 00:00:05.000007", {"a": [1]})
