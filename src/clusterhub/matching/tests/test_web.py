"""Matching on the desk's pages, for every persona: live intake suggestions (SME only), the
coordinator's ranked list with one-click assignment, field corrections at intake and triage,
assignment proposals.

Most tests replace the engine's functions with fakes (fast, and the assertions are about the
pages); `test_intake_with_the_real_engine` and `test_request_matches_with_the_real_engine` use
the real one."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clusterhub.matching import engine
from clusterhub.matching.engine import Match
from clusterhub.matching.models import FieldCorrection
from clusterhub.support import actions
from clusterhub.support.models import Assignment, SolvedCase, Status, SupportRequest
from clusterhub.support.tests.conftest import PERSONAS, forward, messages_of, user_of
from clusterhub.testing import ExpertFactory, new_request

DESK = {"coordinator", "admin"}


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def as_persona(hub: Any, client_for: Any) -> Any:
    return lambda persona: client_for(user_of(hub, persona))


@pytest.fixture
def case(hub: Any) -> SolvedCase:
    case = SolvedCase.objects.create(
        external_id="hist-1", title="하우징 기공 개선", problem="ADC12 다이캐스팅 기공",
        solution="진공 다이캐스팅", support_type="guidance", region=hub.region, year=2023)
    case.fields.set([hub.casting])
    case.experts.set([hub.expert])
    return case


@pytest.fixture
def fake_engine(hub: Any, case: SolvedCase, monkeypatch: Any) -> dict[str, Any]:
    """engine.match / suggest_fields / similar_open_requests replaced; calls are recorded."""
    calls: dict[str, Any] = {"match": [], "suggest": []}

    def match(text: str, **kw: Any) -> list[Match]:
        calls["match"].append({"text": text, **kw})
        out = [Match("expert", "e-a", hub.expert.pk, hub.expert.name, 0.81,
                     ["Same field: 주조", "Solved 1 similar case"]),
               Match("case", case.external_id, case.pk, case.title, 0.7, ["Matches: 기공"]),
               Match("organisation", "kitech-busan", hub.centre.pk, hub.centre.name, 0.5,
                     ["경남 regional centre, same region"]),
               Match("expert", "e-b", hub.other_expert.pk, hub.other_expert.name, 0.3,
                     ["Related field: 금형"])]
        kinds = kw.get("kinds", ("expert", "organisation", "case"))
        return [m for m in out if m.kind in kinds][: kw.get("limit", 10)]

    def suggest_fields(text: str, limit: int = 3) -> list[tuple[Any, float]]:
        calls["suggest"].append(text)
        return [(hub.casting, 0.83), (hub.mould, 0.21)][:limit]

    monkeypatch.setattr(engine, "match", match)
    monkeypatch.setattr(engine, "suggest_fields", suggest_fields)
    monkeypatch.setattr(engine, "similar_open_requests", lambda text, **kw: [])
    return calls


def _login_redirect(response: Any, url: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


# --- intake -------------------------------------------------------------------------------------

TYPING = {"title": "하우징 불량", "description": "ADC12 다이캐스팅 하우징에 기공이 생깁니다"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_intake_suggestions_are_for_sme_members_only(hub, as_persona, fake_engine, persona):
    url = reverse("intake_suggest")
    response = as_persona(persona).post(url, TYPING, HTTP_HX_REQUEST="true")
    if persona == "anonymous":
        _login_redirect(response, url)
    else:
        assert response.status_code == (200 if persona in ("sme", "other_sme") else 404)
    assert bool(fake_engine["match"]) == (persona in ("sme", "other_sme"))


def test_intake_suggestions_show_fields_experts_and_cases_with_reasons(hub, as_persona,
                                                                        fake_engine, case):
    response = as_persona("sme").post(reverse("intake_suggest"),
                                      {**TYPING, "region": hub.region.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="fields" value="{hub.casting.pk}"' in html and "83%" in html
    assert hub.expert.name in html and reverse("expert", args=[hub.expert.pk]) in html
    assert "Same field: 주조" in html and "Solved 1 similar case" in html
    assert case.title in html and reverse("case", args=[case.pk]) in html
    assert hub.centre.name not in html  # experts and cases only
    [call] = fake_engine["match"]
    assert call["text"] == "하우징 불량\nADC12 다이캐스팅 하우징에 기공이 생깁니다"
    assert call["region"] == hub.region.code
    assert call["public_only"] is True  # an SME sees published cases only
    assert hub.firm.pk in call["exclude_organisation_ids"]  # never its own people


def test_intake_keeps_ticked_fields_across_refreshes(hub, as_persona, fake_engine,
                                                     monkeypatch):
    response = as_persona("sme").post(reverse("intake_suggest"),
                                      {**TYPING, "fields": [hub.casting.pk]})
    html = response.content.decode()
    assert f'name="fields" value="{hub.casting.pk}" checked' in html
    assert f'name="fields" value="{hub.mould.pk}">' in html
    # The text changed and casting is no longer suggested: the SME's tick stays.
    monkeypatch.setattr(engine, "suggest_fields", lambda text, limit=3: [(hub.mould, 0.6)])
    response = as_persona("sme").post(reverse("intake_suggest"),
                                      {**TYPING, "fields": [hub.casting.pk]})
    assert response.context["kept"] == [hub.casting]
    assert f'name="fields" value="{hub.casting.pk}" checked' in response.content.decode()


def test_intake_waits_for_a_description(hub, as_persona, fake_engine):
    response = as_persona("sme").post(reverse("intake_suggest"),
                                      {"title": "기공", "description": "기공"})
    assert response.status_code == 200
    assert "As you describe the problem" in response.content.decode()
    assert fake_engine["match"] == [] and fake_engine["suggest"] == []


def test_intake_refuses_get_and_bad_ids(hub, as_persona, fake_engine):
    client = as_persona("sme")
    assert client.get(reverse("intake_suggest")).status_code == 405
    assert client.post(reverse("intake_suggest"), {**TYPING, "fields": "x"}).status_code == 404


def test_new_request_page_asks_for_suggestions_as_the_sme_types(as_persona):
    html = as_persona("sme").get(reverse("request_new")).content.decode()
    assert f'hx-post="{reverse("intake_suggest")}"' in html
    assert 'hx-trigger="keyup changed delay:500ms"' in html
    assert 'hx-target="#intake-suggestions"' in html and 'id="intake-suggestions"' in html


def test_ticked_suggestions_are_filed_and_kept_as_a_correction(hub, as_persona, fake_engine):
    data = {**TYPING, "support_type": "guidance", "region": hub.region.pk, "urgency": "normal",
            # the mould field chosen in the list, casting ticked among the suggestions
            "fields": [hub.mould.pk, hub.casting.pk]}
    response = as_persona("sme").post(reverse("request_new"), data)
    req = SupportRequest.objects.get()
    assert response.status_code == 302
    assert set(req.fields.all()) == {hub.casting, hub.mould}
    correction = FieldCorrection.objects.get()
    assert (correction.request, correction.actor) == (req, hub.sme)
    assert correction.confirmed == ["mould", "casting"] or set(correction.confirmed) == {
        "mould", "casting"}
    assert [s["field"] for s in correction.suggested] == ["casting", "mould"]
    assert correction.added == [] and correction.removed == []


def test_no_correction_when_the_sme_chose_no_field(hub, as_persona, fake_engine):
    data = {**TYPING, "support_type": "guidance", "region": hub.region.pk, "urgency": "normal"}
    assert as_persona("sme").post(reverse("request_new"), data).status_code == 302
    assert not FieldCorrection.objects.exists()


def test_intake_with_the_real_engine(hub, as_persona, case):
    """The SME types a casting problem: the casting field, the casting expert and the solved
    case come up, and the firm's own expert does not."""
    engine.reset_engine()
    own = ExpertFactory(external_id="own", name="박사내", organisation=hub.firm,
                        keywords=["다이캐스팅", "기공"])
    own.fields.set([hub.casting])
    response = as_persona("sme").post(reverse("intake_suggest"),
                                      {"title": "하우징 기공", "region": hub.region.pk,
                                       "description": "알루미늄 다이캐스팅 하우징에 기공이 생겨 "
                                                      "기밀 불량이 납니다"})
    html = response.content.decode()
    assert response.status_code == 200
    fields = [f for f, _c, _t in response.context["fields"]]
    assert hub.casting in fields
    assert [m.pk for m in response.context["experts"]][:1] == [hub.expert.pk]
    assert own.name not in html
    assert case.pk in [m.pk for m in response.context["cases"]]
    assert all(m.reasons for m in response.context["experts"])


# --- the coordinator's request page -------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_ranked_list_is_for_the_desk_only(hub, as_persona, fake_engine, persona):
    offered = forward(hub, new_request(hub), "assigned")
    url = reverse("request_matches", args=[offered.pk])
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        _login_redirect(response, url)
        return
    # The request's own SME and expert see the request, but not the desk's ranked list.
    assert response.status_code == (200 if persona in DESK else 404)
    missing = as_persona(persona).get(reverse("request_matches", args=[987654]))
    assert missing.status_code == 404


def test_request_page_loads_the_ranked_list_for_the_desk(hub, as_persona, fake_engine):
    req = new_request(hub)
    url = reverse("request_matches", args=[req.pk])
    assert f'hx-get="{url}"' in as_persona("coordinator").get(req.get_absolute_url()).content \
        .decode()
    assert f'hx-get="{url}"' not in as_persona("sme").get(req.get_absolute_url()).content.decode()
    assert fake_engine["match"] == []  # the page itself does not wait for the engine


def test_ranked_list_shows_reasons_and_assign_buttons_when_assigning_is_possible(
        hub, as_persona, fake_engine, case):
    req = new_request(hub)
    client = as_persona("coordinator")
    html = client.get(reverse("request_matches", args=[req.pk])).content.decode()
    assert hub.expert.name in html and "Solved 1 similar case" in html
    assert hub.centre.name in html and case.title in html
    assert reverse("case", args=[case.pk]) in html  # published: linked
    assert 'form="action-triage"' in html  # suggested fields feed the triage form
    assert reverse("request_assign", args=[req.pk, hub.expert.pk]) not in html  # not triaged
    call = fake_engine["match"][-1]
    assert call["region"] == hub.region.code and hub.firm.pk in call["exclude_organisation_ids"]

    forward(hub, req, "triaged")
    html = client.get(reverse("request_matches", args=[req.pk])).content.decode()
    assert reverse("request_assign", args=[req.pk, hub.expert.pk]) in html
    assert reverse("request_assign", args=[req.pk, hub.other_expert.pk]) in html
    assert 'form="action-triage"' in html  # triage may be confirmed again

    forward(hub, req, "assigned")
    html = client.get(reverse("request_matches", args=[req.pk])).content.decode()
    assert reverse("request_assign", args=[req.pk, hub.expert.pk]) not in html  # offered
    assert reverse("request_assign", args=[req.pk, hub.other_expert.pk]) in html
    assert 'form="action-triage"' not in html


def test_unpublished_cases_are_listed_without_a_link(hub, as_persona, fake_engine, case):
    case.published = False
    case.save()
    html = as_persona("coordinator").get(
        reverse("request_matches", args=[new_request(hub).pk])).content.decode()
    assert case.title in html and reverse("case", args=[case.pk]) not in html


@pytest.mark.parametrize("persona", PERSONAS)
def test_one_click_assign_by_persona(hub, as_persona, persona):
    req = forward(hub, new_request(hub), "triaged")
    url = reverse("request_assign", args=[req.pk, hub.expert.pk])
    response = as_persona(persona).post(url)
    if persona == "anonymous":
        _login_redirect(response, url)
    elif persona in DESK:
        assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
        assert messages_of(response) == [f"Offered to {hub.expert.name}."]
        assert Assignment.objects.get().expert == hub.expert
        return
    else:
        assert response.status_code == 404
    assert not Assignment.objects.exists()


def test_one_click_assign_refuses_conflicts_of_interest(hub, as_persona):
    own = ExpertFactory(external_id="own", name="박사내", organisation=hub.firm)
    req = forward(hub, new_request(hub), "triaged")
    client = as_persona("coordinator")
    response = client.post(reverse("request_assign", args=[req.pk, own.pk]))
    assert response.status_code == 302
    assert messages_of(response) == ["박사내 belongs to the requesting firm (conflict of "
                                     "interest)."]
    assert not Assignment.objects.exists()
    assert client.get(reverse("request_assign", args=[req.pk, own.pk])).status_code == 405
    assert client.post(reverse("request_assign", args=[req.pk, 987654])).status_code == 404


def test_one_click_assign_of_a_request_not_waiting_says_why(hub, as_persona):
    req = new_request(hub)  # submitted: triage first
    response = as_persona("coordinator").post(
        reverse("request_assign", args=[req.pk, hub.expert.pk]))
    assert "Cannot assign a request that is Submitted" in messages_of(response)[0]


def test_triage_keeps_the_coordinators_correction(hub, as_persona, fake_engine):
    req = new_request(hub, fields=[])
    response = as_persona("coordinator").post(
        reverse("request_action", args=[req.pk, "triage"]),
        {"triage-support_type": "guidance", "triage-fields": [hub.mould.pk]})
    assert response.status_code == 302
    assert SupportRequest.objects.get(pk=req.pk).status == Status.TRIAGED
    correction = FieldCorrection.objects.get()
    assert (correction.request_id, correction.actor) == (req.pk, hub.coordinator)
    assert correction.confirmed == ["mould"]
    assert correction.added == [] and correction.removed == ["casting"]
    assert correction.suggested[0] == {"field": "casting", "confidence": 0.83}


def test_refused_triage_keeps_no_correction(hub, as_persona, fake_engine):
    req = forward(hub, new_request(hub), "assigned")
    response = as_persona("coordinator").post(
        reverse("request_action", args=[req.pk, "triage"]),
        {"triage-support_type": "guidance", "triage-fields": [hub.mould.pk]})
    assert response.status_code == 200
    assert not FieldCorrection.objects.exists()


def test_request_matches_with_the_real_engine(hub, as_persona, case):
    engine.reset_engine()
    req = forward(hub, new_request(hub), "triaged")
    response = as_persona("coordinator").get(reverse("request_matches", args=[req.pk]))
    rows = response.context["rows"]
    experts = [r["m"] for r in rows if r["m"].kind == "expert"]
    assert experts and experts[0].pk == hub.expert.pk and experts[0].reasons
    assert case.pk in [r["m"].pk for r in rows if r["m"].kind == "case"]
    assert reverse("request_assign", args=[req.pk, hub.expert.pk]) in response.content.decode()


# --- assignment proposals -----------------------------------------------------------------------


def _triaged(hub: Any, title: str) -> SupportRequest:
    return actions.triage(hub.coordinator, new_request(hub, title=title))


@pytest.mark.parametrize("persona", PERSONAS)
def test_proposals_page_is_for_the_desk_only(hub, as_persona, fake_engine, persona):
    req = _triaged(hub, "기공")
    url = reverse("proposals")
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        _login_redirect(response, url)
        return
    # Every coordinator has the page, for their own desk's batch; the request is not in the
    # other desk's batch, and confirming it there is a 404.
    assert response.status_code == (200 if persona in DESK | {"other_coordinator"} else 404)
    if persona in DESK:
        [row] = response.context["proposal"].rows
        assert row.request == req and row.proposed == hub.expert.pk
    post = as_persona(persona).post(url, {f"expert-{req.pk}": hub.expert.pk})
    assert post.status_code == (302 if persona in DESK else 404)
    assert Assignment.objects.exists() == (persona in DESK)


def test_other_coordinators_batch_is_their_own(hub, as_persona, fake_engine):
    _triaged(hub, "기공")
    response = as_persona("other_coordinator").get(reverse("proposals"))
    assert response.context["proposal"].rows == []
    assert "No triaged request is waiting" in response.content.decode()


def test_proposal_page_shows_choices_and_reasons(hub, as_persona, fake_engine):
    req = _triaged(hub, "기공")
    html = as_persona("coordinator").get(reverse("proposals")).content.decode()
    assert f'name="expert-{req.pk}"' in html
    assert f'<option value="{hub.expert.pk}" selected>' in html
    assert f'<option value="{hub.other_expert.pk}">' in html
    assert "Same field: 주조" in html and "3 places free" in html
    assert "1 of 1 requests get an expert" in html


def test_coordinator_edits_and_confirms(hub, as_persona, fake_engine):
    r1, r2, r3 = _triaged(hub, "기공"), _triaged(hub, "휨"), _triaged(hub, "균열")
    response = as_persona("coordinator").post(reverse("proposals"), {
        f"expert-{r1.pk}": hub.other_expert.pk,  # changed
        f"expert-{r2.pk}": "",  # removed
        f"expert-{r3.pk}": hub.expert.pk, "note": "일괄 배정"})
    assert response.status_code == 302 and response["Location"] == reverse("proposals")
    assert messages_of(response) == ["Offered 2 requests to their experts."]
    assert set(Assignment.objects.values_list("request_id", "expert_id")) == {
        (r1.pk, hub.other_expert.pk), (r3.pk, hub.expert.pk)}
    assert SupportRequest.objects.get(pk=r2.pk).status == Status.TRIAGED


def test_refused_confirmation_names_each_request_and_assigns_nothing(hub, as_persona,
                                                                     fake_engine):
    own = ExpertFactory(external_id="own", name="박사내", organisation=hub.firm)
    hub.expert.capacity = 1
    hub.expert.save()
    r1, r2, r3 = _triaged(hub, "기공"), _triaged(hub, "휨"), _triaged(hub, "균열")
    response = as_persona("coordinator").post(reverse("proposals"), {
        f"expert-{r1.pk}": hub.expert.pk, f"expert-{r2.pk}": hub.expert.pk,
        f"expert-{r3.pk}": own.pk})
    assert response.status_code == 400
    assert not Assignment.objects.exists()
    rows = {row.request.pk: row for row in response.context["proposal"].rows}
    assert rows[r1.pk].error == ""
    assert "no free place" in rows[r2.pk].error
    assert "conflict of interest" in rows[r3.pk].error
    # The coordinator's choices are kept, the expert outside the candidates included.
    assert [rows[r.pk].proposed for r in (r1, r2, r3)] == [hub.expert.pk, hub.expert.pk, own.pk]
    html = response.content.decode()
    assert f'<option value="{own.pk}" selected>' in html
    assert "Nothing was assigned" in html


def test_proposal_with_a_request_not_yours_is_404(hub, as_persona, fake_engine):
    mine = _triaged(hub, "기공")
    theirs = actions.submit_request(hub.other_sme, title="남의 요청", description="기공 불량",
                                    support_type="guidance", region=hub.other_region)
    client = as_persona("coordinator")
    for data in ({f"expert-{theirs.pk}": hub.expert.pk}, {f"expert-{987654}": hub.expert.pk},
                 {f"expert-{mine.pk}": "abc"}, {"expert-": hub.expert.pk}):
        assert client.post(reverse("proposals"), data).status_code == 404
    assert not Assignment.objects.exists()


def test_ranked_list_includes_shared_equipment_with_its_page(hub, as_persona, fake_engine,
                                                             monkeypatch):
    from clusterhub.equipment.tests.factories import EquipmentFactory

    item = EquipmentFactory(owner=hub.centre, site=hub.centre, name="산업용 X선 CT")
    recorded = engine.match

    def with_equipment(text: str, **kw: Any) -> list[Match]:
        out = recorded(text, **kw)
        assert "equipment" in kw["kinds"]
        return [*out, Match("equipment", item.external_id, item.pk, item.name, 0.4,
                            ["Matches: 기공 비파괴 검사"])]

    monkeypatch.setattr(engine, "match", with_equipment)
    req = new_request(hub)
    html = as_persona("coordinator").get(reverse("request_matches", args=[req.pk])).content \
        .decode()
    assert 'data-kind="equipment"' in html and "산업용 X선 CT" in html
    assert reverse("equipment:detail", args=[item.external_id]) in html
