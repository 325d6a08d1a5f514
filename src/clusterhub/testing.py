"""Factories and personas shared by every app's tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import factory
from django.contrib.auth import get_user_model

from clusterhub.core.models import Expert, Organisation, Profile, Region, TechField

_seq = itertools.count(1)

PASSWORD = "correct-horse-battery-staple"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "48"
    name = "경상남도"
    short_name = "경남"
    name_en = "Gyeongsangnam-do"


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechField
        django_get_or_create = ("external_id",)

    external_id = factory.Sequence(lambda n: f"field-{n}")
    name = factory.Sequence(lambda n: f"분야{n}")
    name_en = factory.Sequence(lambda n: f"Field {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    external_id = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"기관{n}")
    kind = Organisation.Kind.TECHNOPARK
    region = factory.SubFactory(RegionFactory)


class FirmFactory(OrganisationFactory):
    external_id = factory.Sequence(lambda n: f"firm-{n}")
    name = factory.Sequence(lambda n: f"(주)대성정밀{n}")
    kind = Organisation.Kind.FIRM
    sector = Organisation.Sector.MANUFACTURING
    employees = 45


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expert

    external_id = factory.Sequence(lambda n: f"e-{n}")
    name = factory.Sequence(lambda n: f"김연구{n}")
    title = "책임연구원"
    organisation = factory.SubFactory(OrganisationFactory)
    capacity = 3


def make_user(username: str, role: str, organisation: Organisation | None,
              email: str = "") -> Any:
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=email or f"{username}@example.org",
        is_staff=role == "admin", is_superuser=role == "admin")
    Profile.objects.create(user=user, role=role, organisation=organisation)
    return user


@dataclass
class Hub:
    """A small hub with one user per persona."""

    region: Region
    other_region: Region
    casting: TechField
    mould: TechField
    desk: Organisation
    other_desk: Organisation
    institute: Organisation
    centre: Organisation
    firm: Organisation
    other_firm: Organisation
    expert: Expert
    other_expert: Expert
    sme: Any
    other_sme: Any
    expert_user: Any
    other_expert_user: Any
    coordinator: Any
    other_coordinator: Any
    admin: Any
    analyst: Any


def build_hub() -> Hub:
    region = RegionFactory()
    other_region = RegionFactory(code="47", name="경상북도", short_name="경북",
                                 name_en="Gyeongsangbuk-do")
    root = FieldFactory(external_id="root-tech", name="뿌리기술", name_en="Root technologies")
    casting = FieldFactory(external_id="casting", name="주조", name_en="Casting", parent=root)
    mould = FieldFactory(external_id="mould", name="금형", name_en="Mould", parent=root)
    desk = OrganisationFactory(external_id="gn-tp", name="경남테크노파크", is_support_desk=True,
                               region=region)
    other_desk = OrganisationFactory(external_id="gb-tp", name="경북테크노파크",
                                     is_support_desk=True, region=other_region)
    institute = OrganisationFactory(external_id="kitech", name="한국생산기술연구원",
                                    kind=Organisation.Kind.GRI, region=region)
    centre = OrganisationFactory(external_id="kitech-busan", name="생기원 부산센터",
                                 kind=Organisation.Kind.GRI_CENTRE, parent=institute,
                                 region=region)
    firm = FirmFactory(external_id="f-a", name="(주)한길금형", region=region)
    other_firm = FirmFactory(external_id="f-b", name="신라주조", region=other_region)
    expert_user = make_user("expert", "expert", centre)
    other_expert_user = make_user("expert2", "expert", centre)
    expert = ExpertFactory(external_id="e-a", name="김주조", organisation=centre,
                           user=expert_user, capacity=3, keywords=["다이캐스팅", "기공"])
    expert.fields.set([casting])
    other_expert = ExpertFactory(external_id="e-b", name="이금형", organisation=centre,
                                 user=other_expert_user)
    other_expert.fields.set([mould])
    return Hub(
        region=region, other_region=other_region, casting=casting, mould=mould, desk=desk,
        other_desk=other_desk, institute=institute, centre=centre, firm=firm,
        other_firm=other_firm, expert=expert, other_expert=other_expert,
        sme=make_user("sme", "sme", firm), other_sme=make_user("sme2", "sme", other_firm),
        expert_user=expert_user, other_expert_user=other_expert_user,
        coordinator=make_user("coord", "coordinator", desk),
        other_coordinator=make_user("coord2", "coordinator", other_desk),
        admin=make_user("admin", "admin", None), analyst=make_user("analyst", "analyst", None),
    )


def new_request(hub: Hub, **kwargs: Any) -> Any:
    """A submitted request of the hub's firm, routed to its region's desk."""
    from clusterhub.support.actions import submit_request

    params: dict[str, Any] = {
        "title": "다이캐스팅 하우징 기공 불량", "support_type": "guidance",
        "description": "ADC12 다이캐스팅 하우징 두께 변화부에서 기공이 발생하여 기밀시험 불량률이 12%입니다.",
        "region": hub.region, "fields": [hub.casting], "consent_publish": True,
    }
    params.update(kwargs)
    return submit_request(hub.sme, **params)


def advance(hub: Hub, req: Any, to: str) -> Any:
    """Carry a request on from its current status up to `to`, with the right actors."""
    from datetime import date
    from decimal import Decimal

    from clusterhub.support import actions
    from clusterhub.support.models import SupportRequest

    steps = ["submitted", "triaged", "assigned", "in_progress", "resolved", "outcome_recorded",
             "closed"]
    req = SupportRequest.objects.get(pk=req.pk)
    for status in steps[steps.index(req.status) + 1: steps.index(to) + 1]:
        if status == "triaged":
            req = actions.triage(hub.coordinator, req, note="주조 분야 확인")
        elif status == "assigned":
            req = actions.assign(hub.coordinator, req, [hub.expert])
        elif status == "in_progress":
            req = actions.accept(hub.expert_user, req, "현장 방문 후 탕구 방안 검토")
            actions.log_work(hub.expert_user, req, on=date.today(), hours=Decimal("6"),
                             note="현장 방문")
        elif status == "resolved":
            req = actions.resolve(hub.expert_user, req, "진공 다이캐스팅 적용, 금형 온도 조정")
        elif status == "outcome_recorded":
            actions.record_outcome(hub.sme, req, satisfaction=5,
                                   defect_rate_before_pct=Decimal("12"),
                                   defect_rate_after_pct=Decimal("3"))
            req = SupportRequest.objects.get(pk=req.pk)
        elif status == "closed":
            req = actions.close(hub.coordinator, req)
    return req
