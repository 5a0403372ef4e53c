"""docs/reference.md and the code name the same stages and error codes; docs/openapi.json is
the document the service serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from quart_app import app, errors
from quart_app.events import STAGES, TERMINAL_STAGES
from tests.servers import ServerProcess

REFERENCE = Path(__file__).parent.parent / "docs" / "reference.md"
OPENAPI = REFERENCE.parent / "openapi.json"


def column(section: str, name: str) -> set[str]:
    """The backticked names in column ``name`` of the one table under heading ``section``."""
    text = REFERENCE.read_text().split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    index = header.index(name)
    found = set()
    for row in rows[2:]:
        cell = row.strip("|").split("|")[index]
        found.update(re.findall(r"`([^`]+)`", cell))
    return found


def test_every_stage_is_documented_and_every_documented_stage_exists() -> None:
    in_code = {stage for stages in STAGES.values() for stage in stages}
    in_code |= set(TERMINAL_STAGES.values())
    assert column("Stages", "stage") == in_code


def test_every_error_code_is_documented_and_every_documented_code_exists() -> None:
    in_code = {
        kind.code
        for kind in vars(errors).values()
        if isinstance(kind, type)
        and issubclass(kind, errors.APIError)
        and kind is not errors.APIError
    }
    in_code |= set(app._HTTP_CODES.values())
    assert column("Error codes", "code") == in_code


def test_the_reference_links_only_inside_the_repository() -> None:
    text = REFERENCE.read_text()
    for target in re.findall(r"\]\(([^)#]+)", text):
        if target.startswith(("http://", "https://")):
            continue
        assert (REFERENCE.parent / target).resolve().is_relative_to(REFERENCE.parent.parent), target
        assert (REFERENCE.parent / target).exists(), target


def test_the_openapi_document_in_docs_is_the_one_the_service_serves(
    server: ServerProcess,
) -> None:
    served = httpx.get(f"{server.url}/openapi.json").json()
    kept = json.loads(OPENAPI.read_text())
    assert kept == served, (
        "docs/openapi.json is out of date; with the service running: curl -s "
        "localhost:8080/openapi.json | python3 -m json.tool --indent 2 > docs/openapi.json"
    )
