"""``%load_ext widget`` adds ``%%ask [--no-execute] [--limit N] [--timeout S] [NAME <<]``.

The cell is the question. ``{var}`` is replaced by the value of ``var`` in the
notebook, in the question only: it never reaches SQL except through the engine.
"""

from __future__ import annotations

import argparse
import shlex
import string
import sys
from collections.abc import Mapping
from typing import Any

from .calls import RequestFailed
from .client import Client


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(message)


_parser = _Parser(prog="%%ask", add_help=False)
_parser.add_argument("--no-execute", action="store_true", help="only convert: return the SQL")
_parser.add_argument("--limit", type=int, help="rows returned at most")
_parser.add_argument("--timeout", type=float, help="statement timeout in seconds")
_parser.add_argument("target", nargs="*", help="NAME << stores the result in NAME")


def interpolate(question: str, namespace: Mapping[str, Any]) -> str:
    """``{name}`` fields filled from ``namespace``; anything else is left as written."""
    formatter = string.Formatter()
    parts = []
    for literal, field, spec, conversion in formatter.parse(question):
        parts.append(literal)
        if field is None:
            continue
        if field.isidentifier() and field in namespace:
            value = formatter.convert_field(namespace[field], conversion)
            parts.append(formatter.format_field(value, spec or ""))
        else:
            parts.append(
                "{"
                + field
                + ("!" + conversion if conversion else "")
                + (":" + spec if spec else "")
                + "}"
            )
    return "".join(parts)


def ask_magic(line: str, cell: str, namespace: dict[str, Any], client: Client | None = None) -> Any:
    """What ``%%ask`` does; returns the DataFrame (or the SQL), or None after a failure."""
    try:
        options = _parser.parse_args(shlex.split(line))
        if options.target and (
            len(options.target) != 2
            or options.target[1] != "<<"
            or not options.target[0].isidentifier()
        ):
            raise ValueError("store the result with NAME << (for example: %%ask top << )")
    except ValueError as error:
        print(f"%%ask: {error}", file=sys.stderr)
        return None
    question = interpolate(cell.strip(), namespace)
    if not question:
        print("%%ask: the cell holds no question", file=sys.stderr)
        return None
    client = client or Client()
    try:
        result = client.ask(
            question,
            execute=not options.no_execute,
            max_rows=options.limit,
            timeout_ms=int(options.timeout * 1000) if options.timeout is not None else None,
        )
    except RequestFailed as error:
        print(f"%%ask failed: {error}", file=sys.stderr)  # one line, no traceback
        return None
    if options.target:
        namespace[options.target[0]] = result
    return result


def load_ipython_extension(ipython: Any) -> None:
    def ask(line: str, cell: str) -> Any:
        return ask_magic(line, cell, ipython.user_ns)

    ipython.register_magic_function(ask, magic_kind="cell", magic_name="ask")
