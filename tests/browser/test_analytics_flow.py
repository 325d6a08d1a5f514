"""An analyst in Chromium, in Korean: the seed's Table 4-7 out of activity records, the
comparison with its totals, a download, the regional map and the programme finder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clusterhub.analytics.demo import PROGRAMME_FILES, REGION_FILES, SEED_FILES
from clusterhub.core.importing import import_files
from clusterhub.testing import PASSWORD, build_hub

pytestmark = pytest.mark.browser

CORE = Path(__file__).resolve().parents[2] / "src" / "clusterhub" / "core" / "reference"


def login(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("header .me span")).to_have_text(username)


def test_analyst_reads_the_seed_tables(transactional_db: Any, page: Page) -> None:
    build_hub()
    import_files([CORE / "regions.jsonl", CORE / "fields.jsonl", CORE / "organisations.jsonl",
                  *SEED_FILES, *REGION_FILES, *PROGRAMME_FILES])
    login(page, "analyst")
    page.goto("/analytics/kpi/?institution=krict")
    table = page.locator("table.kpi")
    expect(page.locator("h1")).to_contain_text("한국화학연구원")
    expect(table.locator("tr", has_text="총연구개발비(A+B)")).to_contain_text("12944")
    expect(table.locator("tr", has_text="년간교육총인원")).to_contain_text("-")
    page.goto("/analytics/kpi/compare/?metric=trainees&from=2004&to=2004")
    expect(page.locator("tr.total")).to_contain_text("3607")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename == "kpi.xlsx"
    page.goto("/analytics/regions/")
    expect(page.locator("svg.korea-map path")).to_have_count(17)
    expect(page.locator("table.kpi")).to_contain_text("R&D중심지역")
    page.goto("/analytics/programmes/?organisation=seed-sme-0001&budget=40")
    expect(page.locator("table.kpi").first).to_contain_text("한도 도달")
