"""Test data of the collab app (used by its tests and the browser test): see conftest.py for
the world that build_world() makes."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clusterhub.testing import FirmFactory, make_user


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
