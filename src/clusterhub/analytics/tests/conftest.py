"""Fixtures of the analytics tests: the seed's institutes and their activity records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clusterhub.analytics.demo import SEED_FILES
from clusterhub.core.importing import import_files

CORE_REFERENCE = Path(__file__).resolve().parents[2] / "core" / "reference"
ANALYTICS_REFERENCE = Path(__file__).resolve().parents[1] / "reference"
PERSONAS = ["sme", "other_sme", "expert", "other_expert", "coordinator", "other_coordinator",
            "admin", "analyst", "anonymous"]
# Who may open the analytics pages (everyone else logged in gets a 404).
READERS = {"coordinator", "other_coordinator", "admin", "analyst"}


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def reference(hub: Any) -> None:
    """Core reference data: the 17 regions, fields and the Table 3-1 organisations, imported
    over the test hub (whose `kitech` they update)."""
    import_files([CORE_REFERENCE / f"{n}.jsonl"
                  for n in ("regions", "fields", "organisations")])


@pytest.fixture
def seed_records(reference: None) -> dict[str, Any]:
    """The demo activity records of the seed's six institutes; returns seed_tables.json."""
    import_files(SEED_FILES)
    return json.loads((ANALYTICS_REFERENCE / "seed_tables.json").read_text(encoding="utf-8"))


def user_of(hub: Any, persona: str) -> Any:
    return {
        "sme": hub.sme, "other_sme": hub.other_sme, "expert": hub.expert_user,
        "other_expert": hub.other_expert_user, "coordinator": hub.coordinator,
        "other_coordinator": hub.other_coordinator, "admin": hub.admin, "analyst": hub.analyst,
        "anonymous": None,
    }[persona]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path
