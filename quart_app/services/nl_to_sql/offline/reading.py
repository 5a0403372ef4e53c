"""Reading a question: the phrases it uses, matched against the schema's vocabulary.

Produces a :class:`Reading`, the parts of the question that map to the schema
(filters, groups, measures, ordering, a row limit) and the words that did not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from . import hints
from .comparisons import Comparison, read_comparisons
from .groups import read_groups
from .lexicon import MONEY_WORDS, SPELLINGS
from .names import find_phrase
from .times import TimeFilter, find_times
from .values import read_value_words, read_values
from .vocabulary import ColumnRef, KeyRef, Value, Vocabulary

AGGREGATES = {
    "average": "avg", "avg": "avg", "mean": "avg",
    "total": "sum", "sum": "sum", "overall": "sum", "combined": "sum",
    "maximum": "max", "max": "max", "highest": "max", "largest": "max", "biggest": "max",
    "median": "median",
    "minimum": "min", "min": "min", "lowest": "min", "smallest": "min",
}  # fmt: skip
COUNT_PHRASES = ("how many", "number of", "count of", "count")
VOLUME = frozenset({"volume", "volumes"})  # "ticket volume by channel": a count
DESCENDING = frozenset(
    {"most", "highest", "largest", "biggest", "top", "best", "greatest", "newest", "latest", "recent",
     "expensive", "priciest", "busiest", "popular", "longest", "heaviest", "farthest",
     "furthest", "last"}
)  # fmt: skip
ASCENDING = frozenset(
    {
        "least",
        "lowest",
        "smallest",
        "fewest",
        "cheapest",
        "oldest",
        "earliest",
        "worst",
        "shortest",
        "lightest",
        "first",
    }
)
NUMBER_WORDS = {
    word: str(number)
    for number, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
    if number >= 2  # "one" and "zero" say other things too ("no one", "one of")
}
_IRREGULAR_PAST = frozenset(
    "sent lost made done given taken held run sold bought won kept left seen got fell put set"
    " brought caught found told paid spent built drawn".split()
)
_BY_TIME = frozenset({"newest", "latest", "recent", "oldest", "earliest"})
LIST_WORDS = frozenset(
    {"list", "show", "find", "give", "display", "get", "which", "what", "who", "all"}
)
FILLER = frozenset(
    """a an the of in on at for to from with and or is are was were be been do does did have has
    had me us i we you please that this these those there their its it as into within during
    then who whose which what when where many much number count all any each every per by list show
    find give display get tell me my our some most least top total average avg mean sum over under
    above below more less fewer greater higher lower made placed ordered bought sold by have has
    records rows entries data table tables database""".split()
)

Order = Literal["asc", "desc"]


@dataclass
class Reading:
    question: str
    tokens: list[str]
    used: list[bool]
    values: list[tuple[ColumnRef, Value]] = field(default_factory=list)  # None: IS NULL
    value_at: list[int] = field(default_factory=list)  # where each value starts
    times: list[TimeFilter] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    tables: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, table)
    columns: list[tuple[int, int, list[ColumnRef]]] = field(default_factory=list)
    groups: list[ColumnRef | str] = field(
        default_factory=list
    )  # column, table name, or "time:<unit>"
    aggregate: str | None = None
    money: bool = False
    per_entity_value: str | None = None  # "order value": money per row of this table
    counting: bool = False
    count_end: int = 0  # where the counting phrase ends: what follows is counted
    order: Order | None = None
    limit: int | None = None
    listing: bool = False
    after_by: list[int] = field(default_factory=list)  # positions of words that follow "by"
    time_columns: list[ColumnRef] = field(default_factory=list)  # "hired" names hire_date
    hinted: list[str] = field(default_factory=list)  # tables a verb points to ("assigned")
    facts: list[str] = field(default_factory=list)  # tables of what was done ("borrowed")
    keys: list[KeyRef] = field(default_factory=list)  # keys a verb picks ("escalated to")
    verb_tables: list[tuple[int, str]] = field(default_factory=list)  # "serviced": MaintEvent
    verb_columns: list[tuple[int, ColumnRef]] = field(default_factory=list)  # "discharge"
    absent: list[str] = field(default_factory=list)  # "with no orders": rows that must not exist
    absent_at: list[int] = field(default_factory=list)  # where each absence is said
    excluded_at: set[int] = field(default_factory=set)  # values ruled out ("outside the USA")
    by_time: bool = False  # "newest", "most recent": rows ordered by a date
    share_pivot: int | None = None  # "what share of projects | are completed"

    def unused_words(self) -> list[str]:
        """Words not understood that may change the meaning: a number left over is one."""
        found = []
        for position, (token, used) in enumerate(zip(self.tokens, self.used, strict=True)):
            after_be = position > 0 and self.tokens[position - 1] in ("are", "were", "is", "was")
            if not used and (token not in FILLER or (token in ("all", "only") and after_be)):
                found.append(token)  # "whose orders were all cancelled" is no filter
        return found

    def relation_words(self) -> set[str]:
        """Verbs that only say how two things named around them relate ("outages handled by
        contractor crews", "customers never affected by an outage"): the foreign keys say
        that already, so they are ignored, and named as such."""
        after = {start for start, _, _ in [*self.tables, *self.columns]} | set(self.value_at)
        found = set()
        for position, token in enumerate(self.tokens):
            if self.used[position] or not (token.endswith("ed") or token in _IRREGULAR_PAST):
                continue
            before = [end for _, end, _ in self.tables if end <= position]
            if before and any(position < start <= position + 4 for start in after):
                found.add(token)
            elif len(self.tables) >= 2 and position in before:  # "no crew dispatched"
                found.add(token)
        return found

    def ignored_words(self) -> list[str]:
        """The words the plan does not use: stop words, by the time a plan is made."""
        return [token for token, used in zip(self.tokens, self.used, strict=True) if not used]

    def mark(self, start: int, end: int) -> None:
        for position in range(start, end):
            self.used[position] = True


def normalise(question: str) -> list[str]:
    text = question.lower().replace("\u2019", "'")  # typographic apostrophe
    text = re.sub(r"n't\b", " not", text).replace("_", " ")
    text = re.sub(
        r"\b(" + "|".join(NUMBER_WORDS) + r")\b", lambda m: NUMBER_WORDS[m.group(1)], text
    )
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"\$(\d)", r"\1", text)
    text = re.sub(r"[^\w\s.-]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return [SPELLINGS.get(token, token) for token in text.split()]


def read(question: str, vocabulary: Vocabulary) -> Reading:
    tokens = normalise(question)
    reading = Reading(question, tokens, [False] * len(tokens))
    _read_times(reading)
    read_values(reading, vocabulary)
    read_value_words(reading, vocabulary)
    read_comparisons(reading, vocabulary)
    _read_terms(reading, vocabulary)
    hints.read_words(reading, vocabulary)
    hints.read_flags(reading, vocabulary)
    hints.read_time_extremes(reading, vocabulary)
    hints.read_absence(reading, vocabulary)
    hints.read_share(reading)
    hints.read_exclusions(reading)
    hints.drop_echoes(reading)
    hints.prefer_mentioned(reading, vocabulary)
    _read_intent(reading)
    read_groups(reading, vocabulary)
    return reading


def _read_times(reading: Reading) -> None:
    for time, start, end in find_times(reading.tokens):
        reading.times.append(time)
        before = reading.tokens[start - 1] if start else ""
        reading.mark(start - (before in ("in", "during", "for", "of")), end)


def _read_terms(reading: Reading, vocabulary: Vocabulary) -> None:
    tokens = reading.tokens
    position = 0
    while position < len(tokens):
        if reading.used[position]:
            position += 1
            continue
        matched = False
        for size in (3, 2, 1):
            phrase = " ".join(tokens[position : position + size])
            if len(phrase.split()) != size:
                continue
            if phrase in vocabulary.tables:
                reading.tables.append((position, position + size, vocabulary.tables[phrase]))
            elif phrase in vocabulary.columns:
                reading.columns.append((position, position + size, vocabulary.columns[phrase]))
            else:
                continue
            reading.mark(position, position + size)
            position += size
            matched = True
            break
        if not matched:
            position += 1
    _read_generic_columns(reading, vocabulary)


def _read_generic_columns(reading: Reading, vocabulary: Vocabulary) -> None:
    """ "fines by status": a general word (status, type, name, code) names the column of a
    table the question names, when exactly one of them has one so called."""
    named = {table for _, _, table in reading.tables}
    for position, token in enumerate(reading.tokens):
        if reading.used[position] or token not in vocabulary.suffixes:
            continue
        if reading.tokens[position + 1 : position + 2] == ["of"]:
            continue  # "number of admissions" counts; it is no room_no
        refs = [ref for ref in vocabulary.suffixes[token] if ref.table in named]
        if len(refs) == 1:
            reading.columns.append((position, position + 1, refs))
            reading.used[position] = True


def _read_counting(reading: Reading) -> None:
    """ "how many", "number of", "count of", "how much", "ticket volume"."""
    tokens = reading.tokens
    for phrase in COUNT_PHRASES:
        at = find_phrase(tokens, phrase)
        if at >= 0 and not any(reading.used[at : at + len(phrase.split())]):  # "page count"
            reading.counting = True
            reading.count_end = at + len(phrase.split())
            reading.mark(at, reading.count_end)
            break
    if (at := find_phrase(tokens, "how much")) >= 0 and reading.aggregate is None:
        reading.aggregate = "sum"  # "how much did we invoice"
        reading.mark(at, at + 2)
    for position, token in enumerate(tokens):
        if token in VOLUME and not reading.used[position] and not reading.counting:
            before = [start for start, end, _ in reading.tables if end == position]
            if before:
                reading.counting = True
                reading.count_end = before[0]
                reading.used[position] = True


def _read_intent(reading: Reading) -> None:
    """Money, aggregates, ordering, a top N, a listing."""
    tokens = reading.tokens
    text = " ".join(tokens)
    _read_counting(reading)
    for position, token in enumerate(tokens):
        if token in MONEY_WORDS and not reading.used[position]:
            reading.money = True
            reading.used[position] = True
        elif token in ("value", "values", "worth") and position > 0:
            for _, table_end, table in reading.tables:
                if table_end == position:
                    reading.per_entity_value = table
                    reading.money = True
                    reading.used[position] = True
        if token in AGGREGATES and reading.aggregate is None:
            # "highest" and friends order rows unless they qualify a measure
            if token not in DESCENDING | ASCENDING or _qualifies_measure(reading, position):
                reading.aggregate = AGGREGATES[token]
                reading.used[position] = True
                if not re.search(r"\b(which|what|who)\b", text):
                    continue  # "lowest salary per job title": a minimum, not an order
        if reading.used[position] and token not in AGGREGATES:
            continue  # "last" of "the last 7 days"
        if token in DESCENDING and reading.order in (None, "desc"):
            reading.order = "desc"
            reading.used[position] = True  # "most recent": both say newest first
            if token in _BY_TIME:
                reading.by_time = True
        elif token in ASCENDING and reading.order in (None, "asc"):
            if token in _BY_TIME:
                reading.by_time = True
            reading.order = "asc"
            reading.used[position] = True
        if (
            token in ("top", "first")
            and position + 1 < len(tokens)
            and tokens[position + 1].isdecimal()
        ):
            reading.limit = int(tokens[position + 1])
            reading.order = reading.order or "desc"
            reading.mark(position, position + 2)
        if token in LIST_WORDS:
            reading.listing = True
    _read_limit(reading, text)


def _read_limit(reading: Reading, text: str) -> None:
    """ "10 orders": a number just before what is listed; "which ...": the one first."""
    tokens = reading.tokens
    if reading.limit is None:
        for position, token in enumerate(tokens):
            if token.isdecimal() and not reading.used[position] and 0 < int(token) <= 10_000:
                nearby = [term[0] for term in [*reading.tables, *reading.columns]]
                if any(position < spot <= position + 4 for spot in nearby):
                    reading.limit = int(token)
                    reading.used[position] = True
                    break
    if (
        reading.order is not None
        and reading.limit is None
        and re.search(r"\b(which|what|who)\b", text)
    ):
        reading.limit = 1  # "which product is the most expensive"


def _qualifies_measure(reading: Reading, position: int) -> bool:
    """ "highest salary" is a maximum; "highest paid employees" orders employees."""
    following = set(reading.tokens[position + 1 : position + 3])
    if following & MONEY_WORDS:
        return True
    if position + 1 < len(reading.tokens) and reading.tokens[position + 1] in AGGREGATES:
        return False  # "highest average cost": the average is the measure, ranked
    ends = [end for spot, end, _ in reading.columns if position < spot <= position + 2]
    if not ends or reading.limit is not None:
        return False
    return not any(start == ends[0] for start, _, _ in reading.tables)
