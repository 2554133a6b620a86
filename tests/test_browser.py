"""The web page in a real headless Chromium (Debian's, driven by Playwright; no browser download).

Skipped when Chromium is absent, unless POLICY_SEARCH_REQUIRE_BROWSER=1 (set by .ci/run), which makes a
missing browser a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    if os.environ.get("POLICY_SEARCH_REQUIRE_BROWSER") == "1":
        raise RuntimeError("POLICY_SEARCH_REQUIRE_BROWSER=1 but no chromium is installed")
    pytest.skip("no chromium on this machine", allow_module_level=True)

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def server_url(searcher):
    import uvicorn

    from api.app import create_app
    from policy_search.settings import Settings

    from .conftest import Borrowed

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(), searcher_factory=lambda: Borrowed(searcher)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server_url, tmp_path_factory):
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        yield pg
        browser.close()


def test_search_filter_and_open_document(page, server_url, tmp_path_factory) -> None:
    page.goto(server_url + "/")
    page.fill("#q", "医师多点执业政策")
    page.press("#q", "Enter")
    page.wait_for_selector(".group .hit")
    groups = page.locator(".group")
    assert groups.count() >= 3
    names = [groups.nth(i).get_attribute("data-jurisdiction") for i in range(groups.count())]
    assert "辽宁省" in names and "浙江省/舟山市" in names
    assert page.locator(".hit mark").count() > 0
    assert page.locator(".hit .crumb span").first.inner_text()

    # filter to one province from the page's own select (populated from /api/stats)
    page.select_option("#f-jurisdiction", "辽宁省")
    page.wait_for_function("document.querySelectorAll('.group').length === 1")
    assert page.locator(".group").first.get_attribute("data-jurisdiction") == "辽宁省"
    assert "jurisdiction=" in page.url

    # open the first hit: the document view shows and scrolls to that clause
    first = page.locator(".hit").first
    clause_id = first.get_attribute("data-clause")
    first.locator(".text").click()
    page.wait_for_selector("#doc-view:not([hidden]) .clause.target")
    target = page.locator(".clause.target")
    assert target.get_attribute("id") == clause_id
    assert target.is_visible()
    box, view = target.bounding_box(), page.viewport_size
    assert box is not None and 0 <= box["y"] <= view["height"]
    out = os.environ.get("POLICY_SEARCH_SCREENSHOT_DIR")
    if out:
        page.screenshot(path=os.path.join(out, "document_view.png"))
    page.click("#doc-close")
    assert page.locator("#doc-view").is_hidden()


def test_date_filter_and_drafts_from_page(page, server_url) -> None:
    page.goto(server_url + "/?q=" + "社会办医")
    page.wait_for_selector(".group .hit")
    page.uncheck("#f-drafts")
    page.wait_for_function("!document.querySelector('.group[data-jurisdiction=\"内蒙古自治区\"]')")
    page.fill("#f-date-from", "2019-01-01")
    page.dispatch_event("#f-date-from", "change")
    page.wait_for_function("document.querySelectorAll('.group').length === 1")
    assert page.locator(".group").first.get_attribute("data-jurisdiction") == "浙江省/舟山市"


def test_api_docs_render_offline(page, server_url) -> None:
    """Swagger UI from the fastapi-offline package: Chromium here reaches nothing but 127.0.0.1."""
    page.goto(server_url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert "/api/search" in page.inner_text(".swagger-ui")


def test_notice_shown_for_a_reversed_date_range(page, server_url) -> None:
    page.goto(server_url + "/")
    page.fill("#q", "医保")
    page.fill("#f-date-from", "2021-01-01")
    page.fill("#f-date-to", "2020-01-01")
    page.press("#q", "Enter")
    page.wait_for_selector("#status.notice")
    assert "after date_to" in page.locator("#status").inner_text()


def test_error_message_shown_for_bad_request(page, server_url) -> None:
    page.goto(server_url + "/")  # a query over the length limit: the API's 422 message is shown
    page.evaluate("document.querySelector('#q').value = '长'.repeat(600)")
    page.press("#q", "Enter")
    page.wait_for_selector("#status.error")
    assert "limit" in page.locator("#status").inner_text()
