"""The offline engine's help for a language model: which words point where in this schema.

The same vocabulary the offline engine reads questions with, as lines a prompt can
carry: synonyms that match columns, verbs that name dates and tables, words for
people, units. A small model then maps "highest paid" or "hired in 2020" as the
offline engine would.
"""

from __future__ import annotations

from collections import defaultdict

from .hints import SPENDING, people_table, synonym_columns, table_named
from .lexicon import RECORD_TABLES, RECORDING, SYNONYMS, UNIT_WORDS
from .vocabulary import ColumnRef, Vocabulary

_LIMIT = 40  # lines: enough for the schema's own words, not a dictionary
_WORDS = 6  # words per line, shortest first


def glossary(vocabulary: Vocabulary) -> list[str]:
    """Lines "word, word → target", one per target, most specific first."""
    targets: dict[str, list[str]] = defaultdict(list)
    for word in [*SYNONYMS, *UNIT_WORDS]:
        if word in SPENDING and vocabulary.has_amounts:
            continue  # spending is quantity times price there, as the offline engine reads it
        for ref in synonym_columns(vocabulary, word)[:2]:
            targets[_name(ref)].append(word)
    for word, refs in vocabulary.verbs.items():
        for ref in refs:
            targets[_name(ref)].append(word)
    for word, table in vocabulary.table_verbs.items():
        targets[f"rows of {table}"].append(word)
    recorded = table_named(vocabulary, RECORD_TABLES)
    if recorded:
        targets[f"rows of {recorded}"] += sorted(RECORDING)[:4]
    people = people_table(vocabulary)
    if people:
        targets[f"rows of {people} (people)"] += ["people", "staff", "who", "nobody"]
    lines = [
        f"{', '.join(sorted(set(words), key=lambda word: (len(word), word))[:_WORDS])} → {target}"
        for target, words in targets.items()
    ]
    return lines[:_LIMIT]


def _name(ref: ColumnRef) -> str:
    return f"{ref.table}.{ref.column}"


__all__ = ["glossary"]
