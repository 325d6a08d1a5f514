"""A workspace with one person per role, a job, and a drawing released to two firms.

    lead firm (Lead Mould Co.)  owner `owner`, manager `lead_manager`
    hub.firm (the supplier)     member `sme` (hub.sme), manager `supplier_manager`
    third firm                  read-only `reader`
    fourth firm                 guest `guest` (sees only what is sent to its firm)
    not members                 `outsider` (hub.other_sme), `admin` (hub admin), anonymous

Drawing D-100 has revision A released to the supplier and the guest's firm; job J-1 (injection
mould) has the supplier as mould maker.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from clusterhub.testing import FirmFactory, make_user

PERSONAS = ["owner", "lead_manager", "sme", "supplier_manager", "reader", "guest", "outsider",
            "admin", "anonymous"]
MEMBERS = ["owner", "lead_manager", "sme", "supplier_manager", "reader", "guest"]
NOT_MEMBERS = ["outsider", "admin"]


def pdf_bytes(text: str = "DRAWING D-100") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=1)
    c.drawString(72, 760, text)
    c.save()
    return buf.getvalue()


def png_bytes(colour: str = "red") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class World:
    hub: Any
    ws: Any
    lead: Any
    supplier: Any
    third: Any
    fourth: Any
    users: dict[str, Any]
    job: Any
    doc: Any
    rev_a: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def user(self, persona: str) -> Any:
        return None if persona == "anonymous" else self.users[persona]


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def build_world(hub: Any) -> World:
    from clusterhub.collab import actions
    from clusterhub.collab.models import Membership

    lead = FirmFactory(external_id="lead", name="Lead Mould Co.", region=hub.region)
    third = FirmFactory(external_id="third", name="Third Engineering", region=hub.region)
    fourth = FirmFactory(external_id="fourth", name="Fourth Blow", region=hub.region)
    owner = make_user("owner", "sme", lead)
    users = {
        "owner": owner, "lead_manager": make_user("lead_manager", "sme", lead),
        "sme": hub.sme, "supplier_manager": make_user("supplier_manager", "sme", hub.firm),
        "reader": make_user("reader", "sme", third), "guest": make_user("guest", "sme", fourth),
        "outsider": hub.other_sme, "admin": hub.admin,
    }
    ws = actions.create_workspace(owner, name="사출금형설계 협업센터", lead_firm=lead,
                                  external_id="ws-test")
    for persona, org, role in [("lead_manager", lead, "manager"), ("sme", hub.firm, "member"),
                               ("supplier_manager", hub.firm, "manager"),
                               ("reader", third, "read_only"), ("guest", fourth, "guest")]:
        Membership.objects.create(workspace=ws, user=users[persona], organisation=org, role=role)
    job = actions.create_job(owner, ws, code="J-1", title="커버 사출금형", kind="injection_mould",
                             supplier=hub.firm, ordered_on=date(2026, 1, 5),
                             due_on=date(2026, 3, 31))
    doc = actions.create_document(owner, ws, number="D-100", title="커버 부품도", kind="drawing",
                                  job=job, distribution=[hub.firm, fourth])
    it = actions.upload(owner, doc, name="D-100.pdf", content=pdf_bytes())
    rev_a = actions.release(owner, it.revision)
    return World(hub=hub, ws=ws, lead=lead, supplier=hub.firm, third=third, fourth=fourth,
                 users=users, job=job, doc=doc, rev_a=rev_a)


@pytest.fixture
def world(hub: Any) -> World:
    return build_world(hub)


@pytest.fixture
def web(world: World, client_for: Any) -> Any:
    return lambda persona: client_for(world.user(persona))


@pytest.fixture
def api(world: World, api_for: Any) -> Any:
    return lambda persona: api_for(world.user(persona))
