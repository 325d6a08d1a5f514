"""Design-support statistics by region and year (Table 4-9) from the hub's own runs."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from clusterhub.simulation import stats
from clusterhub.simulation.models import SimulationRun

pytestmark = pytest.mark.django_db


def _run(hub, firm, title, year, status="succeeded"):  # type: ignore[no-untyped-def]
    return SimulationRun.objects.create(
        owner=hub.sme, organisation=firm, region=firm.region, title=title, geometry="box",
        alloy="A356", mould="silica_sand", pouring_temperature=700, mesh_mm=4, status=status,
        error="solver diverged" if status == "failed" else "",
        created_at=timezone.make_aware(datetime(year, 6, 1, 12)))


@pytest.fixture
def history(hub):  # type: ignore[no-untyped-def]
    # 2004, region A: firm A with two products (one of them run twice), region B: firm B, one
    _run(hub, hub.firm, "하우징", 2004)
    _run(hub, hub.firm, "하우징 ", 2004)  # the same product again
    _run(hub, hub.firm, "브래킷", 2004)
    _run(hub, hub.other_firm, "밸브 바디", 2004)
    _run(hub, hub.other_firm, "밸브 바디", 2005)
    _run(hub, hub.firm, "실패한 해석", 2004, status="failed")  # not counted
    return hub


def test_firms_and_products_by_region_and_year_by_hand(history):
    table = stats.hub_table()
    got = [(r["year"], r["region"], r["firms"], r["products"], r["runs"]) for r in table.rows]
    assert got == [(2004, "경상남도", 1, 2, 3), (2004, "경상북도", 1, 1, 1), (2005, "경상북도", 1, 1, 1)]
    assert stats.yearly_totals(table)[2004] == {"firms": 2, "products": 3, "runs": 4}


def test_the_seed_table_as_printed_33_firms_and_68_products():
    seed = stats.seed_table()
    assert sum(r["firms"] for r in seed["rows"]) == seed["total"]["firms"] == 33
    # the printed total (and the text, l.3163-3164) says 68; the region rows add up to 70
    assert seed["total"]["cases"] == 68 and sum(r["cases"] for r in seed["rows"]) == 70
    assert "70" in seed["note"]
    assert all(3173 <= r["line"] <= 3185 for r in seed["rows"])


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_report_command(history, fmt, tmp_path):
    out = tmp_path / f"r.{fmt}"
    call_command("report", "design-support", "--from", "2004-01-01", "--to", "2004-12-31",
                 "--format", fmt, "--output", str(out), stderr=StringIO())
    data = out.read_bytes()
    if fmt == "json":
        d = json.loads(data)
        assert [r["year"] for r in d["hub"]] == [2004, 2004] and d["totals"]["2004"]["products"] == 3
        assert d["seed_table_4_9"]["total"]["cases"] == 68
    elif fmt == "csv":
        assert "경상남도" in data.decode("utf-8-sig") and "2005" not in data.decode("utf-8-sig")
    else:
        assert data[:2] == b"PK"


def test_statistics_page_shows_both_tables(history, client_for):
    r = client_for(history.coordinator).get("/simulation/statistics/")
    html = r.content.decode()
    assert "경인지역(경서)" in html and "경상북도" in html and "<svg" in html
    csv = client_for(history.coordinator).get("/simulation/statistics/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")


def test_statistics_page_notes_in_korean(history, client_for, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "ko"
    with translation.override("ko"):
        html = client_for(history.coordinator).get(
            "/simulation/statistics/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "지원 건수는 70건(44 + 14 + 5 + 7)" in html and "기관평가보고서, p.181" in html
    assert "Transcribed as printed" not in html and "/work/shared" not in html
    seed = stats.seed_table()
    assert "70" in seed["note_ko"] and "68" in seed["note_ko"]
