"""Cluster network: a hand-built graph's indicators, growth per year, page access."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clusterhub.analytics import network
from clusterhub.analytics.models import JointRnd
from clusterhub.testing import FirmFactory, OrganisationFactory, advance, new_request

from .conftest import PERSONAS, READERS, user_of


def _project(inst: Any, year: int, *firms: Any) -> None:
    p = JointRnd.objects.create(external_id=f"p-{inst.pk}-{year}-{firms[0].pk}",
                                institution=inst, year=year, title="과제", gov_mkrw=1,
                                sme_mkrw=1)
    p.firms.set(firms)


def test_hand_built_network(db: Any) -> None:
    """Two institutes, three firms; firm b works with both institutes (the broker)."""
    i1, i2 = OrganisationFactory(name="연구원1"), OrganisationFactory(name="연구원2")
    a, b, c = FirmFactory(name="가"), FirmFactory(name="나"), FirmFactory(name="다")
    _project(i1, 2003, a, b)
    _project(i2, 2004, b, c)
    g = network.build()
    ind = network.indicators(g)
    assert (ind.nodes, ind.edges, ind.components) == (5, 4, 1)
    assert ind.density == 0.4  # 4 of 10 possible links
    assert ind.brokers[0] == ("나", 0.6667)  # on 4 of the 6 shortest paths between others
    assert network.growth(g) == [
        {"year": 2003, "nodes": 3, "edges": 2, "density": 0.666667, "components": 1},
        {"year": 2004, "nodes": 5, "edges": 4, "density": 0.4, "components": 1},
    ]
    assert network.build(year_to=2003).number_of_nodes() == 3


def test_support_cases_link_firm_expert_and_centre(hub: Any) -> None:
    advance(hub, new_request(hub), "in_progress")
    g = network.build()
    assert g.has_edge(f"o:{hub.firm.pk}", f"e:{hub.expert.pk}")
    assert g.has_edge(f"e:{hub.expert.pk}", f"o:{hub.centre.pk}")
    assert network.indicators(g).brokers[0][0] == hub.expert.name


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_personas(hub: Any, client_for: Any, persona: str) -> None:
    advance(hub, new_request(hub), "in_progress")
    response = client_for(user_of(hub, persona)).get(reverse("analytics:network"))
    if persona == "anonymous":
        assert response.status_code == 302
    elif persona in READERS:
        assert response.status_code == 200 and hub.expert.name in response.content.decode()
    else:
        assert response.status_code == 404


def test_download_what_the_page_shows(hub: Any, client_for: Any) -> None:
    import io

    from openpyxl import load_workbook

    advance(hub, new_request(hub), "in_progress")
    client = client_for(hub.analyst)
    url = reverse("analytics:network")
    assert "format=csv" in client.get(url).content.decode()
    rows = network.growth(network.build())
    csv = client.get(url, {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + len(rows) and lines[1].startswith(f"{rows[0]['year']},")
    book = load_workbook(io.BytesIO(client.get(url, {"format": "xlsx"}).content))
    assert len(book.sheetnames) == 3
    brokers = book[book.sheetnames[1]]
    assert brokers.cell(row=2, column=2).value == hub.expert.name
    assert client.get(url, {"format": "pdfx"}).status_code == 404
    assert client_for(hub.sme).get(url, {"format": "csv"}).status_code == 404
