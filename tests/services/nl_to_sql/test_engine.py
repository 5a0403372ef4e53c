"""``extract_sql``: the SQL in an engine's reply, fenced or not, whole or still streaming."""

from __future__ import annotations

import itertools

import pytest

from quart_app.services.nl_to_sql.engine import extract_sql


@pytest.mark.parametrize(
    ("reply", "sql"),
    [
        # Whole replies
        ("SELECT 1", "SELECT 1"),
        ("  SELECT 1;  ", "SELECT 1;"),
        ("```sql\nSELECT 1\n```", "SELECT 1"),
        ("```SQL\nSELECT 1\n```", "SELECT 1"),
        ("```postgresql\nSELECT 1\n```", "SELECT 1"),
        ("```\nSELECT 1\n```", "SELECT 1"),
        ("Here it is:\n```sql\nSELECT id\nFROM t\n```\nIt lists the ids.", "SELECT id\nFROM t"),
        ("```sql\nSELECT 1\n```\n```sql\nSELECT 2\n```", "SELECT 1"),  # the first fence
        ("```SELECT 1```", "SELECT 1"),  # SQL on the fence's own line
        ("```SELECT 1\nFROM t\n```", "SELECT 1\nFROM t"),
        ("The answer is SELECT count(*) FROM t; it counts the rows.", "SELECT count(*) FROM t;"),
        ("with x as (select 1) select * from x", "with x as (select 1) select * from x"),
        ("VALUES (1), (2)", "VALUES (1), (2)"),
        ("TABLE customers", "TABLE customers"),
        ("EXPLAIN SELECT 1", "EXPLAIN SELECT 1"),
        ("SHOW server_version", "SHOW server_version"),
        ("I cannot answer that from this schema.", ""),
        ("", ""),
        ("DELETE FROM t", ""),  # no statement this extracts: the check never sees it
        ("SELECTED nothing", ""),  # a word, not the keyword
        # Replies still streaming in: the SQL so far, nothing while a fence's tag is read
        ("```", ""),
        ("```s", ""),
        ("```sq", ""),
        ("```sql", ""),
        ("```postg", ""),
        ("```sql\n", ""),
        ("```sql\nSELECT", "SELECT"),
        ("```sql\nSELECT id\nFR", "SELECT id\nFR"),
        ("```sql\nSELECT 1\n`", "SELECT 1"),
        ("```sql\nSELECT 1\n``", "SELECT 1"),
        ("Here", ""),
        ("Here it is: SEL", ""),
        ("Here it is: SELECT", "SELECT"),
    ],
)
def test_the_sql_in_a_reply(reply: str, sql: str) -> None:
    assert extract_sql(reply) == sql


@pytest.mark.parametrize(
    "reply",
    [
        "```sql\nSELECT id, name\nFROM customers\nWHERE country = 'Japan'\n```",
        "Sure.\n```\nSELECT 1\n```",
        "SELECT count(*) FROM orders; that is all.",
    ],
)
def test_the_sql_of_a_streaming_reply_only_grows(reply: str) -> None:
    so_far = [extract_sql(reply[:end]) for end in range(len(reply) + 1)]
    for before, after in itertools.pairwise(so_far):
        assert after.startswith(before.rstrip()), (before, after)
    assert so_far[-1] == extract_sql(reply)
