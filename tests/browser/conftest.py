"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live_server.

There is no browser download: Playwright launches /usr/bin/chromium (`apt-get install chromium`).
Without it these tests fail, never skip, so that a CI machine missing Chromium goes red.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an asyncio event loop in the test's thread; Django would then refuse
# the test's own ORM calls (build_hub(), assertions) as "async unsafe". They are not: the loop
# only drives the browser.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root in CI, on a machine with a closed network: without the background-networking
# flags Chromium keeps trying (and failing) to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 20_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """build_hub() creates ten logins; the production hasher costs ~0.5 s a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module. Not per session: Playwright's event loop stays
    in this thread while it runs, and pytest-django runs other modules' tests after these."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's package "
            "(apt-get install chromium). They fail rather than skip without it.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser: Any, live_server: Any, request: pytest.FixtureRequest
             ) -> Iterator[Callable[..., Any]]:
    """new_page() -> a page in a fresh browser context (own cookies: one per person), whose
    relative URLs go to the live server. The browser asks for Korean, like the hub's users.

    A response with a 5xx status fails the test. When the test fails, each page's screenshot and
    HTML are kept under test-results/ for the CI log's reader.
    """
    contexts: list[Any] = []
    pages: list[Any] = []
    server_errors: list[str] = []

    def make(locale: str = "ko-KR", **options: Any) -> Any:
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT,
                                      locale=locale, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("response", lambda r: server_errors.append(f"{r.status} {r.request.method} "
                                                           f"{r.url}") if r.status >= 500 else None)
        pages.append(page)
        return page

    yield make

    report = getattr(request.node, "_report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, page in enumerate(pages):
            stem = ARTIFACTS / f"{request.node.name}-{i}"
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
            except Exception as exc:  # a crashed page: keep going, the failure is reported
                print(f"could not save {stem}: {exc}")
    for context in contexts:
        context.close()
    assert not server_errors, f"server errors: {server_errors}"


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """One page on the live server, in Korean."""
    return new_page()
