"""Revision lettering, uploads (limits, type by content, safe names), content-addressed storage
verified on every read, check-out locks, PDF stamping and previews."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clusterhub.collab import actions, storage
from clusterhub.collab.models import (
    Blob,
    Document,
    DownloadLog,
    Iteration,
    Revision,
    TransferError,
)
from clusterhub.core.actions import ActionRefused

from .conftest import pdf_bytes, png_bytes


@pytest.mark.parametrize("index,letter", [
    (0, "A"), (1, "B"), (7, "H"), (8, "J"), (12, "N"), (13, "P"), (14, "R"), (15, "T"),
    (19, "Y"), (20, "AA"), (21, "AB"), (39, "AY"), (40, "BA"), (419, "YY"), (420, "AAA"),
])
def test_revision_letters(index: int, letter: str) -> None:
    assert actions.revision_letter(index) == letter


def test_revision_letters_skip_confusable_letters() -> None:
    letters = [actions.revision_letter(i) for i in range(500)]
    assert len(set(letters)) == 500
    assert not any(c in "IOQSXZ" for c in "".join(letters))


def test_iterations_then_next_revision(world: Any) -> None:
    owner = world.users["owner"]
    it = actions.upload(owner, world.doc, name="D-100.pdf", content=pdf_bytes("B1"))
    assert (it.revision.letter, it.number, it.revision.state) == ("B", 1, "working")
    it2 = actions.upload(owner, world.doc, name="D-100.pdf", content=pdf_bytes("B2"))
    assert (it2.revision.pk, it2.number) == (it.revision.pk, 2)
    actions.release(owner, it2.revision)
    it3 = actions.upload(owner, world.doc, name="D-100.pdf", content=pdf_bytes("C1"))
    assert (it3.revision.letter, it3.number) == ("C", 1)
    assert list(world.doc.revisions.values_list("letter", "state")) == [
        ("A", "superseded"), ("B", "released"), ("C", "working")]


def test_database_refuses_duplicate_letters_and_two_released(world: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(document=world.doc, index=5, letter="A")
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(document=world.doc, index=1, letter="B", state="released",
                                released_at=timezone.now())


def test_same_content_is_stored_once_per_workspace(world: Any) -> None:
    owner = world.users["owner"]
    doc = actions.create_document(owner, world.ws, number="D-300", title="사본", kind="drawing")
    it = actions.upload(owner, doc, name="copy.pdf", content=pdf_bytes())
    assert it.blob_id == world.rev_a.iterations.get().blob_id
    assert Blob.objects.filter(workspace=world.ws).count() == 1
    assert storage.path_of(it.blob.storage_path).parts[-4:] == (
        "collab", str(world.ws.pk), it.blob.sha256[:2], it.blob.sha256)


@pytest.mark.parametrize("name,content,reason", [
    ("empty.pdf", b"", "empty"),
    ("notes.txt", b"just text", "Accepted files"),
    ("drawing.pdf", png_bytes(), "named drawing.pdf but its content is image/png"),
    ("evil.exe", b"MZ\x90\x00", "Accepted files"),
])
def test_upload_refuses_bad_files_and_writes_nothing(world: Any, name: str, content: bytes,
                                                     reason: str) -> None:
    before = (Iteration.objects.count(), Blob.objects.count())
    with pytest.raises(ActionRefused) as exc:
        actions.upload(world.users["owner"], world.doc, name=name, content=content)
    assert reason in exc.value.message and exc.value.field == "file"
    assert (Iteration.objects.count(), Blob.objects.count()) == before


def test_upload_limit_comes_from_settings(world: Any, settings: Any) -> None:
    settings.CLUSTERHUB_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ActionRefused, match="larger than"):
        actions.upload(world.users["owner"], world.doc, name="big.pdf", content=pdf_bytes())


@pytest.mark.parametrize("given,safe", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\drawings\\금형 도면 A.pdf", "금형 도면 A.pdf"),
    (".hidden.pdf", "hidden.pdf"),
    ("a<b>|c;rm -rf.pdf", "a_b_c_rm -rf.pdf"),
    ("", "file"),
])
def test_safe_filenames(given: str, safe: str) -> None:
    assert storage.safe_filename(given) == safe


def test_sniffing_by_content() -> None:
    assert storage.sniff(pdf_bytes(), "x.pdf") == "application/pdf"
    assert storage.sniff(png_bytes(), "x.png") == "image/png"
    assert storage.sniff(b"ISO-10303-21;\nHEADER;", "x.stp") == "application/step"
    assert storage.sniff(b"0\nSECTION\n2\nHEADER", "x.dxf") == "image/vnd.dxf"
    assert storage.sniff(b"0\nSECTION\n2\nHEADER", "x.pdf") is None
    assert storage.sniff(b"solid part\nfacet normal", "x.stl") == "model/stl"


def test_read_only_and_guest_cannot_upload(world: Any) -> None:
    for persona in ("reader", "guest"):
        with pytest.raises(ActionRefused) as exc:
            actions.upload(world.users[persona], world.doc, name="x.pdf", content=pdf_bytes())
        assert exc.value.code == "forbidden"


def test_check_out_blocks_others_until_checked_in(world: Any) -> None:
    sme, mgr = world.users["sme"], world.users["lead_manager"]
    actions.check_out(sme, world.doc)
    with pytest.raises(ActionRefused, match="checked this document out"):
        actions.upload(mgr, world.doc, name="x.pdf", content=pdf_bytes("other"))
    with pytest.raises(ActionRefused, match="checked out"):
        actions.check_out(mgr, world.doc)
    it = actions.upload(sme, world.doc, name="x.pdf", content=pdf_bytes("mine"))
    doc = Document.objects.get(pk=world.doc.pk)
    assert doc.checked_out_by is None, "uploading checks the document in"
    assert it.revision.letter == "B"


def test_expired_lock_holds_nothing(world: Any) -> None:
    actions.check_out(world.users["sme"], world.doc, hours=1)
    Document.objects.filter(pk=world.doc.pk).update(
        checkout_expires_at=timezone.now() - timedelta(minutes=1))
    it = actions.upload(world.users["lead_manager"], world.doc, name="x.pdf",
                        content=pdf_bytes("after expiry"))
    assert it.number == 1


def test_only_holder_or_manager_releases_a_lock(world: Any) -> None:
    actions.check_out(world.users["sme"], world.doc)
    with pytest.raises(ActionRefused, match="holder or a manager"):
        actions.cancel_check_out(_member_writer(world), world.doc)
    actions.cancel_check_out(world.users["lead_manager"], world.doc)
    assert Document.objects.get(pk=world.doc.pk).checked_out_by is None


def _member_writer(world: Any) -> Any:
    """A plain member of another firm (not a manager) who did not take the lock."""
    from clusterhub.collab.models import Membership
    from clusterhub.testing import make_user

    user = make_user("member2", "sme", world.third)
    Membership.objects.create(workspace=world.ws, user=user, organisation=world.third,
                              role="member")
    return user


def test_download_verifies_hash_and_records_mismatch(world: Any) -> None:
    it = world.rev_a.iterations.get()
    path = storage.path_of(it.blob.storage_path)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(ActionRefused) as exc:
        actions.download(world.users["sme"], it)
    assert exc.value.code == "transfer_error"
    err = TransferError.objects.get()
    assert (err.kind, err.organisation, err.user) == ("hash_mismatch", world.supplier,
                                                      world.users["sme"])
    assert DownloadLog.objects.count() == 0


def test_download_records_missing_file(world: Any) -> None:
    it = world.rev_a.iterations.get()
    storage.path_of(it.blob.storage_path).unlink()
    with pytest.raises(ActionRefused):
        actions.download(world.users["owner"], it)
    assert TransferError.objects.get().kind == "missing_file"


def test_reupload_repairs_a_damaged_copy(world: Any) -> None:
    it = world.rev_a.iterations.get()
    storage.path_of(it.blob.storage_path).write_bytes(b"junk")
    actions.upload(world.users["owner"], world.doc, name="D-100.pdf", content=pdf_bytes())
    content, _log = actions.download(world.users["owner"], it)
    assert content.startswith(b"%PDF")


def test_pdf_is_stamped_with_recipient_and_logged(world: Any) -> None:
    from pypdf import PdfReader

    it = world.rev_a.iterations.get()
    content, log = actions.download(world.users["sme"], it, via="api")
    reader = PdfReader(io.BytesIO(content))
    stamp = reader.metadata["/ClusterHubStamp"]
    assert world.supplier.name in stamp and "sme" in stamp and "D-100 rev A.1" in stamp
    assert "DRAWING D-100" in reader.pages[0].extract_text()
    assert (log.user, log.organisation, log.via, log.stamped, log.superseded) == (
        world.users["sme"], world.supplier, "api", True, False)
    assert content != storage.path_of(it.blob.storage_path).read_bytes()


def test_images_are_served_as_stored(world: Any) -> None:
    owner = world.users["owner"]
    doc = actions.create_document(owner, world.ws, number="P-1", title="사진", kind="photo")
    it = actions.upload(owner, doc, name="photo.png", content=png_bytes())
    content, log = actions.download(owner, it)
    assert content == png_bytes() and not log.stamped
    assert storage.image_info(content) == {"width": 40, "height": 20, "mode": "RGB"}


def test_pdf_preview_info() -> None:
    info = storage.pdf_info(pdf_bytes("FIRST PAGE"))
    assert info["pages"] == 1 and info["width_mm"] == 210 and "FIRST PAGE" in str(info["text"])
    assert "error" in storage.pdf_info(b"%PDF-1.4 broken")


def test_guest_downloads_only_what_was_sent(world: Any) -> None:
    owner = world.users["owner"]
    doc = actions.create_document(owner, world.ws, number="D-900", title="내부", kind="spec")
    it = actions.upload(owner, doc, name="x.pdf", content=pdf_bytes("internal"))
    with pytest.raises(ActionRefused) as exc:
        actions.download(world.users["guest"], it)
    assert exc.value.code == "forbidden"
    actions.download(world.users["guest"], world.rev_a.iterations.get())


def test_failed_upload_leaves_no_file_behind(world: Any, monkeypatch: Any) -> None:
    """The file is written inside the upload's transaction; when that transaction fails after
    the write, the new file goes too (no stored bytes without their row)."""
    owner = world.users["owner"]
    content = pdf_bytes("never stored")
    path = storage.path_of(Blob(workspace=world.ws, sha256=storage.digest(content)).storage_path)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(actions, "record_event", boom)
    with pytest.raises(RuntimeError):
        actions.upload(owner, world.doc, name="D-100.pdf", content=content)
    assert not Blob.objects.filter(sha256=storage.digest(content)).exists()
    assert not path.exists()
    assert not Iteration.objects.filter(revision__document=world.doc, filename="D-100.pdf",
                                        revision__letter="B").exists()


def test_failed_upload_keeps_a_file_other_rows_use(world: Any, monkeypatch: Any) -> None:
    owner = world.users["owner"]
    first = actions.upload(owner, world.doc, name="D-100.pdf", content=pdf_bytes("kept"))
    path = storage.path_of(first.blob.storage_path)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(actions, "record_event", boom)
    with pytest.raises(RuntimeError):
        actions.upload(owner, world.doc, name="D-100.pdf", content=pdf_bytes("kept"))
    assert path.exists()
    assert storage.read_verified(first.blob.storage_path, first.blob.sha256)[1] is None
