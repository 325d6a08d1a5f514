"""Programme catalogue: Table 4-1 as data, the fit for a firm and budget, the split."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from clusterhub.analytics import programmes
from clusterhub.analytics.demo import PROGRAMME_FILES
from clusterhub.analytics.models import Programme
from clusterhub.core.importing import RecordError, import_files
from clusterhub.testing import FirmFactory

from .conftest import PERSONAS, READERS, user_of, write_jsonl


@pytest.fixture
def catalogue(db: Any) -> None:
    import_files(PROGRAMME_FILES)


def test_nine_programmes_of_table_4_1(catalogue: None) -> None:
    names = list(Programme.objects.values_list("name", flat=True))
    assert len(names) == 9
    assert names[0] == "지역전략산업진흥" and names[-1] == "산학협력실 설치지원사업"
    p = Programme.objects.get(external_id="iuc-lead-university")
    assert (p.gov_share, p.local_share, p.private_share) == (Decimal("0.9"), Decimal("0.05"),
                                                            Decimal("0.05"))


def test_hand_worked_split(catalogue: None, hub: Any) -> None:
    """A 45-employee manufacturer (an SME), budget 40 M KRW."""
    fits = {f.programme.external_id: f for f in programmes.fit(hub.firm, Decimal("40"))}
    # 산학연공동기술개발: 75 % public = 30, capped at 20; the firm pays 20.
    joint = fits["iur-joint-rnd"]
    assert joint.fits and joint.capped
    assert (joint.gov_mkrw, joint.local_mkrw, joint.firm_mkrw) == (20, 0, 20)
    # 지역혁신인력양성: 75 % = 30 under the 100 cap; 25 % = 10 private.
    hr = fits["regional-hr"]
    assert (hr.gov_mkrw, hr.firm_mkrw, hr.capped) == (30, 10, False)
    # Not for firms: technoparks only.
    assert not fits["technopark"].fits
    assert "not open to this kind" in fits["technopark"].reasons[0]
    # No shares in the seed: no split.
    assert fits["regional-strategic-industry"].gov_mkrw is None


def test_local_government_share(catalogue: None) -> None:
    p = Programme.objects.get(external_id="iuc-lead-university")
    assert programmes.split(p, Decimal("1000")) == (Decimal("900.00"), Decimal("50.00"),
                                                   Decimal("50.00"), False)


def test_large_firm_is_refused_sme_programmes(catalogue: None) -> None:
    big = FirmFactory(employees=900)
    fits = {f.programme.external_id: f for f in programmes.fit(big, Decimal("50"))}
    assert fits["iur-joint-rnd"].reasons == ["for SMEs only"]
    assert fits["regional-innovation-pilot"].fits


def test_shares_must_add_up(db: Any, tmp_path: Any) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [
        {"type": "programme", "id": "x", "name": "x", "target": "", "size": "", "funding": "",
         "content": "", "gov_share": 0.5, "local_share": 0.1, "private_share": 0.1,
         "source": "test"}])
    with pytest.raises(RecordError) as err:
        import_files([path])
    assert err.value.field == "private_share"


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_personas(catalogue: None, hub: Any, client_for: Any, persona: str) -> None:
    client = client_for(user_of(hub, persona))
    response = client.get(reverse("analytics:programmes"),
                          {"organisation": "f-a", "budget": "40"})
    if persona == "anonymous":
        assert response.status_code == 302
    elif persona in READERS or persona in ("sme", "other_sme"):
        html = response.content.decode()
        assert response.status_code == 200 and "산학연공동기술개발" in html
        if persona == "other_sme":  # another firm's id: refused, not shown
            assert "Unknown organisation id" in html
        else:
            assert "cap reached" in html
    else:
        assert response.status_code == 404


def test_sme_member_searches_for_own_firm(catalogue: None, hub: Any, client_for: Any) -> None:
    html = client_for(hub.sme).get(reverse("analytics:programmes"),
                                   {"budget": "40"}).content.decode()
    assert hub.firm.name in html and "cap reached" in html


def test_catalogue_downloads(catalogue: None, hub: Any, client_for: Any) -> None:
    import io

    from openpyxl import load_workbook

    url = reverse("analytics:programmes")
    csv = client_for(hub.analyst).get(url, {"format": "csv"})
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + Programme.objects.count() == 10
    book = load_workbook(io.BytesIO(client_for(hub.sme).get(url, {"format": "xlsx"}).content))
    sheet = book[book.sheetnames[0]]
    first = Programme.objects.order_by("position", "pk").first()
    names = [sheet.cell(row=r, column=2).value for r in range(2, sheet.max_row + 1)]
    assert first is not None and first.name in names
    assert client_for(hub.analyst).get(url, {"format": "pdfx"}).status_code == 404
