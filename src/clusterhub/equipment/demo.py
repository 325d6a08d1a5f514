"""Demo equipment: ~60 items at the demo's institutes and technoparks, opening hours, training
for the demo SME user, four months of history (so that the dashboard shows idle items and the
compensation owed) and pending requests in the demo coordinator's approval queue.

Deterministic (random.Random(2006)); runs once on a fresh database (skips when items exist)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from clusterhub.core.models import Organisation

from .availability import TZ
from .models import Booking, Compensation, Equipment, OpeningHours, Training

# name, class, maker/model, capabilities, modes, fee unit, fee KRW, technician KRW/h,
# training, buffers (setup, cleanup min), campaign days
TEMPLATES: list[tuple[Any, ...]] = [
    ("3차원 측정기(CMM)", "B0101", ("Carl Zeiss", "CONTURA G2"),
     "3차원 좌표 측정, 금형·자동차 부품 치수 및 형상 공차 검사, 측정 범위 1000×1200×600mm, 정밀도 1.8㎛",
     ["direct", "analysis"], "hour", 50000, 30000, True, (15, 15), 0),
    ("만능재료시험기(UTM) 100kN", "D0101", ("Instron", "5982"),
     "인장·압축·굽힘 시험, 금속·플라스틱 시편 항복강도와 연신율 측정, KS B 0802 인장시험",
     ["direct", "analysis"], "sample", 40000, 0, True, (10, 10), 0),
    ("주조 시뮬레이션 워크스테이션", "F0101", ("MAGMA", "MAGMASOFT 6"),
     "주조 방안 설계, 응고·유동 해석, 수축공·기공 예측, 다이캐스팅 금형 온도 해석",
     ["direct", "analysis"], "hour", 30000, 40000, True, (0, 0), 0),
    ("5축 CNC 머시닝센터", "D0201", ("DMG MORI", "DMU 65 monoBLOCK"),
     "5축 동시 가공, 금형 코어·캐비티 정밀가공, 알루미늄·공구강 시제품 가공",
     ["direct", "analysis"], "hour", 70000, 35000, True, (30, 30), 0),
    ("CNC 선반", "D0202", ("Doosan", "PUMA 2600"),
     "샤프트·플랜지 선삭 가공, 외경 공차 ±5㎛ 시제품 가공", ["direct"], "hour", 40000, 0, True,
     (20, 20), 0),
    ("사출성형기 280톤", "D0301", ("LS Mtron", "WIZ-E 280"),
     "플라스틱 사출 시제품 성형, 금형 트라이아웃, PC/ABS·PA66 성형 조건 최적화, 웰드라인·휨 개선",
     ["direct", "analysis"], "hour", 60000, 30000, True, (60, 30), 0),
    ("주사전자현미경(SEM-EDS)", "A0101", ("JEOL", "JSM-IT500"),
     "파단면 관찰, 미세조직 분석, EDS 성분 분석, 도금층 두께 측정, 이물 분석",
     ["analysis"], "sample", 80000, 0, False, (15, 15), 0),
    ("X선 형광분석기(XRF)", "B0302", ("Rigaku", "ZSX Primus IV"),
     "금속·세라믹 원소 성분 분석, 도금 두께, RoHS 유해물질 스크리닝",
     ["analysis"], "sample", 50000, 0, False, (5, 5), 0),
    ("발광분광분석기(OES)", "C0101", ("SPECTRO", "SPECTROMAXx"),
     "알루미늄·주철·강 합금 성분 분석, ADC12·A356 용탕 성분 관리", ["analysis"], "sample",
     30000, 0, False, (5, 5), 0),
    ("산업용 X선 CT", "A0301", ("Nikon", "XT H 225"),
     "다이캐스팅 주조품 내부 기공·수축공 비파괴 검사, 3차원 내부 형상 측정",
     ["analysis"], "hour", 150000, 50000, False, (15, 15), 0),
    ("염수분무시험기", "G0102", ("Q-FOG", "CCT1100"),
     "염수분무 내식성 시험, 도금·도장 부식 평가, KS D 9502 중성염수분무 500시간",
     ["analysis"], "hour", 8000, 0, False, (30, 30), 0),
    ("항온항습 챔버", "G0101", ("ESPEC", "PR-3J"),
     "온도·습도 환경 신뢰성 시험, -40~150℃, 전장부품 내환경 시험", ["direct", "analysis"],
     "hour", 10000, 0, True, (30, 30), 0),
    ("진공 열처리로", "H0101", ("IPSEN", "TurboTreater"),
     "SKD61 금형강 진공 열처리, 담금질·뜨임, 열처리 균열 방지 조건 시험",
     ["analysis", "pilot"], "hour", 90000, 40000, False, (60, 120), 3),
    ("알루미늄 용해·주조 파일럿 라인", "H0102", ("KITECH", "Pilot-DC"),
     "알루미늄 합금 용해, 저압·중력 주조 파일럿 생산, 시제품 수백 개 규모 주조",
     ["pilot"], "hour", 120000, 60000, False, (120, 120), 5),
    ("금속 3D 프린터", "D0401", ("EOS", "M 290"),
     "금속 분말 적층제조(SLM), 컨포멀 냉각 금형 인서트, 티타늄·마레이징강 시제품 제작",
     ["analysis"], "hour", 100000, 40000, False, (60, 60), 0),
    ("표면조도 측정기", "B0103", ("Mitutoyo", "SJ-410"),
     "표면 거칠기 Ra·Rz 측정, 가공면·금형 연마면 조도 검사", ["direct"], "hour", 20000, 0,
     True, (5, 5), 0),
    ("경도시험기", "D0103", ("Mitutoyo", "HR-530"),
     "로크웰·비커스 경도 측정, 열처리 품질 확인", ["direct", "analysis"], "sample", 10000, 0,
     True, (5, 5), 0),
    ("열분석기(DSC)", "B0201", ("TA Instruments", "DSC 2500"),
     "고분자 용융·결정화 온도 측정, 사출 소재 열특성 분석", ["analysis"], "sample", 60000, 0,
     False, (10, 10), 0),
    ("진동시험기", "G0201", ("LDS", "V875"),
     "자동차 전장부품 진동 내구 시험, 랜덤·사인 진동", ["analysis"], "hour", 70000, 30000,
     False, (30, 30), 0),
    ("와이어 방전가공기", "D0203", ("Sodick", "ALN600G"),
     "금형 부품 정밀 와이어 방전 가공, 프레스 금형 펀치·다이 가공", ["direct", "analysis"],
     "hour", 45000, 30000, True, (20, 20), 0),
]

SITES = ["gyeongnam-tp", "gyeongnam-tp", "gyeongnam-tp", "kimm-materials", "keri",
         "kitech-macheon", "kitech-busan", "ulsan-tp", "gyeongbuk-tp", "kbsi-busan",
         "kitech-dasan", "gwangju-tp", "auto-parts-innovation-center"]
# Share of weekday half-days used: most items little, a few much (the national picture:
# half the operating rate, a quarter of items under 10 %).
USE_LEVELS = [0.03, 0.05, 0.3, 0.45, 0.55, 0.65, 0.75, 0.85]


def populate(users: dict[str, Any], stdout: Any) -> None:
    if Equipment.objects.filter(external_id__startswith="demo-").exists():
        return
    rng = random.Random(2006)
    sites = {o.external_id: o for o in Organisation.objects.filter(external_id__in=set(SITES))}
    site_list = [sites[s] for s in SITES if s in sites]
    if not site_list:
        stdout.write("equipment demo: none of the demo sites exists; skipped\n")
        return
    with transaction.atomic():
        items = _items(rng, site_list)
        _hours(site_list)
        _training(users, items)
        n_hist = _history(rng, items)
        n_pending = _pending(users, items)
    stdout.write(f"equipment demo: {len(items)} items, {n_hist} past bookings, "
                 f"{n_pending} requests waiting for approval\n")


def _items(rng: random.Random, sites: list[Organisation]) -> list[Equipment]:
    rows = []
    for n in range(60):
        t = TEMPLATES[n % len(TEMPLATES)]
        name, cls, (maker, model), caps, modes, unit, fee, tech, training, (setup, cleanup), days = t
        site = sites[(n * 7 + n // len(TEMPLATES)) % len(sites)]
        owner = site.parent if site.parent_id else site
        rows.append(Equipment(
            external_id=f"demo-{n + 1:03d}", name=f"{name} #{n // len(TEMPLATES) + 1}",
            owner=owner, site=site, classification=cls, maker=maker, model_name=model,
            acquired_year=rng.randint(2008, 2024),
            acquisition_value_mkrw=Decimal(rng.choice([80, 150, 240, 380, 520, 900])),
            capabilities=caps, modes=modes, fee_unit=unit, fee_krw=Decimal(fee),
            operator_fee_krw=Decimal(tech), sme_discount_pct=Decimal(rng.choice([20, 30, 50])),
            training_required=training, requires_approval=n % 3 != 2,
            setup_minutes=setup, cleanup_minutes=cleanup, min_minutes=30,
            max_minutes=8 * 60, notice_hours=rng.choice([0, 24, 48]), campaign_max_days=days,
            status="maintenance" if n in (17, 44) else "available"))
    Equipment.objects.bulk_create(rows)
    items = list(Equipment.objects.filter(external_id__startswith="demo-").order_by("external_id"))
    from clusterhub.matching.signals import record_changes

    record_changes("equipment", [e.pk for e in items])
    return items


def _hours(sites: list[Organisation]) -> None:
    rows = []
    for site in {s.pk: s for s in sites}.values():
        if OpeningHours.objects.filter(site=site).exists():
            continue
        rows += [OpeningHours(site=site, weekday=wd, opens=time(9), closes=time(18))
                 for wd in range(5)]
        if site.external_id.endswith("-tp"):
            rows.append(OpeningHours(site=site, weekday=5, opens=time(9), closes=time(13)))
    OpeningHours.objects.bulk_create(rows)


def _training(users: dict[str, Any], items: list[Equipment]) -> None:
    sme = users.get("sme")
    if sme is None:
        return
    Training.objects.bulk_create([Training(user=sme, equipment=e) for e in items
                                  if e.training_required and e.site.region_id
                                  and e.site.region_id == getattr(
                                      sme.profile.organisation, "region_id", None)][:8])


def _history(rng: random.Random, items: list[Equipment]) -> int:
    from clusterhub.core.sme import is_sme

    firms = list(Organisation.objects.firms().order_by("external_id")[:80])
    today = timezone.now().astimezone(TZ).date()
    first = today - timedelta(days=120)
    rows: list[Booking] = []
    for e in items:
        level = rng.choice(USE_LEVELS)
        day = first
        while day < today - timedelta(days=1):
            if day.weekday() < 5:
                slots = ((9, 17),) if e.setup_minutes + e.cleanup_minutes > 60 else (
                    (9, 12), (13, 17))
                for h0, h1 in slots:
                    if rng.random() >= level:
                        continue
                    rows.append(_past(rng, e, day, h0, h1, firms, is_sme))
            day += timedelta(days=1)
    Booking.objects.bulk_create(rows, batch_size=1000)
    done = Booking.objects.filter(equipment__in=items, status="completed").select_related(
        "equipment")
    Compensation.objects.bulk_create([
        Compensation(booking=b, owner_id=b.equipment.owner_id,
                     period=b.start.astimezone(TZ).strftime("%Y-%m"), hours=b.actual_hours or 0,
                     amount_krw=((b.fee_krw - b.discount_krw) * b.equipment.compensation_pct
                                 / 100).quantize(Decimal("1")))
        for b in done if b.firm_id and b.firm_id != b.equipment.owner_id], batch_size=1000)
    return len(rows)


def _past(rng: random.Random, e: Equipment, day: date, h0: int, h1: int,
          firms: list[Organisation], is_sme: Any) -> Booking:
    # The use with its buffers fits in [h0, h1) of the Seoul day.
    start = datetime.combine(day, time(h0), TZ).astimezone(UTC) + timedelta(minutes=e.setup_minutes)
    end = datetime.combine(day, time(h1), TZ).astimezone(UTC) - timedelta(minutes=e.cleanup_minutes)
    firm = rng.choice(firms) if firms else None
    sme = bool(firm and is_sme(firm))
    roll = rng.random()
    status = ("completed" if roll < 0.8 else "no_show" if roll < 0.87
              else "cancelled" if roll < 0.95 else "refused")
    hours = Decimal((end - start).total_seconds() / 3600)
    fee = (e.fee_krw * (hours if e.fee_unit == "hour" else rng.randint(1, 6))).quantize(Decimal("1"))
    discount = (fee * e.sme_discount_pct / 100).quantize(Decimal("1")) if sme else Decimal(0)
    created = start - timedelta(days=rng.randint(2, 14), hours=rng.randint(0, 8))
    actual = (hours * Decimal(rng.choice([0.6, 0.8, 0.9, 1.0]))).quantize(Decimal("0.01"))
    return Booking(
        equipment=e, firm=firm, mode=e.modes[0], purpose="시제품 시험", start=start, end=end,
        blocked_start=start - timedelta(minutes=e.setup_minutes),
        blocked_end=end + timedelta(minutes=e.cleanup_minutes), status=status,
        created_at=created,
        confirmed_at=(created + timedelta(hours=rng.choice([0, 2, 5, 20, 48])))
        if status != "refused" else None,
        finished_at=end if status in ("completed", "no_show") else created + timedelta(days=1),
        actual_hours=actual if status == "completed" else None, fee_krw=fee,
        discount_krw=discount, total_krw=fee - discount, sme=sme,
        reason="장비 점검 일정" if status == "refused" else "")


def _pending(users: dict[str, Any], items: list[Equipment]) -> int:
    """Requests of the demo SME users for the demo coordinator's items, next week."""
    from . import actions

    coord = users.get("coordinator")
    org_id = getattr(getattr(coord, "profile", None), "organisation_id", None)
    mine = [e for e in items if org_id in (e.owner_id, e.site_id) and e.requires_approval
            and e.status == "available" and "analysis" in e.modes]
    today = timezone.now().astimezone(TZ).date()
    monday = today + timedelta(days=7 - today.weekday() + 7)
    n = 0
    for i, e in enumerate(mine[:6]):
        user = users.get("sme") if i % 2 == 0 else users.get("sme_other")
        if user is None:
            continue
        day = monday + timedelta(days=i % 5)
        start = datetime.combine(day, time(10), TZ)
        actions.request_booking(user, e, start=start, end=start + timedelta(hours=2),
                                mode="analysis", purpose="신제품 시제품 측정 의뢰")
        n += 1
    return n
