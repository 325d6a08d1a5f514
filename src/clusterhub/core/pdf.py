"""PDF documents with Korean text (ReportLab with a TrueType Korean font).

The font comes from ``CLUSTERHUB_PDF_FONT`` or the usual Debian paths (package
``fonts-nanum``); without one a PDF cannot show Korean, so :func:`korean_font` raises
``PdfFontMissing`` with the fix instead of writing empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings

FONT_NAME = "HubKorean"
FONT_BOLD = "HubKorean-Bold"
CANDIDATES = [
    ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
     "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"),
    ("/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
     "/usr/share/fonts/truetype/nanum/NanumBarunGothicBold.ttf"),
]


class PdfFontMissing(RuntimeError):
    """No TrueType Korean font was found."""


def korean_font() -> str:
    """Register the Korean font with ReportLab once; returns its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    configured = getattr(settings, "CLUSTERHUB_PDF_FONT", "") or ""
    pairs = [(configured, configured)] if configured else CANDIDATES
    for regular, bold in pairs:
        if Path(regular).is_file():
            pdfmetrics.registerFont(TTFont(FONT_NAME, regular))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, bold if Path(bold).is_file() else regular))
            return FONT_NAME
    raise PdfFontMissing("no Korean TrueType font: install the Debian package fonts-nanum or "
                         "set CLUSTERHUB_PDF_FONT to a .ttf file")


class PdfDocument:
    """A simple report: title, headings, paragraphs, tables and drawings, A4 with page numbers."""

    def __init__(self, title: str, subtitle: str = "", landscape: bool = False) -> None:
        from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

        font = korean_font()
        self.title = title
        self.landscape = landscape
        base = getSampleStyleSheet()
        self.styles = {
            "title": ParagraphStyle("t", parent=base["Title"], fontName=FONT_BOLD, fontSize=16,
                                    leading=22),
            "h": ParagraphStyle("h", parent=base["Heading2"], fontName=FONT_BOLD, fontSize=12,
                                leading=16, spaceBefore=10),
            "p": ParagraphStyle("p", parent=base["BodyText"], fontName=font, fontSize=9.5,
                                leading=14, wordWrap="CJK"),
            "cell": ParagraphStyle("c", parent=base["BodyText"], fontName=font, fontSize=8,
                                   leading=10, wordWrap="CJK"),
            "small": ParagraphStyle("s", parent=base["BodyText"], fontName=font, fontSize=7.5,
                                    leading=10, wordWrap="CJK"),
        }
        self.story: list[Any] = [self._para(title, "title")]
        if subtitle:
            self.story.append(self._para(subtitle, "small"))

    def _para(self, text: str, style: str) -> Any:
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        return Paragraph(escape(str(text)).replace("\n", "<br/>"), self.styles[style])

    def heading(self, text: str) -> None:
        self.story.append(self._para(text, "h"))

    def paragraph(self, text: str, small: bool = False) -> None:
        self.story.append(self._para(text, "small" if small else "p"))

    def table(self, header: Sequence[Any], rows: Sequence[Sequence[Any]],
              col_widths: Sequence[float] | None = None, numeric_from: int = 1) -> None:
        """A grid table; columns from ``numeric_from`` on are right-aligned; None shows '-'."""
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        def cell(v: Any) -> Any:
            return self._para("-" if v is None else _fmt(v), "cell")

        data = [[cell(h) for h in header]] + [[cell(v) for v in row] for row in rows]
        t = Table(data, colWidths=col_widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
        ]))
        self.story.append(t)

    def drawing(self, drawing: Any) -> None:
        """A ReportLab ``Drawing`` (charts from reportlab.graphics) or any flowable."""
        self.story.append(drawing)

    def image(self, png: bytes, width_mm: float = 160) -> None:
        from reportlab.lib.units import mm
        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        reader = ImageReader(io.BytesIO(png))
        w, h = reader.getSize()
        width = width_mm * mm
        self.story.append(Image(io.BytesIO(png), width=width, height=width * h / w))

    def spacer(self, height_mm: float = 4) -> None:
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer

        self.story.append(Spacer(1, height_mm * mm))

    def render(self) -> bytes:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        buf = io.BytesIO()
        size = landscape(A4) if self.landscape else A4
        doc = SimpleDocTemplate(buf, pagesize=size, title=self.title, author="ClusterHub",
                                leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                bottomMargin=15 * mm)

        def footer(canvas: Any, d: Any) -> None:
            canvas.saveState()
            canvas.setFont(FONT_NAME, 7.5)
            canvas.drawRightString(size[0] - 15 * mm, 8 * mm, f"{self.title} · {d.page}")
            canvas.restoreState()

        doc.build(self.story, onFirstPage=footer, onLaterPages=footer)
        return buf.getvalue()


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) < 1e15 else str(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)
