"""Helpers shared by the import/export tests (not a test module)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command

from clusterhub.core.importing import dependency_order, export_records


def write_jsonl(path: Path, records: list[dict[str, Any] | str]) -> Path:
    """Write records (dicts, or raw lines given as str) one per line, UTF-8."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# Journals of derived data, not data: the matching index's change log records every record an
# import wrote (unchanged ones too) so that the index re-reads them; the next build compacts it.
JOURNALS = {"matching.IndexChange"}


def row_counts(*, journals: bool = False) -> dict[str, int]:
    """Rows of every model of every installed app (staging and through tables included).

    A failed import must not even write journal rows (`journals=True`); a repeated one may."""
    counts: dict[str, int] = {}
    for model in apps.get_models(include_auto_created=True):
        if journals or model._meta.label not in JOURNALS:
            counts[model._meta.label] = model._default_manager.count()
    return counts


def export_all() -> str:
    """Every record of every type, as `clusterhub export --type all` writes them."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n"
                   for t in dependency_order() for r in export_records(t))


def export_command(*types: str) -> str:
    out = io.StringIO()
    args: list[str] = []
    for t in types or ("all",):
        args += ["--type", t]
    call_command("export_records", *args, stdout=out)
    return out.getvalue()


REGIONS = [
    {"type": "region", "id": "48", "name": "경상남도", "short_name": "경남",
     "name_en": "Gyeongsangnam-do"},
    {"type": "region", "id": "26", "name": "부산광역시", "short_name": "부산", "name_en": "Busan"},
    {"type": "region", "id": "44", "name": "충청남도", "short_name": "충남",
     "name_en": "Chungcheongnam-do"},
]


def valid_records() -> list[dict[str, Any]]:
    """One file with every type; references point forward and self-references point later.

    Order is deliberately the reverse of the dependency order: cases first, regions last, and
    children before their parents (casting-die -> casting -> root-tech, kitech-busan -> kitech).
    """
    return [
        {"type": "case", "id": "c-2004-001", "title": "다이캐스팅 하우징 기공",
         "problem": "ADC12 하우징 두께 변화부 기공", "solution": "진공 다이캐스팅 적용",
         "support_type": "guidance", "region": "경남", "year": 2004, "experts": ["e-0001"],
         "firm": "f-0001", "fields": ["casting-die"], "outcome": "불량률 12% → 3%"},
        {"type": "cluster", "id": "changwon", "name": "창원 혁신클러스터", "name_en": "Changwon",
         "region": "48", "complex": "창원국가산업단지", "strategic_industries": ["casting"],
         "institutes": ["kitech", "kitech-busan"], "description": "기계", "source": "Table 3-4"},
        {"type": "expert", "id": "e-0001", "name": "김철수", "organisation": "kitech-busan",
         "title": "수석연구원", "keywords": [" 다이캐스팅 ", "기공", " "], "bio": "주조 전문",
         "fields": ["casting", "casting-die"], "capacity": 5, "email": "kim@example.org",
         "phone": None},
        {"type": "organisation", "id": "kitech-busan", "name": "생기원 부산센터",
         "kind": "gri_centre", "parent": "kitech", "region": "부산", "fields": ["casting"],
         "branch_category": "지역센터", "location": "부산 강서구", "staff": 12,
         "budget_2004_eok": 12.5, "budget_2005_eok": 20, "source": "Table 3-1 (l.1013)"},
        {"type": "organisation", "id": "f-0001", "name": "(주)한길금형", "kind": "firm",
         "region": "경남", "sector": "manufacturing", "employees": 45, "fields": ["casting-die"],
         "keywords": ["금형"], "sales_mkrw": 12345.6, "rnd_mkrw": 300, "innobiz": True},
        {"type": "field", "id": "casting-die", "name": "다이캐스팅", "name_en": "Die casting",
         "parent": "casting"},
        {"type": "field", "id": "casting", "name": "주조", "name_en": "Casting",
         "parent": "root-tech"},
        {"type": "field", "id": "root-tech", "name": "뿌리기술", "name_en": "Root technologies",
         "parent": None},
        {"type": "organisation", "id": "kitech", "name": "한국생산기술연구원", "name_en": "KITECH",
         "kind": "gri", "parent": None, "region": "44", "fields": ["casting"],
         "keywords": ["생산기술"]},
        *REGIONS,
    ]
