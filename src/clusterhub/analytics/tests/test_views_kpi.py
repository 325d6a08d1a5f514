"""KPI pages and downloads: who may see them, what they show, how many queries."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse

from .conftest import PERSONAS, READERS, user_of

PAGES = [("analytics:index", {}), ("analytics:kpi", {}), ("analytics:kpi_compare", {}),
         ("analytics:kpi_download", {"fmt": "csv"})]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_personas(hub: Any, client_for: Any, persona: str, name: str,
                  kwargs: dict[str, str]) -> None:
    response = client_for(user_of(hub, persona)).get(reverse(name, kwargs=kwargs))
    # Experts see their own institute's KPIs (not the comparison across institutes).
    institute_staff = persona in ("expert", "other_expert") and name != "analytics:kpi_compare"
    if persona == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    elif persona in READERS or institute_staff:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


def test_kpi_table_as_in_the_seed(seed_records: dict[str, Any], hub: Any,
                                  client_for: Any) -> None:
    page = client_for(hub.analyst).get(reverse("analytics:kpi"), {"institution": "krict"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "한국화학연구원" in html
    for cell in ("9826", "12944", "4.8", "0.5"):
        assert f">{cell}<" in html
    assert '<td class="na">-</td>' in html  # training not reported
    assert "<svg" in html


def test_kpi_page_unknown_institution_is_404(seed_records: Any, hub: Any,
                                              client_for: Any) -> None:
    response = client_for(hub.analyst).get(reverse("analytics:kpi"), {"institution": "nope"})
    assert response.status_code == 404


def test_comparison_totals_and_missing_note(seed_records: Any, hub: Any,
                                            client_for: Any) -> None:
    response = client_for(hub.coordinator).get(reverse("analytics:kpi_compare"),
                                               {"metric": "trainees", "from": "2004"})
    html = response.content.decode()
    assert ">3607<" in html
    assert "한국전자통신연구원" in html.split("not reported")[1]


def test_kpi_page_query_count_is_fixed(seed_records: Any, hub: Any, client_for: Any,
                                       django_assert_max_num_queries: Any) -> None:
    client = client_for(hub.analyst)
    client.get(reverse("analytics:kpi"))
    # session + user + profile, 12 aggregates, 2 hub-case queries, institute reports, names
    with django_assert_max_num_queries(22):
        client.get(reverse("analytics:kpi"), {"institution": "kitech"})


def test_downloads(seed_records: Any, hub: Any, client_for: Any) -> None:
    from openpyxl import load_workbook

    client = client_for(hub.admin)
    url = lambda fmt: reverse("analytics:kpi_download", kwargs={"fmt": fmt})  # noqa: E731
    csv = client.get(url("csv"), {"institution": "etri", "from": "2004", "to": "2004"})
    text = csv.content.decode("utf-8-sig")
    assert csv["Content-Type"].startswith("text/csv")
    header, row = text.splitlines()[:2]
    assert row.startswith("etri,") and row.endswith(",1796,,")  # training not reported
    xlsx = client.get(url("xlsx"), {"institution": "kitech"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 6 and sheet["D2"].value == 71
    pdf = client.get(url("pdf"))
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    assert client.get(url("html")).status_code == 404


def test_korean_labels_by_default(seed_records: Any, tmp_path: Any, settings: Any) -> None:
    from django.core.management import call_command

    settings.LANGUAGE_CODE = "ko"  # the hub's default (these tests run in English)
    out = tmp_path / "kpi.csv"
    call_command("report", "kpi", "--institution", "kimm", "--format", "csv",
                 "--output", str(out))
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "중소기업 참여과제수" in header and "년간교육총인원" in header
    assert "총연구개발비(A+B) (백만" in header  # the unit, whichever catalogue spells it


def test_expert_sees_only_their_institute(seed_records: Any, hub: Any, client_for: Any) -> None:
    """The hub's expert works at kitech-busan, a branch of kitech."""
    client = client_for(hub.expert_user)
    page = client.get(reverse("analytics:kpi"))
    html = page.content.decode()
    assert page.status_code == 200 and "kitech" in html and "krict" not in html
    assert client.get(reverse("analytics:kpi"), {"institution": "krict"}).status_code == 404
    url = reverse("analytics:kpi_download", kwargs={"fmt": "csv"})
    assert client.get(url, {"institution": "krict"}).status_code == 404
    rows = client.get(url).content.decode("utf-8-sig").splitlines()[1:]
    assert {r.split(",")[0] for r in rows} == {"kitech"}
