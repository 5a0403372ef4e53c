"""The offline engine's help for a language model: which words point where in this schema.

The same vocabulary the offline engine reads questions with, as lines a prompt can
carry: synonyms that match columns, verbs that name dates and tables, words for
people, units. A small model then maps "highest paid" or "hired in 2020" as the
offline engine would.
"""

from __future__ import annotations

from collections import defaultdict

from .hints import people_table, synonym_columns
from .lexicon import RECORD_TABLES, RECORDING, SYNONYMS, UNIT_WORDS
from .vocabulary import ColumnRef, Vocabulary, words_of

_LIMIT = 40  # lines: enough for the schema's own words, not a dictionary


def glossary(vocabulary: Vocabulary) -> list[str]:
    """Lines "word, word → target", one per target, most specific first."""
    targets: dict[str, list[str]] = defaultdict(list)
    for word in [*SYNONYMS, *UNIT_WORDS]:
        for ref in synonym_columns(vocabulary, word)[:2]:
            targets[_name(ref)].append(word)
    for word, refs in vocabulary.verbs.items():
        for ref in refs:
            targets[_name(ref)].append(word)
    for word, table in vocabulary.table_verbs.items():
        targets[f"rows of {table}"].append(word)
    recorded = next(
        (t.name for t in vocabulary.schema.tables for f in RECORD_TABLES if f in words_of(t.name)),
        None,
    )
    if recorded:
        targets[f"rows of {recorded}"] += sorted(RECORDING)[:4]
    people = people_table(vocabulary)
    if people:
        targets[f"rows of {people} (people)"] += ["people", "staff", "who", "nobody"]
    lines = [f"{', '.join(dict.fromkeys(words))} → {target}" for target, words in targets.items()]
    return lines[:_LIMIT]


def _name(ref: ColumnRef) -> str:
    return f"{ref.table}.{ref.column}"


__all__ = ["glossary"]
