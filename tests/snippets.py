"""The fenced blocks of README.md and docs/, by the marker on the line before each.

``<!-- snippet: NAME -->`` is code a test runs as it stands (only the address changes to
the test server's); ``<!-- output of: NAME -->`` is what running NAME shows, checked
against a real run; ``<!-- not run: WHY -->`` says why a block is neither (a diagram, the
command that runs these tests). Every block carries one of the three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"<!-- (snippet|output of|not run): (.+?) -->")
KINDS = ("snippet", "output of", "not run")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, counted from 1
    language: str
    text: str
    kind: str  # one of KINDS, or "" when unmarked
    name: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path``: it opens with a line starting with three backticks
    and closes with a line of exactly three."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    number = 0
    while number < len(lines):
        opening = lines[number]
        if not opening.startswith("```"):
            number += 1
            continue
        end = lines.index("```", number + 1)
        marker = MARKER.fullmatch(lines[number - 1].strip()) if number else None
        found.append(
            Block(
                path=path,
                line=number + 1,
                language=opening[3:].strip(),
                text="\n".join(lines[number + 1 : end]) + "\n",
                kind=marker.group(1) if marker else "",
                name=marker.group(2) if marker else "",
            )
        )
        number = end + 1
    return found


def every_block() -> list[Block]:
    return [block for path in documents() for block in blocks(path)]


def snippet(name: str, kind: str = "snippet") -> Block:
    """The one block marked ``kind: name``."""
    (found,) = [block for block in every_block() if (block.kind, block.name) == (kind, name)]
    return found


def at_port(text: str, port: int) -> str:
    """``text`` with the README's address, port 8080, replaced by the test server's."""
    text = re.sub(r"\b(localhost|127\.0\.0\.1):8080\b", rf"\g<1>:{port}", text)
    return text.replace('("127.0.0.1", 8080)', f'("127.0.0.1", {port})')
