"""Clean raw document text while keeping a map back to the raw offsets.

Every step only deletes characters or swaps one for one, so ``offsets[i]`` is the raw index of
cleaned character ``i``. Steps: strip web-page junk at the top and bottom (search widgets, phone numbers),
drop repeated lines, remove stray spaces inside Chinese ("吉林市支持社会力量 提供" → "吉林市支持社会力量提供"),
rejoin lines broken by PDF extraction ("推动建立适应医\\n\\n师多点执业" → "推动建立适应医师多点执业"), drop
its page numbers ("—2—", "第 4 页"),
and unify widths and brackets ("(十二)" → "（十二）", "ＡＢＣ" → "ABC").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.headings import starts_with_heading_marker
from corpus.normalize import CJK, CJK_OR_PUNCT, LINE_ENDS, display_char, invisible

_JUNK = re.compile(
    r"(电话|热线|检索|搜索|登录|注册|首页|当前位置|您现在的位置|打印|关闭|字号[:：]?\s*[大中小]|字体|分享到|扫一扫|"
    r"浏览次数|访问量|责任编辑|https?://|www\.|^[【\[]?\s*[大中小]\s*[】\]]?$|\d{3,4}-\d{3,4}-\d{4}|\d{3}-\d{8})"
)
_SENTENCE_END = set("。！？；：…」』”）)!?;:》")
_DOC_TYPE_END = re.compile(
    r"(意见|方案|通知|办法|条例|规定|细则|决定|规划|公告|通告|批复|函|法|稿|（试行）|文件|措施|请示|报告|计划|要点|纲要|指引|指南)$"
)
_DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
# a printed page's number, left in the text by PDF extraction: "—2—", "-3-", "第 4 页", "第5页 共12页"
_PAGE_NUMBER = re.compile(
    r"^[-—–－~]\s*\d{1,4}\s*[-—–－~]$|^第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?$"
)
_JOIN_MIN_CHARS = 40
_MARKER_BEFORE = re.compile(r"^\W*#*\s*第[一二三四五六七八九十百千零〇两\d]+[编章节条]$")


@dataclass
class CleanText:
    text: str
    offsets: list[int]  # raw index of each cleaned character


@dataclass
class _Line:
    chars: list[str]
    offs: list[int]

    @property
    def text(self) -> str:
        return "".join(self.chars)


def _split_lines(raw: str) -> list[_Line]:
    lines: list[_Line] = []
    cur = _Line([], [])
    for i, ch in enumerate(raw):
        # LF, CRLF and a lone CR (old Mac exports) all end a line; offsets stay those of the raw text
        if ch == "\n" and i > 0 and raw[i - 1] == "\r":
            continue
        if ch in LINE_ENDS:  # also form feeds between PDF pages, U+2028
            lines.append(cur)
            cur = _Line([], [])
        elif not invisible(ch):  # zero-width and control characters are deleted, as from queries
            cur.chars.append(display_char(ch))
            cur.offs.append(i)
    lines.append(cur)
    return lines


def _strip_spaces(line: _Line) -> _Line:
    """Drop leading/trailing whitespace and whitespace runs touching Chinese text."""
    chars, offs = line.chars, line.offs
    keep = [True] * len(chars)
    n = len(chars)
    i = 0
    while i < n:
        if chars[i].isspace():
            j = i
            while j < n and chars[j].isspace():
                j += 1
            before = chars[i - 1] if i > 0 else ""
            after = chars[j] if j < n else ""
            touching_cjk = bool(CJK_OR_PUNCT.match(before or "a")) or bool(CJK_OR_PUNCT.match(after or "a"))
            if touching_cjk and i > 0 and j < n and _MARKER_BEFORE.search("".join(chars[max(0, i - 12) : i])):
                # "第一条 为了……", "第一章 总则": one space after the marker reads better
                for k in range(i + 1, j):
                    keep[k] = False
                chars[i] = " "
                i = j
                continue
            # keep a tab between header fields (发文机关:\t吉林市…), and a space between Latin words
            if i == 0 or j == n or touching_cjk:
                tab_field = "\t" in chars[i:j] and i > 0 and j < n
                for k in range(i, j):
                    keep[k] = tab_field and k == i
                if tab_field:
                    chars[i] = "\t"
            i = j
        else:
            i += 1
    return _Line([c for c, k in zip(chars, keep) if k], [o for o, k in zip(offs, keep) if k])


def _unify_punctuation(line: _Line) -> None:
    """Half-width brackets and commas in Chinese lines become full-width: "(一)" → "（一）"."""
    text = line.text
    if not CJK.search(text):
        return
    swap = {"(": "（", ")": "）", ",": "，", ";": "；", "﹝": "〔", "﹞": "〕"}  # ﹝﹞: a CMS's 文号 brackets
    for i, ch in enumerate(line.chars):
        if ch in swap:
            if ch in ",;":
                before = line.chars[i - 1] if i > 0 else ""
                after = line.chars[i + 1] if i + 1 < len(line.chars) else ""
                if before.isdigit() and after.isdigit():  # 1,300
                    continue
            line.chars[i] = swap[ch]
        elif ch == ":" and i > 0 and CJK.match(line.chars[i - 1]):
            line.chars[i] = "："


def _is_junk(text: str) -> bool:
    return len(text) <= 40 and bool(_JUNK.search(text))


def _drop_edge_junk(lines: list[_Line]) -> list[_Line]:
    """Junk lives at the edges of a scraped page: drop it there, never from the body."""
    start = 0
    while start < len(lines) and (not lines[start].chars or _is_junk(lines[start].text)):
        start += 1
    end = len(lines)
    while end > start and (not lines[end - 1].chars or _is_junk(lines[end - 1].text)):
        end -= 1
    return lines[start:end]


_PAIRS = {"（": "）", "《": "》"}
_OPEN_MIN_CHARS = 12


def _left_open(line: str) -> str:
    """The bracket a line leaves open at its end ("" when none): "仍按《关于印发<台州市…管理" → "《"."""
    stack: list[str] = []
    for ch in line:
        if ch in _PAIRS:
            stack.append(ch)
        elif stack and ch == _PAIRS[stack[-1]]:
            stack.pop()
    return stack[-1] if stack else ""


def _closes_open(prev: str, nxt: str) -> bool:
    """A line cut inside a bracket that the next line closes: a hard wrap, even after a heading marker
    ("三、…仍按《关于印发<台州市住房公积金个人住房贷款管理" + "实施细则>的通知》…执行。"), which would
    otherwise read as a heading with the clause's own words as its body."""
    opening = _left_open(prev)
    if not opening or len(prev) < _OPEN_MIN_CHARS or "\t" in prev or prev[-1] in "。！？；":
        return False  # a sentence that ends with its bracket open is a slip, not a wrap
    closer = nxt.find(_PAIRS[opening])
    return closer >= 0 and not (
        starts_with_heading_marker(nxt) or _DATE_LINE.match(nxt) or nxt.startswith("附件")
    )


# a line never begins with these: the line before it was cut mid-sentence ("…推行住房公积金贷款电子合同" /
# "，电子合同与纸质合同具有同等法律效力。"), whatever marker it starts with
_CONTINUES = tuple("，。；、：,;")


def _should_join(prev: str, nxt: str) -> bool:
    if _closes_open(prev, nxt):
        return True
    if nxt.startswith(_CONTINUES) and prev[-1] not in "。！？；：!?;:" and "\t" not in prev:
        return True  # after 》 ） ” too: "一、根据《住房公积金管理条例》" / "，结合本市实际，…"
    if len(prev) < _JOIN_MIN_CHARS or "\t" in prev:
        return False
    last = prev[-1]
    if last in _SENTENCE_END or not (CJK.match(last) or last.isalnum()):
        return False
    # a title, or a long heading line "二、推进“放管服”，简化准入审批服务", is not a broken sentence
    if _DOC_TYPE_END.search(prev) or (starts_with_heading_marker(prev) and len(prev) < 60):
        return False
    return not (starts_with_heading_marker(nxt) or _DATE_LINE.match(nxt) or nxt.startswith(("附件", "#")))


def clean(raw: str) -> CleanText:
    lines = [_strip_spaces(line) for line in _split_lines(raw)]
    lines = _drop_edge_junk(lines)
    kept: list[_Line] = []
    for line in lines:
        if not line.chars:
            continue
        _unify_punctuation(line)
        if _PAGE_NUMBER.match(line.text.strip()):
            continue
        if kept and line.text == kept[-1].text and len(line.chars) > 4:
            continue  # a title repeated by the web page
        if kept and _should_join(kept[-1].text, line.text):
            kept[-1].chars.extend(line.chars)
            kept[-1].offs.extend(line.offs)
            continue
        kept.append(line)
    chars: list[str] = []
    offs: list[int] = []
    for k, line in enumerate(kept):
        if k:
            chars.append("\n")
            offs.append(line.offs[0] - 1 if line.offs else 0)
        chars.extend(line.chars)
        offs.extend(line.offs)
    return CleanText("".join(chars), offs)
