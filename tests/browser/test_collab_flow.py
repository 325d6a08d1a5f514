"""A collaboration workspace through the real pages in Chromium, in Korean: the lead firm
uploads and releases revision B of a drawing; the supplier sees it waiting on its workspace
home, acknowledges that B supersedes A, and raises an engineering change on the drawing. The
job board picks up a stage closed elsewhere without a reload."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from clusterhub.collab import actions
from clusterhub.collab.models import ChangeRequest, Receipt
from clusterhub.collab.tests.factories import build_world, pdf_bytes
from clusterhub.testing import PASSWORD, build_hub

pytestmark = pytest.mark.browser

CHANGE_TITLE = "보스 높이 0.5mm 상향"
CHANGE_REASON = "조립 시 하우징과 간섭이 생겨 보스 높이를 올려야 합니다."


def tr(message: str) -> str:
    with translation.override("ko"):
        return translation.gettext(message)


def state(label: str) -> str:
    """A state label of the collab models (translated in the "collab" context)."""
    with translation.override("ko"):
        return translation.pgettext("collab", label)


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/?next=/collab/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("header .me span")).to_have_text(username)


def log_out(page: Page) -> None:
    with page.expect_navigation():
        page.locator('header form[action="/accounts/logout/"] button').click()


def test_supplier_acknowledges_new_revision_and_raises_change(transactional_db: Any,
                                                              new_page: Any,
                                                              tmp_path: Any) -> None:
    world = build_world(build_hub())
    doc_url = world.doc.get_absolute_url()
    page = new_page()

    # The lead firm's owner uploads revision B and releases it to the distribution list.
    log_in(page, "owner")
    page.locator("main a", has_text=world.ws.name).click()
    page.locator(".collab-tabs a", has_text=tr("Documents")).click()
    page.locator("#documents a", has_text="D-100").click()
    page.wait_for_url(f"**{doc_url}")
    drawing = tmp_path / "D-100-B.pdf"
    drawing.write_bytes(pdf_bytes("DRAWING D-100 REV B"))
    page.set_input_files("#id_file", str(drawing))
    page.fill("#id_note", "보스 위치 수정")
    with page.expect_navigation():
        page.locator("main form[enctype] button[type=submit]").click()
    expect(page.locator("ul.messages li.success")).to_contain_text("B")
    with page.expect_navigation():
        page.locator('button[name="release"]').click()
    expect(page.locator("ul.messages li.success")).to_have_text(tr("Released and distributed."))
    expect(page.locator("#rev-B .badge")).to_have_text(state("Released"))
    expect(page.locator("#rev-A .badge")).to_have_text(state("Superseded"))
    log_out(page)

    # The supplier finds B waiting for its acknowledgement and acknowledges it.
    log_in(page, "sme")
    page.locator("main a", has_text=world.ws.name).click()
    supersedes = tr("supersedes rev %(old)s") % {"old": "A"}
    pending = page.locator("#pending-receipts li", has_text=supersedes)
    expect(pending).to_contain_text("D-100")
    pending.locator("a").click()
    page.wait_for_url(f"**{doc_url}")
    ack = page.locator("#rev-B form.ack")
    expect(ack).to_contain_text(tr("Revision %(rev)s supersedes the earlier revision: "
                                   "acknowledge that you received it and will no longer use "
                                   "the old one.") % {"rev": "B"})
    with page.expect_navigation():
        ack.locator('button[name="acknowledge"]').click()
    expect(page.locator("ul.messages li.success")).to_contain_text("D-100")
    expect(page.locator("#rev-B form.ack")).to_have_count(0)
    expect(page.locator(f'#rev-B tr[data-firm="{world.supplier.external_id}"]')).to_contain_text(
        "sme")
    receipt = Receipt.objects.get(revision__document=world.doc, revision__letter="B",
                                  organisation=world.supplier)
    assert receipt.acknowledged_by == world.users["sme"] and receipt.supersedes == world.rev_a

    # ... and raises an engineering change on the drawing.
    page.locator("#raise-change").click()
    page.wait_for_url(re.compile(r"/changes/new/"))
    page.fill("#id_title", CHANGE_TITLE)
    page.fill("#id_reason", CHANGE_REASON)
    page.select_option("#id_origin", "supplier")
    page.fill("#id_days", "3")
    expect(page.locator("#id_documents input[type=checkbox]:checked")).to_have_count(1)
    page.locator("#id_jobs input[type=checkbox]").first.check()
    with page.expect_navigation(url=re.compile(r"/changes/\d+/$")):
        page.locator("#change-form button[type=submit]").click()
    expect(page.locator("#change-status")).to_have_text(state("Awaiting approval"))
    expect(page.locator("#approvals")).to_contain_text(world.lead.name)
    expect(page.locator("#approvals")).to_contain_text(world.supplier.name)
    cr = ChangeRequest.objects.get(title=CHANGE_TITLE)
    assert (cr.raised_by_firm, cr.origin, cr.days) == (world.supplier, "supplier", 3)
    assert list(cr.documents.all()) == [world.doc] and list(cr.jobs.all()) == [world.job]

    # The job board updates without a reload when a stage closes elsewhere.
    page.locator(".collab-tabs a", has_text=tr("Job board")).click()
    card = page.locator('#board article[data-job="J-1"]')
    rfq, kickoff = world.job.stages.order_by("seq")[:2]
    expect(card.locator(".stage-now")).to_contain_text(rfq.name)
    actions.close_stage(world.users["owner"], rfq, date(2026, 1, 8),
                        evidence_revision=world.rev_a)
    expect(card.locator(".stage-now")).to_contain_text(kickoff.name, timeout=15_000)
