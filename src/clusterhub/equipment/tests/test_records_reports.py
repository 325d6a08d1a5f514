"""Import types `equipment` and `booking`, the utilisation report (worked by hand), and the
matching engine's equipment source."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clusterhub.core.importing import RecordError, export_records, import_files
from clusterhub.equipment import actions, metrics
from clusterhub.equipment.models import Booking, Compensation, Equipment, OpeningHours

from .factories import EquipmentFactory, open_weekdays, seoul

pytestmark = pytest.mark.django_db

ITEM = {"type": "equipment", "id": "utm-1", "name": "만능재료시험기 100kN", "organisation": "kitech",
        "site": "kitech-busan", "classification": "D0101", "maker": "Instron", "model": "5982",
        "acquired_year": 2019, "acquisition_value_mkrw": 320, "capabilities":
        "인장·압축·굽힘 시험, 금속 및 플라스틱 시편, 최대 하중 100kN", "modes": ["direct", "analysis"],
        "fee_krw": 60000, "sme_discount_pct": 30, "setup_minutes": 10, "cleanup_minutes": 20,
        "fields": ["casting"], "hours": [{"weekday": d, "opens": "09:00", "closes": "18:00"}
                                         for d in range(5)]}


def write(tmp_path: Path, *records: dict[str, Any]) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    return path


def test_import_equipment_and_history_round_trip(hub: Any, tmp_path: Path) -> None:
    booking = {"type": "booking", "id": "b-1", "equipment": "utm-1", "user": "sme", "firm": "f-a",
               "start": "2026-01-05T10:00:00+09:00", "end": "2026-01-05T12:00:00+09:00",
               "status": "completed", "actual_hours": 1.5, "fee_krw": 84000, "sme": True}
    result = import_files([write(tmp_path, ITEM, booking)])
    assert result.counts == {"equipment": 1, "booking": 1}
    item = Equipment.objects.get(external_id="utm-1")
    assert (item.owner, item.site, item.modes) == (hub.institute, hub.centre, ["direct", "analysis"])
    assert OpeningHours.objects.filter(site=hub.centre).count() == 5
    b = Booking.objects.get(external_id="b-1")
    assert b.blocked_start == datetime(2026, 1, 5, 0, 50, tzinfo=UTC)
    assert b.actual_hours == Decimal("1.5")
    # Used by a firm, owned by KITECH: 30% of 84,000 owed in January 2026.
    assert Compensation.objects.get(booking=b).amount_krw == Decimal("25200")
    exported = list(export_records("equipment"))
    assert exported[0]["capabilities"] == ITEM["capabilities"]
    assert list(export_records("booking"))[0]["actual_hours"] == 1.5
    import_files([write(tmp_path, *exported, *export_records("booking"))])
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("change,fieldname", [
    ({"classification": "Z99"}, "classification"),
    ({"modes": []}, "modes"),
    ({"organisation": "nowhere"}, "organisation"),
    ({"hours": [{"weekday": 9, "opens": "09:00", "closes": "18:00"}]}, "hours"),
])
def test_bad_equipment_records_name_the_field(hub: Any, tmp_path: Path, change: dict[str, Any],
                                              fieldname: str) -> None:
    with pytest.raises(RecordError) as exc:
        import_files([write(tmp_path, {**ITEM, **change})])
    assert (exc.value.field or "").startswith(fieldname) and exc.value.line == 1
    assert not Equipment.objects.exists()


def test_overlapping_history_is_refused(hub: Any, tmp_path: Path) -> None:
    one = {"type": "booking", "id": "b-1", "equipment": "utm-1", "start": "2026-01-05T10:00:00+09:00",
           "end": "2026-01-05T12:00:00+09:00", "status": "confirmed"}
    two = {**one, "id": "b-2", "start": "2026-01-05T12:10:00+09:00", "end": "2026-01-05T13:00:00+09:00"}
    with pytest.raises(Exception) as exc:
        import_files([write(tmp_path, ITEM, one, two)])
    assert "overlap" in str(exc.value) or "booking_no_overlap" in str(exc.value)
    assert not Booking.objects.exists()


def test_naive_history_times_refused(hub: Any, tmp_path: Path) -> None:
    bad = {"type": "booking", "id": "b-1", "equipment": "utm-1", "start": "2026-01-05T10:00:00",
           "end": "2026-01-05T12:00:00+09:00", "status": "completed", "actual_hours": 2}
    with pytest.raises(RecordError) as exc:
        import_files([write(tmp_path, ITEM, bad)])
    assert exc.value.field == "start"


def _history(hub: Any, staff: Any) -> tuple[Any, Any]:
    """Week of Monday 2030-03-04: two items open 9 h x 5 days = 45 h each."""
    open_weekdays(hub.centre)
    busy = EquipmentFactory(external_id="busy", owner=hub.institute, site=hub.centre,
                            training_required=False, setup_minutes=0, cleanup_minutes=0)
    idle = EquipmentFactory(external_id="idle", owner=hub.centre, site=hub.centre,
                            training_required=False)
    b1 = actions.request_booking(hub.sme, busy, start=seoul(4, 9), end=seoul(4, 17))
    actions.confirm(staff, b1)
    with pytest.raises(actions.BookingConflict):  # unmet demand
        actions.request_booking(hub.sme, busy, start=seoul(4, 10), end=seoul(4, 11))
    actions.complete(staff, b1, Decimal("7"))
    b2 = actions.request_booking(hub.other_sme, busy, start=seoul(5, 9), end=seoul(5, 13),
                                 mode="analysis")
    actions.confirm(staff, b2)
    actions.no_show(staff, b2, now=seoul(5, 10))
    b3 = actions.request_booking(hub.sme, idle, start=seoul(6, 10), end=seoul(6, 12))
    actions.confirm(staff, b3)
    actions.complete(staff, b3, Decimal("2"))
    b4 = actions.request_booking(hub.sme, idle, start=seoul(7, 10), end=seoul(7, 11))
    actions.refuse(staff, b4, "교정 일정")
    return busy, idle


def test_utilisation_worked_by_hand(hub: Any, staff: Any) -> None:
    busy, idle = _history(hub, staff)
    u = metrics.utilisation(seoul(4, 0), seoul(11, 0))
    rows = {x.key: x.row() for x in u.items}
    # busy: booked 8 + 4 = 12 of 45 h = 26.7%; ran 7 h = 15.6%; 1 no-show of 2; all SME use.
    assert rows["busy"]["available_h"] == 45 and rows["busy"]["booked_h"] == 12
    assert rows["busy"]["booked_utilisation_pct"] == 26.7
    assert rows["busy"]["operating_rate_pct"] == 15.6
    assert rows["busy"]["no_show_rate_pct"] == 50.0 and rows["busy"]["sme_share_pct"] == 100.0
    assert rows["busy"]["unmet_demand"] == 1 and rows["busy"]["idle_items"] == 0
    # idle: ran 2 of 45 h = 4.4% (< 10%: idle); one refusal is unmet demand.
    assert rows["idle"]["operating_rate_pct"] == 4.4 and rows["idle"]["idle_items"] == 1
    assert rows["idle"]["unmet_demand"] == 1
    assert [x.key for x in u.idle] == ["idle"]
    assert u.total.row()["operating_rate_pct"] == 10.0  # 9 of 90 h
    # busy is owned by KITECH, used by firms: 30% of (7 h... fee of the booked 8 h x 50,000
    # less 20% SME = 320,000) = 96,000; idle is owned by its site, used by a firm: 30% of
    # 80,000 = 24,000.
    owed = {c["owner"]: c["amount_krw"] for c in u.compensation}
    assert owed == {"kitech": 96000, "kitech-busan": 24000}
    by_region = u.by_region[0].row()
    assert (by_region["items"], by_region["actual_h"]) == (2, 9.0)


def test_utilisation_report_command(hub: Any, staff: Any, tmp_path: Path) -> None:
    from django.core.management import call_command

    _history(hub, staff)
    out = tmp_path / "u.json"
    call_command("report", "utilisation", "--from", "2030-03-04", "--to", "2030-03-11",
                 "--format", "json", "--output", str(out))
    data = json.loads(out.read_text())
    assert data["total"]["operating_rate_pct"] == 10.0
    assert [x["key"] for x in data["idle_items"]] == ["idle"]
    for fmt in ("csv", "xlsx"):
        call_command("report", "utilisation", "--from", "2030-03-04", "--to", "2030-03-11",
                     "--format", fmt, "--output", str(tmp_path / f"u.{fmt}"))
    assert "operating rate %" in (tmp_path / "u.csv").read_text("utf-8-sig")
    assert (tmp_path / "u.xlsx").read_bytes()[:2] == b"PK"


def test_dashboard_shows_idle_and_owed(client_for: Any, hub: Any, staff: Any) -> None:
    _history(hub, staff)
    page = client_for(staff).get("/equipment/utilisation/?from=2030-03-04&to=2030-03-11")
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text
    assert "96,000" in text or "96000" in text


def test_matching_source_documents_capabilities(hub: Any) -> None:
    from clusterhub.matching.sources import SOURCES

    item = EquipmentFactory(owner=hub.institute, site=hub.centre,
                            capabilities="알루미늄 다이캐스팅 부품 내부 기공 비파괴 검사")
    item.fields.set([hub.casting])
    source = SOURCES["equipment"]
    from clusterhub.matching.engine import engine

    docs = [d for chunk in source.iter_docs(engine().taxonomy, {}) for d in chunk]
    assert any("기공 비파괴 검사" in text for d in docs for text, _w in d.parts)
    found = source.hydrate([item.pk])[item.pk]
    assert (found.kind, found.id, found.region, found.fields) == (
        "equipment", item.external_id, "경남", ["casting"])
    from clusterhub.matching.models import IndexChange

    assert IndexChange.objects.filter(kind="equipment", object_id=item.pk).exists()
