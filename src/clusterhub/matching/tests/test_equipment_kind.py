"""The equipment kind registered by the equipment app is indexed like the built-in kinds: new
items are found through the change journal at once, and a full build writes their index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clusterhub.core.models import Organisation
from clusterhub.equipment.tests.factories import EquipmentFactory
from clusterhub.matching import engine
from clusterhub.matching.engine import match

from .demo import demo  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def _items() -> tuple[Any, Any]:
    org = Organisation.objects.get(external_id="kitech-macheon")
    xray = EquipmentFactory(owner=org, site=org, name="산업용 X선 CT",
                            capabilities="주조품 내부 기공 및 수축공 비파괴 검사, 3차원 단층 촬영")
    cmm = EquipmentFactory(owner=org, site=org)  # a coordinate measuring machine
    return xray, cmm


def test_equipment_is_found_by_what_it_must_do_before_and_after_a_rebuild() -> None:
    xray, cmm = _items()
    found = [m.id for m in match("알루미늄 주조품 내부 기공 검사", kinds=("equipment",), limit=5)]
    assert found[0] == xray.external_id  # through the change journal, before any rebuild
    build = engine.run_build()
    assert (Path(build.path) / "equipment" / "meta.json").exists()
    engine.reset_engine()
    found = [m.id for m in match("금형 부품 치수 측정", kinds=("equipment",), limit=5)]
    assert found[0] == cmm.external_id
    results = match("주조품 기공 비파괴 검사", kinds=("equipment", "case"), limit=10)
    assert {"equipment", "case"} <= {m.kind for m in results}  # one list across kinds


def test_a_retired_item_is_not_proposed(demo: Any) -> None:  # noqa: F811
    xray, _cmm = _items()
    xray.status = "retired"
    xray.save()
    found = [m.id for m in match("주조품 내부 기공 비파괴 검사", kinds=("equipment",), limit=5)]
    assert xray.external_id not in found
