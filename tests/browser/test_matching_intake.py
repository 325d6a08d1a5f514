"""Matching in Chromium, with the real engine: as the SME types, the intake page suggests the
field, the expert and the solved case (htmx); the SME ticks the suggested field into the
request. The coordinator's request page then loads the ranked list, and one click offers the
request to the expert. The desk queue flags a shared problem of two firms."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from clusterhub.support.models import Assignment, SolvedCase, SupportRequest
from clusterhub.testing import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("header .me span")).to_have_text(username)


def test_intake_suggests_as_the_sme_types_and_the_desk_assigns_in_one_click(
        transactional_db: Any, new_page: Any) -> None:
    from clusterhub.matching import engine
    from clusterhub.testing import build_hub

    hub = build_hub()
    case = SolvedCase.objects.create(
        external_id="hist-1", title="하우징 기공 개선", problem="ADC12 다이캐스팅 하우징 기공",
        solution="진공 다이캐스팅 적용", support_type="guidance", region=hub.region, year=2023)
    case.fields.set([hub.casting])
    case.experts.set([hub.expert])
    # Transactional tests flush the database after them, the concept table's migrated rows too.
    call_command("match_index", "--load-concepts", stdout=StringIO())
    # A fresh index of this test's data: the data dir outlives the databases of earlier tests,
    # and building it here keeps seconds of work out of the first suggestion request.
    engine.run_build()
    engine.reset_engine()
    engine.match("다이캐스팅 기공", kinds=("case",), limit=1)

    page = new_page()
    log_in(page, "sme")
    page.goto("/requests/new/")
    page.fill("#id_title", "하우징 불량")
    with page.expect_response(lambda r: "/requests/new/suggest/" in r.url):
        page.locator("#id_description").press_sequentially(
            "알루미늄 다이캐스팅 하우징에 기공이 생깁니다", delay=20)
    # Let the debounced request after the last keystroke land before using its checkboxes.
    page.wait_for_timeout(800)
    page.wait_for_load_state("networkidle")
    box = page.locator("#intake-suggestions")
    expect(box.locator("[data-suggestions]")).to_be_visible()
    expect(box).to_contain_text(hub.expert.name)
    expect(box).to_contain_text(case.title)
    box.get_by_label(hub.casting.name).check()
    page.select_option("#id_region", label=hub.region.name)
    with page.expect_navigation(url=re.compile(r"/requests/\d+/$")):
        page.locator("main form button[type=submit]").click()
    req = SupportRequest.objects.get()
    assert list(req.fields.all()) == [hub.casting]

    # Another firm of the region has the same problem: the queue flags both requests.
    from clusterhub.support import actions
    from clusterhub.testing import FirmFactory, make_user

    neighbour = make_user("sme3", "sme", FirmFactory(external_id="f-c", name="가야다이캐스팅",
                                                     region=hub.region))
    other = actions.submit_request(neighbour, title="다이캐스팅 부품 기공",
                                   description="ADC12 알루미늄 다이캐스팅 하우징 기공 불량",
                                   support_type="joint_rnd", region=hub.region)
    page = new_page()
    log_in(page, "coord")
    page.goto("/desk/")
    expect(page.locator(f"#shared-{req.pk}")).to_contain_text("유사 요청 1건")
    expect(page.locator(f"#shared-{other.pk}")).to_contain_text("유사 요청 1건")
    page.goto(req.get_absolute_url())
    ranked = page.locator("section.matches")
    expect(ranked.locator("tr[data-kind=expert]").first).to_contain_text(hub.expert.name)
    # Triage first (assigning needs it), then one click on the expert's row.
    page.locator('form[data-action="triage"] button[type=submit]').click()
    page.wait_for_url(f"**{req.get_absolute_url()}")
    row = page.locator("section.matches tr[data-kind=expert]", has_text=hub.expert.name)
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(page.locator("ul.messages li.success")).to_contain_text(hub.expert.name)
    assert Assignment.objects.get(request=req).expert == hub.expert
