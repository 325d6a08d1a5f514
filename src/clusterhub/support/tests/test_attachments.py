"""Attachments: size limit, type told by content (not name), stored outside the web root under a
content address, served only after the request's access check (404 to everyone else)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clusterhub.support import actions
from clusterhub.support.models import Attachment, RequestEvent
from clusterhub.testing import new_request

from .conftest import PERSONAS, SEES_REQUEST, forward, messages_of, user_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"

ACCEPTED = [
    ("사진.png", PNG, "image/png"),
    ("scan.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32, "image/jpeg"),
    ("anim.gif", b"GIF89a" + b"\x00" * 32, "image/gif"),
    ("old.gif", b"GIF87a" + b"\x00" * 32, "image/gif"),
    ("photo.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp"),
    ("도면.pdf", PDF, "application/pdf"),
    ("housing.dwg", b"AC1032" + b"\x00" * 32, "application/acad"),
    ("part.step", b"ISO-10303-21;\nHEADER;\n", "application/step"),
    ("part.dxf", b"  0\nSECTION\n  2\nHEADER\n", "image/vnd.dxf"),
]

REFUSED = [
    ("report.pdf", b"just some text, not a PDF"),
    ("photo.jpg", b"<html><script>alert(1)</script></html>"),
    ("setup.png", b"MZ\x90\x00\x03\x00\x00\x00"),  # a Windows executable
    ("notes.txt", b"  0\nSECTION\n  2\nHEADER\n"),  # DXF text, but not named as a drawing
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 32),
]


def upload(client: Any, req: Any, name: str, content: bytes) -> Any:
    return client.post(reverse("attachment_upload", args=[req.pk]),
                       {"file": SimpleUploadedFile(name, content)})


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def download(client: Any, req: Any, att: Any) -> Any:
    return client.get(reverse("attachment", args=[req.pk, att.pk]))


def body(response: Any) -> bytes:
    # The test client has already closed the response (and run the request-finished cleanup);
    # closing it again would close the database connection mid-test on PostgreSQL.
    return b"".join(response.streaming_content)


# --- type by content ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "ctype"), ACCEPTED)
def test_accepted_types(hub, offered, name, content, ctype):
    att = actions.add_attachment(hub.sme, offered, name, content)
    assert (att.original_name, att.content_type, att.size) == (name, ctype, len(content))
    assert att.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(("name", "content"), REFUSED)
def test_refused_types_store_nothing(hub, offered, as_persona, name, content):
    response = upload(as_persona("sme"), offered, name, content)
    assert response.status_code == 302
    (message,) = messages_of(response)
    assert "this file's content is none of these" in message
    assert not Attachment.objects.exists() and stored_files() == []


def test_type_is_told_by_content_not_name(hub, offered, as_persona):
    client = as_persona("sme")
    upload(client, offered, "photo.png", PDF)
    upload(client, offered, "drawing.pdf", PNG)
    types = dict(Attachment.objects.values_list("original_name", "content_type"))
    assert types == {"photo.png": "application/pdf", "drawing.pdf": "image/png"}
    # ... and served as what it is.
    att = Attachment.objects.get(original_name="photo.png")
    response = download(client, offered, att)
    assert response["Content-Type"] == "application/pdf"
    assert body(response) == PDF


# --- size ---------------------------------------------------------------------------------------

def test_size_limit(hub, offered, as_persona, settings):
    settings.CLUSTERHUB_MAX_UPLOAD_BYTES = 1024 * 1024
    client = as_persona("sme")
    big = PDF + b"\x00" * (1024 * 1024 - len(PDF) + 1)
    response = upload(client, offered, "big.pdf", big)
    assert messages_of(response) == ["The file is larger than 1 MB."]
    assert not Attachment.objects.exists() and stored_files() == []
    # Exactly at the limit is fine.
    response = upload(client, offered, "fits.pdf", big[:-1])
    assert messages_of(response)[-1] == "File attached."
    assert Attachment.objects.get().size == 1024 * 1024


def test_empty_file_and_no_file(hub, offered, as_persona):
    client = as_persona("sme")
    assert messages_of(upload(client, offered, "empty.png", b"")) == ["The file is empty."]
    response = client.post(reverse("attachment_upload", args=[offered.pk]))
    assert messages_of(response)[-1] == "Choose a file."
    assert not Attachment.objects.exists()


# --- storage --------------------------------------------------------------------------------------

def test_stored_outside_web_root_by_content_address(hub, offered, as_persona):
    client = as_persona("sme")
    upload(client, offered, "../../static/evil.png", PNG)
    att = Attachment.objects.get()
    digest = hashlib.sha256(PNG).hexdigest()
    assert att.original_name == "evil.png"  # no directories from the client's name
    assert att.storage_path == f"attachments/{digest[:2]}/{digest}"
    path = Path(settings.MEDIA_ROOT) / att.storage_path
    assert stored_files() == [path] and path.read_bytes() == PNG
    assert not path.resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())
    # No URL serves the stored file directly; only the checked download view does.
    for url in [f"/{att.storage_path}", f"/media/{att.storage_path}",
                f"/uploads/{att.storage_path}", f"/static/{att.storage_path}"]:
        assert client.get(url).status_code == 404, url


def test_same_content_twice_is_stored_once(hub, offered):
    a = actions.add_attachment(hub.sme, offered, "a.png", PNG)
    b = actions.add_attachment(hub.expert_user, offered, "b.png", PNG)
    assert a.storage_path == b.storage_path and len(stored_files()) == 1
    assert [e.note for e in RequestEvent.objects.filter(action="attach")] == ["a.png", "b.png"]


# --- who may upload and download ----------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_upload_by_persona(hub, offered, as_persona, persona):
    response = upload(as_persona(persona), offered, "사진.png", PNG)
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    elif persona in SEES_REQUEST:
        assert response.status_code == 302 and response["Location"] == offered.get_absolute_url()
        att = Attachment.objects.get()
        assert att.uploaded_by == user_of(hub, persona)
        return
    else:
        assert response.status_code == 404
    assert not Attachment.objects.exists() and stored_files() == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_download_by_persona(hub, offered, as_persona, persona):
    att = actions.add_attachment(hub.sme, offered, "기공 단면.png", PNG)
    response = download(as_persona(persona), offered, att)
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    elif persona in SEES_REQUEST:
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert body(response) == PNG
    else:
        assert response.status_code == 404


def test_attachment_of_another_request_is_404(hub, offered, as_persona):
    mine = new_request(hub, title="우리 회사 다른 요청")
    theirs = new_request(hub, title="다른 지역", region=hub.other_region)
    att = actions.add_attachment(hub.sme, theirs, "x.png", PNG)
    # The SME sees both requests, but an attachment is only served under its own request.
    client = as_persona("sme")
    assert download(client, mine, att).status_code == 404
    assert body(download(client, theirs, att)) == PNG
    # The desk coordinator sees `mine` but not `theirs`.
    coordinator = as_persona("coordinator")
    assert download(coordinator, mine, att).status_code == 404
    assert download(coordinator, theirs, att).status_code == 404


def test_missing_attachment_or_file_is_404(hub, offered, as_persona):
    client = as_persona("sme")
    assert client.get(reverse("attachment", args=[offered.pk, 4242])).status_code == 404
    att = actions.add_attachment(hub.sme, offered, "x.png", PNG)
    (Path(settings.MEDIA_ROOT) / att.storage_path).unlink()
    assert download(client, offered, att).status_code == 404


def test_upload_needs_post(offered, as_persona):
    response = as_persona("sme").get(reverse("attachment_upload", args=[offered.pk]))
    assert response.status_code == 405


def test_detail_page_lists_attachments_and_offers_upload_while_open(hub, offered, as_persona):
    att = actions.add_attachment(hub.sme, offered, "기공 단면.png", PNG)
    page = as_persona("expert").get(offered.get_absolute_url())
    html = page.content.decode()
    assert reverse("attachment", args=[offered.pk, att.pk]) in html and "기공 단면.png" in html
    assert page.context["can_attach"] is True
    forward(hub, offered, "closed")
    assert as_persona("expert").get(offered.get_absolute_url()).context["can_attach"] is False


@pytest.mark.parametrize("end", ["closed", "withdrawn"])
def test_no_attachments_once_the_request_has_ended(hub, offered, as_persona, end):
    if end == "closed":
        forward(hub, offered, "closed")
    else:
        actions.withdraw(hub.sme, offered, "취소")
    response = upload(as_persona("sme"), offered, "late.png", PNG)
    assert response.status_code == 302
    (message,) = messages_of(response)
    assert "no more files can be attached" in message
    assert not Attachment.objects.exists() and stored_files() == []


def test_roles_without_requests_cannot_attach(hub, offered):
    with pytest.raises(actions.ActionRefused, match="cannot attach"):
        actions.add_attachment(hub.analyst, offered, "x.png", PNG)
    assert stored_files() == []
