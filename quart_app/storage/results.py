"""A job's result as JSON text the history database can hold, and the time its write may take.

A result may be as large as ``QUART_APP_MAX_RESULT_BYTES`` (64 MiB). Encoded in one
call, it held the event loop for over two seconds, and inside the history's time limit
(``availability.bounded``): every other request, event and heart-beat of the process
waited, and the write was taken for a database that had stopped answering. Its rows are
encoded a slice at a time instead, letting the loop run between slices, before any
connection is taken.

jsonb cannot hold a NUL character, nor a lone surrogate (half of a UTF-16 pair,
U+D800 to U+DFFF, without the other half; Python strings can hold one, PostgreSQL text
cannot): either becomes U+FFFD, the replacement character. JSON values holding either
come back from PostgreSQL as their text already (``codecs.py``): this is for anything
else that might.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Final

from ..events import storable_json
from ..schemas import ExecuteResult

# Rows encoded between two turns of the event loop: about a millisecond for short rows.
ROWS_PER_SLICE: Final = 1000

# Writing a result takes the history database time in proportion to its size (parsing the
# jsonb, compressing and storing it): 3 to 5 s for 64 MiB on a 2-core machine, about
# 15 MiB/s. Its write is given the history's timeout plus a second per this many characters,
# several times what it needs, so that only a database that stopped answering runs it out.
RESULT_CHARS_PER_SECOND: Final = 2 * 1024 * 1024

# Results at least this large are written one at a time (``jobs.py``): one connection of
# the pool at most, the others staying free for events, heart-beats and new jobs.
LARGE_RESULT_CHARS: Final = 1024 * 1024

_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False)


def storable(text: str) -> str:
    """JSON text made by ``dumps`` as jsonb can hold it: no NUL, no lone surrogate."""
    if not text.isascii():  # a flag of the string, not a scan
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return storable_json(text)


def dumps(value: Any) -> str:
    """``value`` as JSON text, non-ASCII characters as themselves (so that a surrogate
    Python holds alone stays one character, for ``storable`` to find)."""
    return _ENCODER.encode(value)


async def result_json(result: ExecuteResult) -> str:
    """``result`` as JSON text jsonb can hold, its rows encoded a slice at a time."""
    head = storable(dumps(result.model_dump(exclude={"rows"})))
    rows = result.rows
    slices = []
    for start in range(0, len(rows), ROWS_PER_SLICE):
        if start:
            await asyncio.sleep(0)  # let the event loop run
        slices.append(storable(dumps(rows[start : start + ROWS_PER_SLICE]))[1:-1])
    return head[:-1] + ', "rows": [' + ", ".join(slices) + "]}"


def write_allowance(timeout: float, text: str | None) -> float:
    """How long the write of a job with result ``text`` may go unanswered, in seconds."""
    return timeout + (len(text) / RESULT_CHARS_PER_SECOND if text else 0.0)
