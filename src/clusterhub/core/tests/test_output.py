"""Shared output helpers: tables in CSV/XLSX/JSON, Korean PDF, SVG charts, the report command."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from clusterhub.core import charts, tabular
from clusterhub.core.pdf import PdfDocument

TABLE = tabular.Table([("name", "기관"), ("projects", "과제 수")],
                      [{"name": "생산기술연구원", "projects": 12}, {"name": "전기연구원", "projects": None}],
                      title="공동연구")


def test_csv_keeps_korean_and_writes_missing_as_empty() -> None:
    text = tabular.to_csv(TABLE).decode("utf-8")
    assert text.startswith("\ufeff기관,과제 수")
    assert text.splitlines()[1:] == ["생산기술연구원,12", "전기연구원,"]


def test_xlsx_has_header_rows_and_empty_cells_for_missing() -> None:
    wb = load_workbook(io.BytesIO(tabular.to_xlsx(TABLE)))
    ws = wb["공동연구"]
    assert [c.value for c in ws[1]] == ["기관", "과제 수"]
    assert [c.value for c in ws[3]] == ["전기연구원", None]


def test_json_keeps_null() -> None:
    assert json.loads(tabular.to_json(TABLE))[1] == {"name": "전기연구원", "projects": None}


def test_unknown_format_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="json, csv, xlsx"):
        tabular.render(TABLE, "ods")


def test_pdf_shows_korean_text_and_dash_for_missing() -> None:
    doc = PdfDocument("기관별 성과", "2000-2004")
    doc.table(["항목", "2003", "2004"], [["공동연구 과제 수", 12, None]])
    text = PdfReader(io.BytesIO(doc.render())).pages[0].extract_text()
    assert "기관별 성과" in text and "공동연구 과제 수" in text and "-" in text


def test_bar_chart_escapes_labels_and_skips_missing_values() -> None:
    svg = str(charts.bar_chart("<t>", ["2003", "2004"], [("a&b", [5, None])]))
    assert "&lt;t&gt;" in svg and "a&amp;b: 5" in svg
    assert svg.count("<rect") == 1  # the missing value draws no bar


def test_line_chart_breaks_at_gaps() -> None:
    svg = str(charts.line_chart("t", ["1", "2", "3"], [("s", [1, None, 3])]))
    path = svg.split('d="')[1].split('"')[0]
    assert path.count("M") == 2 and "L" not in path


def test_scatter_chart_draws_quadrant_labels() -> None:
    svg = str(charts.scatter_chart("t", [("울산", 2.0, 0.5)], "x", "y", 0, 0,
                                   ["가", "나", "다", "라"]))
    assert all(q in svg for q in "가나다라") and "울산" in svg
