"""Values found in the data, read in a question: "analysts", "on hold", "female", 'IN'."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .lexicon import VALUE_WORDS
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .reading import Reading


def read_values(reading: Reading, vocabulary: Vocabulary) -> None:
    """Values found in the data, longest first: "on hold", "analysts" for 'Analyst'."""
    tokens = reading.tokens
    mentioned = {vocabulary.tables[token] for token in tokens if token in vocabulary.tables}
    found = [
        (len(words), position, phrase)
        for position, token in enumerate(tokens)
        for phrase, words in vocabulary.value_starts.get(token, ())
        if tokens[position : position + len(words)] == words
    ]
    for size, position, phrase in sorted(found, key=lambda match: (-match[0], match[1])):
        candidates = [
            (ref, value)
            for ref, value in vocabulary.values[phrase]
            if value not in vocabulary.casing
            or re.search(rf"(?<!\w){re.escape(value)}(?!\w)", reading.question)
        ]
        if not candidates or any(reading.used[position : position + size]):
            continue
        if _names_instead(reading, vocabulary, position, size):
            continue
        near = [match for match in candidates if match[0].table in mentioned]
        reading.values.append((near or candidates)[0])
        reading.value_at.append(position)
        reading.mark(position, position + size)


def read_value_words(reading: Reading, vocabulary: Vocabulary) -> None:
    """ "female patients": a word the data writes as a code ('F'), in a column holding it."""
    for position, token in enumerate(reading.tokens):
        codes = VALUE_WORDS.get(token)
        if codes is None or reading.used[position]:
            continue
        for ref_values in vocabulary.values.values():
            found = [(ref, value) for ref, value in ref_values if value.lower() in codes]
            if found:
                reading.values.append(found[0])
                reading.value_at.append(position)
                reading.used[position] = True
                break


def _names_instead(reading: Reading, vocabulary: Vocabulary, position: int, size: int) -> bool:
    """Whether the words of a value are better read as a name: the start of a longer table
    or column name ("support tickets", not feature_grp 'support'), a column right after a
    group marker ("for each team", not plan 'Team'), or a column right after one of its own
    values ("billing team")."""
    tokens = reading.tokens
    for longer in (3, 2):
        if longer > size and position + longer <= len(tokens):
            phrase = " ".join(tokens[position : position + longer])
            if phrase in vocabulary.tables or phrase in vocabulary.columns:
                return True
    phrase = " ".join(tokens[position : position + size])
    if phrase in vocabulary.tables:  # "customers" is the table, not read_src 'CUSTOMER'
        return True
    refs = vocabulary.columns.get(phrase, [])
    if refs:
        if position and tokens[position - 1] in ("per", "by", "each", "every"):
            return True
        previous = [ref for (ref, _), at in zip(reading.values, reading.value_at, strict=True)
                    if at < position and reading.used[position - 1] and ref in refs]  # fmt: skip
        if previous:
            reading.used[position] = True  # the echo is understood
            return True
    return False
