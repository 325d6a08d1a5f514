"""clusterhub demo-data: a realistic demo dataset, demo logins, and requests in every state."""

from __future__ import annotations

import importlib
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

import clusterhub.core.demo_data as demo_data
from clusterhub.core.actions import create_user
from clusterhub.core.importing import RecordError, import_files
from clusterhub.core.models import Expert, Organisation

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference"
DEMO_PASSWORD = "clusterhub-demo"

# Open requests of the demo, each walked to the status named first.
DEMO_REQUESTS: list[dict[str, Any]] = [
    {"to": "submitted", "title": "ADC12 다이캐스팅 하우징 기공으로 기밀 불량",
     "description": "자동차 변속기 하우징(ADC12) 두께 변화부에서 기공이 생겨 기밀시험 불량률이 "
                    "12%까지 올라갔습니다. 금형 온도와 사출 속도를 바꿔봤지만 효과가 없습니다.",
     "support_type": "guidance", "fields": ["casting"], "age_days": 6},
    {"to": "submitted", "title": "사출 제품 웰드라인 및 휨 발생",
     "description": "PC/ABS 커버 사출품에 웰드라인이 보이고 탈형 후 0.8mm 휨이 생깁니다. "
                    "게이트 위치 변경 검토를 요청합니다.",
     "support_type": "guidance", "fields": ["mould"], "age_days": 1},
    {"to": "triaged", "title": "SKD61 금형 열처리 후 균열",
     "description": "다이캐스팅 금형(SKD61) 진공 열처리 후 코너부에 미세 균열이 발견됩니다. "
                    "열처리 조건과 템퍼링 횟수에 대한 자문이 필요합니다.",
     "support_type": "testing", "fields": ["heat_treatment"], "age_days": 9},
    {"to": "assigned", "title": "A356 휠 주조품 수축공 저감",
     "description": "저압주조 A356 알루미늄 휠 스포크 연결부에 수축공이 발생합니다. "
                    "응고 해석으로 원인을 찾고 싶습니다.",
     "support_type": "joint_rnd", "fields": ["casting"], "age_days": 12},
    {"to": "in_progress", "title": "SUS304 용접부 변색 및 부식",
     "description": "SUS304 배관 TIG 용접부가 변색되고 염수분무 시험에서 부식이 발생합니다.",
     "support_type": "guidance", "fields": ["welding"], "age_days": 30},
    {"to": "resolved", "title": "도금 밀착력 불량(박리) 원인 분석",
     "description": "아연-니켈 도금 후 굽힘 시험에서 박리가 발생합니다. 전처리 공정 점검이 필요합니다.",
     "support_type": "testing", "fields": ["surface_treatment"], "age_days": 40},
    {"to": "outcome_recorded", "title": "프레스 금형 버 발생 개선",
     "description": "브래킷 프레스 금형에서 버가 0.2mm 이상 발생해 후가공 비용이 늘었습니다.",
     "support_type": "guidance", "fields": ["mould"], "age_days": 60},
    {"to": "closed", "title": "정밀가공 부품 치수 편차 개선",
     "description": "CNC 선반 가공 샤프트의 외경 편차가 ±15㎛로 관리 한계를 벗어납니다.",
     "support_type": "guidance", "fields": ["precision_machining"], "age_days": 120},
    {"to": "withdrawn", "title": "시작품 3D 프린팅 의뢰",
     "description": "신제품 하우징 시작품 5개를 금속 3D 프린팅으로 제작하고 싶습니다.",
     "support_type": "prototype", "fields": ["additive_manufacturing"], "age_days": 20},
    {"to": "rejected", "title": "마케팅 대행 요청",
     "description": "해외 전시회 마케팅 대행사를 소개해 주세요.",
     "support_type": "consulting", "fields": [], "age_days": 15},
]

STEPS = ["submitted", "triaged", "assigned", "in_progress", "resolved", "outcome_recorded",
         "closed"]


class Command(BaseCommand):
    help = "Load the demo dataset (firms, experts, 200+ solved cases), demo users and requests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2006)

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's workflows notify people who do not exist: keep those e-mails in memory
        # instead of printing hundreds of them (or sending them through a configured server).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            self._load(options)
            self.stdout.write(f"({len(mail.outbox)} notification e-mails of the demo not sent)")

    def _load(self, options: dict[str, Any]) -> None:
        path = Path(settings.DATA_DIR) / "demo.jsonl"
        demo_data.write(path, REFERENCE_DIR, options["seed"])
        try:
            result = import_files([path], stream=sys.stderr)
        except RecordError as exc:
            self.stderr.write(f"demo data failed to load: {exc}")
            sys.exit(2)
        self.stdout.write(f"demo data: {result.total} records")
        users = self._users()
        self._requests(users)
        # Each app may add its own demo (equipment, workspaces, analytics records...): a
        # ``demo`` module with ``populate(users, stdout)`` in the app's package.
        for config in apps.get_app_configs():
            if config.name.startswith("clusterhub.") and config.name != "clusterhub.core":
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                module.populate(users, self.stdout)
        self.stdout.write(f"\nDemo logins (password: {DEMO_PASSWORD})")
        for role, user in users.items():
            org = user.profile.organisation
            self.stdout.write(f"  {role:12} {user.username:14} {org.name if org else ''}")

    def _users(self) -> dict[str, Any]:
        User = get_user_model()
        desk = (Organisation.objects.filter(is_support_desk=True, region__short_name="경남").first()
                or Organisation.objects.filter(is_support_desk=True).order_by("pk").first())
        firms = Organisation.objects.firms().filter(is_sme=True).order_by("external_id")
        firm = firms.filter(region=desk.region).first() if desk else firms.first()
        other_firm = firms.exclude(pk=firm.pk).exclude(region=firm.region).first() if firm else None
        expert = (Expert.objects.filter(fields__external_id__startswith="casting",
                                        organisation__region=desk.region if desk else None)
                  .order_by("external_id").first()
                  or Expert.objects.filter(fields__external_id__startswith="casting")
                  .order_by("external_id").first())
        plan = {
            "sme": ("sme", "sme", firm), "sme_other": ("sme-other", "sme", other_firm),
            "expert": ("expert", "expert", expert.organisation if expert else None),
            "coordinator": ("coordinator", "coordinator", desk),
            "admin": ("admin", "admin", None), "analyst": ("analyst", "analyst", None),
        }
        users = {}
        for key, (username, role, org) in plan.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                user = create_user(None, username, role, org, email=f"{username}@demo.example",
                                   password=DEMO_PASSWORD)
            users[key] = user
        if expert is not None and expert.user_id is None:
            expert.user = users["expert"]
            expert.save(update_fields=["user"])
        return users

    @transaction.atomic
    def _requests(self, users: dict[str, Any]) -> None:
        from clusterhub.core.models import Region, TechField
        from clusterhub.support import actions
        from clusterhub.support.models import SupportRequest

        sme, coord, expert_user = users["sme"], users["coordinator"], users["expert"]
        if SupportRequest.objects.filter(submitted_by=sme).exists():
            return  # already there: the command is safe to run twice
        firm = sme.profile.organisation
        region = firm.region or Region.objects.get(short_name="경남")
        expert = expert_user.expert
        today = timezone.localdate()
        for spec in DEMO_REQUESTS:
            fields = list(TechField.objects.filter(external_id__in=spec["fields"]))
            req = actions.submit_request(
                sme, title=spec["title"], description=spec["description"],
                support_type=spec["support_type"], region=region, fields=fields,
                consent_publish=True)
            created = timezone.now() - timedelta(days=spec["age_days"])
            from clusterhub.support import sla

            SupportRequest.objects.filter(pk=req.pk).update(
                created_at=created, contact_due_at=sla.contact_due(created),
                plan_due_at=sla.plan_due(created))
            req.refresh_from_db()
            target = spec["to"]
            if target == "withdrawn":
                actions.withdraw(sme, req, "자체적으로 외부 업체를 통해 해결했습니다.")
                continue
            if target == "rejected":
                actions.reject(coord, req, "기술지원 범위 밖의 요청으로 지역 수출지원센터를 안내했습니다.")
                continue
            for step in STEPS[1: STEPS.index(target) + 1]:
                if step == "triaged":
                    req = actions.triage(coord, req, note="분야 및 지원 유형 확인")
                elif step == "assigned":
                    req = actions.assign(coord, req, [expert], "현장 확인 요청")
                elif step == "in_progress":
                    req = actions.accept(expert_user, req, "1주 내 현장 방문, 공정 조건 측정 후 개선안 제시")
                    actions.log_work(expert_user, req, on=today - timedelta(days=3),
                                     hours=Decimal("6"), kind="visit", note="현장 방문 및 시편 채취")
                    actions.log_work(expert_user, req, on=today - timedelta(days=1),
                                     hours=Decimal("4"), kind="lab", note="시편 분석")
                elif step == "resolved":
                    req = actions.resolve(expert_user, req,
                                          "공정 조건을 측정하여 원인을 규명하고 개선 조건을 적용함. "
                                          "양산 3개 로트에서 효과 확인.")
                elif step == "outcome_recorded":
                    actions.record_outcome(sme, req, satisfaction=5,
                                           defect_rate_before_pct=Decimal("8.5"),
                                           defect_rate_after_pct=Decimal("2.1"),
                                           cost_saved_mkrw=Decimal("42"),
                                           comment="후가공 공정 1개 생략")
                    req.refresh_from_db()
                elif step == "closed":
                    req = actions.close(coord, req, "성과 확인 후 종결")
