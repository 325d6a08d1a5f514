"""A foundry member starts a quick-shape casting simulation in Korean and sees its results.

No worker runs under the live server (the task backend queues into the database), so the test
runs the queued task itself, in this process, while the run page is open; the page's htmx poll
notices the finished run and reloads with the results.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import expect

from clusterhub.simulation.actions import execute_run
from clusterhub.simulation.models import RunStatus, SimulationRun
from clusterhub.testing import PASSWORD, build_hub

pytestmark = pytest.mark.browser


def ko(message: str) -> str:
    with translation.override("ko"):
        return translation.gettext(message)


def test_foundry_runs_a_quick_shape_and_sees_the_results(transactional_db: Any, new_page: Any) -> None:
    hub = build_hub()
    page = new_page()
    page.goto("/accounts/login/?next=/simulation/")
    page.fill("#id_username", hub.sme.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(ko("My firm's simulation runs"))

    page.locator('a[href="/simulation/new/"]').click()
    page.fill("#id_title", "시험 평판 주물")
    page.select_option("#id_geometry", "box")
    page.fill("#id_dim_x", "20")
    page.fill("#id_dim_y", "20")
    page.fill("#id_dim_z", "10")
    page.check("#id_riser")
    page.select_option("#id_alloy", "A356")
    page.select_option("#id_mould", "silica_sand")
    page.fill("#id_pouring_temperature", "700")
    page.fill("#id_mesh_mm", "2")
    with page.expect_navigation():
        page.locator("#run-form button[type=submit]").click()

    run = SimulationRun.objects.get()
    assert run.owner == hub.sme and run.status == RunStatus.QUEUED
    expect(page.locator("#run-status .badge")).to_have_text(ko("Queued"))

    assert execute_run(run.pk) == "succeeded"
    # the poll (every 2 s) sees the end and reloads the page with the results
    expect(page.locator("#pockets")).to_be_visible(timeout=15_000)
    expect(page.locator("#run-status .badge")).to_have_text(ko("Succeeded"))
    expect(page.get_by_text(ko("Chvorinov modulus check"))).to_be_visible()
    # the section PNG loads (it is drawn on request, after the page)
    page.wait_for_function("() => { const i = document.getElementById('slice'); "
                           "return i && i.complete && i.naturalWidth > 0; }")
    expect(page.locator("#sim-3d")).to_have_attribute("data-loaded", "1")
    page.select_option("#slice-form select[name=field]", "hot_spots")
    with page.expect_navigation():
        page.locator("#slice-form button[type=submit]").click()
    assert "field=hot_spots" in page.url
    pdf = page.request.get(f"/simulation/{run.pk}/report.pdf")
    assert pdf.ok and pdf.body()[:4] == b"%PDF"
