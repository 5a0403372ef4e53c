"""The English the offline engine ships with: abbreviations, synonyms and verb forms.

Small on purpose. Everything else comes from the schema: its table and column
names (split on ``_`` and CamelCase, abbreviations expanded, unit suffixes
dropped), its comments, and the values found in its text columns.
"""

from __future__ import annotations

from lemminflect import getAllInflections, getLemma

# Abbreviations in names, and the word people use for them.
ABBREVIATIONS = {
    "dept": "department", "emp": "employee", "empl": "employee", "qty": "quantity",
    "amt": "amount", "dist": "distance", "num": "number", "no": "number", "desc": "description",
    "addr": "address", "cust": "customer", "prod": "product", "mgr": "manager",
    "loc": "location", "cat": "category", "acct": "account", "txn": "transaction",
    "trx": "transaction", "dt": "date", "ts": "timestamp", "veh": "vehicle", "drv": "driver",
    "inv": "invoice", "pmt": "payment", "svc": "service", "maint": "maintenance",
    "org": "organisation", "pct": "percent", "avg": "average", "tot": "total", "cnt": "count",
    "yr": "year", "mo": "month", "hrs": "hours", "mins": "minutes", "min": "minutes",
    "km": "kilometres", "kms": "kilometres", "stu": "student", "instr": "instructor",
    "enr": "enrollment", "reg": "registration", "sub": "subscription", "pts": "points",
    "lvl": "level", "bldg": "building", "prereq": "prerequisite", "est": "established",
    "nm": "name", "ltr": "letter", "cd": "code", "dob": "birth", "rtg": "rating", "src": "source",
    "appt": "appointment", "rx": "prescription",
}  # fmt: skip

# One spelling for names and questions alike: a "licence" is the license_class's.
SPELLINGS = {
    "licence": "license", "licences": "licenses", "kilometre": "kilometer",
    "kilometres": "kilometers", "litre": "liter", "litres": "liters", "metre": "meter",
    "metres": "meters", "centre": "center", "colour": "color", "authorised": "authorized",
    "organisation": "organization", "organisations": "organizations", "catalogue": "catalog",
    "programme": "program", "favourite": "favorite", "analyse": "analyze",
}  # fmt: skip

# Words for a unit, and the suffixes of the names of columns measured in it.
UNIT_WORDS = {
    **dict.fromkeys(("kilometers", "km", "kms"), ("km", "kms")),
    **dict.fromkeys(("miles", "mi"), ("mi", "miles")),
    **dict.fromkeys(("liters", "l"), ("l", "liters", "litres")),
    **dict.fromkeys(("kilograms", "kg", "kgs", "weight", "tonnes", "tons"), ("kg", "kgs")),
    **dict.fromkeys(("dollars", "usd"), ("usd",)),
    **dict.fromkeys(("euros", "eur"), ("eur",)),
    **dict.fromkeys(("minutes", "mins"), ("min", "mins", "minutes")),
    **dict.fromkeys(("seconds", "secs"), ("sec", "secs", "seconds", "s")),
    **dict.fromkeys(("milligrams", "mg"), ("mg",)),
    **dict.fromkeys(("millilitres", "milliliters", "ml"), ("ml",)),
}  # fmt: skip

# Suffixes that say how a value is written, not what it is: ``rank_cd`` is a rank.
DESCRIPTORS = frozenset({"cd", "code", "nm", "txt", "ltr"})

# Suffixes that give a number's unit, not its meaning: ``amount_usd`` is an amount.
UNITS = frozenset(
    "usd eur gbp jpy chf cad aud cents eur km kms mi miles kg kgs lbs l litres liters ml pct"
    " percent min mins minutes sec secs seconds hrs h ms mg mcg ug g ml".split()
)

# Words that name no column themselves but point to columns whose names hold one
# of the fragments: "highest paid" orders by salary, "revenue" sums amounts.
SYNONYMS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("pay", "paid", "earn", "earns", "earned", "earning", "earnings", "wage", "wages",
         "salaries", "compensation", "income"),
        ("salary", "wage", "pay", "compensation"),
    ),
    **dict.fromkeys(("expensive", "pricey", "priciest", "cheap", "cheapest", "costly"),
                    ("price", "cost", "fee", "amount")),
    **dict.fromkeys(("long", "longest", "shortest", "far", "farthest", "furthest", "length"),
                    ("distance", "dist", "duration", "length", "km", "miles", "minutes")),
    **dict.fromkeys(("heavy", "heaviest", "lightest"), ("weight", "kg", "mass")),
    **dict.fromkeys(("old", "oldest_age", "age"), ("age",)),
    **dict.fromkeys(("spend", "spent", "spending"), ("amount", "cost", "total", "price", "spend")),
    **dict.fromkeys(("weight", "weighs", "weighed"), ("weight", "kg", "mass")),
}  # fmt: skip

# Superlatives that name their measure: "the longest trip" orders trips by distance.
MOST = frozenset({"expensive", "priciest", "costliest", "longest", "farthest", "furthest",
                  "heaviest"})  # fmt: skip
LEAST = frozenset({"cheapest", "shortest", "lightest"})

# Words for money made; summed from an amount column, or quantity times price.
MONEY_WORDS = frozenset(
    {"revenue", "sales", "spend", "spent", "spending", "turnover", "income", "earnings", "money"}
)
MONEY_COLUMNS = ("revenue", "amount", "total", "sales", "value", "price", "fee", "cost")

# Words that mean a count of rows of the people table ("headcount by job title").
HEADCOUNT = frozenset({"headcount", "head", "staffing"})
# Words that name the table of people, whatever it is called.
PEOPLE = frozenset(
    {"people", "person", "persons", "staff", "employees", "employee", "workers", "worker",
     "nobody", "noone", "anyone", "anybody", "someone", "somebody", "everyone", "hire", "hires",
     "who", "whom"}
)  # fmt: skip
PEOPLE_TABLES = (
    "employee", "staff", "person", "people", "worker", "user", "member", "driver", "student",
    "patient", "customer", "instructor", "teacher", "doctor", "agent", "contact",
)  # fmt: skip
PEOPLE_COLUMNS = ("first_name", "last_name", "full_name", "surname", "given_name", "firstname")

# Rows with no person behind them: "anonymous page views" have no customer.
ANONYMOUS = frozenset({"anonymous", "unregistered", "unknown", "guest", "guests"})
VISITORS = frozenset({"visitor", "visitors", "user", "users", "people", "person", "someone"})

# Verbs of recording: "hours logged", "time booked". They point to the table that
# holds what was recorded (a name with one of these fragments), else mean nothing.
RECORDING = frozenset(
    {"logged", "log", "logs", "logging", "booked", "recorded", "tracked", "clocked", "entered"}
)
RECORD_TABLES = ("timesheet", "time", "log", "entry", "entries", "record", "booking", "shift")

# Verbs a name's noun does not spell: birth_year is when someone was born.
IRREGULAR = {"birth": "born", "death": "died", "sale": "sold", "purchase": "bought",
             "payment": "paid", "loan": "lent", "publication": "published"}  # fmt: skip

# Verbs of the rows a table holds, by fragments of its name: "borrowed" is a loan.
VERB_TABLES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("borrow", "borrowed", "borrows", "lend", "lent", "loaned", "checked"),
                    ("loan", "borrow", "checkout", "lending", "rental")),
    **dict.fromkeys(("rent", "rented", "rents"), ("rental", "loan", "booking")),
    **dict.fromkeys(("watched", "watch", "streamed", "viewed"), ("watch", "view", "stream", "play")),
    **dict.fromkeys(("visited", "visit"), ("visit", "appointment", "view")),
    **dict.fromkeys(("booked", "reserved"), ("booking", "reservation", "appointment")),
    **dict.fromkeys(("prescribed",), ("prescription",)),
    **dict.fromkeys(("bought", "purchased", "ordered"), ("order", "purchase", "sale")),
    **dict.fromkeys(("enrolled", "enroll", "registered"), ("enrollment", "enrolment", "registration")),
    **dict.fromkeys(("invoiced", "billed"), ("invoice", "bill")),
}  # fmt: skip

# Words for values that data writes as codes: "female patients" are sex = 'F'.
VALUE_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("female", "females", "women", "woman"), ("f", "female", "woman", "w")),
    **dict.fromkeys(("male", "males", "men", "man"), ("m", "male", "man")),
    **dict.fromkeys(("yes",), ("y", "yes", "true")),
}  # fmt: skip

# Metadata timestamps: a table's date column is another one when it has one.
BOOKKEEPING = ("created", "updated", "modified", "submitted", "inserted", "loaded", "deleted")
LIFE_DATES = frozenset({"dob", "birth", "born", "birthday", "death", "died"})
END_DATES = frozenset({"end", "ended", "ends", "closed", "expires", "expiry", "expired", "due",
                       "cancelled", "canceled", "until", "returned", "arrived", "finished"})  # fmt: skip

# Words for when a row began, whatever its date column is called: "accounts that signed up
# in 2021" are those whose signup, registration, join or creation date is in 2021.
BEGINNINGS = frozenset({"signed", "signup", "signups", "registered", "registration",
                        "registrations", "joined", "join", "created", "opened", "enrolled",
                        "new"})  # fmt: skip
BEGINNING_NAMES = frozenset({"signup", "sign", "signed", "registered", "registration", "joined",
                             "join", "created", "creation", "opened", "open", "enrolled",
                             "start", "started", "since", "member"})  # fmt: skip

# Numbers that are summed when asked for per group or "how many" of; others averaged.
AVERAGED = ("price", "rate", "percent", "pct", "score", "rating", "age", "ratio", "avg", "speed")

# Negation: what follows names the rows that must not exist.
ABSENCE = frozenset({"no", "without", "never", "nobody", "none", "zero", "0", "not", "noone"})

# Shares: "what share of projects are completed".
SHARE = frozenset({"share", "percentage", "percent", "proportion", "fraction", "ratio"})


def verb_forms(stem: str) -> set[str]:
    """``hire`` → hire, hires, hired, hiring; ``submit`` → submitted; ``ship`` → shipped."""
    forms = {form for found in getAllInflections(stem, upos="VERB").values() for form in found}
    return forms | {stem} if forms else _regular_forms(stem)


def _regular_forms(stem: str) -> set[str]:
    """A verb lemminflect does not know: the regular endings."""
    if stem.endswith("e"):
        return {stem, stem + "s", stem + "d", stem[:-1] + "ing"}
    return {stem, stem + "s", stem + "ed", stem + "ing"}


def noun_stem(word: str) -> str | None:
    """The verb in a noun: assignment → assign, enrollment → enroll, registration → register."""
    for suffix in ("ments", "ment"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            return None if stem in _NOT_VERBS else stem
    return None


# Nouns in -ment that name no action: a department is not something departed.
_NOT_VERBS = frozenset({"depart", "apart", "docu", "instru", "seg", "ele", "mo", "comple", "argu"})


def base_of(past: str) -> str:
    """The verb in a past participle: hired → hire, assigned → assign, submitted → submit."""
    if not past.endswith("ed") or len(past) <= 4:
        return past
    lemmas = getLemma(past, upos="VERB", lemmatize_oov=True)
    return lemmas[0] if lemmas else past
