"""Cut a web page's nesting at a stated depth before it is parsed (issue 32: hostile pages).

An HTML parser keeps a stack of open elements and looks through it at many tags ("is a ``<p>`` open in
button scope?"), so markup nested 100,000 ``<div>`` deep costs it time in the square of the depth: Lexbor
took 78 s to parse such a 1 MB page, and the reader's own walks over the tree recurse once per level
(20,000 nested tables ended in ``RecursionError``). Browsers bound the depth of the tree they build
(Chromium appends whatever opens below depth 512 to the element at 512); this module does the same to the
markup, before the parser sees it.

:func:`limit_depth` follows the tags in one pass, with a model of the stack of open elements that knows
what closes without an end tag (a ``<p>`` before a block, ``<li>`` after ``<li>``, a cell after a cell,
void elements, the raw text of ``<script>``/``<style>``/``<textarea>``, comments). An element that would
open deeper than ``MAX_DEPTH`` is dropped with its end tag; a block element (``<div>``, ``<p>``,
``<table>``, ``<tr>`` …) is replaced by a ``<br>``, so its text still starts a line. No text is removed:
everything below the cut is read as lines at the cut's depth, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DEPTH = 256  # elements open at once; real pages stay far below (the test suite's deepest: 14)

_TAG = re.compile(r"<!--|<(/?)([A-Za-z][^\s/>]*)([^>]*)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr", "keygen", "frame", "basefont", "bgsound", "image"}  # fmt: skip
_RAW = {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"}
_BLOCK = {"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
          "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
          "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "ul", "li", "dd",
          "dt", "table", "listing", "tr", "tbody", "thead", "tfoot", "caption", "td", "th"}  # fmt: skip
# tags whose end tag may be left out: the tag → (the open elements it closes, with all above them; the
# elements where the search for them stops)
_IMPLIED: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "table"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "tr": (frozenset({"tr"}), frozenset({"table", "tbody", "thead", "tfoot"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "tbody": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "thead": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "tfoot": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist", "optgroup"})),
}
_P_SCOPE = frozenset({"table", "td", "th", "button", "html", "applet", "caption", "marquee", "object"})
_P = frozenset({"p"})
_LOOK = 8  # how far down the stack an implied end is looked for (a stray tag in between is common)


@dataclass
class DepthCut:
    """The markup to parse, and how many elements were opened below ``MAX_DEPTH`` (0: unchanged)."""

    markup: str
    dropped: int
    depth: int  # the deepest the page opens elements, by the model of the stack (cut elements counted)


class _Stack:
    """The model of the open elements: names in order, and how many of each are open (a stray end tag
    is passed over without a search of the whole stack)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.count: dict[str, int] = {}

    def push(self, name: str) -> None:
        self.names.append(name)
        self.count[name] = self.count.get(name, 0) + 1

    def pop_to(self, k: int) -> None:
        for name in self.names[k:]:
            self.count[name] -= 1
        del self.names[k:]

    def close(self, name: str) -> None:
        """An end tag: pop to the innermost open element of that name, if one is open."""
        if self.count.get(name):
            self.pop_to(len(self.names) - 1 - self.names[::-1].index(name))

    def close_implied(self, closes: frozenset[str], stop: frozenset[str]) -> None:
        names = self.names
        for k in range(len(names) - 1, max(-1, len(names) - 1 - _LOOK), -1):
            if names[k] in stop:
                return
            if names[k] in closes:
                self.pop_to(k)
                return


def limit_depth(page: str, max_depth: int = MAX_DEPTH) -> DepthCut:
    """``page`` with no element opened deeper than ``max_depth`` (see the module docstring). Linear in
    the page's length; a page that never goes that deep comes back as it is.

    >>> cut = limit_depth("<div>" * 3 + "正文" + "</div>" * 3, max_depth=2)
    >>> cut.markup, cut.dropped
    ('<div><div><br>正文<br></div></div>', 1)
    """
    if page.count("<") <= max_depth:
        return DepthCut(page, 0, 0)
    stack = _Stack()
    dropped: dict[str, int] = {}  # elements cut and still open, by name: their end tags go too
    out: list[str] = []
    pos = 0  # the page is copied to ``out`` up to here
    skip = 0  # tags before here are inside a comment or a raw text element
    n_dropped = deepest = open_dropped = 0
    just_br = False  # the last thing written was our <br>: a run of cut blocks gives one line break
    for m in _TAG.finditer(page):
        if m.start() < skip:
            continue
        closing, name, rest = m.group(1, 2, 3)
        if name is None:  # "<!--"
            end = page.find("-->", m.end())
            if end < 0:
                break  # an unclosed comment runs to the end of the page: nothing more opens
            skip = end + 3
            continue
        name = name.lower()
        replace: str | None = None
        if not closing:
            if name in _VOID or (rest.endswith("/") and (stack.count.get("svg") or stack.count.get("math"))):
                continue
            if name in _IMPLIED:
                stack.close_implied(*_IMPLIED[name])
            if name in _BLOCK and stack.count.get("p"):
                stack.close_implied(_P, _P_SCOPE)
            if name == "tr" and stack.names and stack.names[-1] == "table":
                stack.push("tbody")  # the parser opens it
            depth = len(stack.names)
            if depth >= max_depth:
                n_dropped += 1
                if name not in _IMPLIED and name != "p":  # those close by themselves: no end tag to expect
                    dropped[name] = dropped.get(name, 0) + 1
                    open_dropped += 1
                deepest = max(deepest, depth + open_dropped)
                replace = "<br>" if name in _BLOCK else ""
            else:
                stack.push(name)
                deepest = max(deepest, depth + 1)
            if name in _RAW:  # its text is not markup: on to its end tag
                close = re.compile(rf"</{name}[\s/>]", re.IGNORECASE).search(page, m.end())
                if close is None:
                    break
                skip = close.start()
        elif dropped.get(name):
            dropped[name] -= 1
            open_dropped -= 1
            replace = "<br>" if name in _BLOCK else ""
        elif n_dropped and not stack.count.get(name) and (name in _IMPLIED or name == "p"):
            replace = "<br>"  # the end tag of a cut <p>, <li>, <td> …: no stray end tag left behind
        else:
            stack.close(name)
        if replace is not None:
            gap = page[pos : m.start()]
            out.append(gap)
            just_br = just_br and not gap.strip()
            if replace and not just_br:
                out.append(replace)
                just_br = True
            pos = m.end()
    if not n_dropped:
        return DepthCut(page, 0, deepest)
    out.append(page[pos:])
    return DepthCut("".join(out), n_dropped, deepest)
