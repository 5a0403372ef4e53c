"""The chat prompt for LLM engines: the schema, the rules, the question, and any rejected try."""

from __future__ import annotations

from .engine import Attempt
from .offline.glossary import glossary
from .offline.vocabulary import Vocabulary
from .schema import Schema

SYSTEM = """\
You translate questions about a PostgreSQL database into SQL.
Answer with exactly one read-only PostgreSQL query (SELECT or WITH ... SELECT) in a
```sql fenced block, and nothing that changes data. Use only the tables and columns
below; join along the foreign keys shown. Quote text values exactly as they appear in
the listed values (match the question's words to them case-insensitively, singular or
plural: "analysts" is 'Analyst'). "Last 30 days" and the like count back from the latest
value in the data. Prefer explicit column lists and readable aliases.

{schema}
{glossary}"""


_glossaries: dict[tuple[int, float], list[str]] = {}


def _glossary(schema: Schema) -> list[str]:
    """The glossary of the schema, made once per introspection (a big schema takes ~0.3 s)."""
    key = (id(schema), schema.introspected_at)
    if key not in _glossaries:
        _glossaries.clear()
        _glossaries[key] = glossary(Vocabulary.of(schema))
    return _glossaries[key]


def build_messages(
    schema: Schema, question: str, previous: Attempt | None = None
) -> list[dict[str, str]]:
    lines = _glossary(schema)
    words = (
        "\nWORDS IN QUESTIONS AND WHAT THEY MEAN HERE\n" + "\n".join(lines) + "\n" if lines else ""
    )
    messages = [
        {"role": "system", "content": SYSTEM.format(schema=schema.describe(), glossary=words)},
        {"role": "user", "content": question},
    ]
    if previous is not None:
        messages += [
            {"role": "assistant", "content": f"```sql\n{previous.sql}\n```"},
            {
                "role": "user",
                "content": f"PostgreSQL rejected that query: {previous.error}\n"
                "Reply with a corrected query in a ```sql block.",
            },
        ]
    return messages
