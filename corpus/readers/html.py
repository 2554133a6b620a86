"""Saved web pages (.html/.htm, and HTML inside a JSONL record's text), through selectolax (Lexbor).

A government page holds one document among site furniture. This reader keeps the document:

1. **Encoding**: the charset the page declares (``<meta charset>``, ``http-equiv``), then detection.
2. **The 政府信息公开 table is metadata**: label cells (索引号, 主题分类, 发文机关, 成文日期, 发布日期,
   发文字号/文号, 标题/名称, 有效性/时效性) give the document's fields; the table never reaches the text.
3. **Furniture is removed by the tree**: scripts, forms, ``nav``/``header``/``footer``/``aside``, and
   elements whose class or id names navigation, breadcrumbs, share bars, print/close tools, related
   links or footers (``class="position"``, ``id="share"``) — unless they hold most of the page's text.
4. **The body** is the container the site's CMS names (``#zoom``, ``.TRS_Editor``, ``#UCAP-CONTENT`` …),
   else the smallest element holding most of the page's non-link Chinese text.
5. **Lines**: a block element is a line, ``<br>`` breaks one, a table row is its cells joined by tabs.
   Lines at the body's edges that are site furniture (打印本页, 关闭窗口, 分享到, ICP备, 公网安备) are dropped.

Before any of this, markup nested deeper than 256 elements is cut there, before it is parsed
(:mod:`corpus.readers.nesting`), with a warning (``html_too_deep``); its text is kept. A page whose text
(scripts and styles aside) is longer than the worker's POLICY_SEARCH_MAX_TEXT_CHARS is refused once
parsed (``text_too_long``), before the steps above.

The title is the info table's 标题, else ``<meta name="ArticleTitle">``, else the article's ``<h1>``,
else the page ``<title>`` without the site's name ("…的通知_永吉县人民政府" → "…的通知"); it is written as
the first line when the body does not start with it, so every format's text opens the same way.
"""

from __future__ import annotations

import re
from typing import Any

from corpus.encoding import UndecodableError, decode_bytes
from corpus.models import Note
from corpus.readers.base import TEXT_LIMIT, ReadError, ReadResult, check_length
from corpus.readers.nesting import MAX_DEPTH, limit_depth

# label (without spaces or colon) → DocumentMetadata field
LABELS = {
    "索引号": "index_number",
    "主题分类": "subject",
    "信息分类": "subject",
    "发文机关": "issuer",
    "发文单位": "issuer",
    "发布机关": "issuer",
    "发布机构": "issuer",
    "成文日期": "written_date",
    "成文时间": "written_date",
    "发布日期": "published_date",
    "发布时间": "published_date",
    "公开日期": "published_date",
    "生效日期": "effective_date",
    "实施日期": "effective_date",
    "发文字号": "doc_number",
    "文号": "doc_number",
    "文件编号": "doc_number",
    "标题": "title",
    "名称": "title",
    "文件名称": "title",
    "有效性": "validity",
    "时效性": "validity",
    "效力状态": "validity",
}
_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "head",
         "select", "button", "input", "textarea", "form", "nav", "aside", "footer", "header", "map", "audio",
         "video", "-comment"}  # fmt: skip
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section",
          "article", "main", "blockquote", "pre", "center", "address", "figure", "figcaption", "hr", "tr",
          "caption", "tbody", "thead", "tfoot", "body", "html"}  # fmt: skip
# class / id words of site furniture (split at spaces, hyphens and underscores)
_FURNITURE_WORDS = {
    "nav", "navbar", "navi", "menu", "breadcrumb", "breadcrumbs", "crumb", "crumbs", "position", "location",
    "dqwz", "share", "bshare", "jiathis", "sharebar", "footer", "foot", "bottom", "copyright", "print",
    "toolbar", "sidebar", "header", "topbar", "search", "login", "related", "xgwj", "xglj", "friendlink",
    "banner", "qrcode", "ewm", "fontsize", "pagination", "pager", "comment", "comments",
}  # fmt: skip
_CONTAINERS = ["#zoom", "#Zoom", ".TRS_Editor", ".TRS_UEDITOR", "#UCAP-CONTENT", "#fontzoom",
               ".pages_content", ".article-content", ".article_content", ".content_text", ".zw", "#zw"]  # fmt: skip
_WRAPPERS = ["#content", ".view", "article", "main"]  # may wrap more than the body: looked into
_FURNITURE_LINE = re.compile(
    r"打印本页|关闭窗口|【\s*打印\s*】|【\s*关闭\s*】|分享到|ICP备|ICP证|公网安备|公安备案|网站标识码|版权所有|"
    r"主办单位|承办单位|技术支持|当前位置|您现在的位置|扫一扫|返回顶部|上一篇|下一篇|浏览次数|访问量|"
    r"字体[:：]?\s*[【\[]?\s*大|字号[:：]?\s*[【\[]?\s*大|责任编辑|"
    r"^\s*(相关(链接|文件|阅读|新闻|信息|稿件|解读)|友情链接)\s*[:：]"  # a link list in the body's class-less div
)
_WS = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace collapses; U+3000 and NBSP are text
_CJK_RUNS = re.compile(r"[\u3400-\u9fff]+")


def _norm_label(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0:：]", "", text)


def _text(node: Any) -> str:
    return _WS.sub(" ", node.text(deep=True, separator="")).strip(" \u3000\xa0")


def declared_charset(data: bytes) -> str | None:
    """The charset the page declares in its first 4 KiB (``<meta charset=gb2312>``,
    ``<meta http-equiv="Content-Type" content="text/html; charset=gbk">``), or None."""
    from selectolax.lexbor import LexborHTMLParser

    head = LexborHTMLParser(data[:4096].decode("latin-1"))
    for meta in head.css("meta"):
        attrs = {k.lower(): (v or "") for k, v in meta.attributes.items()}
        if attrs.get("charset"):
            return attrs["charset"].strip()
        if attrs.get("http-equiv", "").lower() == "content-type":
            for part in attrs.get("content", "").split(";"):
                key, _, value = part.partition("=")
                if key.strip().lower() == "charset" and value.strip():
                    return value.strip()
    return None


def _cjk_count(node: Any) -> int:
    text = node.text(deep=True)  # counted without a list of every character (17 M of them in a 49 MB page)
    return len(text) - len(_CJK_RUNS.sub("", text))


def _own_cjk(node: Any) -> int:
    """Chinese characters in ``node`` outside links: body text, not menus."""
    links = sum(_cjk_count(a) for a in node.css("a"))
    return _cjk_count(node) - links


def _words(node: Any) -> set[str]:
    attrs = node.attributes
    raw = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()
    return {w for w in re.split(r"[\s\-_]+", raw) if w}


def _label_value(raw: str) -> tuple[str, str] | None:
    """ "索 引 号：1122…" → ("index_number", "1122…"); None when ``raw`` opens with no known label."""
    m = re.search("[:：]", raw)
    if m is None:
        return None
    key = LABELS.get(_norm_label(raw[: m.start()]))
    return (key, raw[m.end() :].strip(" \u3000\xa0")) if key else None


def _next_element(node: Any) -> Any:
    sib = node.next
    while sib is not None and not sib.is_element_node:
        sib = sib.next
    return sib


def info_fields(tree: Any) -> tuple[dict[str, str], list[Any]]:
    """Fields of the 政府信息公开 table (a label cell, its value in the next cell or after the colon), and
    the tables that hold them. "label：value" lines outside a table fill only what the table leaves."""
    fields: dict[str, str] = {}
    holders: list[Any] = []
    for cell in tree.css("td, th, dt"):
        raw = _text(cell)
        key = LABELS.get(_norm_label(raw))
        if key:
            sib = _next_element(cell)
            value = _text(sib) if sib is not None and sib.tag in ("td", "th", "dd") else ""
        else:
            found = _label_value(raw)
            key, value = found if found else (None, "")
        if not key or not value or key in fields:
            continue
        fields[key] = value
        table = cell.parent
        while table is not None and table.tag not in ("table", "dl"):
            table = table.parent
        if table is not None and all(table.mem_id != h.mem_id for h in holders):
            holders.append(table)
    for node in tree.css("li, p, span, div, label"):
        raw = _text(node)
        found = _label_value(raw) if len(raw) <= 80 else None
        if found and found[1] and found[0] != "title":  # "名称：某医院" in a body says nothing of the title
            key, value = found
            fields.setdefault(key, re.split(r"[\s\u3000\xa0]{2,}|\u3000", value)[0])
    return fields, holders


def _squash(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text)


def _title_of_page(tree: Any) -> str | None:
    """``<meta name="ArticleTitle">``; else the page ``<title>``'s first part ("…的通知 - 某市人民政府"
    → "…的通知"), or the heading that holds it in full when the ``<title>`` is cut short; else the
    longest ``<h1>``/``<h2>``."""
    meta = tree.css_first('meta[name="ArticleTitle"]')
    if meta is not None and (meta.attributes.get("content") or "").strip():
        return meta.attributes["content"].strip()
    node = tree.css_first("title")
    page = _text(node) if node is not None else ""
    parts = [p.strip() for p in re.split(r"\s*(?:_|\||｜| - | — |－{1,2}|-{2})\s*", page) if p.strip()]
    heads = [_text(h) for h in tree.css("h1, h2, .article-title, .title")]
    if parts:
        first = _squash(parts[0]).rstrip(".…")
        for h in heads:
            if len(first) >= 6 and first in _squash(h):
                return h
        if len(first) >= 6:
            return parts[0]
    heads = [h for h in heads if 6 <= len(h) <= 120]
    return max(heads, key=len) if heads else None


def _remove_furniture(node: Any, total: int) -> None:
    """Remove furniture under ``node`` top-down (never touching what was removed), keeping any element
    that holds half the page's text whatever its class says."""
    for child in list(node.iter(include_text=False)):
        furniture = child.tag in _SKIP or bool(_words(child) & _FURNITURE_WORDS)
        if furniture and (total == 0 or _own_cjk(child) < 0.5 * total):
            child.decompose()
        else:
            _remove_furniture(child, total)


def _container(tree: Any) -> Any:
    """The CMS's body element; else, from a wrapper or the page's body, the smallest element holding
    70% of the non-link Chinese text."""
    body = tree.body or tree.root
    total = max(1, _own_cjk(body))
    for sel in _CONTAINERS:
        node = tree.css_first(sel)
        if node is not None and _own_cjk(node) >= 0.3 * total:
            return node
    node = next(
        (n for n in map(tree.css_first, _WRAPPERS) if n is not None and _own_cjk(n) >= 0.3 * total), body
    )
    while True:
        best, best_n = None, -1
        for child in node.iter(include_text=False):
            n = _own_cjk(child)
            if n > best_n:
                best, best_n = child, n
        if best is None or best_n < 0.7 * max(1, _own_cjk(node)):
            return node
        node = best


def _data_table(table: Any) -> bool:
    """A table of values (a row is a line), not a page laid out with a table. A table holding another
    is read as layout: as a data table its rows would take in the inner tables' rows, whose text would
    then come out once for every table around them."""
    if len(table.css("table")) > 1:  # the list holds the table itself
        return False
    for cell in table.css("td, th"):
        if cell.css_first("p, div, table") is not None and len(_text(cell)) > 200:
            return False
    return True


def _span(cell: Any, name: str) -> int:
    try:
        return min(max(int(cell.attributes.get(name) or 1), 1), 1000)
    except ValueError:
        return 1


def _rows(table: Any) -> list[str]:
    """A row a line, its cells joined by tabs: a cell spanning columns once, a cell spanning rows
    (``rowspan``) in each row it spans, as the Word reader gives a cell merged down (each row of a task table
    says which 牵头单位 it has)."""
    rows = []
    carry: dict[int, tuple[str, int, int]] = {}  # column → text, rows still to fill, columns spanned
    for tr in table.css("tr"):
        cells = [c for c in tr.iter(include_text=False) if c.tag in ("td", "th")]
        out: list[str] = []
        col = i = 0
        while i < len(cells) or any(c >= col for c in carry):
            if col in carry:
                text, left, width = carry.pop(col)
                if left > 1:
                    carry[col] = (text, left - 1, width)
                out.append(text)
                col += width
            elif i < len(cells):
                cell, i = cells[i], i + 1
                text, width = _text(cell), _span(cell, "colspan")
                if _span(cell, "rowspan") > 1:
                    carry[col] = (text, _span(cell, "rowspan") - 1, width)
                out.append(text)
                col += width
            else:
                col += 1  # a column no cell of this row fills, before one spanned from above
        if any(out):
            rows.append("\t".join(out))
    return rows


def lines_of(node: Any) -> list[str]:
    """The text of ``node`` as lines: blocks and ``<br>`` break lines, a data table gives a row a line."""
    lines: list[str] = []
    cur: list[str] = []

    def flush() -> None:
        line = _WS.sub(" ", "".join(cur)).strip(" ")
        if line.strip(" \u3000\xa0"):
            lines.append(line)
        cur.clear()

    def walk(n: Any) -> None:
        for child in n.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                cur.append(child.text(deep=False))
            elif tag in _SKIP:
                continue
            elif tag == "br":
                flush()
            elif tag == "table" and _data_table(child):
                flush()
                lines.extend(_rows(child))
            elif tag in _BLOCK or tag in ("table", "td", "th"):
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(node)
    flush()
    return lines


def _trim_furniture(lines: list[str]) -> list[str]:
    def junk(line: str) -> bool:
        return len(line) <= 60 and bool(_FURNITURE_LINE.search(line))

    start, end = 0, len(lines)
    while start < end and junk(lines[start]):
        start += 1
    while end > start and junk(lines[end - 1]):
        end -= 1
    return [
        ln
        for ln in lines[start:end]
        if not (len(ln) <= 30 and re.search(r"打印本页|关闭窗口|分享到|ICP备|公网安备", ln))
    ]


def html_to_text(page: str) -> ReadResult:
    """A decoded page's document: text lines and the info table's fields. Markup nested deeper than
    :data:`~corpus.readers.nesting.MAX_DEPTH` is cut there first (its text kept), with a warning."""
    from selectolax.lexbor import LexborHTMLParser

    cut = limit_depth(page)
    warnings = []
    if cut.dropped:
        warnings.append(
            Note(
                f"网页标签嵌套达 {cut.depth} 层，超过上限 {MAX_DEPTH} 层：更深处的 {cut.dropped} 个标签已展开，"
                "其文字按原顺序读取，层次不保留",
                "html_too_deep",
            )
        )
    tree = LexborHTMLParser(cut.markup)
    tree.strip_tags(["script", "style"])
    if (limit := TEXT_LIMIT.get()) is not None:  # before the slow part: a 49 MB page is refused in seconds
        check_length(len((tree.body or tree.root).text(deep=True)), limit)
    fields, holders = info_fields(tree)
    title = fields.get("title") or _title_of_page(tree)
    for holder in holders:
        holder.decompose()
    body = tree.body or tree.root
    _remove_furniture(body, _own_cjk(body))
    lines = _trim_furniture(lines_of(_container(tree)))
    if title:
        fields["title"] = title
        flat = [_WS.sub("", ln.replace("\u3000", "").replace("\xa0", "")) for ln in lines[:4]]
        if _WS.sub("", title) not in flat:
            lines.insert(0, title)
    return ReadResult("\n".join(lines) + "\n" if lines else "", fields, warnings)


def looks_like_html(text: str) -> bool:
    """Whether a record's text is a page's markup, not prose: it opens with a tag of a page or a block."""
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body", "<meta", "<div", "<p>", "<p ", "<table",
                            "<section", "<article", "<h1", "<span", "<font", "<center"))  # fmt: skip


class HtmlReader:
    name = "html"
    version = "2"  # 2: nesting cut at 256, nested tables read as layout (issue 32)
    suffixes = (".html", ".htm", ".shtml", ".xhtml")
    isolated = True

    def sniff(self, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        return start.startswith((b"<!doctype html", b"<html")) or (
            start.startswith(b"<?xml") and b"<html" in start
        )

    def read(self, data: bytes, name: str) -> ReadResult:
        try:
            page, encoding = decode_bytes(data, declared_charset(data))
        except UndecodableError as exc:
            raise ReadError(exc.reason, exc.code) from exc
        result = html_to_text(page)
        result.fields["encoding"] = encoding
        return result

    def read_text(self, text: str, name: str) -> ReadResult:
        """Markup already decoded (a JSONL record's text): its declared charset no longer applies."""
        return html_to_text(text)
