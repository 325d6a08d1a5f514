"""Content-addressed file storage under each workspace, type checks by content, safe names,
and PDF stamping on download."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

from django.conf import settings

# Accepted types by their first bytes, with the file-name endings each may carry.
MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"AC10", "application/acad"),
    (b"ISO-10303-21", "application/step"),
]
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/acad": (".dwg",),
    "application/step": (".stp", ".step"),
    "image/vnd.dxf": (".dxf",),
    "model/stl": (".stl",),
}
ACCEPTED = "PDF, PNG, JPEG, GIF, WebP, DWG, DXF, STEP, STL"


def sniff(content: bytes, name: str) -> str | None:
    """The content type read from the bytes (the name only tells text formats apart)."""
    head = content[:512]
    for magic, ctype in MAGIC:
        if head.startswith(magic):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    lower = name.lower()
    if lower.endswith(".dxf") and b"SECTION" in head[:200]:
        return "image/vnd.dxf"
    if lower.endswith(".stl") and (head.startswith(b"solid") or _binary_stl(content)):
        return "model/stl"
    return None


def _binary_stl(content: bytes) -> bool:
    if len(content) < 84:
        return False
    triangles = int.from_bytes(content[80:84], "little")
    return len(content) == 84 + 50 * triangles


def extension_matches(name: str, ctype: str) -> bool:
    suffix = Path(name).suffix.lower()
    return suffix in EXTENSIONS.get(ctype, ())


_UNSAFE = re.compile(r"[^\w.\-()+ ]", re.UNICODE)


def safe_filename(name: str) -> str:
    """The last path part, NFC, without control or shell characters; never hidden or empty."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    base = re.sub(r"_+", "_", base)
    if not base or base.startswith("."):
        base = "file" + base
    stem, dot, ext = base.rpartition(".")
    if dot and len(base) > 120:
        base = stem[: 120 - len(ext) - 1] + "." + ext
    return base[:120]


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def path_of(storage_path: str) -> Path:
    return Path(settings.MEDIA_ROOT) / storage_path


def store(storage_path: str, content: bytes) -> None:
    """Write once (same hash, same bytes); a partial write never takes the final name."""
    path = path_of(storage_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and digest(path.read_bytes()) == Path(storage_path).name:
        return
    tmp = path.with_suffix(".part")
    tmp.write_bytes(content)
    tmp.replace(path)


def read_verified(storage_path: str, sha256: str) -> tuple[bytes | None, str | None]:
    """(content, None) when the file is there and matches its hash; else (None, the kind of
    transfer error: "missing_file" or "hash_mismatch")."""
    path = path_of(storage_path)
    if not path.is_file():
        return None, "missing_file"
    content = path.read_bytes()
    if digest(content) != sha256:
        return None, "hash_mismatch"
    return content, None


def stamp_pdf(content: bytes, line: str) -> bytes:
    """Every page with a footer line (recipient, time, revision) drawn over it."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    from clusterhub.core.pdf import korean_font

    font = korean_font()
    writer = PdfWriter(clone_from=io.BytesIO(content))
    overlays: dict[tuple[float, float], Any] = {}  # one overlay per page size, reused
    for page in writer.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        if size not in overlays:
            buf = io.BytesIO()
            c = canvas.Canvas(buf, pagesize=size)
            c.setFont(font, 7)
            c.setFillColorRGB(0.75, 0.1, 0.1)
            c.drawString(18, 10, line)
            c.save()
            overlays[size] = PdfReader(io.BytesIO(buf.getvalue())).pages[0]
        page.merge_page(overlays[size])
    writer.add_metadata({"/ClusterHubStamp": line})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_info(content: bytes) -> dict[str, object]:
    """A preview of a PDF: pages, first page size in mm, title and the first page's text."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        first = reader.pages[0]
        text = (first.extract_text() or "").strip()
        meta = reader.metadata
        return {"pages": len(reader.pages),
                "width_mm": round(float(first.mediabox.width) * 25.4 / 72),
                "height_mm": round(float(first.mediabox.height) * 25.4 / 72),
                "title": (meta.title if meta and meta.title else "") or "",
                "text": text[:600]}
    except Exception as exc:  # an unreadable PDF still gets a page, saying so
        return {"error": str(exc)[:200]}


def image_info(content: bytes) -> dict[str, object]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as im:
            return {"width": im.width, "height": im.height, "mode": im.mode}
    except Exception as exc:
        return {"error": str(exc)[:200]}


def thumbnail_png(content: bytes, size: int = 480) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(content)) as im:
        im.thumbnail((size, size))
        out = io.BytesIO()
        im.convert("RGB").save(out, "PNG")
        return out.getvalue()
