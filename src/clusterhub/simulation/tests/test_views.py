"""Every page, image, file and endpoint of the service for every persona."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from clusterhub.simulation.models import RunStatus, SimulationRun

from .conftest import PERSONAS, SEES_RUN, make_run, user_of
from .test_service import cube_stl

pytestmark = pytest.mark.django_db

RUN_URLS = [
    ("run", {}), ("status", {}), ("slice", {"field": "niyama", "axis": "z", "index": "3"}),
    ("points", {}), ("report", {}), ("case", {}),
]


def _get(client, name, run, query):  # type: ignore[no-untyped-def]
    return client.get(reverse(f"simulation:{name}", args=[run.pk]), query)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name,query", RUN_URLS)
def test_run_pages_and_files_by_persona(hub, done_run, client_for, persona, name, query):
    r = _get(client_for(user_of(hub, persona)), name, done_run, query)
    if persona == "anonymous":
        assert r.status_code == 302 and "/login" in r["Location"]
    elif persona in SEES_RUN:
        assert r.status_code == 200
    else:
        assert r.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_downloads_by_persona(hub, client_for, persona):
    run = make_run(hub, geometry="stl", stl_name="cube.stl", stl_content=cube_stl())
    c = client_for(user_of(hub, persona))
    for what in ("results", "stl"):
        r = c.get(reverse("simulation:download", args=[run.pk, what]))
        expected = 302 if persona == "anonymous" else 200 if persona in SEES_RUN else 404
        assert r.status_code == expected, (what, r.status_code)
        if expected == 200:
            body = b"".join(r.streaming_content)
            assert body[:2] == b"PK" if what == "results" else body == cube_stl()


def test_missing_runs_and_files_are_404(hub, client_for):
    c = client_for(hub.admin)
    assert c.get(reverse("simulation:run", args=[999])).status_code == 404
    queued = make_run(hub, execute=False)
    for name in ("slice", "points", "report"):
        assert c.get(reverse(f"simulation:{name}", args=[queued.pk])).status_code == 404
    assert c.get(reverse("simulation:download", args=[queued.pk, "results"])).status_code == 404
    assert c.get(reverse("simulation:download", args=[queued.pk, "other"])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_index_lists_only_visible_runs(hub, client_for, persona):
    mine = make_run(hub, execute=False)
    theirs = SimulationRun.objects.create(
        owner=hub.other_sme, organisation=hub.other_firm, desk=hub.other_desk, title="남의 주물",
        geometry="box", alloy="A356", mould="silica_sand", pouring_temperature=700, mesh_mm=2)
    r = client_for(user_of(hub, persona)).get(reverse("simulation:index"))
    if persona == "anonymous":
        assert r.status_code == 302
        return
    if persona not in ("sme", "other_sme", "coordinator", "other_coordinator", "admin"):
        assert r.status_code == 404
        return
    shown = {row.pk for row in r.context["page"]}
    expect = {"sme": {mine.pk}, "other_sme": {theirs.pk}, "coordinator": {mine.pk},
              "other_coordinator": {theirs.pk}, "admin": {mine.pk, theirs.pk}}[persona]
    assert shown == expect


def test_index_query_count_is_pinned(hub, client_for, django_assert_num_queries):
    for _n in range(3):
        make_run(hub, execute=False)
    c = client_for(hub.sme)
    c.get(reverse("simulation:index"))
    with django_assert_num_queries(6):
        c.get(reverse("simulation:index"))
    for _n in range(5):
        make_run(hub, execute=False)
    with django_assert_num_queries(6):
        c.get(reverse("simulation:index"))


def test_the_result_page_shows_results_in_korean(hub, done_run, client_for, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "ko"
    with translation.override("ko"):
        r = client_for(hub.sme).get(reverse("simulation:run", args=[done_run.pk]))
    html = r.content.decode()
    assert "고립된 액상 영역" in html and "simulation/view3d.js" in html
    assert "<svg" in html  # probe curves


def test_slice_images_are_pngs_for_every_field_and_axis(hub, done_run, client_for):
    from PIL import Image

    c = client_for(hub.sme)
    for field in ("solidification_time", "niyama", "fraction_solid", "hot_spots"):
        for axis in "xyz":
            r = c.get(reverse("simulation:slice", args=[done_run.pk]),
                      {"field": field, "axis": axis, "index": 2, "t": 5})
            assert r.status_code == 200 and r["Content-Type"] == "image/png"
            Image.open(io.BytesIO(r.content)).verify()
    bad = c.get(reverse("simulation:slice", args=[done_run.pk]), {"field": "colour"})
    assert bad.status_code == 404


def test_points_hold_the_casting_outline(hub, done_run, client_for):
    d = client_for(hub.sme).get(reverse("simulation:points", args=[done_run.pk])).json()
    assert d["outline"] and len(d["extent_mm"]) == 3
    assert all(0 <= p[i] <= d["extent_mm"][i] for p in d["outline"] for i in range(3))


def test_report_pdf_and_case_json(hub, done_run, client_for):
    c = client_for(hub.coordinator)
    pdf = c.get(reverse("simulation:report", args=[done_run.pk]))
    assert pdf.content.startswith(b"%PDF")
    case = json.loads(c.get(reverse("simulation:case", args=[done_run.pk])).content)
    assert case == done_run.case


def test_new_run_form_quick_shape(hub, client_for):
    c = client_for(hub.sme)
    assert c.get(reverse("simulation:new")).status_code == 200
    r = c.post(reverse("simulation:new"), {
        "title": "브래킷", "geometry": "cylinder", "dim_x": 30, "dim_z": 30, "riser": "on",
        "alloy": "A356", "mould": "silica_sand", "pouring_temperature": 700, "mesh_mm": 3})
    run = SimulationRun.objects.get()
    assert r.status_code == 302 and r["Location"] == run.get_absolute_url()
    assert run.riser and run.status == RunStatus.QUEUED and run.owner == hub.sme


def test_new_run_form_shows_the_stl_error(hub, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client_for(hub.sme).post(reverse("simulation:new"), {
        "title": "x", "geometry": "stl", "alloy": "A356", "mould": "silica_sand",
        "pouring_temperature": 700, "mesh_mm": 2,
        "stl": SimpleUploadedFile("part.stl", b"%PDF-1.4 not a part")})
    assert r.status_code == 200 and "not an STL part" in r.content.decode()
    assert not SimulationRun.objects.exists()


@pytest.mark.parametrize("persona", ["expert", "analyst"])
def test_new_run_form_is_404_for_others(hub, client_for, persona):
    assert client_for(user_of(hub, persona)).get(reverse("simulation:new")).status_code == 404


def test_cancel_attach_publish_through_the_pages(hub, client_for):
    from clusterhub.testing import advance, new_request

    run = make_run(hub, execute=False)
    assert client_for(hub.other_sme).post(reverse("simulation:cancel", args=[run.pk])).status_code == 404
    client_for(hub.sme).post(reverse("simulation:cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    done = make_run(hub)
    req = new_request(hub)
    client_for(hub.sme).post(reverse("simulation:attach", args=[done.pk]), {"support_request": req.pk})
    done.refresh_from_db()
    assert done.support_request == req
    advance(hub, req, "closed")
    client_for(hub.coordinator).post(reverse("simulation:publish", args=[done.pk]))
    done.refresh_from_db()
    assert done.solved_case is not None
    kb = client_for(hub.other_sme).get(reverse("simulation:knowledge"), {"q": done.solved_case.title.split()[0]})
    assert [r.pk for r in kb.context["page"]] == [done.pk]
    assert hub.firm.name not in kb.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_statistics_page_by_persona(hub, client_for, persona):
    r = client_for(user_of(hub, persona)).get(reverse("simulation:statistics"))
    expected = 302 if persona == "anonymous" else 200 if persona in ("coordinator", "other_coordinator", "admin", "analyst") else 404
    assert r.status_code == expected


# ---- API -----------------------------------------------------------------------------------
def test_api_create_poll_report_cancel(hub, api_for):
    api = api_for(hub.sme)
    r = api.post("/api/v1/simulations", {
        "title": "API 주물", "geometry": "stl", "alloy": "A356", "mould": "silica_sand",
        "pouring_temperature": "700", "mesh_mm": "2",
        "stl": _upload(cube_stl())})
    assert r.status_code == 202, r.content
    pk = r.json()["id"]
    got = api.get(f"/api/v1/simulations/{pk}").json()
    assert got["status"] == "queued" and got["progress"] == 0
    assert api.get(f"/api/v1/simulations/{pk}/report.pdf").status_code == 404  # not finished
    c = api.post(f"/api/v1/simulations/{pk}/cancel")
    assert c.status_code == 200 and c.json()["status"] == "cancelled"
    assert api.post(f"/api/v1/simulations/{pk}/cancel").status_code == 409


def _upload(content: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("part.stl", content, content_type="model/stl")


def test_api_refuses_a_bad_stl_with_the_field(hub, api_for):
    r = api_for(hub.sme).post("/api/v1/simulations", {
        "title": "x", "geometry": "stl", "alloy": "A356", "pouring_temperature": "700",
        "mesh_mm": "2", "stl": _upload(b"hello")})
    assert r.status_code == 422 and r.json()["field"] == "stl"


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_by_persona(hub, done_run, api_for, persona):
    api = api_for(user_of(hub, persona))
    got = api.get(f"/api/v1/simulations/{done_run.pk}")
    pdf = api.get(f"/api/v1/simulations/{done_run.pk}/report.pdf")
    if persona == "anonymous":
        assert got.status_code == 401 and pdf.status_code == 401
    elif persona in SEES_RUN:
        assert got.status_code == 200 and got.json()["summary"]["solidification_time_s"] > 0
        assert pdf.content.startswith(b"%PDF")
    else:
        assert got.status_code == 404 and pdf.status_code == 404
        assert api.post(f"/api/v1/simulations/{done_run.pk}/cancel").status_code == 404


def test_api_start_is_refused_for_experts(hub, api_for):
    r = api_for(hub.expert_user).post("/api/v1/simulations", {
        "title": "x", "geometry": "box", "alloy": "A356", "pouring_temperature": "700",
        "mesh_mm": "2", "dim_x": "20", "dim_y": "20", "dim_z": "10"})
    assert r.status_code == 403


def test_knowledge_and_statistics_query_counts_are_pinned(hub, client_for, django_assert_num_queries):
    from clusterhub.support.models import SolvedCase

    def publish(n):  # type: ignore[no-untyped-def]
        for i in range(n):
            case = SolvedCase.objects.create(external_id=f"kb-{n}-{i}", title=f"주물 사례 {i}",
                                             problem="수축", solution="압탕", support_type="guidance",
                                             year=2024)
            SimulationRun.objects.create(
                owner=hub.sme, organisation=hub.firm, region=hub.region, title=f"제품 {n}-{i}",
                geometry="box", alloy="A356", mould="silica_sand", pouring_temperature=700,
                mesh_mm=4, status="succeeded", solved_case=case)

    c = client_for(hub.coordinator)
    publish(2)
    c.get(reverse("simulation:knowledge"))
    c.get(reverse("simulation:statistics"))
    with django_assert_num_queries(6):
        c.get(reverse("simulation:knowledge"))
    with django_assert_num_queries(5):
        c.get(reverse("simulation:statistics"))
    publish(6)
    with django_assert_num_queries(6):
        c.get(reverse("simulation:knowledge"))
    with django_assert_num_queries(5):
        c.get(reverse("simulation:statistics"))


def test_materials_have_names_in_korean(hub, done_run, client_for, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "ko"
    c = client_for(hub.sme)
    with translation.override("ko"):
        form = c.get(reverse("simulation:new"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
        page = c.get(reverse("simulation:run", args=[done_run.pk]),
                     HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<option value="silica_sand">규사(사형)</option>' in form
    assert '<option value="grey_iron">회주철</option>' in form
    assert ">plain_carbon_steel<" not in form and ">copper_chill<" not in form
    assert "A356 알루미늄 합금 / 규사(사형)" in page


@pytest.mark.parametrize("via", ["web", "api"])
def test_an_oversized_stl_is_never_read_whole(hub, client_for, api_for, settings, monkeypatch,
                                              via):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clusterhub.simulation import actions

    settings.CLUSTERHUB_MAX_UPLOAD_BYTES = 1000
    seen = []
    real = actions.create_run

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(len(kwargs.get("stl_content") or b""))
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "create_run", spy)
    data = {"title": "x", "geometry": "stl", "alloy": "A356", "mould": "silica_sand",
            "pouring_temperature": 700, "mesh_mm": 2,
            "stl": SimpleUploadedFile("big.stl", b"solid big\n" + b" " * 50_000)}
    if via == "web":
        r = client_for(hub.sme).post(reverse("simulation:new"), data)
        assert r.status_code == 200 and "larger than" in r.content.decode()
    else:
        r = api_for(hub.sme).post("/api/v1/simulations", data)
        assert r.status_code == 422 and "larger than" in r.content.decode()
    assert seen == [1001]
    assert not SimulationRun.objects.exists()


def test_the_stl_downloads_under_the_name_it_was_uploaded_with(hub, client_for):
    run = make_run(hub, geometry="stl", stl_name="브래킷 v2.stl", stl_content=cube_stl())
    r = client_for(hub.sme).get(reverse("simulation:download", args=[run.pk, "stl"]))
    assert r.status_code == 200 and b"".join(r.streaming_content) == cube_stl()
    assert "v2.stl" in r["Content-Disposition"] and run.stl_sha256 not in r["Content-Disposition"]
