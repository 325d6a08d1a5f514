"""The import pipeline: every record type, forward and self references, upsert, all-or-nothing."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test.utils import CaptureQueriesContext

from clusterhub.core.importing import RecordError, import_files
from clusterhub.core.models import (
    Cluster,
    Expert,
    ImportStaging,
    Organisation,
    Region,
    TechField,
)
from clusterhub.core.tests.records_util import (
    REGIONS,
    export_all,
    row_counts,
    valid_records,
    write_jsonl,
)
from clusterhub.support.models import SolvedCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "valid.jsonl", valid_records())


# --- valid imports ---------------------------------------------------------------------------


def test_imports_every_type_with_forward_and_self_references(valid_file: Path) -> None:
    result = import_files([valid_file])

    assert result.counts == {"region": 3, "field": 3, "organisation": 3, "cluster": 1,
                             "expert": 1, "case": 1}
    assert (result.created, result.updated, result.total) == (12, 0, 12)
    assert not ImportStaging.objects.exists()

    gn = Region.objects.get(code="48")
    assert (gn.name, gn.short_name, gn.name_en) == ("경상남도", "경남", "Gyeongsangnam-do")

    die = TechField.objects.get(external_id="casting-die")
    assert die.parent.external_id == "casting"
    assert die.parent.parent.external_id == "root-tech"
    assert die.parent.parent.parent is None

    kitech = Organisation.objects.get(external_id="kitech")
    assert kitech.kind == "gri" and kitech.parent is None
    assert kitech.region.code == "44"  # given as code
    centre = Organisation.objects.get(external_id="kitech-busan")
    assert centre.parent == kitech  # self-reference that appears later in the file
    assert centre.region.code == "26"  # given as Korean short name
    assert (centre.branch_category, centre.location, centre.staff) == ("지역센터", "부산 강서구", 12)
    assert centre.budget_2004_eok == Decimal("12.5") and centre.budget_2006_eok is None
    assert centre.name_en == "" and centre.address == "" and centre.note == ""

    firm = Organisation.objects.get(external_id="f-0001")
    assert firm.kind == "firm" and firm.sector == "manufacturing" and firm.employees == 45
    assert firm.is_sme is True and firm.is_sme_override is None
    assert firm.sales_mkrw == Decimal("12345.6") and firm.innobiz is True
    assert [f.external_id for f in firm.fields.all()] == ["casting-die"]
    assert firm.keywords == ["금형"]

    cluster = Cluster.objects.get(external_id="changwon")
    assert cluster.region == gn
    assert sorted(cluster.institutes.values_list("external_id", flat=True)) == [
        "kitech", "kitech-busan"]
    assert list(cluster.strategic_industries.values_list("external_id", flat=True)) == [
        "casting"]

    expert = Expert.objects.get(external_id="e-0001")
    assert expert.organisation == centre
    assert expert.keywords == ["다이캐스팅", "기공"]  # stripped, blanks dropped
    assert expert.email == "kim@example.org" and expert.phone == "" and expert.capacity == 5
    assert sorted(expert.fields.values_list("external_id", flat=True)) == [
        "casting", "casting-die"]

    case = SolvedCase.objects.get(external_id="c-2004-001")
    assert case.region == gn and case.firm == firm and case.year == 2004
    assert list(case.experts.all()) == [expert]
    assert case.outcome == "불량률 12% → 3%" and case.published


def test_a_reference_may_name_a_region_by_code_or_short_name(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [
        *REGIONS,
        {"type": "organisation", "id": "a", "name": "A", "kind": "technopark", "region": "48"},
        {"type": "organisation", "id": "b", "name": "B", "kind": "technopark", "region": "경남"},
    ])
    import_files([path])
    a, b = Organisation.objects.order_by("external_id")
    assert a.region_id == b.region_id == Region.objects.get(code="48").pk


def test_references_may_point_into_an_earlier_file_or_a_later_one(tmp_path: Path) -> None:
    records = valid_records()
    first = write_jsonl(tmp_path / "a.jsonl", records[:6])
    second = write_jsonl(tmp_path / "b.jsonl", records[6:])
    result = import_files([first, second])
    assert result.total == len(records)
    assert Organisation.objects.get(external_id="kitech-busan").parent.external_id == "kitech"


def test_importing_the_same_file_twice_changes_nothing(valid_file: Path) -> None:
    import_files([valid_file])
    counts, exported = row_counts(), export_all()

    result = import_files([valid_file])

    assert (result.created, result.updated) == (0, 12)
    assert row_counts() == counts
    assert export_all() == exported


def test_upsert_updates_changed_records_and_replaces_their_lists(
    valid_file: Path, tmp_path: Path
) -> None:
    import_files([valid_file])
    changed = write_jsonl(tmp_path / "changed.jsonl", [
        {"type": "organisation", "id": "f-0001", "name": "(주)한길금형", "kind": "firm",
         "region": "부산", "sector": "services", "employees": 50, "fields": ["casting"]},
    ])
    result = import_files([changed])

    assert (result.created, result.updated) == (0, 1)
    firm = Organisation.objects.get(external_id="f-0001")
    assert firm.region.code == "26" and firm.employees == 50
    assert firm.is_sme is False  # a 50-person service firm is not an SME
    assert [f.external_id for f in firm.fields.all()] == ["casting"]
    assert firm.sales_mkrw is None  # omitted optional fields are null
    assert Organisation.objects.count() == 3


def test_reimporting_an_expert_keeps_its_login_link(hub: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [
        {"type": "expert", "id": "e-a", "name": "김주조", "organisation": "kitech-busan",
         "fields": ["mould"]},
    ])
    import_files([path])
    hub.expert.refresh_from_db()
    assert hub.expert.user == hub.expert_user
    assert [f.external_id for f in hub.expert.fields.all()] == ["mould"]


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n" + json.dumps(REGIONS[0], ensure_ascii=False) + "\n   \n",
                    encoding="utf-8")
    assert import_files([path]).counts == {"region": 1}


# --- all or nothing --------------------------------------------------------------------------

ORG = {"type": "organisation", "id": "x-1", "name": "엑스", "kind": "technopark"}
# (bad line, field named, words of the reason)
BAD_RECORDS: dict[str, tuple[str, str | None, str]] = {
    "malformed JSON": ('{"type": "region", "id": "11",', None, "malformed JSON"),
    "not an object": ('["region", "11"]', None, "must be a JSON object"),
    "missing type": (json.dumps({"id": "x"}), "type", "missing"),
    "type not a string": (json.dumps({"type": ["region"], "id": "x"}), "type", "unknown type"),
    "unknown type": (json.dumps({"type": "planet", "id": "x"}), "type", "unknown type 'planet'"),
    "missing id": (json.dumps({"type": "region", "name": "a", "short_name": "a",
                               "name_en": "a"}), "id", "missing"),
    "empty id": (json.dumps({**ORG, "id": "  "}), "id", "must not be empty"),
    "missing required field": (json.dumps({k: v for k, v in ORG.items() if k != "kind"}),
                               "kind", "missing"),
    "unknown field": (json.dumps({**ORG, "colour": "red"}), "colour", "unknown field"),
    "wrong type": (json.dumps({**ORG, "kind": "firm", "employees": "many"}), "employees",
                   "integer"),
    "negative number": (json.dumps({**ORG, "employees": -1}), "employees",
                        "greater than or equal to 0"),
    "bad choice": (json.dumps({**ORG, "kind": "castle"}), "kind", "Input should be"),
    "bad list item": (json.dumps({**ORG, "fields": [1]}), "fields.0", "valid string"),
    "unknown reference": (json.dumps({**ORG, "region": "화성"}), "region", "unknown region '화성'"),
    "unknown reference in a list": (json.dumps({**ORG, "fields": ["casting", "alchemy"]}),
                                    "fields", "unknown field 'alchemy'"),
    "unknown self-reference": (json.dumps({**ORG, "parent": "ghost"}), "parent",
                               "unknown organisation 'ghost'"),
    "unknown reference of another type": (
        json.dumps({"type": "expert", "id": "e-9", "name": "박", "organisation": "ghost"}),
        "organisation", "unknown organisation 'ghost'"),
    "gri_centre without parent": (json.dumps({**ORG, "kind": "gri_centre"}), "parent",
                                  "needs its parent institute"),
    "invalid e-mail": (json.dumps({"type": "expert", "id": "e-9", "name": "박",
                                   "organisation": "kitech", "email": "not-an-address"}),
                       "email", "email address"),
    "case year out of range": (json.dumps({"type": "case", "id": "c-9", "title": "t",
                                           "problem": "p", "solution": "s",
                                           "support_type": "guidance", "year": 1800}),
                               "year", "greater than or equal to 1950"),
}


@pytest.mark.parametrize("where", ["alone", "after valid records"])
@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_a_bad_record_fails_the_whole_import_and_writes_nothing(
    case: str, where: str, valid_file: Path, tmp_path: Path
) -> None:
    import_files([valid_file])  # existing rows: a failed import must not update them either
    bad_line, field, reason = BAD_RECORDS[case]
    if where == "alone":
        lines: list[Any] = [bad_line]
    else:
        # Every valid record again, changed, plus new ones; the bad one comes last.
        lines = [{**r, "name": r["name"] + " (신)"} if "name" in r else r
                 for r in valid_records()]
        lines += [{**ORG, "id": f"new-{i}", "region": "경남"} for i in range(5)]
        lines.append(bad_line)
    path = write_jsonl(tmp_path / "bad.jsonl", lines)
    before, exported = row_counts(journals=True), export_all()

    with pytest.raises(RecordError) as info:
        import_files([path])

    err = info.value
    assert (err.file, err.line, err.field) == (str(path), len(lines), field)
    assert reason in err.reason
    message = str(err)
    assert message.startswith(f"{path}:{len(lines)}: ")
    assert reason in message
    if field:
        assert f"field '{field}'" in message
    assert row_counts(journals=True) == before
    assert export_all() == exported


def test_duplicate_id_within_a_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "dup.jsonl", [*REGIONS, {**REGIONS[1], "name": "다른 이름"}])
    before = row_counts(journals=True)
    with pytest.raises(RecordError) as info:
        import_files([path])
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), 4, "id")
    assert err.reason == f"duplicate region id '26' (first at {path}:2)"
    assert row_counts(journals=True) == before


def test_duplicate_id_across_two_files(tmp_path: Path, valid_file: Path) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", [
        {"type": "region", "id": "11", "name": "서울특별시", "short_name": "서울",
         "name_en": "Seoul"},
        {"type": "field", "id": "casting", "name": "주조", "name_en": "Casting"},
    ])
    before = row_counts(journals=True)
    with pytest.raises(RecordError) as info:
        import_files([valid_file, other])
    err = info.value
    assert (err.file, err.line, err.field) == (str(other), 2, "id")
    assert f"duplicate field id 'casting' (first at {valid_file}:7)" == err.reason
    assert row_counts(journals=True) == before


def test_the_same_id_in_two_types_is_no_duplicate(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "same.jsonl", [
        {"type": "field", "id": "48", "name": "f", "name_en": "f"}, REGIONS[0]])
    assert import_files([path]).counts == {"field": 1, "region": 1}


def test_a_self_reference_cycle_is_an_unknown_reference(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "cycle.jsonl", [
        {"type": "field", "id": "a", "name": "a", "name_en": "a", "parent": "b"},
        {"type": "field", "id": "b", "name": "b", "name_en": "b", "parent": "a"},
    ])
    with pytest.raises(RecordError) as info:
        import_files([path])
    assert (info.value.line, info.value.field) == (1, "parent")
    assert info.value.reason == "unknown field 'b'"
    assert not TechField.objects.exists()


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in REGIONS[:2]]
    lines.append('{"type": "region", "id": "11", "name": "Séoul", "short_name": "S", '
                 '"name_en": "Seoul"}'.encode("latin-1"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    before = row_counts(journals=True)
    with pytest.raises(RecordError) as info:
        import_files([path])
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), 3, None)
    assert err.reason == "not UTF-8 text"
    assert row_counts(journals=True) == before


def test_missing_file_names_the_file(tmp_path: Path, valid_file: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    before = row_counts(journals=True)
    with pytest.raises(RecordError) as info:
        import_files([valid_file, missing])
    err = info.value
    assert (err.file, err.line, err.field) == (str(missing), None, None)
    assert "cannot read" in err.reason and "No such file" in err.reason
    assert str(err).startswith(f"{missing}: cannot read")
    assert row_counts(journals=True) == before


# --- the command line ------------------------------------------------------------------------


def test_import_command_reports_counts(valid_file: Path) -> None:
    out = io.StringIO()
    call_command("import_records", str(valid_file), stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == (
        "imported 12 records (1 case, 1 cluster, 1 expert, 3 field, 3 organisation, 3 region); "
        "12 created, 0 updated")


def test_import_command_exits_2_and_prints_the_error(tmp_path: Path, valid_file: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [json.dumps({**ORG, "employees": "many"})])
    err, before = io.StringIO(), row_counts(journals=True)
    with pytest.raises(SystemExit) as info:
        call_command("import_records", str(valid_file), str(bad), stdout=io.StringIO(),
                     stderr=err)
    assert info.value.code == 2
    message = err.getvalue()
    assert message.startswith("import failed, nothing was written: ")
    assert f"{bad}:1: field 'employees'" in message
    assert row_counts(journals=True) == before


@pytest.mark.django_db(transaction=True)  # run_from_argv closes the connections afterwards
def test_clusterhub_import_console_command(
    tmp_path: Path, valid_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from clusterhub.cli import main

    bad = write_jsonl(tmp_path / "bad.jsonl", ['{"type": "region"'])
    with pytest.raises(SystemExit) as info:
        main(["clusterhub", "import", str(valid_file), str(bad)])
    assert info.value.code == 2
    assert f"{bad}:1: malformed JSON" in capsys.readouterr().err
    assert not Region.objects.exists()

    main(["clusterhub", "import", str(valid_file)])
    assert "imported 12 records" in capsys.readouterr().out
    assert Organisation.objects.count() == 3


@pytest.mark.django_db
def test_a_large_import_refreshes_the_planner_statistics(tmp_path, monkeypatch):
    """On PostgreSQL, tables an import filled with 1,000+ records are analysed before commit."""
    from django.db import connection

    from clusterhub.core import importing

    monkeypatch.setattr(importing, "ANALYZE_AFTER", 3)
    lines = [{"type": "region", "id": f"9{i}", "name": f"시험도{i}", "short_name": f"시{i}",
              "name_en": f"Test {i}"}
             for i in range(4)]
    path = tmp_path / "regions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines))
    with CaptureQueriesContext(connection) as queries:
        importing.import_files([path])
    analysed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert analysed == ['ANALYZE "core_region"']
    else:
        assert analysed == []
