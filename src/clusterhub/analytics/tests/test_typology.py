"""Regional typology: the classes of Fig 5-1 from demo indicators like the seed's."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clusterhub.analytics import typology
from clusterhub.analytics.demo import REGION_FILES
from clusterhub.core.importing import RecordError, import_files

from .conftest import PERSONAS, READERS, user_of, write_jsonl


@pytest.fixture
def indicators(reference: None) -> None:
    import_files(REGION_FILES)


def test_classes_come_out_as_in_fig_5_1(indicators: None) -> None:
    results = {r.id: r for r in typology.classify(2004)}
    cfg = typology.config()
    expected = {"ulsan": "industry_led", "changwon": "industry_led", "gumi": "industry_led",
                "capital": "self_sufficient", "gwangju": "selective_concentration",
                "gunsan": "selective_concentration", "wonju": "selective_concentration",
                "daejeon": "rnd_centred"}
    for place, cls in expected.items():
        unit = cfg["seed_examples"][place]
        assert results[unit].cls == cls, (place, results[unit])
    assert results["capital"].regions == ["11", "28", "41"]
    assert results["31"].cls_info["instruments"] == ["산학연 종합기술지원센터 운영",
                                                     "시설장비 공동활용사업"]
    assert "36" not in results  # 세종 has no data (it did not exist in 2004)


def test_hand_worked_index(reference: None, tmp_path: Any) -> None:
    """Two regions, one indicator per axis: shares 3/4 and 1/4 -> indices 1.5 and 0.5."""
    path = write_jsonl(tmp_path / "ri.jsonl", [
        {"type": "region_indicator", "id": "a1", "region": "울산", "year": 2010,
         "indicator": "mfg_output", "value": 300},
        {"type": "region_indicator", "id": "a2", "region": "대전", "year": 2010,
         "indicator": "mfg_output", "value": 100},
        {"type": "region_indicator", "id": "b1", "region": "울산", "year": 2010,
         "indicator": "rnd_spending", "value": 10},
        {"type": "region_indicator", "id": "b2", "region": "대전", "year": 2010,
         "indicator": "rnd_spending", "value": 30},
    ])
    import_files([path])
    results = {r.id: r for r in typology.classify(2010)}
    assert (results["31"].industry, results["31"].st) == (1.5, 0.5)
    assert (results["30"].industry, results["30"].st) == (0.5, 1.5)
    assert results["31"].cls == "industry_led" and results["30"].cls == "rnd_centred"
    # Weights are configurable: an S&T axis of R&D personnel only has no data -> 0.
    assert typology.classify(2010, {"rnd_spending": 0})[0].st == 0.0


def test_unknown_indicator_is_a_field_error(reference: None, tmp_path: Any) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [
        {"type": "region_indicator", "id": "x", "region": "11", "year": 2004,
         "indicator": "gdp_growth", "value": 3}])
    with pytest.raises(RecordError) as err:
        import_files([path])
    assert err.value.field == "indicator" and "unknown indicator 'gdp_growth'" in err.value.reason


def test_map_has_the_17_regions() -> None:
    data = typology.korea_map()
    assert len({r["code"] for r in data["regions"]}) == 17


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_personas(indicators: None, hub: Any, client_for: Any, persona: str) -> None:
    response = client_for(user_of(hub, persona)).get(reverse("analytics:typology"))
    if persona == "anonymous":
        assert response.status_code == 302
    elif persona in READERS:
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count("<path ") == 17 and "R&amp;D-centred" in html
        assert "산학연 공동연구법인 설립 지원" in html
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_download_what_the_page_shows(indicators: None, hub: Any, client_for: Any,
                                      persona: str) -> None:
    """CSV and XLSX of the classes with the page's own weights and threshold."""
    import csv
    import io

    client = client_for(user_of(hub, persona))
    url = reverse("analytics:typology")
    response = client.get(url, {"year": 2004, "format": "csv"})
    if persona == "anonymous":
        assert response.status_code == 302
        return
    if persona not in READERS:
        assert response.status_code == 404
        return
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = {r.id: r for r in typology.classify(2004)}
    assert {row["Id"]: row["Class"] for row in rows} == {
        i: r.cls_info["name_en"] for i, r in expected.items()}
    ulsan = typology.config()["seed_examples"]["ulsan"]
    assert next(r for r in rows if r["Id"] == ulsan)["Class"] == "Industry-led"
    weighted = client.get(url, {"year": 2004, "w_rnd_spending": "0", "format": "csv"})
    st = {row["Id"]: float(row["S&T index"]) for row in
          csv.DictReader(io.StringIO(weighted.content.decode("utf-8-sig")))}
    assert st == {i: round(r.st, 4) for i, r in
                  ((r.id, r) for r in typology.classify(2004, {"rnd_spending": 0.0}))}
    xlsx = client.get(url, {"year": 2004, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(url, {"year": 2004, "format": "pdfx"}).status_code == 404
    page = client.get(url, {"year": 2004}).content.decode()
    assert "year=2004&amp;format=csv" in page
