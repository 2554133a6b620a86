"""The web page in a real headless Chromium (Debian's, driven by Playwright; no browser download).

Skipped when Chromium is absent, unless POLICY_SEARCH_REQUIRE_BROWSER=1 (set by .ci/run), which makes a
missing browser a failure.
"""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def _serving(searcher):  # noqa: ANN001 - a searcher
    """The app over ``searcher`` on a free loopback port, in a thread: yields its address."""
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
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server_url(searcher):
    with _serving(searcher) as url:
        yield url


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


# -- issue 30: status badges, the in-force toggle, the timeline's step charts, exports ---------------------
@pytest.fixture(scope="module")
def timeline_url(tmp_path_factory, embedder, tokenizer):
    """The page over tests/fixtures/timeline: 湖州's 公积金 loan ceiling 2019 → 2022 → 2024 (each repealing
    the one before), a 德清 window, a draft."""
    from pathlib import Path

    from corpus.pipeline import process_paths
    from index.builder import build_index
    from search.hybrid import HybridSearcher

    index = tmp_path_factory.mktemp("timeline-page") / "index"
    docs = process_paths([Path(__file__).parent / "fixtures" / "timeline"]).documents
    build_index(docs, index, embedder, tokenizer=tokenizer)
    s = HybridSearcher.open(index, embedder, tokenizer=tokenizer)
    with _serving(s) as url:
        yield url
    s.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_timeline_chart_badges_and_exports(browser, timeline_url, tmp_path, width) -> None:
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page.goto(timeline_url + "/?q=住房公积金最高贷款额度&as_of=2023-01-01")
        page.wait_for_selector(".hit .badge.status")
        shown = set(page.locator(".hit .badge.status").all_inner_texts())
        assert {"已废止", "现行有效", "尚未施行"} <= shown
        page.click("#timeline-go")
        page.wait_for_selector(".tjur .tchart svg path.step")
        assert "view=timeline" in page.url
        hz = page.locator('.tjur[data-jurisdiction="浙江省/湖州市"]')
        chart = hz.locator('.tchart[data-measure="双缴存职工家庭住房公积金最高贷款额度"]')
        assert chart.locator("figcaption").inner_text().endswith("40万元 → 50万元 → 60万元 → 80万元")
        assert chart.locator("circle.tpoint").count() == 4
        assert chart.locator("line.span").count() == 3  # a span per document in force within the chart
        assert (
            chart.locator("line.span.s-repealed").count() == 1
            and chart.locator("line.span.s-in_force").count() == 1
        )
        box = chart.locator("svg").bounding_box()
        assert box["width"] <= w and box["height"] > 80
        assert page.evaluate("document.querySelectorAll('#results [style], #results [onclick]').length") == 0
        _layout(page, width)
        chart.scroll_into_view_if_needed()
        _shot(page, f"timeline-{width}", tmp_path)

        # the download buttons carry the view and its filters; the file is CSV with a BOM
        href = page.get_attribute("#export-csv", "href")
        assert href.startswith("/api/export?view=timeline&format=csv&") and "as_of=2023-01-01" in href
        got = page.request.get(timeline_url + href)
        assert got.status == 200 and got.body().startswith(b"\xef\xbb\xbf")
        assert "format=xlsx" in page.get_attribute("#export-xlsx", "href")

        # a point opens its clause; the document view says what repealed it
        chart.locator("circle.tpoint").first.click()
        page.wait_for_selector("#doc-view:not([hidden]) .clause.target")
        validity = page.locator("#doc-body .validity").inner_text()
        assert (
            "已废止" in validity
            and "湖州市住房公积金管理委员会关于进一步调整住房公积金贷款政策的通知" in validity
        )
        page.keyboard.press("Escape")

        # only what was in force on 2023-01-01
        if width == "phone":
            page.click("#filters-toggle")
        page.check("#f-in-force")
        page.wait_for_function(
            """() => { const b = [...document.querySelectorAll('.tentries .badge.status')].map((x) => x.textContent);
                 return location.search.includes('in_force_only=true') && b.length >= 2
                   && b.every((t) => t === '现行有效'); }"""
        )  # 湖州 2022's clauses and 德清's: the documents in force that day, nothing else
        assert not failed, failed
    finally:
        page.close()


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


# -- issue 28: a county shows every level, citations nest, notices are Chinese only ------------------------
@pytest.fixture(scope="module")
def county_url(tmp_path_factory, builtin_report, builtin_cache, embedder, tokenizer):
    """The built-in corpus and a county notice (宜章县), served: only the county's clauses are embedded."""
    from corpus.pipeline import process_paths
    from index.builder import build_index
    from index.cache import EmbeddingCache
    from search.hybrid import HybridSearcher

    from . import county_notice

    root = tmp_path_factory.mktemp("county")
    shutil.copy(builtin_cache, root / "cache.sqlite")
    county = process_paths([county_notice.write(root)]).documents
    assert [d.metadata.jurisdiction for d in county] == [county_notice.JURISDICTION]
    cache = EmbeddingCache(root / "cache.sqlite")
    build_index(
        [*builtin_report.documents, *county], root / "index", embedder, cache=cache, tokenizer=tokenizer
    )
    cache.close()
    searcher = HybridSearcher.open(root / "index", embedder, tokenizer=tokenizer)
    with _serving(searcher) as url:
        yield url
    searcher.close()


def test_a_county_reads_province_city_county_everywhere(browser, county_url) -> None:
    from . import county_notice

    shown, jur = county_notice.SHOWN, county_notice.JURISDICTION
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(county_url + "/?q=" + "社会办医疗机构医保定点")
        group = page.locator(f'.group[data-jurisdiction="{jur}"]')
        group.locator(".hit").first.wait_for()
        assert group.locator("h2").inner_text().startswith(shown)  # the group header
        assert group.locator(".hit .region").first.inner_text() == shown  # the badge
        # the citation: the issued document's 《》 nest as 〈〉 inside the title's 《》
        cite = group.locator(".hit .cite").first.get_attribute("data-cite")
        assert cite.startswith(
            "《宜章县人民政府办公室关于印发〈宜章县支持社会力量举办医疗机构若干措施〉的通知》"
        )
        # the document view
        group.locator(".hit .text").first.click()
        page.wait_for_selector("#doc-view:not([hidden]) .clause.target")
        assert shown in page.locator("#doc-body .meta").inner_text()
        page.keyboard.press("Escape")

        # the 地区 select offers each level, each shown as a path
        options = dict(
            page.evaluate(
                "[...document.querySelectorAll('#f-jurisdiction option')].map((o) => [o.value, o.text])"
            )
        )
        assert {"湖南省": "湖南省", "湖南省/郴州市": "湖南省 › 郴州市", jur: shown}.items() <= options.items()
        assert options["浙江省/舟山市"] == "浙江省 › 舟山市"
        page.select_option("#f-jurisdiction", "湖南省/郴州市")  # the city: its county's clauses
        page.wait_for_function(
            "() => document.querySelectorAll('.group h2').length === 0 && document.querySelector('.hit')"
        )
        assert set(page.locator(".hit .region").all_inner_texts()) == {shown}

        # the comparison's column, and the page's text never shows the stored form
        page.goto(county_url + "/?q=" + "社会办医疗机构医保定点" + "&view=compare")
        page.wait_for_selector(f'.jcol[data-jurisdiction="{jur}"]')
        assert page.locator(f'.jcol[data-jurisdiction="{jur}"] h2').inner_text().startswith(shown)
        assert "湖南省/郴州市" not in page.inner_text("body") and "郴州市/宜章县" not in page.inner_text(
            "body"
        )
    finally:
        page.close()


def test_notices_carry_no_machine_code(page, county_url) -> None:
    from search.messages import machine_codes

    said: list[str] = []
    for query, wait in [
        ("?q=社會辦醫", "#notices li"),  # traditional characters folded
        ("?q=社会办医&date_from=2021-01-01&date_to=2020-01-01", "#notices li"),
        ("?q=社会办医&date_from=2018-01-01", "#include-undated"),
        ("?q=社会办医&jurisdiction=火星", "#notices li"),
        ("?q=社会办医&jurisdiction=宜章", "#notices li"),
        ("?q=社会办医&jurisdiction=沈阳", "#notices li"),
    ]:
        page.goto(county_url + "/" + query)
        page.wait_for_selector(wait)
        said += page.locator("#notices li").all_inner_texts()
    assert len(said) >= 6
    assert any("湖南省 › 郴州市 › 宜章县" in t for t in said)  # "按 湖南省 › 郴州市 › 宜章县 检索"
    coded = {t: machine_codes(t) for t in said if machine_codes(t)}
    assert not coded, coded


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
