"""Tables out of the hub: one writer for CSV, XLSX and JSON, used by reports and downloads.

A table is a list of columns (key, label) and rows (dicts keyed by column key). ``None`` is
written as an empty CSV cell, an empty XLSX cell and JSON ``null``: "not reported" never
becomes 0.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass
class Table:
    """Columns as (key, label) pairs and rows as dicts; ``title`` names the sheet."""

    columns: Sequence[tuple[str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    title: str = "report"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark so that spreadsheet programs read Korean correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([str(label) for _, label in table.columns])
    for row in table.rows:
        writer.writerow(["" if row.get(k) is None else _plain(row.get(k)) for k, _ in table.columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(*tables: Table) -> bytes:
    """One sheet per table, header row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for table in tables:
        ws = wb.create_sheet(title=_sheet_name(table.title, wb.sheetnames))
        ws.append([str(label) for _, label in table.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for row in table.rows:
            ws.append([_xlsx_value(row.get(k)) for k, _ in table.columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sheet_name(title: str, taken: list[str]) -> str:
    name = "".join(c for c in str(title) if c not in "[]:*?/\\")[:31] or "sheet"
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    return name


def to_json(data: Any) -> bytes:
    """JSON of a table (a list of row objects) or of any plain structure."""
    if isinstance(data, Table):
        data = [{k: row.get(k) for k, _ in data.columns} for row in data.rows]
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


def render(table: Table, fmt: str, json_data: Any = None) -> bytes:
    """The table in one of FORMATS; ``json_data`` replaces the row list for JSON when given."""
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    if fmt == "json":
        return to_json(table if json_data is None else json_data)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    """An attachment response; ``filename`` without extension (ASCII is safest)."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
