"""Import of historical workspaces, jobs, stages, waiting intervals and logistics events: all or
nothing, errors naming file, line, field and reason."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clusterhub.collab import kpis
from clusterhub.collab.models import Job, JobStage, LogisticsEvent, WaitingInterval, Workspace
from clusterhub.core.importing import RecordError, export_records, import_files

GOOD = [
    {"type": "workspace", "id": "ws-hist", "name": "금형생산 협업센터", "lead_firm": "lead",
     "source": "seed l.3213-3214"},
    {"type": "mould_job", "id": "hj-1", "workspace": "ws-hist", "code": "H-2004-01",
     "title": "휴대폰 케이스 금형", "kind": "injection_mould", "supplier": "f-a",
     "ordered_on": "2004-03-01", "due_on": "2004-05-20", "delivered_on": "2004-05-30",
     "status": "delivered"},
    {"type": "job_stage", "id": "hj-1-t0", "job": "hj-1", "seq": 1, "code": "t0",
     "name": "T0 시사출", "phase": "after_steel", "is_trial": True, "responsible": "f-a",
     "planned_start": "2004-05-01", "planned_end": "2004-05-02", "actual_start": "2004-05-03",
     "actual_end": "2004-05-04", "status": "done", "evidence_kind": "file",
     "evidence_label": "T0 보고서", "evidence_record": "T0-보고서-17"},
    {"type": "job_stage", "id": "hj-1-approval", "job": "hj-1", "seq": 2, "code": "approval",
     "name": "승인", "phase": "after_steel", "responsible": "lead",
     "planned_start": "2004-05-10", "planned_end": "2004-05-12", "actual_start": "2004-05-20",
     "actual_end": "2004-05-25", "status": "done", "evidence_label": "승인서",
     "evidence_record": "승인-2004-9"},
    {"type": "job_wait", "id": "hw-1", "job": "hj-1", "started_on": "2004-03-05",
     "ended_on": "2004-03-15", "reason": "고객 제품 데이터 대기"},
    {"type": "job_event", "id": "he-1", "job": "hj-1", "kind": "shipment", "on": "2004-05-28",
     "organisation": "f-a", "carrier": "화물"},
]


def _write(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "collab.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                    encoding="utf-8")
    return path


def test_import_historical_job_and_its_kpis(world: Any, tmp_path: Path) -> None:
    result = import_files([_write(tmp_path, GOOD)])
    assert result.counts == {"workspace": 1, "mould_job": 1, "job_stage": 2, "job_wait": 1,
                             "job_event": 1}
    ws = Workspace.objects.get(external_id="ws-hist")
    k = kpis.compute(ws, date(2004, 1, 1), date(2004, 12, 31))
    # 03-01 -> 05-30 = 90 days gross, 10 waiting, net 80, late (due 05-20); T0 05-03 ->
    # buy-off 05-25 = 22 days.
    assert [(j.gross_days, j.waiting_days, j.net_days, j.on_time, j.trial_days)
            for j in k.jobs] == [(90, 10, 80, False, 22)]
    exported = list(export_records("mould_job"))
    assert exported[0]["code"] == "H-2004-01" and exported[0]["original_due_on"] == "2004-05-20"
    assert import_files([_write(tmp_path, GOOD)]).updated == 6  # the same file again: no change


@pytest.mark.parametrize("index,change,field,reason", [
    (1, {"due_on": "2004-02-01"}, "due_on", "before ordered_on"),
    (1, {"workspace": "nowhere"}, "workspace", "unknown workspace 'nowhere'"),
    (1, {"status": "open"}, "status", "must be delivered"),
    (1, {"kind": "press_die"}, "kind", "Input should be"),
    (2, {"evidence_record": ""}, "evidence_record", "a done stage needs"),
    (2, {"actual_start": "2004-05-09"}, "actual_end", "needs an actual_start"),
    (4, {"ended_on": "2004-03-01"}, "ended_on", "before started_on"),
    (5, {"kind": "lost"}, "kind", "Input should be"),
    (5, {"colour": "red"}, "colour", "unknown field"),
])
def test_import_errors_write_nothing(world: Any, tmp_path: Path, index: int,
                                     change: dict[str, Any], field: str, reason: str) -> None:
    records = [dict(r) for r in GOOD]
    records[index].update(change)
    with pytest.raises(RecordError) as exc:
        import_files([_write(tmp_path, records)])
    assert exc.value.line == index + 1
    assert exc.value.field == field and reason in exc.value.reason
    assert not Workspace.objects.filter(external_id="ws-hist").exists()
    assert (Job.objects.count(), JobStage.objects.filter(job__code="H-2004-01").count(),
            WaitingInterval.objects.count(), LogisticsEvent.objects.count()) == (1, 0, 0, 0)
