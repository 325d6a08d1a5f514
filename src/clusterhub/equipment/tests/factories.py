"""Factories of the equipment tests."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import factory

from clusterhub.equipment.models import Equipment, OpeningHours

SEOUL = ZoneInfo("Asia/Seoul")
MONDAY = datetime(2030, 3, 4).date()  # a Monday, far enough ahead for every rule


def seoul(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant on 2030-03-(day) at hour:minute Seoul time (4 = Monday)."""
    return datetime(2030, 3, day, hour, minute, tzinfo=SEOUL)


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment

    external_id = factory.Sequence(lambda n: f"eq-{n}")
    name = factory.Sequence(lambda n: f"3차원 측정기 {n}")
    classification = "B0101"
    maker = "Carl Zeiss"
    model_name = "CONTURA"
    capabilities = "3차원 좌표 측정, 금형 부품 치수 검사, 형상 공차 측정 (정밀도 2㎛)"
    modes = ["direct", "analysis"]
    fee_krw = Decimal("50000")
    operator_fee_krw = Decimal("30000")
    sme_discount_pct = Decimal("20")
    training_required = True
    requires_approval = True
    setup_minutes = 15
    cleanup_minutes = 15
    min_minutes = 30
    max_minutes = 8 * 60


def open_weekdays(site: Any, opens: time = time(9), closes: time = time(18)) -> None:
    for wd in range(5):
        OpeningHours.objects.get_or_create(site=site, weekday=wd, opens=opens,
                                           defaults={"closes": closes})
