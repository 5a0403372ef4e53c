"""The words a schema gives: names of tables, columns and the values in them, and how tables join.

Everything here is derived from the introspected schema: table and column names
become phrases (with plural and singular forms), category values become
filters, and foreign keys become the join graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..schema import Column, Schema, Table
from .joins import Join, JoinGraph, KeyRef
from .lexicon import (
    ABBREVIATIONS,
    BOOKKEEPING,
    END_DATES,
    IRREGULAR,
    LIFE_DATES,
    base_of,
    noun_stem,
    verb_forms,
)
from .names import (
    COMMON_WORDS,
    COUNTS,
    FLAG_WORDS,
    GENERIC,
    METRICS,
    NOT_NAMES,
    TRAILING,
    forms,
    meaning_of,
    plural,
    singular,
    time_stem,
    unit_of,
    verbs_of,
    words_of,
)

# What a filter compares a column with: a value found in the data, True for a flag
# ("completed watch events"), None for "is empty" ("anonymous page views").
Value = str | bool | None


@dataclass(frozen=True, slots=True)
class ColumnRef:
    table: str
    column: str


@dataclass
class Vocabulary(JoinGraph):
    schema: Schema
    tables: dict[str, str] = field(default_factory=dict)  # phrase -> table
    columns: dict[str, list[ColumnRef]] = field(default_factory=dict)  # phrase -> columns
    values: dict[str, list[tuple[ColumnRef, str]]] = field(default_factory=dict)
    verbs: dict[str, list[ColumnRef]] = field(default_factory=dict)  # "hired" -> hire_date
    table_verbs: dict[str, str] = field(default_factory=dict)  # "assigned" -> assignments
    casing: set[str] = field(default_factory=set)  # values matched only as written
    _joins: dict[str, list[Join]] = field(default_factory=dict, repr=False)
    # first word of each value phrase -> (phrase, its words): a question is scanned once
    value_starts: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict, repr=False)
    # every number column, with the words of its name and its unit: synonyms are matched here
    numbers: list[tuple[ColumnRef, frozenset[str], str | None]] = field(
        default_factory=list, repr=False
    )
    has_amounts: bool = False  # a table with quantity and price: spending is their product
    flags: dict[str, ColumnRef] = field(default_factory=dict, repr=False)  # boolean columns
    key_verbs: dict[str, KeyRef] = field(default_factory=dict, repr=False)  # "escalated"
    # general last words ("status" of fine_status), resolved only within named tables
    suffixes: dict[str, list[ColumnRef]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, schema: Schema) -> Vocabulary:
        vocabulary = cls(schema)
        last_words: dict[str, list[str]] = {}
        for table in schema.tables:
            words = meaning_of(table.name) or words_of(table.name)
            for phrase in forms(words):
                vocabulary.tables.setdefault(phrase, table.name)
            last_words.setdefault(singular(words[-1]), []).append(table.name)
            stem = noun_stem(words[-1])
            if stem:  # "assignments": "assigned" names the table
                for form in verb_forms(stem):
                    vocabulary.table_verbs.setdefault(form, table.name)
        starts = {singular((meaning_of(t.name) or words_of(t.name))[0]) for t in schema.tables}
        for word, names in last_words.items():
            if word in starts and len(meaning_of(names[0]) or words_of(names[0])) > 1:
                continue  # "procedures": procedure_types, not admission_procedure
            if len(names) == 1:  # "items" for order_items, when no other table ends so
                vocabulary.tables.setdefault(word, names[0])
                vocabulary.tables.setdefault(plural(word), names[0])
        first_words: dict[str, list[str]] = {}
        for table in schema.tables:
            words = meaning_of(table.name) or words_of(table.name)
            if len(words) > 1:  # "maintenance" for MaintEvent, "fuel" for fuel_txn
                first_words.setdefault(words[0], []).append(table.name)
        for word, names in first_words.items():
            if len(names) == 1:
                vocabulary.tables.setdefault(word, names[0])
                vocabulary.tables.setdefault(plural(singular(word)), names[0])
        for table in schema.tables:
            for column in table.columns:
                vocabulary._add_column(table, column)
        vocabulary._add_last_words()
        vocabulary._add_roles()
        for phrase in vocabulary.values:
            words = phrase.split()
            vocabulary.value_starts.setdefault(words[0], []).append((phrase, words))
        for table in schema.tables:
            meanings = [set(meaning_of(column.name)) for column in table.columns]
            vocabulary.has_amounts |= any("quantity" in m for m in meanings) and any(
                "price" in m for m in meanings
            )
            vocabulary.numbers += [
                (
                    ColumnRef(table.name, column.name),
                    frozenset(meaning | set(words_of(column.name))),
                    unit_of(column.name),
                )
                for column, meaning in zip(table.columns, meanings, strict=True)
                if column.is_number
            ]
        return vocabulary

    def _add_last_words(self) -> None:
        """ "country" for home_country, "pages" for page_count: when no column or table is
        called so."""
        found: dict[str, list[ColumnRef]] = {}
        for table in self.schema.tables:
            for column in table.columns:
                if column.type == "boolean":
                    continue  # a flag is a filter ("smokers"), not a column to show
                words = meaning_of(column.name)
                if len(words) > 2 and words[-1] in TRAILING:  # LicenseCostAmt: "cost"
                    words = words[:-1]
                ref = ColumnRef(table.name, column.name)
                if column.is_number and len(words) == 2 and words[1] in COUNTS | METRICS:
                    phrases = forms(words[:1])  # page_count: "pages"; csat_score: "csat"
                elif len(words) > 1 and words[-1] in GENERIC and words[-1] != "id":
                    for phrase in forms(words[-1:]):
                        self.suffixes.setdefault(phrase, []).append(ref)
                    continue
                elif len(words) > 1 and len(words[-1]) > 2 and words[-1] not in NOT_NAMES:
                    phrases = forms(words[-1:])  # not "by" of referred_by
                else:
                    continue
                for phrase in phrases:
                    found.setdefault(phrase, []).append(ref)
        for phrase, refs in found.items():
            if phrase not in self.columns and phrase not in self.tables:
                self.columns[phrase] = refs

    def _add_roles(self) -> None:
        """A key named for a role ("fk_advisor_id", "manager_id"): the role's verb ("advised",
        "manage") names the table holding the key. A key that qualifies its table
        ("home_branch_id") names that table: "per home branch"."""
        for table in self.schema.tables:
            for key in table.foreign_keys:
                words = [w for w in meaning_of(key.columns[0]) if w != "id"]
                role = words[-1] if words else ""
                target = meaning_of(key.table) or words_of(key.table)
                if singular(target[-1]) == role:  # fk_driver is a driver, no role
                    if len(words) > 1 and key.table != table.name:
                        for phrase in forms(words):
                            self.tables.setdefault(phrase, key.table)
                        # "assigned_agent_id": "assigned" says which key joins tickets to agents
                        key_ref = KeyRef(table.name, key.columns, key.table)
                        for word in words[:-1]:
                            past = word[:-3] + "ed" if word.endswith("ing") else word
                            if past.endswith("ed") and len(past) > 4:  # escalated, attending
                                for form in verb_forms(base_of(past)) | {word}:
                                    self.key_verbs.setdefault(form, key_ref)
                    continue
                if role.endswith(("or", "er")) and len(role) > 5:
                    for form in verb_forms(base_of(role[:-2] + "ed")):
                        self.table_verbs.setdefault(form, table.name)

    def _add_column(self, table: Table, column: Column) -> None:
        ref = ColumnRef(table.name, column.name)
        words = meaning_of(column.name) or words_of(column.name)
        spelled = [ABBREVIATIONS.get(word, word) for word in words_of(column.name)]
        phrases = forms(words) | forms(words_of(column.name)) | forms(spelled)  # "cause code"
        if words[-1] == "id" and len(words) > 1:  # "dept_id" is no "department" of its own
            phrases = {" ".join(words), " ".join(words_of(column.name))}
        if len(words) > 1 and words[-1] in TRAILING:  # MonthlyFeeAmt: the monthly fee
            phrases |= forms(words[:-1])
        if column.type == "boolean":  # IsKidsFlg: "kids profiles"; CompletedFlg: "completed"
            flag = [word for word in words if word not in FLAG_WORDS]
            for phrase in forms(flag) if flag else ():
                self.flags.setdefault(phrase, ref)
            return
        for phrase in phrases:
            self.columns.setdefault(phrase, []).append(ref)
        if column.is_time or (column.is_number and words[-1] == "year"):
            stem = time_stem(column.name)
            if stem and stem[-1] in IRREGULAR:  # birth_year: "born"
                self.verbs.setdefault(IRREGULAR[stem[-1]], []).append(ref)
            for form in verbs_of(stem[-1]) if stem else ():
                self.verbs.setdefault(form, []).append(ref)
        for value in column.values:
            if not value.strip() or value.isdecimal():
                continue
            lower = value.lower()
            for phrase in forms(lower.replace("_", " ").split()) | {lower}:
                found = self.values.setdefault(phrase, [])
                if (ref, value) not in found:
                    found.append((ref, value))
            code = value.isupper() and len(value) <= 3  # 'IN', 'US': codes, not "in", "us"
            if lower in COMMON_WORDS or len(value) < 2 or code:  # "A grades": only as written
                self.casing.add(value)

    def table(self, name: str) -> Table:
        table = self.schema.table(name)
        assert table is not None
        return table

    def column(self, ref: ColumnRef) -> Column:
        column = self.table(ref.table).column(ref.column)
        assert column is not None
        return column

    def label_column(self, table: Table) -> str | None:
        """The column that names a row for people: ``name``, ``title``, else the first text one."""
        for preferred in ("name", "title", "label", "full_name", "username", "last_name",
                          "surname", "first_name", "email", "url"):  # fmt: skip
            if table.column(preferred) is not None:
                return preferred
        for column in table.columns:  # dept_name, DepotName, course title
            if column.is_text and meaning_of(column.name)[-1:] in (["name"], ["title"]):
                return column.name
        return next((column.name for column in table.columns if column.is_text), None)

    def amount_column(self, table: str) -> ColumnRef | None:
        """ "total tuition paid", "fines over 10": a table's amount, when it has one number
        that is no key nor year, or one named amount, total, price, cost or fee."""
        numbers = [
            column.name
            for column in self.table(table).columns
            if column.is_number
            and not column.name.lower().endswith("id")
            and not self.is_year(ColumnRef(table, column.name))
        ]
        named = [
            n for n in numbers if set(meaning_of(n)) & {"amount", "total", "price", "cost", "fee"}
        ]
        plain = [n for n in named if len(meaning_of(n)) == 1]  # amt_usd before tax_amt_usd
        if len(plain) == 1 or len(named) == 1 or len(numbers) == 1:
            return ColumnRef(table, (plain if len(plain) == 1 else named or numbers)[0])
        return None

    def is_year(self, ref: ColumnRef) -> bool:
        """A number column of years: ``published_year``, ``ModelYear``, ``est_yr``."""
        column = self.column(ref)
        return column.is_number and (meaning_of(column.name) or [""])[-1] == "year"

    def time_column(self, table: Table, *, years: bool = True) -> str | None:
        """A table's date: its one date or time column, else the first that is no bookkeeping,
        else a column of years."""
        found = [column.name for column in table.columns if column.is_time]
        if not found and years:
            found = [c.name for c in table.columns if self.is_year(ColumnRef(table.name, c.name))]

        # what happened to the row (hired, ordered, signed up) before when it was born, ended
        # or last touched: "accounts in 2021" are those that signed up then, not born then
        def rank(name: str) -> int:
            words = set(words_of(name)) | set(meaning_of(name))
            return (
                2 * bool(words & LIFE_DATES)
                + bool(words & END_DATES)
                + bool(any(word in name.lower() for word in BOOKKEEPING))
            )

        chosen = sorted(found, key=rank)
        return chosen[0] if chosen else None


__all__ = [
    "ColumnRef", "Join", "KeyRef", "Value", "Vocabulary", "meaning_of", "plural", "singular",
    "unit_of", "words_of",
]  # fmt: skip
