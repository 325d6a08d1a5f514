"""The national research-equipment classification (major / middle / small classes), read from
reference/classification.jsonl (its first line names the source)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PATH = Path(__file__).resolve().parent / "reference" / "classification.jsonl"


@dataclass(frozen=True)
class Class:
    code: str
    level: str  # major | middle | small
    name: str
    name_en: str
    parent: str | None


@cache
def classes() -> dict[str, Class]:
    out: dict[str, Class] = {}
    for line in PATH.read_text("utf-8").splitlines():
        row = json.loads(line)
        if "code" in row:
            out[row["code"]] = Class(row["code"], row["level"], row["name"], row["name_en"],
                                     row["parent"])
    return out


def source() -> str:
    return str(json.loads(PATH.read_text("utf-8").splitlines()[0])["source"])


def path_of(code: str) -> list[Class]:
    """The class and its ancestors, major class first ([] for an unknown code)."""
    table = classes()
    out: list[Class] = []
    node = table.get(code)
    while node is not None:
        out.append(node)
        node = table.get(node.parent) if node.parent else None
    return out[::-1]


def label(code: str) -> str:
    return " > ".join(c.name for c in path_of(code)) or code


def majors() -> list[Class]:
    return [c for c in classes().values() if c.level == "major"]
