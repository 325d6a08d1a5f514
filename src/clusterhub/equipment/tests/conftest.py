"""Fixtures of the equipment tests.

The hub (clusterhub.testing.build_hub) gives the personas. The item `machine` is owned by
`hub.institute` (KITECH) and sited at `hub.centre` (its Busan centre), open Monday-Friday
09:00-18:00 Seoul time, 15-minute buffers either side, approval required. `hub.sme` is trained
on it. A coordinator of the centre manages it; `hub.coordinator` (of the desk) does not.
"""

from __future__ import annotations

from typing import Any

import pytest

from clusterhub.testing import make_user

from .factories import EquipmentFactory, open_weekdays

PERSONAS = ["sme", "other_sme", "expert", "other_expert", "coordinator", "other_coordinator",
            "staff", "admin", "analyst", "anonymous"]


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def staff(hub: Any) -> Any:
    """A coordinator of the machine's site: its owner-side staff."""
    return make_user("centre-staff", "coordinator", hub.centre)


@pytest.fixture
def machine(hub: Any) -> Any:
    from clusterhub.equipment.models import Training

    open_weekdays(hub.centre)
    item = EquipmentFactory(external_id="cmm-1", owner=hub.institute, site=hub.centre)
    Training.objects.create(user=hub.sme, equipment=item)
    return item


@pytest.fixture
def user_of(hub: Any, staff: Any) -> Any:
    def get(persona: str) -> Any:
        return {
            "sme": hub.sme, "other_sme": hub.other_sme, "expert": hub.expert_user,
            "other_expert": hub.other_expert_user, "coordinator": hub.coordinator,
            "other_coordinator": hub.other_coordinator, "staff": staff, "admin": hub.admin,
            "analyst": hub.analyst, "anonymous": None,
        }[persona]
    return get
