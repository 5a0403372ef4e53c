"""Names as words: ``EmployeeID`` is *employee id*, ``amount_usd`` an *amount*, ``hired_on``
the date someone was *hired*; singular and plural; words too general to name alone."""

from __future__ import annotations

import functools
import re

from lemminflect import getInflection, getLemma

from .lexicon import ABBREVIATIONS, DESCRIPTORS, SPELLINGS, UNITS, base_of, verb_forms


def verbs_of(stem: str) -> set[str]:
    """Every form of the verb in a date's name: ``hired`` and ``hire`` give hire, hired, hiring."""
    return verb_forms(base_of(stem)) | {stem}


def plural(word: str) -> str:
    """``category`` → categories, ``analysis`` → analyses (lemminflect, rules for new words)."""
    return _plural(word)


def singular(word: str) -> str:
    """``courses`` → course, ``statuses`` → status, ``data`` → data."""
    return _singular(word)


@functools.lru_cache(maxsize=8192)
def _plural(word: str) -> str:
    found = getInflection(word, tag="NNS")
    return found[0] if found else word + "s"


@functools.lru_cache(maxsize=8192)
def _singular(word: str) -> str:
    if not word.endswith("s") or word.endswith("ss"):
        return word
    found = getLemma(word, upos="NOUN", lemmatize_oov=True)
    return found[0] if found else word[:-1]


def words_of(name: str) -> list[str]:
    """``hire_date`` → hire, date; ``EmployeeID`` → employee, id; ``fk_dept`` → fk, dept."""
    return list(_words(name))


def meaning_of(name: str) -> list[str]:
    """The words a name means: abbreviations expanded, unit suffixes and ``fk`` dropped."""
    return list(_meaning(name))


@functools.lru_cache(maxsize=4096)
def _words(name: str) -> tuple[str, ...]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return tuple(word for word in re.split(r"[_\W]+", spaced.lower()) if word)


@functools.lru_cache(maxsize=4096)
def _meaning(name: str) -> tuple[str, ...]:
    words = [word for word in _words(name) if word not in ("fk", "tbl")]
    while len(words) > 1 and (words[-1] in UNITS or words[-1] in DESCRIPTORS):
        words.pop()
    return tuple(SPELLINGS.get(word, ABBREVIATIONS.get(word, word)) for word in words)


def unit_of(name: str) -> str | None:
    """``dist_km`` → km; ``qty_l`` → l; None when the name ends in no unit."""
    words = _words(name)
    return words[-1] if len(words) > 1 and words[-1] in UNITS else None


def forms(words: list[str]) -> set[str]:
    """A phrase with its last word singular and plural."""
    if not words:
        return set()
    base = [*words[:-1], singular(words[-1])]
    return {" ".join(words), " ".join(base), " ".join([*base[:-1], plural(base[-1])])}


def time_stem(column: str) -> list[str]:
    """``hire_date`` → [hire]; ``assigned_at`` → [assigned]; ``started_on`` → [started]."""
    words = meaning_of(column)
    while words and words[-1] in (
        "date",
        "at",
        "on",
        "time",
        "timestamp",
        "day",
        "when",
        "dt",
        "year",
    ):
        words.pop()
    return words


# Last words of names too general to stand for the column alone.
GENERIC = frozenset(
    """id name date at on number count total code type time value no key status amount day week
    month quarter year""".split()
)

# Last words that add nothing to a longer name: MonthlyFeeAmt is the monthly fee.
TRAILING = frozenset({"amount", "value", "total", "code", "number"})
# Last words that say what kind of measure a name's first word is: csat_score is the csat.
METRICS = frozenset({"score", "rate", "rating", "level", "ratio", "index", "pct", "percent"})
# Words of a boolean column's name that only say it is one.
FLAG_WORDS = frozenset({"is", "has", "flg", "flag", "bool", "yn", "ind", "indicator"})

# Words that end names but stand for nothing alone in a question.
NOT_NAMES = frozenset("by to of for from at on in with per and the flag yes first last".split())

# Last words that say a number counts what the first word names: page_count is pages.
COUNTS = frozenset({"count", "number", "quantity", "total"})

# English words that are also values somewhere ("Data" department, "IN" country code):
# matched as values only when the question writes them as the data does.
COMMON_WORDS = frozenset(
    """data sales total time day week month year all any none other general main test home
    office online support service lead new in on at to by or no it is us me we be do go so up
    an as of if and not for per top max min avg sum""".split()
)


def find_phrase(tokens: list[str], phrase: str, start: int = 0) -> int:
    words = phrase.split()
    for position in range(start, len(tokens) - len(words) + 1):
        if tokens[position : position + len(words)] == words:
            return position
    return -1
