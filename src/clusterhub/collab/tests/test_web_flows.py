"""The pages' forms do what the actions do: stage closing with evidence, uploads, receipts,
changes from raise to apply, the live board's change token."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clusterhub.collab.models import ChangeRequest, DownloadLog, JobStage, Workspace

from .conftest import pdf_bytes, png_bytes


def _messages(response: Any) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


def test_board_poll_answers_204_until_something_moves(world: Any, web: Any) -> None:
    client = web("sme")
    url = reverse("collab:board_live", args=[world.ws.pk])
    version = Workspace.objects.get(pk=world.ws.pk).version
    assert client.get(url, {"v": version}).status_code == 204
    stage = world.job.stages.get(code="steel_ordered")
    client.post(reverse("collab:stage_start", args=[world.ws.pk, world.job.pk, stage.pk]),
                {"on": "2026-02-01"})
    response = client.get(url, {"v": version})
    assert response.status_code == 200
    assert f'data-version="{version + 1}"' in response.content.decode()


def test_stage_close_needs_its_evidence_on_the_page(world: Any, web: Any) -> None:
    client = web("owner")
    rfq = world.job.stages.get(code="rfq")
    url = reverse("collab:stage_close", args=[world.ws.pk, world.job.pk, rfq.pk])
    response = client.post(url, {"on": "2026-01-08", "evidence_record": "메일"})
    assert any("needs a file" in m for m in _messages(response))
    assert JobStage.objects.get(pk=rfq.pk).status == "pending"
    client.post(url, {"on": "2026-01-08", "evidence_revision": world.rev_a.pk})
    assert JobStage.objects.get(pk=rfq.pk).evidence_revision == world.rev_a
    page = client.get(reverse("collab:job", args=[world.ws.pk, world.job.pk])).content.decode()
    assert "D-100" in page


def test_upload_download_and_acknowledge_on_the_pages(world: Any, web: Any) -> None:
    owner, sme = web("owner"), web("sme")
    upload = reverse("collab:upload", args=[world.ws.pk, world.doc.pk])
    bad = owner.post(upload, {"file": SimpleUploadedFile("x.pdf", png_bytes())})
    assert any("image/png" in m for m in _messages(bad))
    owner.post(upload, {"file": SimpleUploadedFile("D-100.pdf", pdf_bytes("B")), "note": "B"})
    owner.post(reverse("collab:release", args=[world.ws.pk, world.doc.pk, "B"]))
    receipt = world.doc.revisions.get(letter="B").receipts.get(organisation=world.supplier)
    home = sme.get(reverse("collab:workspace", args=[world.ws.pk])).content.decode()
    assert "D-100" in home and "supersedes rev A" in home
    sme.post(reverse("collab:acknowledge", args=[world.ws.pk, receipt.pk]))
    receipt.refresh_from_db()
    assert receipt.acknowledged_by == world.users["sme"]
    response = sme.get(reverse("collab:file", args=[world.ws.pk, world.doc.pk, "B"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "D-100_B.1_D-100.pdf" in response["Content-Disposition"]
    assert DownloadLog.objects.get().via == "web"
    doc_page = owner.get(reverse("collab:document", args=[world.ws.pk, world.doc.pk]))
    assert "sme" in doc_page.content.decode()


def test_change_from_form_to_applied(world: Any, web: Any) -> None:
    response = web("sme").post(reverse("collab:change_new", args=[world.ws.pk]), {
        "title": "리브 추가", "reason": "강성 부족", "origin": "supplier",
        "documents": [world.doc.pk], "jobs": [world.job.pk], "cost_krw": "0", "days": "2",
        "steel_safe": "on", "phase": ""})
    cr = ChangeRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == cr.get_absolute_url()
    queue = web("owner").get(reverse("collab:changes", args=[world.ws.pk])).content.decode()
    assert "리브 추가" in queue
    decide = reverse("collab:change_decide", args=[world.ws.pk, cr.pk])
    apply = reverse("collab:change_apply", args=[world.ws.pk, cr.pk])
    early = web("owner").post(apply)
    assert any("waiting for" in m for m in _messages(early))
    web("owner").post(decide, {"decision": "approve"})
    web("supplier_manager").post(decide, {"decision": "approve", "comment": "OK"})
    web("owner").post(apply)
    cr.refresh_from_db()
    assert cr.status == "applied" and world.doc.revisions.filter(letter="B").exists()


def test_new_job_and_document_forms(world: Any, web: Any) -> None:
    client = web("lead_manager")
    response = client.post(reverse("collab:job_new", args=[world.ws.pk]), {
        "code": "J-9", "title": "캡 금형", "kind": "blow_mould", "supplier": world.supplier.pk,
        "ordered_on": "2026-05-01", "due_on": "2026-04-01"})
    assert response.status_code == 200 and "before the order date" in response.content.decode()
    response = client.post(reverse("collab:job_new", args=[world.ws.pk]), {
        "code": "J-9", "title": "캡 금형", "kind": "blow_mould", "supplier": world.supplier.pk,
        "ordered_on": "2026-05-01", "due_on": "2026-07-01"})
    assert response.status_code == 302
    response = web("sme").post(reverse("collab:documents", args=[world.ws.pk]), {
        "number": "D-100", "title": "중복", "kind": "drawing"})
    assert response.status_code == 200 and "exists already" in response.content.decode()


def test_acknowledge_never_redirects_off_the_site(world: Any, web: Any) -> None:
    owner, sme = web("owner"), web("sme")
    owner.post(reverse("collab:upload", args=[world.ws.pk, world.doc.pk]),
               {"file": SimpleUploadedFile("D-100.pdf", pdf_bytes("B"))})
    owner.post(reverse("collab:release", args=[world.ws.pk, world.doc.pk, "B"]))
    receipt = world.doc.revisions.get(letter="B").receipts.get(organisation=world.supplier)
    url = reverse("collab:acknowledge", args=[world.ws.pk, receipt.pk])
    response = sme.post(url, {"next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert response["Location"] == world.doc.get_absolute_url()
    receipt.refresh_from_db()
    assert receipt.acknowledged_by == world.users["sme"]
    home = reverse("collab:workspace", args=[world.ws.pk])
    assert sme.post(url, {"next": home})["Location"] == home


def test_kpi_page_in_korean_has_no_english_source_note(world: Any, web: Any,
                                                        settings: Any) -> None:
    from django.utils import translation

    settings.LANGUAGE_CODE = "ko"
    with translation.override("ko"):
        page = web("owner").get(reverse("collab:kpis", args=[world.ws.pk]),
                                HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "상대 수치는 도입 전 값을 100으로 한 지수입니다" in page
    assert "한국생산기술연구원 2005a" in page
    assert "relative figures" not in page.lower() and " results, seed" not in page
