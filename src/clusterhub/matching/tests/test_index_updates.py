"""The persisted index: built to files, loaded (memory-mapped) without rebuilding, current
under creates, updates and deletes, rebuilt by a background task with progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clusterhub.core.models import Expert, Organisation, TechField
from clusterhub.matching import engine
from clusterhub.matching.engine import match
from clusterhub.matching.models import IndexBuild, IndexChange
from clusterhub.support.models import SolvedCase

from .demo import demo  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

WORD = "플라즈마전해산화"  # in no demo document


def ids(text: str, kind: str) -> list[str]:
    return [m.id for m in match(text, kinds=(kind,), limit=10)]


def test_the_build_is_on_disk_and_loads_without_rebuilding(demo: Any) -> None:  # noqa: F811
    root = Path(demo.path)
    for kind in ("expert", "organisation", "case", "request"):
        assert (root / kind / "meta.json").exists()
    assert (root / "expert" / "bm25" / "params.index.json").exists()
    meta = json.loads((root / "case" / "meta.json").read_text())
    assert meta["n_docs"] == SolvedCase.objects.count()
    builds = IndexBuild.objects.count()
    engine.reset_engine()  # a new process
    assert match("다이캐스팅 기공", kinds=("case",), limit=1)
    assert IndexBuild.objects.count() == builds  # loaded, not rebuilt
    eng = engine.engine()
    assert eng.build_path == demo.path
    assert isinstance(eng.indexes["case"].data, np.memmap)  # bm25s mmap load


def test_a_new_expert_appears_and_a_deleted_one_never_does() -> None:
    org = Organisation.objects.get(external_id="kitech-macheon")
    expert = Expert.objects.create(external_id="e-new", name="신규전문가", organisation=org,
                                   keywords=[WORD], capacity=3)
    assert engine.index_status()["pending_by_kind"].get("expert") == 1
    assert ids(WORD, "expert")[0] == "e-new"
    expert.keywords = ["마이크로아크산화"]
    expert.save()
    assert "e-new" not in ids(WORD, "expert")
    assert ids("마이크로아크산화", "expert")[0] == "e-new"
    expert.delete()
    assert "e-new" not in ids("마이크로아크산화", "expert")


def test_a_deleted_expert_of_the_build_never_appears() -> None:
    first = match("도금 밀착 박리", kinds=("expert",), limit=1)[0]
    Expert.objects.filter(pk=first.pk).delete()  # a queryset delete sends the signal too
    assert first.id not in [m.id for m in match("도금 밀착 박리", kinds=("expert",), limit=50)]


def test_changed_fields_count_at_once() -> None:
    expert = Expert.objects.create(external_id="e-f", name="분야전문가",
                                   organisation=Organisation.objects.get(external_id="kitech"))
    assert "e-f" not in ids("이온질화 백층", "expert")
    expert.fields.add(TechField.objects.get(external_id="heat_treatment-nitriding"))
    m = next(m for m in match("이온질화 백층", kinds=("expert",), limit=50) if m.id == "e-f")
    assert "같은 분야: 질화" in m.reasons


def test_cases_are_current_too() -> None:
    case = SolvedCase.objects.create(external_id="c-new", title=f"{WORD} 피막 개선",
                                     problem=f"{WORD} 피막 균일도", solution="전해액 조정",
                                     support_type="guidance", year=2024)
    assert ids(WORD, "case") == ["c-new"]
    SolvedCase.objects.filter(pk=case.pk).update(title="x")  # no signal, but still current:
    assert match(WORD, kinds=("case",), limit=1)[0].name == "x"  # names come from the database
    case.delete()
    assert ids(WORD, "case") == []


def test_an_organisation_rename_reaches_it_and_its_experts() -> None:
    org = Organisation.objects.get(external_id="kitech-macheon")
    org.name = f"{WORD} 센터"
    org.save()
    assert "kitech-macheon" in ids(WORD, "organisation")
    assert set(ids(WORD, "expert")) >= set(org.experts.values_list("external_id", flat=True))


def test_bulk_imports_are_recorded(tmp_path: Path) -> None:
    from clusterhub.core.importing import import_files

    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps({
        "type": "expert", "id": "e-imported", "name": "가져온전문가",
        "organisation": "kitech-macheon", "keywords": [WORD], "fields": ["casting"],
    }, ensure_ascii=False) + "\n", encoding="utf-8")
    import_files([path])
    assert ids(WORD, "expert") == ["e-imported"]


def test_rolled_back_changes_leave_the_index_as_built() -> None:
    # The previous tests' experts and cases were rolled back: nothing of them is left.
    assert ids(WORD, "expert") == [] and ids(WORD, "case") == []
    assert engine.index_status()["pending_changes"] == 0


def test_rebuild_task_with_progress(django_capture_on_commit_callbacks: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from clusterhub.matching.tasks import rebuild_index

    Expert.objects.create(external_id="e-r", name="재구축", keywords=[WORD],
                          organisation=Organisation.objects.get(external_id="kitech"))
    with django_capture_on_commit_callbacks(execute=True):
        build = engine.request_rebuild()
    assert build.status == IndexBuild.Status.QUEUED
    assert engine.request_rebuild().pk == build.pk  # one at a time
    assert DBTaskResult.objects.filter(task_path__endswith="rebuild_index").exists()
    assert engine.index_status()["rebuild"]["status"] == "queued"
    assert "documents" in rebuild_index.call(build.pk)
    build.refresh_from_db()
    assert build.status == IndexBuild.Status.DONE and build.progress == 1.0
    assert build.total == build.done > 0
    assert not IndexChange.objects.exists()  # included in the build
    assert ids(WORD, "expert") == ["e-r"]
    assert engine.engine().build_path == build.path
    assert rebuild_index.call(build.pk) == "skipped"


def test_many_changes_queue_a_rebuild(settings: Any) -> None:
    settings.CLUSTERHUB_MATCH_WEIGHTS = {**settings.CLUSTERHUB_MATCH_WEIGHTS,
                                         "delta_rebuild_min": 1, "delta_rebuild_share": 0}
    org = Organisation.objects.get(external_id="kitech")
    for n in range(3):
        Expert.objects.create(external_id=f"e-m{n}", name=f"다수{n}", organisation=org)
    match("주조", kinds=("expert",), limit=1)
    assert IndexBuild.objects.filter(status=IndexBuild.Status.QUEUED).exists()


def test_a_solved_case_reaches_its_experts_documents() -> None:
    expert = Expert.objects.create(external_id="e-c", name="사례전문가",
                                   organisation=Organisation.objects.get(external_id="kitech"))
    case = SolvedCase.objects.create(external_id="c-e", title=f"{WORD} 공정 개선",
                                     problem="피막", solution="조건 변경",
                                     support_type="guidance", year=2024)
    assert "e-c" not in ids(WORD, "expert")
    case.experts.add(expert)
    assert ids(WORD, "expert") == ["e-c"]
    case.experts.remove(expert)
    assert "e-c" not in ids(WORD, "expert")


def test_too_many_changes_for_an_overlay(settings: Any) -> None:
    settings.CLUSTERHUB_MATCH_WEIGHTS = {**settings.CLUSTERHUB_MATCH_WEIGHTS,
                                         "delta_rebuild_min": 1, "delta_rebuild_share": 0}
    org = Organisation.objects.get(external_id="kitech")
    for n in range(6):
        Expert.objects.create(external_id=f"e-o{n}", name=f"초과{n}", keywords=[WORD],
                              organisation=org)
    # A web process: the build is used as it is, a rebuild is queued.
    assert ids(WORD, "expert") == []
    assert IndexBuild.objects.filter(status=IndexBuild.Status.QUEUED).exists()
    # A command rebuilds at once.
    eng = engine.engine()
    eng.inline_rebuild = True
    try:
        assert len(ids(WORD, "expert")) == 6
        assert engine.index_status()["pending_changes"] == 0
    finally:
        eng.inline_rebuild = False
