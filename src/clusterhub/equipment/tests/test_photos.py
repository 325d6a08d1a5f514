"""Photos of an item: uploaded by its owner's or site's staff only, checked by content, stored
outside the web root, served to everyone who may see the registry; other items' photo URLs 404."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import AuditEvent
from clusterhub.equipment import actions
from clusterhub.equipment.models import EquipmentPhoto

from .conftest import PERSONAS
from .factories import EquipmentFactory

pytestmark = pytest.mark.django_db
MANAGERS = {"staff", "admin"}


def png(colour: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buf, "PNG")
    return buf.getvalue()


def _upload(client: Any, content: bytes, name: str = "cmm.png") -> Any:
    return client.post("/equipment/items/cmm-1/photos/", {
        "photo": SimpleUploadedFile(name, content), "caption": "측정실 전경"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_items_staff_add_photos_and_everyone_sees_them(
        client_for: Any, user_of: Any, machine: Any, persona: str, settings: Any) -> None:
    r = _upload(client_for(user_of(persona)), png())
    if persona in MANAGERS:
        assert r.status_code == 302
        shot = EquipmentPhoto.objects.get()
        assert shot.caption == "측정실 전경" and shot.content_type == "image/png"
        assert (Path(settings.MEDIA_ROOT) / shot.storage_path).read_bytes() == png()
        assert AuditEvent.objects.filter(verb="equipment.photo_added").exists()
    else:
        assert r.status_code in (302, 404) and not EquipmentPhoto.objects.exists()
        if persona == "anonymous":
            assert r["Location"].startswith("/accounts/login/")
        else:
            assert r.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_photo_is_public_with_its_item_and_404_under_another_item(
        client_for: Any, user_of: Any, machine: Any, staff: Any, hub: Any, persona: str) -> None:
    shot = actions.add_photo(staff, machine, "cmm.png", png(), "전경")
    other = EquipmentFactory(external_id="other-1", owner=hub.institute, site=hub.centre)
    c = client_for(user_of(persona))
    page = c.get("/equipment/items/cmm-1/").content.decode()
    url = f"/equipment/items/cmm-1/photos/{shot.pk}/"
    assert f'src="{url}"' in page
    r = c.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content) == png()
    assert c.get(f"/equipment/items/{other.external_id}/photos/{shot.pk}/").status_code == 404
    assert c.get("/equipment/items/cmm-1/photos/999999/").status_code == 404
    remove = c.post(f"{url}remove/")
    assert EquipmentPhoto.objects.exists() == (persona not in MANAGERS)
    if persona not in MANAGERS:
        assert remove.status_code == (302 if persona == "anonymous" else 404)


@pytest.mark.parametrize(("content", "name", "reason"), [
    (b"", "empty.png", "empty"),
    (b"%PDF-1.7 not an image", "drawing.png", "PNG, JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "broken.png", "damaged"),
])
def test_bad_files_are_refused_with_the_reason_and_nothing_written(
        staff: Any, machine: Any, content: bytes, name: str, reason: str, settings: Any) -> None:
    with pytest.raises(ActionRefused, match=reason) as exc:
        actions.add_photo(staff, machine, name, content)
    assert exc.value.field == "photo"
    assert not EquipmentPhoto.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "equipment").exists()


def test_size_limit_duplicates_and_the_per_item_cap(staff: Any, machine: Any,
                                                    settings: Any) -> None:
    settings.CLUSTERHUB_MAX_UPLOAD_BYTES = 50
    with pytest.raises(ActionRefused, match="larger than"):
        actions.add_photo(staff, machine, "big.png", png())
    settings.CLUSTERHUB_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    actions.add_photo(staff, machine, "a.png", png("red"))
    with pytest.raises(ActionRefused, match="already"):
        actions.add_photo(staff, machine, "again.png", png("red"))
    colours = ["blue", "green", "white", "black", "yellow", "cyan", "magenta", "gray", "orange",
               "purple", "pink"]
    for colour in colours:
        actions.add_photo(staff, machine, f"{colour}.png", png(colour))
    assert machine.photos.count() == EquipmentPhoto.MAX_PER_ITEM
    with pytest.raises(ActionRefused, match="at most 12"):
        actions.add_photo(staff, machine, "brown.png", png("brown"))


def test_removing_the_last_reference_deletes_the_file(staff: Any, machine: Any, hub: Any,
                                                      settings: Any,
                                                      django_capture_on_commit_callbacks: Any
                                                      ) -> None:
    other = EquipmentFactory(external_id="other-1", owner=hub.institute, site=hub.centre)
    first = actions.add_photo(staff, machine, "a.png", png())
    second = actions.add_photo(staff, other, "a.png", png())  # the same file on two items
    path = Path(settings.MEDIA_ROOT) / first.storage_path
    with django_capture_on_commit_callbacks(execute=True):
        actions.remove_photo(staff, first)
    assert path.exists()  # still the other item's photo
    with django_capture_on_commit_callbacks(execute=True):
        actions.remove_photo(staff, second)
    assert not path.exists()
