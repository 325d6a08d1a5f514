"""A support request's whole life, through the real pages in Chromium: an SME files it in
Korean, the coordinator triages and assigns it, the expert accepts, logs work and resolves it,
the SME records the outcome, and the coordinator closes it. Then the language switch.

With CLUSTERHUB_SCREENSHOT=1 the closed request's page is saved as docs/screenshot.png (the
README's picture).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from clusterhub.support.models import Status, SupportRequest, SupportType
from clusterhub.testing import PASSWORD, build_hub

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"

TITLE = "알루미늄 다이캐스팅 하우징 기공 불량 개선"
DESCRIPTION = (
    "ADC12 다이캐스팅 하우징의 두께 변화부에서 기공이 발생하여 기밀시험 불량률이 12%입니다.\n"
    "탕구 방안과 금형 온도 조건을 검토해 주시기 바랍니다."
)
PLAN = "현장 방문 후 탕구·오버플로 방안을 검토하고 진공 다이캐스팅 적용 가능성을 평가합니다."
WORK_NOTE = "현장 방문, 기공 단면 분석"
SOLUTION = "진공 다이캐스팅 적용, 금형 온도 220℃로 상향, 오버플로 위치 변경"
TIMELINE = ["submit", "triage", "assign", "accept", "log_work", "resolve", "record_outcome",
            "close"]


def tr(message: Any, lang: str = "ko") -> str:
    """A message (or lazy label) as the hub renders it in `lang`."""
    with translation.override(lang):
        return translation.gettext(message) if isinstance(message, str) else str(message)


def status_label(status: str, lang: str = "ko") -> str:
    return tr(Status(status).label, lang)


def timeline_labels(lang: str = "ko") -> list[str]:
    """The timeline's headings for TIMELINE's steps (the action names where there are no
    labels for them)."""
    from clusterhub.support import models

    labels = getattr(models, "ACTION_LABELS", {})
    return [tr(labels.get(action, action), lang) for action in TIMELINE]


def badge(page: Page) -> Any:
    return page.locator("h1 .badge")


def log_in(page: Page, username: str) -> None:
    """Through the login form, from the page frame's "log in" link."""
    page.goto("/")
    page.locator('header a[href^="/accounts/login/"]').click()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("header .me span")).to_have_text(username)


def log_out(page: Page) -> None:
    with page.expect_navigation():
        page.locator('header form[action="/accounts/logout/"] button').click()
    expect(page.locator('header a[href^="/accounts/login/"]')).to_be_visible()


def act(page: Page, action: str, fill: dict[str, str] | None = None,
        select: dict[str, dict[str, str]] | None = None) -> None:
    """Open the action's <details>, fill its form, confirm, and check the action went through
    (a redirect back to the request; an invalid form would be shown again with a 200)."""
    form = page.locator(f'form[data-action="{action}"]')
    details = page.locator("details").filter(has=form)
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    expect(form).to_be_visible()
    for field, value in (fill or {}).items():
        form.locator(f"#id_{action}-{field}").fill(value)
    for field, choice in (select or {}).items():
        form.locator(f"#id_{action}-{field}").select_option(**choice)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and f"/do/{action}/" in r.url) as response:
        form.locator(f'button[name="submit_{action}"]').click()
    page.wait_for_load_state()
    if response.value.status != 302:
        problems = page.locator(".errorlist, ul.messages").all_inner_texts()
        pytest.fail(f"{action} was not accepted ({response.value.status}): {problems}")
    expect(page.locator("ul.messages li.success")).to_have_text(tr("Done."))


def open_request(page: Page, list_link: str, title: str) -> None:
    """From the page frame's navigation, to a list, to the request."""
    page.locator(f'header nav a[href="{list_link}"]').click()
    page.wait_for_url(f"**{list_link}")
    page.locator("main table a", has_text=title).click()
    page.wait_for_url(re.compile(r"/requests/\d+/$"))


def test_request_from_intake_in_korean_to_closed(transactional_db: Any, new_page: Any) -> None:
    hub = build_hub()
    page = new_page()

    # The SME files the request in Korean.
    log_in(page, "sme")
    page.locator('header nav a[href="/requests/new/"]').click()
    expect(page.locator("h1")).to_have_text(tr("File a support request"))
    page.fill("#id_title", TITLE)
    page.fill("#id_description", DESCRIPTION)
    page.select_option("#id_support_type", "testing")
    page.select_option("#id_fields", label=hub.casting.name)
    page.select_option("#id_region", label=hub.region.name)
    page.check("#id_consent_publish")
    with page.expect_navigation(url=re.compile(r"/requests/\d+/$")):
        page.locator("main form button[type=submit]").click()
    req = SupportRequest.objects.get(title=TITLE)
    url = req.get_absolute_url()
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(badge(page)).to_have_text(status_label("submitted"))
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text(hub.casting.name)
    expect(facts).to_contain_text(hub.region.name)
    expect(facts).to_contain_text(hub.desk.name)
    expect(facts).to_contain_text(tr(SupportType.TESTING.label))
    expect(page.locator("main")).to_contain_text("두께 변화부에서 기공이 발생")
    assert req.firm == hub.firm and req.submitted_by == hub.sme
    assert list(req.fields.all()) == [hub.casting]
    log_out(page)

    # The coordinator finds it in the desk queue, triages it and assigns the expert.
    log_in(page, "coord")
    page.locator('header nav a[href="/desk/"]').click()
    row = page.locator("main table tr", has_text=TITLE)
    expect(row.locator(".badge.status-submitted")).to_have_text(status_label("submitted"))
    row.locator("a", has_text=TITLE).click()
    page.wait_for_url(f"**{url}")
    act(page, "triage", fill={"note": "주조 분야 확인, 시험평가 연계 검토"},
        select={"support_type": {"value": "testing"}, "fields": {"label": hub.casting.name}})
    expect(badge(page)).to_have_text(status_label("triaged"))
    act(page, "assign", fill={"note": "주조 전문가 배정"},
        select={"experts": {"label": hub.expert.name}})
    expect(badge(page)).to_have_text(status_label("assigned"))
    # The assignments' table (the ranked list of matching/_request_matches.html names him too).
    expect(page.locator("main > .table-wrap table", has_text=hub.expert.name)).to_be_visible()
    log_out(page)

    # The expert accepts it from the inbox with a plan, logs a visit and resolves it.
    log_in(page, "expert")
    page.locator('header nav a[href="/inbox/"]').click()
    row = page.locator("main table tr", has_text=TITLE)
    expect(row.locator(".badge")).to_have_text(status_label("assigned"))
    row.locator("a", has_text=TITLE).click()
    page.wait_for_url(f"**{url}")
    act(page, "accept", fill={"plan": PLAN})
    expect(badge(page)).to_have_text(status_label("in_progress"))
    act(page, "log_work", fill={"hours": "6", "note": WORK_NOTE},
        select={"kind": {"value": "visit"}})
    expect(badge(page)).to_have_text(status_label("in_progress"))
    expect(page.locator("main table tr", has_text=WORK_NOTE)).to_contain_text("6")
    act(page, "resolve", fill={"solution_summary": SOLUTION})
    expect(badge(page)).to_have_text(status_label("resolved"))
    expect(page.locator("main")).to_contain_text(SOLUTION)
    log_out(page)

    # The SME records the outcome from its list of requests.
    log_in(page, "sme")
    open_request(page, "/requests/", TITLE)
    act(page, "record_outcome",
        fill={"defect_rate_before_pct": "12", "defect_rate_after_pct": "3",
              "comment": "기밀시험 불량률이 크게 줄었습니다."},
        select={"satisfaction": {"value": "5"}})
    expect(badge(page)).to_have_text(status_label("outcome_recorded"))
    outcome = page.locator("dl.facts").last
    expect(outcome).to_contain_text("5 / 5")
    expect(outcome).to_contain_text(re.compile(r"12(\.0+)?% → 3(\.0+)?%"))
    log_out(page)

    # The coordinator closes the case.
    log_in(page, "coord")
    open_request(page, "/desk/", TITLE)
    act(page, "close", fill={"note": "성과 확인 완료"})
    expect(badge(page)).to_have_text(status_label("closed"))
    expect(page.locator('form[data-action]')).to_have_count(0)

    # The timeline: one entry per step, in order, by the right people.
    timeline = page.locator("ul.timeline > li")
    expect(timeline.locator("b")).to_have_text(timeline_labels())
    expect(timeline.nth(0)).to_contain_text("sme")
    expect(timeline.nth(2)).to_contain_text("coord")
    expect(timeline.nth(3)).to_contain_text(PLAN)
    expect(timeline.nth(5)).to_contain_text("expert")
    expect(timeline.nth(7)).to_contain_text(status_label("closed"))
    req.refresh_from_db()
    assert req.status == Status.CLOSED
    assert [e.action for e in req.events.all()] == TIMELINE
    assert req.outcome.satisfaction == 5

    if os.environ.get("CLUSTERHUB_SCREENSHOT") == "1":
        page.reload()  # without the "done" message
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The language selector switches the pages to English.
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    logout_button = page.locator('header form[action="/accounts/logout/"] button')
    expect(logout_button).to_have_text(tr("Log out", "ko"))
    with page.expect_navigation():
        page.select_option('header select[name="language"]', "en")
    page.wait_for_url(f"**{url}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(logout_button).to_have_text("Log out")
    expect(badge(page)).to_have_text("Closed")
    expect(page.locator("main h2", has_text="Timeline")).to_be_visible()
    expect(page.locator("ul.timeline > li > b")).to_have_text(timeline_labels("en"))
