"""Export: what `clusterhub export` writes, `clusterhub import` takes back unchanged."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from clusterhub.core.importing import import_files
from clusterhub.core.models import Cluster, Expert, Organisation, Region, TechField
from clusterhub.core.tests.records_util import export_command, row_counts, write_jsonl
from clusterhub.support.models import SolvedCase

pytestmark = pytest.mark.django_db

EXTRA = [
    {"type": "organisation", "id": "f-0001", "name": "(주)한길금형", "kind": "firm",
     "region": "경남", "sector": "manufacturing", "employees": 45, "is_sme": None,
     "fields": ["casting", "mould"], "keywords": ["금형", "사출"], "sales_mkrw": 12345.6,
     "rnd_mkrw": 300, "exports_mkrw": 0.5, "innobiz": True, "venture": False},
    {"type": "organisation", "id": "f-0002", "name": "대형서비스", "kind": "firm",
     "region": "48", "sector": "services", "employees": 10, "is_sme": False},
    {"type": "expert", "id": "e-0001", "name": "김철수", "organisation": "kitech",
     "title": "수석연구원", "keywords": ["다이캐스팅", "기공"], "bio": "주조 공정 전문가",
     "fields": ["mould", "casting"], "capacity": 5, "email": "kim@example.org",
     "phone": "055-000-0000"},
    {"type": "expert", "id": "e-0002", "name": "이영희", "organisation": "f-0001"},
    {"type": "case", "id": "c-2004-001", "title": "다이캐스팅 하우징 기공",
     "problem": "ADC12 하우징 기공", "solution": "진공 다이캐스팅", "support_type": "guidance",
     "region": "경남", "year": 2004, "experts": ["e-0002", "e-0001"], "firm": "f-0001",
     "fields": ["casting"], "outcome": "불량률 12% → 3%"},
    {"type": "case", "id": "c-2005-002", "title": "금형 수명", "problem": "p", "solution": "s",
     "support_type": "testing", "year": 2005},
]


@pytest.fixture
def loaded(tmp_path: Path) -> None:
    call_command("load_reference", stdout=io.StringIO(), stderr=io.StringIO())
    import_files([write_jsonl(tmp_path / "extra.jsonl", EXTRA)])


def _delete_tree(model: type[models.Model], children: str) -> None:
    """Delete a self-referencing (PROTECT) table leaves first."""
    while model._default_manager.exists():
        model._default_manager.filter(**{f"{children}__isnull": True}).delete()


def _delete_everything() -> None:
    SolvedCase.objects.all().delete()
    Expert.objects.all().delete()
    Cluster.objects.all().delete()
    _delete_tree(Organisation, "branches")
    _delete_tree(TechField, "children")
    Region.objects.all().delete()


def test_load_reference_reports_what_it_loaded() -> None:
    out = io.StringIO()
    call_command("load_reference", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == (
        "reference data loaded: 7 cluster, 99 field, 78 organisation, 17 region")


def test_export_writes_records_in_the_documented_format(loaded: None) -> None:
    lines = [json.loads(line) for line in export_command().splitlines()]
    by_id = {(r["type"], r["id"]): r for r in lines}
    assert [r["type"] for r in lines] == sorted(
        (r["type"] for r in lines),
        key=["region", "field", "organisation", "expert", "case", "cluster"].index)
    assert by_id[("region", "48")] == {"type": "region", "id": "48", "name": "경상남도",
                                      "short_name": "경남", "name_en": "Gyeongsangnam-do"}
    assert by_id[("field", "casting")]["parent"] == "root-tech"
    firm = by_id[("organisation", "f-0001")]
    assert firm["region"] == "48"  # regions are exported by code
    assert firm["fields"] == ["casting", "mould"]
    assert (firm["sales_mkrw"], firm["rnd_mkrw"], firm["exports_mkrw"]) == (12345.6, 300, 0.5)
    assert firm["is_sme"] is None and by_id[("organisation", "f-0002")]["is_sme"] is False
    assert by_id[("expert", "e-0002")] == {
        "type": "expert", "id": "e-0002", "name": "이영희", "organisation": "f-0001",
        "title": None, "keywords": [], "bio": None, "fields": [], "capacity": 3, "email": None,
        "phone": None}
    assert by_id[("case", "c-2004-001")]["experts"] == ["e-0001", "e-0002"]
    assert by_id[("case", "c-2005-002")]["region"] is None
    assert "\\u" not in export_command("region")  # UTF-8, not escapes


def test_export_one_type_to_a_file(loaded: None, tmp_path: Path) -> None:
    out, err = tmp_path / "experts.jsonl", io.StringIO()
    call_command("export_records", "--type", "expert", "--out", str(out), stderr=err)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["e-0001", "e-0002"]
    assert err.getvalue().strip() == f"exported 2 records to {out}"


def test_export_needs_a_known_type() -> None:
    with pytest.raises(CommandError, match="--type is required"):
        call_command("export_records")
    with pytest.raises(CommandError, match="unknown type 'planet'"):
        call_command("export_records", "--type", "planet")


def test_round_trip(loaded: None, tmp_path: Path) -> None:
    exported = tmp_path / "all.jsonl"
    call_command("export_records", "--type", "all", "--out", str(exported),
                 stderr=io.StringIO())
    text = exported.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 17 + 99 + 80 + 7 + 2 + 2

    # Importing the export into the same database changes nothing.
    counts = row_counts()
    result = import_files([exported])
    assert (result.created, result.updated) == (0, result.total)
    assert row_counts() == counts
    assert export_command() == text

    # Into an empty directory, the export rebuilds the same records.
    _delete_everything()
    assert not Organisation.objects.exists() and not TechField.objects.exists()
    result = import_files([exported])
    assert result.created == result.total == len(text.splitlines())
    assert export_command() == text
