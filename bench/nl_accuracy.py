"""Accuracy and speed of the offline NL-to-SQL engine, on the demo data and on the corpora.

Every question of every set is translated, run, and its rows compared with the
rows of its gold SQL (``tests/services/nl_to_sql/compare.py``); conversion time
is the engine's alone (question to SQL text, no database). ``--peer PATH`` runs
the same questions through the engine of another checkout (e.g. a git worktree
of an earlier commit) in a subprocess, in the same run, and prints both.

    .venv/bin/python bench/nl_accuracy.py [--peer /tmp/before] [--verbose]

The database: ``TEST_DATABASE_URL``'s server when set (a scratch database is
created and dropped), else an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def evaluate(
    engine_root: Path | None, url: str, only: list[str], verbose: bool
) -> dict[str, dict[str, float]]:
    if engine_root is not None:  # that tree's quart_app, this tree's questions
        sys.path.insert(0, str(engine_root))
        import quart_app  # noqa: F401  (its subpackages now load from engine_root)

        sys.path.remove(str(engine_root))
    sys.path.insert(0, str(ROOT))
    return asyncio.run(_evaluate(url, only, verbose))


async def _evaluate(url: str, only: list[str], verbose: bool) -> dict[str, dict[str, float]]:
    import asyncpg

    from quart_app.services.nl_to_sql.schema import introspect
    from tests.services.nl_to_sql import corpus, questions

    connection = await asyncpg.connect(url)
    demo = questions.CASES + questions.HELD_OUT
    demo += getattr(questions, "ABSENCE", []) + getattr(questions, "PHRASINGS", [])
    sets: dict[str, tuple[Any, list[Any], list[str]]] = {
        "demo": (None, demo, questions.UNANSWERABLE)
    }
    for name in only:
        if name != "demo":
            loaded = corpus.load(name)
            sets[name] = (loaded, loaded.CASES, loaded.UNANSWERABLE)
    sets = {name: found for name, found in sets.items() if name in only}
    figures: dict[str, dict[str, float]] = {}
    schemas: list[Any] = []
    questions_asked: list[str] = []
    try:
        for name, (module, cases, unanswerable) in sets.items():
            await connection.execute("RESET search_path")
            schema = await (
                corpus.install(connection, module) if module else introspect(connection)
            )
            figures[name] = await _score(connection, name, schema, cases, unanswerable, verbose)
            schemas.append(schema)
            questions_asked += [case.question for case in cases]
            if module:
                await connection.execute(f"DROP SCHEMA {corpus.schema_name(module)} CASCADE")
    finally:
        await connection.close()
    figures["wide"] = _wide(schemas, questions_asked)
    return figures


def _wide(schemas: list[Any], asked: list[str], copies: int = 25) -> dict[str, float]:
    """Engine time on one schema holding ``copies`` renamed copies of every set's tables:
    every question again, answered or refused, against hundreds of tables."""
    from dataclasses import replace

    from quart_app.errors import ConversionFailed
    from quart_app.services.nl_to_sql.offline.planner import translate
    from quart_app.services.nl_to_sql.offline.vocabulary import Vocabulary
    from quart_app.services.nl_to_sql.schema import Schema

    tables = []
    for copy in range(copies):
        for number, schema in enumerate(schemas):
            names = {table.name: f"{table.name}_{number}_{copy}" for table in schema.tables}
            for table in schema.tables:
                keys = tuple(replace(key, table=names[key.table]) for key in table.foreign_keys)
                tables.append(replace(table, name=names[table.name], foreign_keys=keys))
    started = time.perf_counter()
    vocabulary = Vocabulary.of(Schema(tuple(tables)))
    built = (time.perf_counter() - started) * 1000
    times = []
    for question in asked:
        started = time.perf_counter()
        try:
            translate(question, vocabulary)
        except ConversionFailed:
            pass
        times.append((time.perf_counter() - started) * 1000)
    print(f"wide schema: {len(tables)} tables, vocabulary built in {built:.0f} ms", file=sys.stderr)
    return {
        "cases": len(asked),
        "right": -1,  # timing only
        "wrong": 0,
        "unanswerable": 0,
        "refused": 0,
        "median_ms": statistics.median(times),
        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))],
    }


async def _score(
    connection: Any,
    name: str,
    schema: Any,
    cases: list[Any],
    unanswerable: list[str],
    verbose: bool,
) -> dict[str, float]:
    """One set's figures: questions answered right, unanswerables refused, engine time."""
    import asyncpg

    from quart_app.errors import ConversionFailed
    from quart_app.services.nl_to_sql.offline.planner import translate
    from quart_app.services.nl_to_sql.offline.vocabulary import Vocabulary
    from tests.services.nl_to_sql.compare import same_result

    vocabulary = Vocabulary.of(schema)
    right, wrong, times = 0, 0, []
    for case in cases:
        started = time.perf_counter()
        try:
            sql = translate(case.question, vocabulary)
        except ConversionFailed as error:
            sql, why = None, str(error)
        times.append((time.perf_counter() - started) * 1000)
        ok = False
        if sql is not None:
            try:
                got = [list(row) for row in await connection.fetch(sql)]
                expected = [list(row) for row in await connection.fetch(case.expected_sql)]
                ok = same_result(got, expected, ordered=case.ordered)
                why = "different rows"
            except asyncpg.PostgresError as error:
                why = f"database: {error}"
        right += ok
        wrong += sql is not None and not ok  # answered, and not right: the worst outcome
        if verbose and not ok:
            print(f"  MISS {name}: {case.question}\n       {why}\n       {sql}")
    refused = 0
    for question in unanswerable:
        try:
            translate(question, vocabulary)
        except ConversionFailed:
            refused += 1
        else:
            if verbose:
                print(f"  ANSWERED {name}: {question}")
    return {
        "cases": len(cases),
        "right": right,
        "wrong": wrong,
        "unanswerable": len(unanswerable),
        "refused": refused,
        "median_ms": statistics.median(times),
        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))],
    }


def table(columns: dict[str, dict[str, dict[str, float]]]) -> str:
    heads = " | ".join(
        f"{who}: right | wrong | refused unanswerable | median ms | p95 ms" for who in columns
    )
    lines = [f"| set | {heads} |", "|---|" + "---:|" * 5 * len(columns)]
    for name in next(iter(columns.values())):
        cells = []
        for figures in columns.values():
            row = figures.get(name)
            if row is None:
                cells.append("- | - | - | - | -")
                continue
            timing = f"{row['median_ms']:.2f} | {row['p95_ms']:.2f}"
            if row["right"] < 0:
                cells.append(f"timing only, {row['cases']:.0f} questions | | | {timing}")
                continue
            share = 100 * row["right"] / row["cases"]
            cells.append(
                f"{row['right']:.0f}/{row['cases']:.0f} ({share:.0f}%) | {row.get('wrong', 0):.0f} | "
                f"{row['refused']:.0f}/{row['unanswerable']:.0f} | {timing}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peer", type=Path, help="another checkout whose engine to compare")
    parser.add_argument("--engine", type=Path, help=argparse.SUPPRESS)  # the peer's subprocess
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sets",
        default="demo,hr,fleet,university,library,streaming,saas,clinic,utility,airline",
        help="comma-separated",
    )
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    arguments = parser.parse_args()
    if arguments.url:  # the peer's subprocess: figures as JSON on stdout
        figures = evaluate(arguments.engine, arguments.url, arguments.sets.split(","), False)
        print(json.dumps(figures))
        return
    sys.path.insert(0, str(ROOT))
    from tests.servers import scratch_database

    with scratch_database() as database:
        asyncio.run(_load_demo(database.url))
        only = arguments.sets.split(",")
        columns = {"this tree": evaluate(None, database.url, only, arguments.verbose)}
        if arguments.peer:
            reply = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--engine",
                    str(arguments.peer),
                    "--url",
                    database.url,
                    "--sets",
                    arguments.sets,
                ],
                capture_output=True,
                text=True,
            )
            if reply.returncode:
                raise SystemExit(f"the peer failed:\n{reply.stderr}")
            columns[str(arguments.peer)] = json.loads(reply.stdout)
    print(table(columns))


async def _load_demo(url: str) -> None:
    import asyncpg

    from quart_app.storage import demo_data

    connection = await asyncpg.connect(url)
    try:
        await demo_data.load(connection)
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
