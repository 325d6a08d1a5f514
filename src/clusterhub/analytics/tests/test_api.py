"""The analytics API: KPI report, totals, incentives, typology, programmes; who may call."""

from __future__ import annotations

from typing import Any

import pytest

from clusterhub.analytics import actions
from clusterhub.analytics.demo import PROGRAMME_FILES
from clusterhub.core.importing import import_files

from .conftest import READERS, user_of
from .test_incentives import _case

API_PERSONAS = ["sme", "other_sme", "expert", "other_expert", "coordinator", "other_coordinator",
                "admin", "analyst"]


def test_kpi_json_matches_the_cli_shape(seed_records: Any, hub: Any, api_for: Any) -> None:
    data = api_for(hub.analyst).get("/api/v1/analytics/kpi",
                                    {"institution": "keri,krict", "year_from": 2004}).json()
    assert list(data) == ["keri", "krict"]
    assert data["keri"]["2004"]["joint_rnd_total_mkrw"] == 36925
    assert data["krict"]["2004"]["trainees"] is None
    totals = api_for(hub.analyst).get("/api/v1/analytics/kpi/totals",
                                      {"year_from": 2004}).json()
    assert totals["2004"]["values"]["guidance_firms"] == 730
    assert totals["2004"]["missing"]["training_smes"] == ["etri", "krict"]


def test_kpi_unknown_institution(hub: Any, api_for: Any) -> None:
    response = api_for(hub.admin).get("/api/v1/analytics/kpi", {"institution": "nope"})
    assert response.status_code == 422 and response.json()["field"] == "institution"


@pytest.mark.parametrize("persona", API_PERSONAS)
def test_personas(hub: Any, api_for: Any, persona: str) -> None:
    client = api_for(user_of(hub, persona))
    for url in ("/api/v1/analytics/incentives/2025", "/api/v1/analytics/typology?year=2004"):
        assert client.get(url).status_code == (200 if persona in READERS else 404), url
    # Experts read their own institute's KPIs, as on the web.
    kpi_readers = {*READERS, "expert", "other_expert"}
    assert client.get("/api/v1/analytics/kpi").status_code == \
        (200 if persona in kpi_readers else 404)


def test_an_expert_reads_only_their_own_institutes_kpis(seed_records: Any, hub: Any,
                                                        api_for: Any) -> None:
    org = hub.expert_user.expert.organisation
    own = [org.external_id] + ([org.parent.external_id] if org.parent_id else [])
    client = api_for(hub.expert_user)
    assert set(client.get("/api/v1/analytics/kpi").json()) <= set(own)
    assert client.get("/api/v1/analytics/kpi", {"institution": "keri"}).status_code == 404
    assert client.get("/api/v1/analytics/kpi",
                      {"institution": own[-1]}).status_code == 200


def test_anonymous_is_401(db: Any, api_for: Any) -> None:
    assert api_for(None).get("/api/v1/analytics/kpi").status_code == 401


def test_incentives_recompute_and_read(hub: Any, api_for: Any) -> None:
    _case(hub)
    response = api_for(hub.analyst).post("/api/v1/analytics/incentives", {"period": "2025"},
                                         content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["points"] == "16.83" or float(body["points"]) == 16.83
    assert {ln["rule"] for ln in body["lines"]} >= {"defect_rate", "satisfaction"}
    refused = api_for(hub.coordinator).post("/api/v1/analytics/incentives", {"period": "2025"},
                                            content_type="application/json")
    assert refused.status_code == 403
    bad = api_for(hub.admin).post("/api/v1/analytics/incentives", {"period": "2025-Q9"},
                                  content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    actions.recompute_incentives(hub.admin, "2025")


def test_programme_fit(hub: Any, api_for: Any) -> None:
    import_files(PROGRAMME_FILES)
    assert len(api_for(hub.sme).get("/api/v1/analytics/programmes").json()) == 9
    own = api_for(hub.sme).get("/api/v1/analytics/programmes/fit", {"budget_mkrw": 40}).json()
    joint = next(f for f in own if f["programme"] == "iur-joint-rnd")
    assert joint["fits"] and float(joint["firm_mkrw"]) == 20
    other = api_for(hub.sme).get("/api/v1/analytics/programmes/fit",
                                 {"budget_mkrw": 40, "organisation": "f-b"})
    assert other.status_code == 404
    assert api_for(hub.expert_user).get("/api/v1/analytics/programmes/fit",
                                        {"budget_mkrw": 40, "organisation": "f-a"}
                                        ).status_code == 404
    assert api_for(hub.analyst).get("/api/v1/analytics/programmes/fit",
                                    {"budget_mkrw": 0, "organisation": "f-a"}
                                    ).status_code == 422
