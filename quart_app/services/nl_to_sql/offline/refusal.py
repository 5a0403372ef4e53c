"""Refusing a question: what was understood, and the words that were not."""

from __future__ import annotations

from ....errors import ConversionFailed
from .reading import Reading

# Words that carry no meaning for the plan beyond what is read elsewhere.
HARMLESS = frozenset(
    """placed make made sold buy bought ordered visited viewed signed registered joined created
    live lives living come comes came based located happened happen occur occurred were was
    been being belong belongs belonging per cent percent its their them they value
    values worth highest lowest largest smallest distinct different unique ever so far time
    period recorded there expensive cheapest pricey
    priciest popular busiest best worst date dates up place drive drives drove driven driving
    hauled haul hauling carried travelled traveled job jobs event events purchase purchases
    transaction transactions us linked associated attached connected related tied rated brings
    bring brought generates generated catalog catalogue raised include includes included
    including part assigned assign done yet often dr mr mrs ms prof received receive saw see seen among collect collects written wrote write writes authored currently now presently took take taken takes place collected given taught teach
    teaches""".split()
)


def fail(reading: Reading, why: str) -> ConversionFailed:
    understood = []
    if reading.tables:
        understood.append(
            "tables " + ", ".join(dict.fromkeys(table for _, _, table in reading.tables))
        )
    if reading.values:
        understood.append(
            "values " + ", ".join(f"{ref.column} = {value!r}" for ref, value in reading.values)
        )
    if reading.times:
        understood.append("time: " + ", ".join(time.describe() for time in reading.times))
    related = reading.relation_words()
    unknown = [w for w in reading.unused_words() if w not in HARMLESS and w not in related]
    message = why
    message += (
        f"; understood: {'; '.join(understood)}"
        if understood
        else "; understood nothing it can map to the schema"
    )
    if unknown:
        message += (
            f"; did not understand: {', '.join(repr(word) for word in dict.fromkeys(unknown))}"
        )
    return ConversionFailed(message)
