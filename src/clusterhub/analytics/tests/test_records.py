"""Import record types: field-level errors, nothing half-written, and the hub's own cases."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from clusterhub.analytics import kpi
from clusterhub.analytics.models import InstituteYear, JointRnd
from clusterhub.core.importing import RecordError, export_records, import_files
from clusterhub.testing import ExpertFactory, FirmFactory, OrganisationFactory

from .conftest import write_jsonl

BASE = [
    {"type": "organisation", "id": "inst-a", "name": "가연구원", "kind": "gri"},
    {"type": "organisation", "id": "sme-1", "name": "일번정밀", "kind": "firm",
     "sector": "manufacturing", "employees": 40},
    {"type": "organisation", "id": "sme-2", "name": "이번주조", "kind": "firm",
     "sector": "manufacturing", "employees": 300},
    {"type": "organisation", "id": "big-1", "name": "대형중공업", "kind": "firm",
     "sector": "manufacturing", "employees": 301},
    {"type": "organisation", "id": "svc-1", "name": "오십인서비스", "kind": "firm",
     "sector": "services", "employees": 50},
]


def _import(tmp_path: Any, records: list[dict[str, Any]]) -> Any:
    return import_files([write_jsonl(tmp_path / "r.jsonl", BASE + records)])


@pytest.mark.parametrize(("record", "field", "reason"), [
    ({"type": "joint_rnd", "id": "j1", "institution": "nowhere", "year": 2004, "title": "과제",
      "firms": ["sme-1"], "gov_mkrw": 10, "sme_mkrw": 5}, "institution", "unknown organisation"),
    ({"type": "joint_rnd", "id": "j1", "institution": "inst-a", "year": 2004, "title": "과제",
      "firms": ["sme-1"], "gov_mkrw": -1, "sme_mkrw": 5}, "gov_mkrw", "greater than or equal"),
    ({"type": "joint_rnd", "id": "j1", "institution": "inst-a", "year": 2004, "title": "과제",
      "firms": [], "gov_mkrw": 1, "sme_mkrw": 5}, "firms", "at least 1"),
    ({"type": "institute_year", "id": "y1", "institution": "inst-a", "year": 2004,
      "regular_staff": 10, "unreported": ["patents"]}, "unreported.0", "Input should be"),
    ({"type": "guidance", "id": "g1", "institution": "inst-a", "year": 1800, "firm": "sme-1",
      "man_months": 1}, "year", "greater than or equal"),
    ({"type": "royalty_payment", "id": "p1", "transfer": "t-none", "date": "2004-03-01",
      "amount_mkrw": 3}, "transfer", "unknown tech_transfer"),
    ({"type": "training", "id": "t1", "institution": "inst-a", "year": 2004, "firms": ["sme-1"],
      "trainees": 3, "hours": 2}, "hours", "unknown field"),
])
def test_field_level_errors(db: Any, tmp_path: Any, record: dict[str, Any], field: str,
                            reason: str) -> None:
    with pytest.raises(RecordError) as err:
        _import(tmp_path, [record])
    assert err.value.field == field
    assert reason in err.value.reason
    assert err.value.line == len(BASE) + 1
    assert not JointRnd.objects.exists() and not InstituteYear.objects.exists()


def test_second_report_for_the_same_year_is_refused(db: Any, tmp_path: Any) -> None:
    _import(tmp_path, [{"type": "institute_year", "id": "y1", "institution": "inst-a",
                        "year": 2004, "regular_staff": 10}])
    with pytest.raises(RecordError) as err:
        import_files([write_jsonl(tmp_path / "again.jsonl", [
            {"type": "institute_year", "id": "y2", "institution": "inst-a", "year": 2004,
             "regular_staff": 11}])])
    assert err.value.field == "year" and "institute_year 'y1'" in err.value.reason


def test_same_year_twice_in_one_file_is_refused(db: Any, tmp_path: Any) -> None:
    with pytest.raises(RecordError) as err:
        _import(tmp_path, [
            {"type": "institute_year", "id": "y1", "institution": "inst-a", "year": 2004,
             "regular_staff": 10},
            {"type": "institute_year", "id": "y2", "institution": "inst-a", "year": 2004,
             "regular_staff": 11}])
    assert err.value.field == "year" and "already has a report for 2004" in err.value.reason
    assert not InstituteYear.objects.exists()


def test_hand_worked_example_and_round_trip(db: Any, tmp_path: Any) -> None:
    """Two projects with an SME (one shares a large firm), one with a large firm only."""
    _import(tmp_path, [
        {"type": "institute_year", "id": "y", "institution": "inst-a", "year": 2004,
         "regular_staff": 120, "unreported": ["training"]},
        {"type": "joint_rnd", "id": "j1", "institution": "inst-a", "year": 2004, "title": "A",
         "firms": ["sme-1", "sme-2"], "gov_mkrw": 100, "sme_mkrw": 25.5},
        {"type": "joint_rnd", "id": "j2", "institution": "inst-a", "year": 2004, "title": "B",
         "firms": ["sme-1", "big-1"], "gov_mkrw": 50, "sme_mkrw": 10},
        {"type": "joint_rnd", "id": "j3", "institution": "inst-a", "year": 2004, "title": "C",
         "firms": ["big-1", "svc-1"], "gov_mkrw": 999, "sme_mkrw": 999},
        {"type": "tech_transfer", "id": "t03", "institution": "inst-a", "year": 2003,
         "firm": "sme-2", "royalty_mkrw": 40},
        {"type": "tech_transfer", "id": "t04", "institution": "inst-a", "year": 2004,
         "firm": "sme-1", "royalty_mkrw": 30},
        {"type": "tech_transfer", "id": "tbig", "institution": "inst-a", "year": 2004,
         "firm": "big-1", "royalty_mkrw": 70},
        {"type": "royalty_payment", "id": "p1", "transfer": "t03", "date": "2004-02-01",
         "amount_mkrw": 20},
        {"type": "royalty_payment", "id": "p2", "transfer": "t04", "date": "2004-11-30",
         "amount_mkrw": 5},
        {"type": "royalty_payment", "id": "p3", "transfer": "tbig", "date": "2004-05-01",
         "amount_mkrw": 70},
        {"type": "guidance", "id": "g1", "institution": "inst-a", "year": 2004, "firm": "sme-1",
         "man_months": 0.5},
        {"type": "guidance", "id": "g2", "institution": "inst-a", "year": 2004, "firm": "sme-1",
         "man_months": 0.25},
        {"type": "guidance", "id": "g3", "institution": "inst-a", "year": 2004, "firm": "svc-1",
         "man_months": 3},
    ])
    row = kpi.compute(["inst-a"]).rows["inst-a"][2004]
    assert row["joint_rnd_projects"] == 2 and row["joint_rnd_smes"] == 2
    assert row["joint_rnd_gov_mkrw"] == 150 and row["joint_rnd_sme_mkrw"] == 35.5
    assert row["joint_rnd_total_mkrw"] == 185.5
    assert row["contract_research_jobs"] == 0  # reported year, nothing done: a true 0
    assert row["transfers"] == 1 and row["royalty_contracted_mkrw"] == 30
    assert row["royalty_received_mkrw"] == 25  # 20 on the 2003 transfer + 5
    assert row["guidance_firms"] == 1 and row["guidance_man_months"] == 0.75
    assert row["regular_staff"] == 120
    assert row["training_smes"] is None and row["trainees"] is None
    # The 2003 transfer makes a 2003 row without an institute report: only what is known.
    y2003 = kpi.compute(["inst-a"]).rows["inst-a"][2003]
    assert y2003["transfers"] == 1 and y2003["guidance_firms"] is None
    assert y2003["regular_staff"] is None
    exported = list(export_records("joint_rnd"))
    assert {"id": "j1", "type": "joint_rnd", "institution": "inst-a", "year": 2004,
            "title": "A", "firms": ["sme-1", "sme-2"], "gov_mkrw": 100,
            "sme_mkrw": 25.5} in exported


def _closed_case(hub: Any, support_type: str, closed: datetime, hours: str = "8") -> Any:
    from clusterhub.support.models import SupportRequest, WorkLog
    from clusterhub.testing import advance, new_request

    req = advance(hub, new_request(hub, support_type=support_type), "closed")
    WorkLog.objects.filter(request=req).update(hours=Decimal(hours))
    SupportRequest.objects.filter(pk=req.pk).update(closed_at=closed)
    return req


def test_hub_cases_count_without_double_counting(hub: Any) -> None:
    """Closed guidance cases count for the expert's organisation (hours / 160 = man-months),
    but not in a year the institution has reported itself."""
    centre = hub.centre.external_id
    _closed_case(hub, "guidance", datetime(2025, 3, 1, tzinfo=UTC), hours="16")
    _closed_case(hub, "guidance", datetime(2025, 6, 1, tzinfo=UTC), hours="8")
    _closed_case(hub, "guidance", datetime(2026, 1, 5, tzinfo=UTC))
    _closed_case(hub, "training", datetime(2025, 7, 1, tzinfo=UTC))
    InstituteYear.objects.create(external_id="c-2026", institution=hub.centre, year=2026,
                                 regular_staff=9)
    rows = kpi.compute([centre]).rows[centre]
    assert rows[2025]["guidance_firms"] == 1  # the same SME twice
    assert rows[2025]["guidance_man_months"] == 0.15  # 24 h / 160
    assert rows[2025]["training_smes"] == 1
    assert rows[2025]["trainees"] is None  # cases do not record trainees
    assert rows[2025]["joint_rnd_gov_mkrw"] is None
    assert rows[2026]["guidance_firms"] == 0  # the institute's own report wins
    assert rows[2026]["regular_staff"] == 9


def test_large_firm_cases_do_not_count(hub: Any) -> None:
    big = FirmFactory(external_id="big", employees=1200)
    hub.firm.employees = 1200
    hub.firm.save()
    _closed_case(hub, "guidance", datetime(2025, 3, 1, tzinfo=UTC))
    assert kpi.compute([hub.centre.external_id]).rows == {}
    assert big.is_sme is False


def test_unknown_institution_filter(db: Any) -> None:
    OrganisationFactory(external_id="known")
    ExpertFactory()
    with pytest.raises(ValueError, match="unknown institution 'nope'"):
        kpi.compute(["known", "nope"])


def test_support_by_region(hub: Any, client_for: Any) -> None:
    """Table 4-9 from the hub's own cases: two cases of one firm in one region, one elsewhere."""
    _closed_case(hub, "guidance", datetime(2025, 3, 1, tzinfo=UTC))
    _closed_case(hub, "testing", datetime(2025, 4, 1, tzinfo=UTC))
    _closed_case(hub, "guidance", datetime(2025, 5, 1, tzinfo=UTC))
    from clusterhub.support.models import SupportRequest

    last = SupportRequest.objects.order_by("-pk").first()
    SupportRequest.objects.filter(pk=last.pk).update(region=hub.other_region)  # type: ignore[union-attr]
    rows = kpi.support_by_region(centre=hub.centre.pk)
    assert [(r["region__code"], r["firms"], r["cases"]) for r in rows] == [("47", 1, 1),
                                                                         ("48", 1, 2)]
    assert kpi.support_by_region(centre=hub.desk.pk) == []
    page = client_for(hub.analyst).get("/analytics/support-by-region/", {"centre": "kitech-busan"})
    assert page.status_code == 200 and "경상북도" in page.content.decode()
    assert client_for(hub.analyst).get("/analytics/support-by-region/",
                                       {"centre": "nope"}).status_code == 404
    assert client_for(hub.sme).get("/analytics/support-by-region/").status_code == 404
    csv_body = client_for(hub.analyst).get("/analytics/support-by-region/",
                                           {"centre": "kitech-busan", "format": "csv"})
    lines = csv_body.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Year,Region,Firms,Cases"
    assert lines[1:] == ["2025,경상북도,1,1", "2025,경상남도,1,2"]
    xlsx = client_for(hub.analyst).get("/analytics/support-by-region/", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client_for(hub.sme).get("/analytics/support-by-region/",
                                   {"format": "csv"}).status_code == 404


def test_cells_follow_the_records_and_the_sme_rule(db: Any, tmp_path: Any) -> None:
    """The report reads pre-aggregated cells; a new record or a firm outgrowing the SME
    ceiling refills them, and they always equal a live aggregation."""
    from clusterhub.core.models import Organisation

    _import(tmp_path, [
        {"type": "guidance", "id": "g1", "institution": "inst-a", "year": 2004, "firm": "sme-1",
         "man_months": 1},
        {"type": "guidance", "id": "g2", "institution": "inst-a", "year": 2004, "firm": "sme-2",
         "man_months": 2}])
    assert kpi.compute().rows["inst-a"][2004]["guidance_firms"] == 2
    assert kpi.refresh_cells() is False  # fresh: nothing to do
    import_files([write_jsonl(tmp_path / "more.jsonl", [
        {"type": "guidance", "id": "g3", "institution": "inst-a", "year": 2004,
         "firm": "sme-1", "man_months": 0.5}])])
    assert kpi.compute().rows["inst-a"][2004]["guidance_man_months"] == 3.5
    firm = Organisation.objects.get(external_id="sme-2")
    firm.employees = 350
    firm.save()
    row = kpi.compute().rows["inst-a"][2004]
    assert (row["guidance_firms"], row["guidance_man_months"]) == (1, 1.5)
    assert kpi.compute().as_json() == kpi.compute(live=True).as_json()
