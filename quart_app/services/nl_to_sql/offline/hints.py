"""Words the schema does not spell but the lexicon knows: synonyms, verbs, absence, shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lexicon import (
    ABSENCE,
    ANONYMOUS,
    BEGINNING_NAMES,
    BEGINNINGS,
    HEADCOUNT,
    LEAST,
    MOST,
    PEOPLE,
    PEOPLE_COLUMNS,
    PEOPLE_TABLES,
    RECORD_TABLES,
    RECORDING,
    SHARE,
    SPELLINGS,
    SYNONYMS,
    UNIT_WORDS,
    VERB_TABLES,
    VISITORS,
)
from .vocabulary import ColumnRef, Vocabulary, words_of

if TYPE_CHECKING:
    from .reading import Reading

SPENDING = frozenset({"spend", "spent", "spending"})
_TIME_CONTEXT = frozenset(
    """day days week weeks month months year years daily weekly monthly yearly quarter quarterly
    first last latest earliest newest oldest recent recently when""".split()
)
_PRONOUNS = frozenset({"who", "whom", "anyone", "anybody", "someone", "somebody", "everyone"})
_MODIFIERS = frozenset(
    {"cost", "costs", "amount", "amounts", "figure", "figures", "bill", "weight", "total"}
)
_SHARE_PIVOTS = frozenset({"are", "is", "were", "was", "have", "has", "had", "that", "who"})


def people_table(vocabulary: Vocabulary) -> str | None:
    """The table of people: the one with name columns of a person, else one named so."""
    tables = vocabulary.schema.tables
    named = [t.name for t in tables if any(t.column(c) for c in PEOPLE_COLUMNS)]
    if len(named) == 1:
        return named[0]
    for word in PEOPLE_TABLES:
        for table in tables:
            if word in words_of(table.name) or f"{word}s" in words_of(table.name):
                if not named or table.name in named:
                    return table.name
    return named[0] if named else None


def read_words(reading: Reading, vocabulary: Vocabulary) -> None:
    """Synonyms of columns, verbs of dates and tables, words for people and for counting."""
    timed = bool(reading.times) or bool(_TIME_CONTEXT & set(reading.tokens))
    amounts = vocabulary.has_amounts
    for position, token in enumerate(reading.tokens):
        if reading.used[position]:
            continue
        if token in BEGINNINGS and _read_beginning(reading, vocabulary, position, timed):
            continue
        _read_verb(reading, vocabulary, position, timed)
        if reading.used[position]:
            continue
        if token in ANONYMOUS and _read_anonymous(reading, vocabulary, position):
            continue
        if token in _MODIFIERS and any(end == position for _, end, _ in reading.columns):
            reading.used[position] = True  # "salary cost": the salary
            continue
        _read_synonym(reading, vocabulary, position, amounts)
    reading.tables.sort()


def _read_verb(reading: Reading, vocabulary: Vocabulary, position: int, timed: bool) -> None:
    """Verbs: of a date ("hired"), of a key ("escalated"), of a table ("assigned",
    "borrowed"), of recording ("logged")."""
    token = reading.tokens[position]
    if token in vocabulary.verbs:  # "hired" → hire_date, and the table it is in
        named = {table for _, _, table in reading.tables}
        refs = sorted(vocabulary.verbs[token], key=lambda ref: ref.table not in named)
        table = refs[0].table  # "outages started": the outages' start, not a bill's
        reading.verb_tables.append((position, table))
        reading.verb_columns.append((position, refs[0]))
        if timed:  # without time in the question, "work in Berlin" is no work_date
            reading.time_columns.extend(refs)
            reading.hinted.append(table)
        reading.used[position] = True
    if token in vocabulary.key_verbs:  # "escalated": tickets join agents by that key
        key = vocabulary.key_verbs[token]
        reading.keys.append(key)
        reading.hinted.append(key.holder)
        reading.used[position] = True
        return
    if any(end == position for _, end, _ in reading.columns):
        if token in vocabulary.table_verbs or token in VERB_TABLES:
            reading.used[position] = True  # "the salary paid": what the column is, no table
            return
    if token in vocabulary.table_verbs:  # "assigned" → project_assignments
        reading.hinted.append(vocabulary.table_verbs[token])
        reading.facts.append(vocabulary.table_verbs[token])
        reading.used[position] = True
    elif token in VERB_TABLES and (done := table_named(vocabulary, VERB_TABLES[token])):
        reading.hinted.append(done)  # "borrowed": the loans
        reading.facts.append(done)
        reading.used[position] = True
    elif token in RECORDING:
        recorded = table_named(vocabulary, RECORD_TABLES)
        if recorded:
            reading.hinted.append(recorded)
            reading.facts.append(recorded)
        reading.used[position] = True


def _read_synonym(reading: Reading, vocabulary: Vocabulary, position: int, amounts: bool) -> None:
    """Synonyms of columns ("paid", "kilometres"), and words for people and counting."""
    token = reading.tokens[position]
    refs = [] if token in SPENDING and amounts else synonym_columns(vocabulary, token)
    if token in SPENDING and refs and reading.aggregate is None:
        reading.aggregate = "sum"  # "what did we spend on maintenance"
    if refs:
        reading.columns.append((position, position + 1, refs))
        reading.used[position] = True
        if token in MOST | LEAST and reading.order is None:
            reading.order = "desc" if token in MOST else "asc"
    elif token in HEADCOUNT and (people := people_table(vocabulary)):
        reading.counting = True
        reading.count_end = position + 1
        reading.tables.append((position, position + 1, people))
        reading.used[position] = True
    elif token in PEOPLE and (people := people_table(vocabulary)):
        if token in _PRONOUNS and reading.tables:
            return  # "customers who ...": the customers
        reading.tables.append((position, position + 1, people))
        reading.used[position] = True


def _read_anonymous(reading: Reading, vocabulary: Vocabulary, position: int) -> bool:
    """ "anonymous": the nullable key to the people table is NULL, in a table the question
    names ("page views did anonymous visitors make")."""
    people = people_table(vocabulary)
    named = [table for _, _, table in reading.tables]
    for table in named:
        for key in vocabulary.table(table).foreign_keys:
            column = vocabulary.table(table).column(key.columns[0])
            if key.table == people and len(key.columns) == 1 and column and column.nullable:
                reading.values.append((ColumnRef(table, key.columns[0]), None))
                reading.value_at.append(position)
                reading.used[position] = True
                following = position + 1
                if following < len(reading.tokens) and reading.tokens[following] in VISITORS:
                    reading.used[following] = True
                    reading.tables = [m for m in reading.tables if m[0] != following]
                return True
    return False


def _read_beginning(reading: Reading, vocabulary: Vocabulary, position: int, timed: bool) -> bool:
    """ "signed up", "registered", "created", "signups": the date a row began, in a table the
    question names (or the one table that has such a date)."""
    named = [table for _, _, table in reading.tables]
    found = [
        ColumnRef(table.name, column.name)
        for table in vocabulary.schema.tables
        if not named or table.name in named
        for column in table.columns
        if column.is_time and set(words_of(column.name)) & BEGINNING_NAMES
    ]
    if not found or (not named and len({ref.table for ref in found}) > 1):
        return False
    if reading.tokens[position] == "new" and not timed:
        return False  # "new accounts" with no time said: not understood
    if timed:
        reading.time_columns.append(found[0])
    if not named:  # "number of signups per year": the rows of that table
        reading.tables.append((position, position + 1, found[0].table))
        reading.tables.sort()
    reading.used[position] = True
    following = position + 1
    if following < len(reading.tokens) and reading.tokens[following] == "up":
        reading.used[following] = True
    return True


def synonym_columns(vocabulary: Vocabulary, token: str) -> list[ColumnRef]:
    """Number columns a word points to: by meaning ("paid" → salary) or unit ("km")."""
    fragments = set(SYNONYMS.get(token, ()))
    units = UNIT_WORDS.get(SPELLINGS.get(token, token), ())
    if not fragments and not units:
        return []
    return [ref for ref, words, unit in vocabulary.numbers if words & fragments or unit in units]


def table_named(vocabulary: Vocabulary, fragments: tuple[str, ...]) -> str | None:
    for fragment in fragments:
        for table in vocabulary.schema.tables:
            if any(word.startswith(fragment) for word in words_of(table.name)):
                return table.name
    return None


_EARLIEST = frozenset({"earliest", "oldest", "first"})
_LATEST = frozenset({"latest", "newest", "last", "recent", "most"})


def read_time_extremes(reading: Reading, vocabulary: Vocabulary) -> None:
    """ "earliest date of birth", "latest discharge": the min or max of a date the question
    names, not rows ordered by it."""
    for position, token in enumerate(reading.tokens):
        if reading.used[position] or token not in _EARLIEST | _LATEST:
            continue
        for start, _, refs in reading.columns:
            column = vocabulary.column(refs[0])
            if position < start <= position + 3 and (column.is_time or vocabulary.is_year(refs[0])):
                if token == "most" and reading.tokens[position + 1 : position + 2] != ["recent"]:
                    break
                reading.aggregate = "min" if token in _EARLIEST else "max"
                reading.mark(position, start)
                break


def read_flags(reading: Reading, vocabulary: Vocabulary) -> None:
    """ "completed watch events", "kids profiles": a yes/no column that is true."""
    tokens = reading.tokens
    for position in range(len(tokens)):
        for size in (2, 1):
            phrase = " ".join(tokens[position : position + size])
            ref = vocabulary.flags.get(phrase)
            if (
                ref is None
                or len(phrase.split()) != size
                or any(reading.used[position : position + size])
            ):
                continue
            reading.values.append((ref, True))
            reading.value_at.append(position)
            reading.mark(position, position + size)
            break


def read_absence(reading: Reading, vocabulary: Vocabulary) -> None:
    """ "with no orders", "without any employees", "never placed an order", "with 0 trips",
    "nobody assigned", "not assigned to any project": rows of a table that must not exist."""
    tokens = reading.tokens
    for position, token in enumerate(tokens):
        if token not in ABSENCE or (reading.used[position] and token not in PEOPLE):
            continue
        if token == "0" and position and tokens[position - 1] not in ("with", "have", "has"):
            continue
        before = {table for start, _, table in reading.tables if start < position}
        dated = [  # "admissions that don't have a discharge date": that date is missing
            ref
            for start, ref in reading.verb_columns
            if position < start <= position + 3
            and ref.table in before
            and vocabulary.column(ref).nullable
        ]
        if dated:
            reading.values.append((dated[0], None))
            reading.value_at.append(position)
            reading.used[position] = True
            continue
        absent = _absent_table(reading, position)
        if absent is None:
            _read_empty(reading, vocabulary, position)  # "with no date of birth"
            continue
        reading.absent.append(absent)
        reading.absent_at.append(position)
        window = range(position, position + 6)  # the absent phrase: "never enrolled in a section"
        reading.tables = [
            mention
            for mention in reading.tables
            if not (mention[2] == absent and mention[0] > position) and mention[0] not in window
        ]
        reading.used[position] = True
        for following in range(position + 1, min(position + 3, len(tokens))):
            if tokens[following] in ("any", "a", "an", "single", "one"):
                reading.used[following] = True


def _read_empty(reading: Reading, vocabulary: Vocabulary, position: int) -> None:
    """A nullable column named right after "no"/"without": its value is missing."""
    for start, _, refs in reading.columns:
        if position < start <= position + 3 and vocabulary.column(refs[0]).nullable:
            reading.values.append((refs[0], None))
            reading.value_at.append(start)
            reading.used[position] = True
            reading.columns = [mention for mention in reading.columns if mention[0] != start]
            return


def _absent_table(reading: Reading, position: int) -> str | None:
    """The first table named or pointed to within a few words after ``position``."""
    window = range(position + 1, position + 6)
    named = [(start, table) for start, _, table in reading.tables if start in window]
    if reading.tokens[position] in PEOPLE:  # "nobody assigned": the verb's table
        named = []
    hinted = [table for table in reading.hinted]
    hinted += [table for start, table in reading.verb_tables if start in window]
    if named:
        start, table = min(named)
        if hinted and start > position + 1:  # "not assigned to any project"
            return hinted[0]
        return table
    return hinted[0] if hinted else None


def read_share(reading: Reading) -> None:
    """ "what share of X are Y", "percentage of X that are Y": the pivot between them."""
    tokens = reading.tokens
    for position, token in enumerate(tokens):
        if token in SHARE and not reading.used[position]:
            for pivot in range(position + 2, len(tokens)):
                if tokens[pivot] in _SHARE_PIVOTS:
                    reading.share_pivot = pivot
                    reading.mark(position, position + 1)
                    reading.used[pivot] = True
                    return
            # "what percentage of payments failed": after the first table named
            ends = [end for start, end, _ in reading.tables if start > position]
            if ends:
                reading.share_pivot = ends[0] - 1
                reading.mark(position, position + 1)
                return


_EXCEPT = frozenset({"outside", "except", "excluding", "besides", "apart", "not"})


def read_exclusions(reading: Reading) -> None:
    """ "outside the USA", "other than Berlin", "excluding interns": values ruled out."""
    tokens = reading.tokens
    for at in reading.value_at:
        back = at - 1
        while back >= 0 and tokens[back] in ("the", "from", "of"):
            back -= 1
        if back >= 0 and (
            tokens[back] in _EXCEPT or tokens[back - 1 : back + 1] == ["other", "than"]
        ):
            reading.excluded_at.add(at)
            reading.mark(back - (tokens[back] == "than"), at)


def drop_echoes(reading: Reading) -> None:
    """ "A grades", "Berlin city": a column named right after one of its own values says
    nothing more."""
    ends = {
        at + len(value.split()): ref
        for (ref, value), at in zip(reading.values, reading.value_at, strict=True)
        if isinstance(value, str)
    }
    kept = []
    for start, end, refs in reading.columns:
        if ends.get(start) in refs:
            reading.mark(start, end)
        else:
            kept.append((start, end, refs))
    reading.columns = kept


def prefer_mentioned(reading: Reading, vocabulary: Vocabulary) -> None:
    """Of the columns a word may name, those of tables the question names come first:
    "projects by budget" is the projects' budget, not the departments'."""
    mentioned = [table for _, _, table in reading.tables] + reading.hinted
    mentioned += [ref.table for ref, _ in reading.values]
    rank = {table: index for index, table in reversed(list(enumerate(mentioned)))}

    def distance(ref: ColumnRef) -> tuple[int, int, int]:
        rows = -vocabulary.table(ref.table).estimated_rows  # of equals, the facts
        if ref.table in rank:
            return (0, rank[ref.table], rows)
        paths = [vocabulary.path(table, ref.table) for table in rank]
        return (1, min((len(path) for path in paths if path is not None), default=99), rows)

    reading.columns = [
        (start, end, sorted(refs, key=distance)) for start, end, refs in reading.columns
    ]
