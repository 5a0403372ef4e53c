"""The LLM prompt carries the offline engine's words for the schema, in a stable order."""

from __future__ import annotations

from quart_app.services.nl_to_sql.offline.glossary import glossary
from quart_app.services.nl_to_sql.offline.vocabulary import Vocabulary
from quart_app.services.nl_to_sql.prompt import build_messages
from tests.services.nl_to_sql.demo_schema import DEMO_SCHEMA


def test_the_prompt_names_what_the_words_of_this_schema_point_to() -> None:
    system = build_messages(DEMO_SCHEMA, "How many orders were placed in 2024?")[0]["content"]
    lines = system.split("WORDS IN QUESTIONS AND WHAT THEY MEAN HERE\n", 1)[1].splitlines()
    assert any("ordered" in line and line.endswith("→ orders.ordered_at") for line in lines)
    assert any(line.endswith("→ rows of customers (people)") for line in lines)
    assert not any("spend" in line for line in lines)  # quantity times price here
    assert "'United Kingdom'" in system  # every category value, for matching by name


def test_glossary_lines_do_not_depend_on_hash_order() -> None:
    for line in glossary(Vocabulary.of(DEMO_SCHEMA)):
        words = line.split(" → ")[0].split(", ")
        assert words == sorted(words, key=lambda word: (len(word), word)), line
