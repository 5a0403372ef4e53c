"""How a connection decodes the PostgreSQL values Python cannot hold.

Decoded the default way, a date past 9999 or BC, ``time '24:00'`` or deeply nested JSON
fails the whole query, and ``'infinity'`` becomes 9999-12-31. Here a value Python can
hold becomes the usual object and any other becomes text in ISO form (``10000-01-01``,
``infinity``); intervals are PostgreSQL's own text; JSON a jsonb result cannot keep
comes back as its text. A value of a polymorphic pseudo-type (``anyarray`` in
``pg_stats``, say), which asyncpg refuses to decode at all, comes back as PostgreSQL's
own text. (``"char"``, which asyncpg gives as bytes whatever codec is set, is turned into
text by ``values.char_text``.)
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Final

import asyncpg

# JSON values nested deeper than this come back as their text: every layer that handles a
# row (its JSON form, the kept result, clients) may then recurse through it safely.
MAX_JSON_DEPTH: Final = 100

# PostgreSQL counts days and microseconds from 2000-01-01; its infinities are the extremes.
_EPOCH_ORDINAL: Final = date(2000, 1, 1).toordinal()
_EPOCH: Final = datetime(2000, 1, 1)
_EPOCH_UTC: Final = datetime(2000, 1, 1, tzinfo=UTC)
_DAY_US: Final = 86_400_000_000
_ONE_US: Final = timedelta(microseconds=1)
_MIN_DAYS: Final = date.min.toordinal() - _EPOCH_ORDINAL
_MAX_DAYS: Final = date.max.toordinal() - _EPOCH_ORDINAL
_MIN_US: Final = _MIN_DAYS * _DAY_US
_MAX_US: Final = (_MAX_DAYS + 1) * _DAY_US - 1
_DATE_INFINITIES: Final = {2**31 - 1: "infinity", -(2**31): "-infinity"}
_TIMESTAMP_INFINITIES: Final = {2**63 - 1: "infinity", -(2**63): "-infinity"}
_CYCLE_DAYS: Final = 146_097  # the Gregorian calendar repeats every 400 years
_NUL_ESCAPE: Final = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
# The escape of half a UTF-16 surrogate pair (\ud800 to \udfff): a pair is one character,
# and a half alone is none that PostgreSQL's text or jsonb can hold.
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
# Decoded as text: the pseudo-types a view or a function may return (anyarray in
# pg_stats; without a codec asyncpg fails the whole statement).
_AS_TEXT: Final = (
    "anyarray",
    "anycompatiblearray",
    "anyrange",
    "anycompatiblerange",
    "anymultirange",
    "anycompatiblemultirange",
    "pg_ddl_command",
)


async def install_codecs(connection: asyncpg.Connection) -> None:
    """Decode dates, times, intervals and JSON on ``connection`` as this module says."""
    for name, decoder, encoder in (
        ("date", decode_date, _encode_date),
        ("timestamp", decode_timestamp, _encode_timestamp),
        ("timestamptz", decode_timestamptz, _encode_timestamptz),
        ("time", decode_time, _encode_time),
        ("timetz", decode_timetz, _encode_timetz),
    ):
        await connection.set_type_codec(
            name, schema="pg_catalog", encoder=encoder, decoder=decoder, format="tuple"
        )
    await connection.set_type_codec(
        "interval", schema="pg_catalog", encoder=_encode_interval, decoder=str, format="text"
    )
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, schema="pg_catalog", encoder=json.dumps, decoder=decode_json
        )
    for name in _AS_TEXT:
        with contextlib.suppress(ValueError):  # a type this server version does not have
            await connection.set_type_codec(
                name, schema="pg_catalog", encoder=str, decoder=str, format="text"
            )


def decode_date(value: tuple[int]) -> date | str:
    days = value[0]
    if _MIN_DAYS <= days <= _MAX_DAYS:
        return date.fromordinal(days + _EPOCH_ORDINAL)
    if days in _DATE_INFINITIES:
        return _DATE_INFINITIES[days]
    day, era = _date_text(days)
    return day + era


def decode_timestamp(value: tuple[int]) -> datetime | str:
    microseconds = value[0]
    if _MIN_US <= microseconds <= _MAX_US:
        return _EPOCH + timedelta(microseconds=microseconds)
    return _timestamp_text(microseconds, "")


def decode_timestamptz(value: tuple[int]) -> datetime | str:
    microseconds = value[0]
    if _MIN_US <= microseconds <= _MAX_US:
        return _EPOCH_UTC + timedelta(microseconds=microseconds)
    return _timestamp_text(microseconds, "+00:00")


def decode_time(value: tuple[int]) -> time | str:
    microseconds = value[0]
    if microseconds < _DAY_US:
        return _time(microseconds)
    return _clock_text(microseconds)  # 24:00:00


def decode_timetz(value: tuple[int, int]) -> time | str:
    microseconds, seconds_west = value
    if microseconds < _DAY_US:
        return _time(microseconds, timezone(timedelta(seconds=-seconds_west)))
    return _clock_text(microseconds) + _offset_text(-seconds_west)


def decode_json(text: str) -> Any:
    """``text`` parsed, or ``text`` itself where Python or the kept result cannot hold it."""
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        return text
    try:
        value = json.loads(text, parse_float=_finite_float)
    except (RecursionError, ValueError):  # too deep, too many digits, beyond float
        return text
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        return text
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _holds_lone_surrogate(value):
        return text
    return value


def _holds_lone_surrogate(value: Any) -> bool:
    """Whether a string of ``value`` (or a key) holds a surrogate not paired with another:
    ``json.loads`` makes one character of each escaped pair, and UTF-8 has none for a half."""
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is beyond a float")
    return number


def _deeper_than(value: Any, limit: int) -> bool:
    level = [value]
    for _ in range(limit):
        inner: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                inner.extend(child for child in item.values() if isinstance(child, dict | list))
            elif isinstance(item, list):
                inner.extend(child for child in item if isinstance(child, dict | list))
        if not inner:
            return False
        level = inner
    return True


def _date_text(days: int) -> tuple[str, str]:
    """A day outside Python's years 1 to 9999, as (``YYYY-MM-DD``, era: ``""`` or ``" BC"``)."""
    cycles, ordinal = divmod(days + _EPOCH_ORDINAL - 1, _CYCLE_DAYS)
    day = date.fromordinal(ordinal + 1)
    year = day.year + 400 * cycles  # astronomical: 0 is 1 BC
    era = "" if year > 0 else " BC"
    return f"{year if year > 0 else 1 - year:04d}-{day.month:02d}-{day.day:02d}", era


def _timestamp_text(microseconds: int, zone: str) -> str:
    if microseconds in _TIMESTAMP_INFINITIES:
        return _TIMESTAMP_INFINITIES[microseconds]
    days, of_day = divmod(microseconds, _DAY_US)
    day, era = _date_text(days)
    return f"{day}T{_clock_text(of_day)}{zone}{era}"


def _clock(microseconds: int) -> tuple[int, int, int, int]:
    seconds, fraction = divmod(microseconds, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return hour, minute, second, fraction


def _time(microseconds: int, zone: timezone | None = None) -> time:
    return time(*_clock(microseconds), tzinfo=zone)


def _clock_text(microseconds: int) -> str:
    hour, minute, second, fraction = _clock(microseconds)
    text = f"{hour:02d}:{minute:02d}:{second:02d}"
    return f"{text}.{fraction:06d}" if fraction else text


def _offset_text(seconds_east: int) -> str:
    sign = "-" if seconds_east < 0 else "+"
    minutes, second = divmod(abs(seconds_east), 60)
    hour, minute = divmod(minutes, 60)
    return f"{sign}{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")


# Parameters: nothing sends these today, but a codec needs both directions.


def _encode_date(value: date) -> tuple[int]:
    return (value.toordinal() - _EPOCH_ORDINAL,)


def _encode_timestamp(value: datetime) -> tuple[int]:
    return ((value.replace(tzinfo=None) - _EPOCH) // _ONE_US,)


def _encode_timestamptz(value: datetime) -> tuple[int]:
    if value.tzinfo is None:
        value = value.astimezone()  # a naive time is local, as asyncpg takes it
    return ((value - _EPOCH_UTC) // _ONE_US,)


def _encode_time(value: time) -> tuple[int]:
    return (_microseconds_of_day(value),)


def _encode_timetz(value: time) -> tuple[int, int]:
    offset = value.utcoffset() or timedelta(0)
    return _microseconds_of_day(value), -int(offset.total_seconds())


def _microseconds_of_day(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _encode_interval(value: timedelta | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value.days} days {value.seconds} seconds {value.microseconds} microseconds"
