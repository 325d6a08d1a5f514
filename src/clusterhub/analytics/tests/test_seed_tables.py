"""The KPI report reproduces the seed's Tables 4-2 to 4-7 cell by cell from activity records,
and the 2004 totals of l.2313-2330."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command

from clusterhub.analytics import kpi
from clusterhub.analytics.reference import generate


def test_report_reproduces_tables_4_2_to_4_7_cell_by_cell(seed_records: dict[str, Any]) -> None:
    result = kpi.compute()
    years = seed_records["years"]
    checked = 0
    for inst, spec in seed_records["institutes"].items():
        assert sorted(result.rows[inst]) == years, inst
        for metric, cells in spec["values"].items():
            for year, expected in zip(years, cells, strict=True):
                got = result.rows[inst][year][metric]
                assert got == expected, f"{spec['table']} {inst} {year} {metric}: {got} != {expected}"
                checked += 1
    assert checked == 6 * 16 * 5
    # The pre-aggregated cells the report reads equal a live aggregation of the records.
    assert kpi.compute(live=True).as_json() == result.as_json()
    # The seed's "-" stays "not reported", never 0.
    assert result.rows["etri"][2004]["trainees"] is None
    assert result.rows["krict"][2002]["training_smes"] is None


def test_2004_totals_match_the_seed_prose(seed_records: dict[str, Any]) -> None:
    totals = kpi.compute(year_from=2004, year_to=2004).totals()[2004]
    t = totals["values"]
    assert (t["joint_rnd_projects"], t["joint_rnd_smes"]) == (700, 1168)
    # 100 M KRW = 1 억원; the prose truncates to whole 억.
    assert t["joint_rnd_total_mkrw"] == 471096  # "약 4,700억원"
    assert round(t["joint_rnd_gov_mkrw"] / t["joint_rnd_total_mkrw"], 2) == 0.83  # "약 80%"
    assert (t["contract_research_jobs"], t["contract_research_smes"]) == (295, 281)
    assert t["contract_research_mkrw"] // 100 == 183
    assert t["transfers"] == 331
    assert t["royalty_contracted_mkrw"] // 100 == 134
    assert t["royalty_received_mkrw"] // 100 == 106
    assert t["guidance_firms"] == 730
    # The prose says 3,671 trainees; the tables add up to 3,607 (the data file notes it).
    assert t["trainees"] == seed_records["totals_2004"]["trainees_tables"] == 3607
    assert totals["missing"]["trainees"] == ["etri", "krict"]


def test_non_smes_are_left_out(seed_records: dict[str, Any]) -> None:
    """Each institute-year also has a large-firm project, job, transfer, guidance and a course
    of a 50-person service firm; the figures above already show they are not counted. Here:
    the records are really there."""
    from clusterhub.analytics.models import Guidance, JointRnd, Training

    assert JointRnd.objects.filter(external_id="kitech-2004-jr-large").exists()
    assert Guidance.objects.filter(firm__external_id__startswith="seed-large").count() == 30
    assert Training.objects.filter(firms__external_id__startswith="seed-service").count() == 24


def test_generator_is_deterministic_and_matches_the_shipped_files(tmp_path: Any) -> None:
    generate.main(tmp_path)
    for name in ("seed_firms.jsonl", "seed_activities.jsonl"):
        assert (tmp_path / name).read_bytes() == (generate.HERE / name).read_bytes(), name


def test_cli_json_shape(seed_records: dict[str, Any], tmp_path: Any) -> None:
    out = tmp_path / "kpi.json"
    call_command("report", "kpi", "--institution", "kfri", "--from", "2003", "--to", "2004",
                 "--format", "json", "--output", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == ["kfri"]
    assert list(data["kfri"]) == ["2003", "2004"]
    assert data["kfri"]["2004"]["trainees"] == 1016
    assert data["kfri"]["2004"]["guidance_man_months"] == 74
    assert list(data["kfri"]["2004"]) == kpi.METRIC_KEYS


def test_cli_bad_options(db: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown institution 'nowhere'"):
        call_command("report", "kpi", "--institution", "nowhere", "--format", "json")
    with pytest.raises(CommandError, match="--from 2005 is after --to 2004"):
        call_command("report", "kpi", "--from", "2005", "--to", "2004", "--format", "csv")
