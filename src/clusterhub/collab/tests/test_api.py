"""The collab API for every persona: members per role, outsiders 404 on everything (file URLs
too), anonymous 401; multipart upload, verified download, acknowledgements, change requests."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clusterhub.collab import actions
from clusterhub.collab.models import Document, DownloadLog, Iteration

from .conftest import MEMBERS, PERSONAS, pdf_bytes, png_bytes

BASE = "/api/v1"
NOT_GUEST = set(MEMBERS) - {"guest"}


def _urls(world: Any) -> list[tuple[str, set[str]]]:
    w, d, j = world.ws.pk, world.doc.pk, world.job.pk
    cr = actions.raise_change(world.users["sme"], world.ws, title="t", reason="r",
                              origin="supplier", jobs=[world.job])
    return [
        (f"{BASE}/workspaces/{w}", set(MEMBERS)),
        (f"{BASE}/workspaces/{w}/jobs", set(MEMBERS)),
        (f"{BASE}/workspaces/{w}/jobs/{j}", NOT_GUEST),
        (f"{BASE}/workspaces/{w}/documents", set(MEMBERS)),
        (f"{BASE}/workspaces/{w}/documents/{d}", set(MEMBERS)),
        (f"{BASE}/workspaces/{w}/documents/{d}/revisions/A/file", set(MEMBERS)),
        (f"{BASE}/workspaces/{w}/acknowledgements", set(MEMBERS)),
        (f"{BASE}/workspaces/{w}/kpis", NOT_GUEST),
        (f"{BASE}/change-requests/{cr.pk}", NOT_GUEST),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_endpoints_per_persona(world: Any, api: Any, persona: str) -> None:
    client = api(persona)
    for url, allowed in _urls(world):
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 401, url
        elif persona in allowed:
            assert response.status_code == 200, (persona, url)
        else:
            assert response.status_code == 404, (persona, url)
            assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_hold_only_own_workspaces(world: Any, api: Any, persona: str) -> None:
    actions.raise_change(world.users["sme"], world.ws, title="t", reason="r", origin="supplier",
                         jobs=[world.job])
    ws = api(persona).get(f"{BASE}/workspaces")
    changes = api(persona).get(f"{BASE}/change-requests")
    if persona == "anonymous":
        assert ws.status_code == changes.status_code == 401
        return
    assert [w["external_id"] for w in ws.json()] == (["ws-test"] if persona in MEMBERS else [])
    assert len(changes.json()) == (1 if persona in NOT_GUEST else 0)


def test_outsider_writes_are_404(world: Any, api: Any) -> None:
    client = api("outsider")
    w = world.ws.pk
    receipt = world.rev_a.receipts.first()
    for url, data in [
        (f"{BASE}/workspaces/{w}/jobs", {"code": "X", "title": "X", "kind": "injection_mould",
                                         "supplier": "f-a", "ordered_on": "2026-01-01",
                                         "due_on": "2026-02-01"}),
        (f"{BASE}/workspaces/{w}/acknowledgements/{receipt.pk}", {}),
        (f"{BASE}/workspaces/{w}/documents/{world.doc.pk}/revisions/A/release", {}),
        (f"{BASE}/change-requests", {"workspace": w, "title": "t", "reason": "r",
                                     "origin": "supplier", "jobs": [world.job.pk]}),
    ]:
        assert client.post(url, data, content_type="application/json").status_code == 404, url
    upload = client.post(f"{BASE}/workspaces/{w}/documents",
                         {"number": "D-100", "file": SimpleUploadedFile("x.pdf", pdf_bytes("x"))})
    assert upload.status_code == 404
    assert Iteration.objects.count() == 1


def test_multipart_upload_creates_revision_or_iteration(world: Any, api: Any) -> None:
    client = api("sme")
    url = f"{BASE}/workspaces/{world.ws.pk}/documents"
    new = client.post(url, {"number": "D-500", "title": "슬라이드 코어", "kind": "cad",
                            "file": SimpleUploadedFile("core.stp", b"ISO-10303-21;\nHEADER;\n")})
    assert new.status_code == 201, new.content
    assert (new.json()["revision"], new.json()["iteration"]) == ("A", 1)
    again = client.post(url, {"number": "D-500",
                              "file": SimpleUploadedFile("core.stp", b"ISO-10303-21;\nDATA;\n")})
    assert (again.json()["revision"], again.json()["iteration"]) == ("A", 2)
    after_release = client.post(url, {"number": "D-100",
                                      "file": SimpleUploadedFile("D-100.pdf", pdf_bytes("B"))})
    assert (after_release.json()["revision"], after_release.json()["iteration"]) == ("B", 1)


def test_bad_upload_names_the_reason_and_writes_nothing(world: Any, api: Any) -> None:
    url = f"{BASE}/workspaces/{world.ws.pk}/documents"
    response = api("sme").post(url, {"number": "D-600", "title": "x",
                                     "file": SimpleUploadedFile("x.pdf", png_bytes())})
    assert response.status_code == 422
    assert response.json()["field"] == "file" and "image/png" in response.json()["message"]
    assert not Document.objects.filter(number="D-600").exists()
    reader = api("reader").post(url, {"number": "D-601", "title": "x",
                                      "file": SimpleUploadedFile("x.pdf", pdf_bytes("r"))})
    assert reader.status_code == 403
    assert not Document.objects.filter(number="D-601").exists()


def test_download_is_logged_and_stamped(world: Any, api: Any) -> None:
    url = f"{BASE}/workspaces/{world.ws.pk}/documents/{world.doc.pk}/revisions/A/file"
    response = api("guest").get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["X-Content-SHA256"] == world.rev_a.iterations.get().blob.sha256
    log = DownloadLog.objects.get()
    assert (log.user, log.via, log.stamped) == (world.users["guest"], "api", True)
    assert api("guest").get(url.replace("/A/", "/B/")).status_code == 404


def test_a_file_that_fails_verification_answers_409_and_is_not_served(world: Any,
                                                                       api: Any) -> None:
    from clusterhub.collab import storage
    from clusterhub.collab.models import TransferError

    path = storage.path_of(world.rev_a.iterations.get().blob.storage_path)
    path.write_bytes(path.read_bytes() + b"tampered")
    url = f"{BASE}/workspaces/{world.ws.pk}/documents/{world.doc.pk}/revisions/A/file"
    response = api("guest").get(url)
    assert response.status_code == 409 and response.json()["code"] == "transfer_error"
    assert TransferError.objects.get().kind == "hash_mismatch"
    assert not DownloadLog.objects.exists()


def test_acknowledge_through_the_api(world: Any, api: Any) -> None:
    client = api("sme")
    pending = client.get(f"{BASE}/workspaces/{world.ws.pk}/acknowledgements").json()
    assert [(p["revision"], p["recipient"]) for p in pending] == [("A", "f-a")]
    url = f"{BASE}/workspaces/{world.ws.pk}/acknowledgements/{pending[0]['id']}"
    ok = client.post(url)
    assert ok.status_code == 200 and ok.json()["acknowledged_at"]
    assert client.post(url).status_code == 409
    other = world.rev_a.receipts.get(organisation=world.fourth)
    assert client.post(f"{BASE}/workspaces/{world.ws.pk}/acknowledgements/{other.pk}"
                       ).status_code == 403
    guest_view = api("guest").post(
        f"{BASE}/workspaces/{world.ws.pk}/acknowledgements/{pending[0]['id']}")
    assert guest_view.status_code == 404


def test_change_request_flow_through_the_api(world: Any, api: Any) -> None:
    created = api("sme").post(f"{BASE}/change-requests", {
        "workspace": world.ws.pk, "title": "리브 두께 변경", "reason": "싱크마크",
        "origin": "supplier", "documents": [world.doc.pk], "jobs": [world.job.pk], "days": 2,
        "cost_krw": "500000", "steel_safe": True}, content_type="application/json")
    assert created.status_code == 201, created.content
    cr = created.json()
    assert {a["organisation"] for a in cr["approvals"]} == {"lead", "f-a"}
    apply_url = f"{BASE}/change-requests/{cr['id']}/apply"
    refused = api("owner").post(apply_url)
    assert refused.status_code == 409 and "waiting for" in refused.json()["message"]
    for persona in ("owner", "supplier_manager"):
        r = api(persona).post(f"{BASE}/change-requests/{cr['id']}/decision",
                              {"decision": "approve"}, content_type="application/json")
        assert r.status_code == 200
    applied = api("owner").post(apply_url)
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    assert world.doc.revisions.filter(letter="B", change_request_id=cr["id"]).exists()
    bad = api("sme").post(f"{BASE}/change-requests", {
        "workspace": world.ws.pk, "title": "x", "reason": "x", "origin": "supplier",
        "documents": [999999]}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "documents"


def test_create_job_through_the_api(world: Any, api: Any) -> None:
    payload = {"code": "J-7", "title": "블로우 금형", "kind": "blow_mould", "supplier": "f-a",
               "ordered_on": "2026-04-01", "due_on": "2026-06-01"}
    created = api("lead_manager").post(f"{BASE}/workspaces/{world.ws.pk}/jobs", payload,
                                       content_type="application/json")
    assert created.status_code == 201 and len(created.json()["stages"]) == 14
    assert api("sme").post(f"{BASE}/workspaces/{world.ws.pk}/jobs", {**payload, "code": "J-8"},
                           content_type="application/json").status_code == 403
