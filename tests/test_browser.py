"""The web page in a real headless Chromium (Debian's, driven by Playwright; no browser download).

Skipped when Chromium is absent, unless POLICY_SEARCH_REQUIRE_BROWSER=1 (set by .ci/run), which makes a
missing browser a failure.
"""

from __future__ import annotations

import json
import os
import re
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
    from config.settings import Settings

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
def browser(server_url):
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser):
    pg = browser.new_page(viewport={"width": 1280, "height": 900})
    yield pg
    pg.close()


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

    # grouped: each region says how many clauses match, and links to all of them
    liaoning = page.locator('.group[data-jurisdiction="辽宁省"]')
    assert "条匹配" in liaoning.locator("h2").inner_text()

    # filter to one province from the page's own select (populated from /api/stats): one region, no grouping,
    # and every hit still says where it is from
    page.select_option("#f-jurisdiction", "辽宁省")
    page.wait_for_function(
        "() => document.querySelectorAll('.group h2').length === 0 && document.querySelector('.hit')"
    )
    regions = page.locator(".hit .region").all_inner_texts()
    assert regions and all(r.startswith("辽宁省") for r in regions)
    assert "jurisdiction=" in page.url

    # open the first hit: the document view shows and scrolls to that clause
    first = page.locator(".hit").first
    clause_id = first.get_attribute("data-clause")
    first.locator(".text").click()
    page.wait_for_selector("#doc-view:not([hidden]) .clause.target")
    target = page.locator(".clause.target")
    assert clause_id in target.get_attribute("data-ids").split(" ")
    assert target.is_visible()
    assert "doc=" in page.url and "clause=" in page.url  # the document view has its own address
    box, view = target.bounding_box(), page.viewport_size
    assert box is not None and 0 <= box["y"] <= view["height"]
    out = os.environ.get("POLICY_SEARCH_SCREENSHOT_DIR")
    if out:
        page.screenshot(path=os.path.join(out, "document_view.png"))
    page.click("#doc-close")
    assert page.locator("#doc-view").is_hidden()
    assert "doc=" not in page.url


def test_date_filter_and_drafts_from_page(page, server_url) -> None:
    page.goto(server_url + "/?q=" + "社会办医")
    page.wait_for_selector(".group .hit")
    page.uncheck("#f-drafts")
    page.wait_for_function("() => !document.querySelector('.group[data-jurisdiction=\"内蒙古自治区\"]')")
    page.fill("#f-date-from", "2019-01-01")
    page.dispatch_event("#f-date-from", "change")
    page.wait_for_function("() => document.querySelectorAll('.group').length === 1")
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
    page.wait_for_selector("#notices li")
    assert "晚于截止日期" in page.locator("#notices").inner_text()


def test_error_message_shown_for_bad_request(page, server_url) -> None:
    page.goto(server_url + "/")  # a query over the length limit: the API's 422 message is shown
    page.evaluate("document.querySelector('#q').value = '长'.repeat(600)")
    page.press("#q", "Enter")
    page.wait_for_selector("#status.error")
    assert "上限" in page.locator("#status").inner_text()


def test_compare_view(page, server_url) -> None:
    """From a search to the comparison: a column per jurisdiction, the diff marked, the figures table."""
    page.goto(server_url + "/?q=" + "医师多点执业")
    page.wait_for_selector(".group .hit")
    page.click("#compare-go")
    page.wait_for_selector(".jcol")
    assert "view=compare" in page.url
    cols = page.locator(".jcol")
    names = [cols.nth(i).get_attribute("data-jurisdiction") for i in range(cols.count())]
    assert {"辽宁省", "吉林省/吉林市"} <= set(names)
    # provinces before cities
    assert names.index("辽宁省") < names.index("吉林省/吉林市")
    groups = page.locator(".wgroup")
    assert groups.count() >= 1
    text = page.locator(".wording").inner_text()
    assert "可在多个机构执业" in text
    assert page.locator(".wording ins, .wording del").count() > 0  # differences are marked
    assert page.locator(".without li").count() >= 1  # jurisdictions with nothing on it, with the nearest miss

    # the figures table of the bed-quota topic, reached by a shared link (state in the URL)
    page.goto(server_url + "/?q=" + "床位规划" + "&view=compare")
    page.wait_for_selector("#figures-table")
    table = page.locator("#figures-table").inner_text()
    assert "1.3" in table and "1.5" in table
    out = os.environ.get("POLICY_SEARCH_SCREENSHOT_DIR")
    if out:
        page.screenshot(path=os.path.join(out, "compare_view.png"), full_page=True)


def test_state_in_url_document_view_and_citation(page, server_url) -> None:
    url = server_url + "/?q=" + "医保定点" + "&doc_type=" + "实施意见" + "&include_drafts=false&group=off"
    page.goto(url)
    page.wait_for_selector(".hit")
    # a reload restores the query and every filter
    page.reload()
    page.wait_for_selector(".hit")
    assert page.input_value("#q") == "医保定点"
    assert page.input_value("#f-doc-type") == "实施意见"
    assert not page.is_checked("#f-drafts") and not page.is_checked("#f-group")

    # one-click citation: title, 文号, date and clause path
    cite = page.locator(".hit .cite").first.get_attribute("data-cite")
    assert cite.startswith("《") and "》" in cite and "›" in cite or "（" in cite

    # the document view: its own URL, query terms marked, a table of contents, Esc closes it
    page.locator(".hit .text").first.click()
    page.wait_for_selector("#doc-view:not([hidden]) .clause.target")
    assert page.locator("#doc-body .toc li").count() > 3
    assert page.locator("#doc-body .clause mark").count() > 0
    doc_url = page.url
    page.keyboard.press("Escape")
    assert page.locator("#doc-view").is_hidden()
    page.goto(doc_url)  # the document's address opens it again
    page.wait_for_selector("#doc-view:not([hidden]) .clause.target")


def test_weak_results_and_undated_offer(page, server_url) -> None:
    page.goto(server_url + "/?q=" + "航天发射场")
    page.wait_for_selector("#notices li")
    assert "没有强相关条款" in page.locator("#notices").inner_text()
    assert page.locator(".badge.weak").count() > 0

    page.goto(server_url + "/?q=" + "社会办医" + "&date_from=2018-01-01")
    page.wait_for_selector("#include-undated")
    page.click("#include-undated")
    page.wait_for_function("() => location.search.includes('include_undated=true')")
    page.wait_for_selector('.group[data-jurisdiction="内蒙古自治区"]')  # the undated draft is back


# -- issue 24: both widths, Chinese only ---------------------------------------------------------------
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}

# every visible button's text in one line box (a wrapped 搜索 stacks one character per line)
WRAPPED_BUTTONS = """() => [...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null).map((b) => {
  const r = document.createRange(); r.selectNodeContents(b);
  return [b.id || b.textContent.trim(), new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size];
}).filter(([, lines]) => lines > 1)"""


def _shot(page, name: str, tmp_path) -> None:  # noqa: ANN001
    out = os.environ.get("POLICY_SEARCH_SCREENSHOT_DIR") or str(tmp_path)
    path = os.path.join(out, f"{name}.png")
    page.screenshot(path=path, full_page=False)
    assert os.path.getsize(path) > 1000


def _layout(page, width: str) -> None:  # noqa: ANN001
    assert page.evaluate(WRAPPED_BUTTONS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    header = page.locator("header").bounding_box()
    if width == "phone":
        assert header["height"] <= 120, header
        assert page.locator("#q").bounding_box()["height"] <= 44  # one line, not three


@pytest.mark.parametrize("width", list(WIDTHS))
def test_each_view_at_both_widths(browser, server_url, tmp_path, width) -> None:
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h}, locale="en-US")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page.goto(server_url + "/?q=" + "医师多点执业政策")
        page.wait_for_selector(".group .hit")
        _layout(page, width)
        _shot(page, f"search-{width}", tmp_path)
        # the date inputs speak the page's language, whatever the browser's locale (no mm/dd/yyyy)
        assert page.get_attribute("#f-date-from", "type") == "text"
        assert "年" in page.get_attribute("#f-date-from", "placeholder")
        if width == "phone":
            assert page.locator("#filters").is_hidden()
            page.click("#filters-toggle")
            assert page.locator("#filters").is_visible() and page.locator("#f-jurisdiction").is_visible()
            page.click("#filters-toggle")

        page.locator(".hit .text").first.click()
        page.wait_for_selector("#doc-view:not([hidden]) .clause.target")
        _layout(page, width)
        _shot(page, f"document-{width}", tmp_path)
        if width == "desktop":  # the panel opens below the header: 跨地区比较 stays in reach
            box = page.locator("#compare-go").bounding_box()
            hit = page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y).id", [box["x"] + box["width"] / 2, box["y"] + 5]
            )
            assert hit == "compare-go"
        page.keyboard.press("Escape")

        page.goto(server_url + "/?q=" + "社会办医院床位" + "&view=compare")
        page.wait_for_selector("#figures-table")
        _layout(page, width)
        _shot(page, f"compare-{width}", tmp_path)
        assert not failed, failed  # the favicon included
    finally:
        page.close()


def test_region_link_opens_at_the_top(browser, server_url) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(server_url + "/?q=" + "社会办医")
        page.wait_for_selector(".group .hit")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        link = page.locator(".group a.more").last
        region = link.get_attribute("data-jurisdiction")
        link.click()
        page.wait_for_function(
            "() => document.querySelectorAll('.group h2').length === 0 && document.querySelector('.hit')"
        )
        page.wait_for_function("() => window.scrollY === 0")
        assert all(r.startswith(region.split("/")[0]) for r in page.locator(".hit .region").all_inner_texts())
    finally:
        page.close()


def test_citation_of_a_draft_says_so(page, server_url) -> None:
    page.goto(server_url + "/?q=" + "社会办医" + "&jurisdiction=" + "内蒙古")
    page.wait_for_selector(".hit .cite")
    assert "征求意见稿" in page.locator(".hit .cite").first.get_attribute("data-cite")


def test_every_notice_and_message_is_chinese(page, server_url) -> None:
    """No English sentence in what the page says: notices, the status line, errors, the explanation."""
    from search.messages import ascii_sentences

    said: list[str] = []

    def collect() -> None:
        said.extend(page.locator("#notices li").all_inner_texts())
        said.append(page.inner_text("#status"))

    for query, wait in [
        ("?q=医保&date_from=2021-01-01&date_to=2020-01-01", "#notices li"),
        ("?q=社会办医&date_from=2018-01-01", "#include-undated"),
        ("?q=航天发射场", "#notices li"),
        ("?q=社会办医&jurisdiction=火星", "#notices li"),
        ("?q=医师多点执业&jurisdiction=舟山", "#notices li"),
        ("?q=" + "长" * 600, "#status.error"),
        ("?q=医师多点执业&view=compare", ".jcol"),
        ("?q=航天发射场&view=compare", "#notices li"),
    ]:
        page.goto(server_url + "/" + query)
        page.wait_for_selector(wait)
        collect()
        if "date_from=2018" in query:  # the undated notice once, with its link, not once in each language
            assert len([t for t in page.locator("#notices li").all_inner_texts() if "未注明日期" in t]) == 1
    page.goto(server_url + "/?q=医师多点执业&doc=nope")
    page.wait_for_selector("#status.error")
    collect()
    page.goto(server_url + "/?q=Can physicians practice at multiple hospitals?")
    page.wait_for_selector(".hit details.why")
    page.locator(".hit details.why summary").first.click()
    said.append(page.locator(".hit details.why").first.inner_text())
    said = [t for t in said if t.strip()]
    assert len(said) >= 12
    english = {t: ascii_sentences(t) for t in said if ascii_sentences(t)}
    assert not english, english


# -- issue 32: the page and /docs under their Content-Security-Policy; busy answers retried ----------------
# Reported violations, collected from the document's start (an init script is the browser's own, not the page's)
WATCH_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""
INLINE_SCRIPT_RUNS = """() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1';
  document.head.appendChild(s); return window.__inline === 1; }"""


def _watched(browser):  # noqa: ANN001, ANN202
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(WATCH_CSP)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    return page, console


def test_the_page_works_under_its_content_security_policy(browser, server_url) -> None:
    page, console = _watched(browser)
    try:
        r = page.goto(server_url + "/?q=" + "医师多点执业政策")
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert (
            r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"
        )
        page.wait_for_selector(".group .hit")
        # the header's height is set through the CSSOM (style.setProperty), which the policy allows
        assert page.evaluate("document.documentElement.style.getPropertyValue('--header-h')").endswith("px")
        page.select_option("#f-jurisdiction", "辽宁省")
        # a function, not a string: Playwright evaluates a string with eval, which the policy forbids
        page.wait_for_function(
            "() => document.querySelectorAll('.group h2').length === 0 && document.querySelector('.hit')"
        )
        page.locator(".hit .text").first.click()
        page.wait_for_selector("#doc-view:not([hidden]) .clause.target")
        page.keyboard.press("Escape")
        page.click("#compare-go")
        page.wait_for_selector(".jcol")
        assert page.evaluate("window.__csp") == []
        assert not [m for m in console if "Content Security Policy" in m], console
        # the policy is in force: an inline script is refused, and reported
        assert page.evaluate(INLINE_SCRIPT_RUNS) is False
        page.wait_for_function("() => window.__csp.length > 0")
        assert page.evaluate("window.__csp")[0].startswith("script-src")
    finally:
        page.close()


def test_api_docs_work_under_their_content_security_policy(browser, server_url) -> None:
    page, console = _watched(browser)
    try:
        r = page.goto(server_url + "/docs")
        assert "script-src 'self'" in r.headers["content-security-policy"]
        page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
        page.locator(".opblock-summary").first.click()  # an operation opens (Swagger UI's own code runs)
        page.wait_for_selector(".opblock.is-open")
        assert page.evaluate("window.__csp") == [], console
        assert not [m for m in console if "Content Security Policy" in m], console
        assert page.evaluate(INLINE_SCRIPT_RUNS) is False
    finally:
        page.close()


def _busy(times: int, calls: list[int]):  # noqa: ANN202
    """A route handler answering 503 + Retry-After: 1 the first ``times`` times, then passing through."""

    def handle(route) -> None:  # noqa: ANN001
        calls.append(1)
        if len(calls) <= times:
            body = json.dumps({"detail": "服务繁忙：排队预计需 3.0 秒", "code": "busy"}, ensure_ascii=False)
            route.fulfill(
                status=503, headers={"Retry-After": "1"}, content_type="application/json", body=body
            )
        else:
            route.continue_()

    return handle


def test_a_busy_answer_is_retried_after_its_retry_after(browser, server_url) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    searches: list[int] = []
    documents: list[int] = []
    try:
        page.route(re.compile(r"/api/search\?"), _busy(2, searches))
        page.route(re.compile(r"/api/documents/"), _busy(1, documents))
        page.goto(server_url + "/?q=" + "医保定点")
        page.wait_for_selector("#status.busy")  # the page says it is waiting, and for how long
        assert "秒后重试" in page.inner_text("#status")
        page.wait_for_selector(".hit", timeout=15_000)
        assert len(searches) == 3 and "条匹配" in page.inner_text("#status")
        page.locator(".hit .text").first.click()  # the document view retries too
        page.wait_for_selector("#doc-view:not([hidden]) .clause.target", timeout=15_000)
        assert len(documents) == 2 and "条匹配" in page.inner_text("#status")
        # a service busy past the retries: its own message is shown
        page.unroute(re.compile(r"/api/search\?"))
        page.route(re.compile(r"/api/search\?"), _busy(100, searches := []))
        page.fill("#q", "医师多点执业")
        page.press("#q", "Enter")
        page.wait_for_selector("#status.error", timeout=20_000)
        assert "服务繁忙" in page.inner_text("#status") and len(searches) == 4
    finally:
        page.close()
