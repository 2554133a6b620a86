"""When a document is in force, as its own text says: 施行 (``effective_date``), the last day in force
(``expires_on``), and the documents it repeals (``repeals``). Issue 30.

Read from the document's own statements, never from a single measure inside it:

- 施行: "本通知自2024年6月1日起施行", "本办法从2025年4月1日起施行", "自一九八七年四月一日起执行",
  "政策调整自2024年3月12日起执行"; relative ones: "自印发之日起施行" / "自下发之日起执行" = the 成文
  date, "自发布之日起实施" / "自公布之日起施行" = the 发布 date (each falling back on the other, then on the
  date the record came with). A measure's start ("自2024年8月1日起，将保证金比例下调至3%") is not one:
  the verb must close the statement.
- the last day in force: "有效期至2025年3月31日"; "有效期五年" counted from the 施行 date, ending the day
  before (施行 2024-06-01 → 2029-05-31); "执行期限至2024年12月31日", "执行期为2022年6月20日至2023年5月31日",
  "阶段性支持政策期限至2023年12月31日"; "2027年12月25日废止" (the day before). A 有效期 of a 购房码, a
  消费券 or a 资格 is not the document's.
- repeals: "《…》（X政办发〔2019〕21号）同时废止", "德住房公积金委〔2022〕2号文件同时废止", "原《…》同时失效",
  "…停止执行 / 不再执行 / 同时作废", "废止《…》（…）文件", by 文号 and/or title. A part of a document
  ("《…》第六条…的规定不再执行", "不再执行《…》文件有关限价的规定") is not a repeal of it.

Measured on 133 hand-judged documents of policy-dev (``scripts/measure_validity.py``, BENCHMARKS.md).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cn2an

from corpus.dates import iso_date

_CN = "〇零○ОOＯ一二三四五六七八九0-9"
_SMALL = "一二三四五六七八九十廿卅〇零两"
# a whole date, Arabic or Chinese numerals: "2024年6月1日", "2024-06-01", "一九八七年四月一日"
DATE = (
    r"(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}-\d{1,2}-\d{1,2}|"
    rf"[{_CN}]{{4}}\s*年\s*[{_SMALL}\d]{{1,3}}\s*月\s*[{_SMALL}\d]{{1,3}}\s*日)"
)
_MONTH = r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?!\s*\d)"  # "2024年6月" (its first day)
_VERB = r"(?:施行|实施|执行|生效|实行)"
_SUBJECT = (
    r"(?:通知|办法|规定|意见|方案|措施|细则|政策|决定|公告|通告|文件|条例|规则|批复|规划|纲要|清单|若干|本)"
)
# the statement's verb ends it: "…起施行。", "…起施行，有效期…", "…起执行,期限至…"
_CLOSE = r"(?=\s*(?:[，,。；;：:\n)）]|$|有效期|执行期|期限|至\s*" + DATE + r"|由|[（(]))"
_EXPLICIT = re.compile(
    rf"(?:自|从|于)?\s*(?P<date>{DATE}|{_MONTH})\s*(?:\(含\)|（含）)?\s*(?:零时|0时|0点)?\s*(?:起|开始|之日起)?\s*"
    rf"(?:起)?\s*(?:正式|开始)?\s*{_VERB}{_CLOSE}"
)
_RELATIVE = re.compile(
    r"自\s*(?:[本该此]?[^，。；自\d]{0,10}?)?\s*(?P<event>印发|下发|签发|发文|发布|公布|颁布|公告|出台|即日)"
    rf"\s*(?:之\s*日)?\s*(?:起)?\s*(?:正式|开始)?\s*{_VERB}"
)
_WRITTEN_EVENTS = ("印发", "下发", "签发", "发文")
_NUMBER = r"(?:\d+|[一二三四五六七八九十两半]+)"
_TERM = re.compile(
    rf"(?:有效期\s*限?|试行期?)\s*(?:为|是|暂定为?|暂定|共)?\s*(?:(?P<n>{_NUMBER})\s*(?P<unit>年|个月|月)|"
    rf"(?:自?\s*(?P<from>{DATE})\s*(?:起)?\s*)?(?:至|到)\s*(?P<until>{DATE}))"
)
_PERIOD = re.compile(
    rf"(?:(?:执行|实施|施行|有效|政策(?:执行)?|支持政策)\s*(?:期限|期|时间|时限)|期限)\s*(?:为|是|调整为|延长)?\s*"
    rf"(?:(?:自|从)?\s*(?P<from>{DATE}|(?:本通知|文件|本文件)?(?:印发|发布|公布|下发)之日)\s*(?:起)?\s*)?"
    rf"(?:至|到|—|－|-|~|～)\s*(?P<until>{DATE})"
)
_RUN_UNTIL = re.compile(rf"{_VERB}\s*(?:至|到)\s*(?P<until>{DATE})\s*止?")
_ENDS = re.compile(rf"(?P<until>{DATE})\s*(?:起)?\s*(?:废止|失效|停止执行)(?!日期|时间)")
# a 有效期 of something else: 购房码, 消费券, 资格, 证明, 合同 …
_NOT_OURS = re.compile(r"(?:券|码|证|资格|证明|合同|贷款|许可|凭证|协议|承诺|名单|额度|期房|认定)\s*$")
_STOPS = re.compile(r"[。；;\n！？!?]")

# -- repeals ---------------------------------------------------------------------------------------
_REPEAL_VERB = re.compile(
    r"(?:同时|随即|即行|予以|一并|相应)?\s*(?:废止|失效|作废|停止执行|不再执行|停止实施|不再实施)"
)
_VERB_FIRST = re.compile(r"(?:废止了?|停止执行|不再执行|宣布废止)\s*(?=《|原《)")
_NUMBER_IN = re.compile(r"〔\s*(?:19|20)\d{2}\s*〕|[\[［【(（]\s*(?:19|20)\d{2}\s*[\]］】)）]|号|令")
_BARE_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,16}?\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*第?\s*\d{1,4}\s*号"
)
_PARTIAL = re.compile(
    r"^\s*(?:文件)?\s*(?:中|第|有关|关于|的第|附件|部分|规定的|条款|所列|涉及|相关)"
)  # "…》中第十一条…的规定", "…文件有关…的规定": a part, not the document
_FILLER = re.compile(
    r"^[\s)）]*(?:文件|号文|号文件)?\s*(?:等[\d一二三四五六七八九十]+[个份件]文件)?\s*"
    r"(?:[（(][^）)]{0,20}[）)])?\s*[，,]?\s*"
    rf"(?:(?:自|从|于)\s*(?:{DATE}|本[^，。；]{{0,12}}?(?:施行|实施|执行|印发|发布)之日|即日)\s*起?\s*)?"
    r"[，,]?\s*$"
)
_SEPARATOR = re.compile(r"^[\s、，,和及与以及]*$")


@dataclass
class Reference:
    """A document named by another: its 文号 and/or title ("德住房公积金委〔2022〕2号", "《…通知》")."""

    doc_number: str | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"doc_number": self.doc_number, "title": self.title}


def _day(text: str) -> dt.date | None:
    """The day ``text`` names; a month alone ("2023年5月") is its first day; a day the calendar lacks
    ("2023年2月30日", "6月31日") is none: no guess at which day was meant."""
    iso = iso_date(text)
    if iso is None:
        m = re.match(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月(\s*\d{1,2}\s*日)?", text.strip())
        if m and not m.group(3) and 1 <= int(m.group(2)) <= 12:
            return dt.date(int(m.group(1)), int(m.group(2)), 1)
        return None
    return dt.date.fromisoformat(iso)


def _count(text: str) -> float | None:
    if text == "半":
        return 0.5
    if text.isdigit():
        return float(text)
    try:
        return float(cn2an.cn2an(text.replace("两", "二"), "smart"))
    except Exception:  # noqa: BLE001 - cn2an refuses non-numerals in several ways
        return None


def add_term(start: dt.date, n: float, unit: str) -> dt.date:
    """The last day of a term of ``n`` years or months from ``start`` (the day before its anniversary):
    2024-06-01 + 5 年 → 2029-05-31; 2022-08-17 + 半年 → 2023-02-16; 2024-02-29 + 1 年 → 2025-02-28."""
    months = round(n * 12) if unit == "年" else round(n)
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    end = dt.date(year, month, day)
    if day < start.day:  # 02-29 + 1 年: the anniversary is 03-01, the term ends 02-28
        end += dt.timedelta(days=1)
    return end - dt.timedelta(days=1)


def _sentence(text: str, pos: int) -> tuple[int, int]:
    """The sentence around ``pos``: from the last 。；/line break before it to the next one."""
    start = max((m.end() for m in _STOPS.finditer(text, 0, pos)), default=0)
    nxt = _STOPS.search(text, pos)
    return start, nxt.start() if nxt else len(text)


_LIST_MARK = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百零〇\d]+条|[（(]?[一二三四五六七八九十\d]+[)）、.．])\s*"
)
_OWN_SUBJECT = re.compile(r"本|以上|上述|全部|各项")
_MEASURE_WORDS = re.compile(r"(?:申请|购买|缴存|贷款|受理|办理|签订|网签|出生|登记|利率)[^，,]{0,6}$")


def _own_statement(text: str, start: int) -> bool:
    """The words before a 施行 statement or a term in its sentence make it the document's: nothing, a list
    number, or a subject (本通知, 以上政策, 上述措施…由…负责解释，自…, 该补充通知 …), not a measure's object
    ("利率自…"). Inside a numbered measure ("5.…该政策执行时间至…") only 本/以上/上述 speak for the whole."""
    s, _ = _sentence(text, start)
    line = text.rfind("\n", 0, start) + 1
    numbered = bool(_LIST_MARK.match(text[line:start])) and not _LIST_MARK.match(text[s:start])
    before = _LIST_MARK.sub("", text[s:start]).strip(" ，,")
    if not before:
        return True
    if _MEASURE_WORDS.search(before):
        return False
    head = re.split(r"[，,]", before, maxsplit=1)[0]
    last = re.split(r"[，,]", before)[-1]
    subject = (
        re.match(r"^(?:本|以上|上述|该|此|这)?[^，,]{0,10}?" + _SUBJECT, head) is not None
        or re.search(_SUBJECT + r"[^，,]{0,14}$", last) is not None
        or re.search(r"(?:以上|上述|本|该|此)", last[-16:]) is not None
    )
    if subject and numbered:
        return bool(_OWN_SUBJECT.search(head) or _OWN_SUBJECT.search(last))
    return subject


def _named(text: str, start: int) -> bool:
    """The statement at ``start`` names the document as its subject: 本办法, 以上措施, 上述政策 …"""
    s, _ = _sentence(text, start)
    return re.search(r"本|以上|上述|该", _LIST_MARK.sub("", text[s:start])) is not None


def _relative_date(event: str, md: Any, fallback: str | None) -> str | None:
    written, published = md.written_date, md.published_date
    if published and written and published < written:
        published = None  # published before it was written: a cited document's 印发 date, not its own
    if event in _WRITTEN_EVENTS or event == "即日":
        return written or published or fallback
    return published or fallback or written


def _term_end(text: str, pos: int, effective: str | None) -> str | None:
    """The last day in force stated at ``pos`` (a 有效期 or a period), if it is the document's."""
    s, e = _sentence(text, pos)
    for rx in (_TERM, _PERIOD, _RUN_UNTIL):
        m = rx.match(text, pos)
        if m is None:
            continue
        if m.groupdict().get("until"):
            d = _day(m.group("until"))
            return d.isoformat() if d else None
        if m.groupdict().get("n") and effective:
            n = _count(m.group("n"))
            if n:
                try:
                    return add_term(dt.date.fromisoformat(effective), n, m.group("unit")).isoformat()
                except (ValueError, OverflowError):  # 有效期99999年: past any calendar, no last day
                    return None
    return None


def _is_ours(text: str, pos: int) -> bool:
    """A 有效期 / 执行期限 of the document: after its 施行 statement in the sentence, or with a subject of
    its own (本政策有效期…, 本通知执行期为…, 阶段性支持政策期限…), never a 购房码's or a 消费券's."""
    s, _ = _sentence(text, pos)
    before = text[s:pos]
    if _NOT_OURS.search(before):
        return False
    if re.search(r"阶段性\s*$", before):  # "阶段性支持政策期限至…": the 阶段性 policy's window
        return True
    last = re.split(r"[，,]", before)[-1].strip()
    if last:  # a subject of its own right before: 本政策有效期…, 本通知执行期为…, 该政策的执行期限…
        if not re.fullmatch(r"(?:本|以上|上述|该|此)?[^，,]{0,12}?" + _SUBJECT + r"(?:的)?", last):
            return _after_statement(text, s, pos)
        return _own_statement(text, pos)
    clauses = [c.strip() for c in re.split(r"[，,]", before.strip(" ，,"))]
    if clauses == [""]:  # the sentence opens with it: "执行期限至…。" closing the text, not a measure
        return pos >= len(text) * 0.85 and _own_statement(text, pos)
    if re.match(r"(?:本|以上|上述)", clauses[-1]) or re.search(r"阶段性(?:政策|措施)$", clauses[-1]):
        return True  # "本通知所列为阶段性政策，执行期限至…"
    return _after_statement(text, s, pos)  # "…起施行，有效期5年": the 施行 statement's own term


def _after_statement(text: str, s: int, pos: int) -> bool:
    """Whether the sentence holds, before ``pos``, a 施行 statement of the document's own (its verb may
    be the word at ``pos``: "本公告自…起执行至…")."""
    starts = [
        m.start() for rx in (_EXPLICIT, _RELATIVE) for m in rx.finditer(text, s, pos + 40) if m.start() < pos
    ]
    return any(_own_statement(text, x) for x in starts)


def read_effective(text: str, md: Any, fallback: str | None = None) -> tuple[str | None, int]:
    """The 施行 date the text states for itself, and where the statement is (-1: none). A statement that
    names its subject (本办法…, 以上措施…) beats one that does not (a 细则 in an annex: "2022年6月1日起开始
    执行"); among equals the last that gives a date wins: an issuing notice's "现予公布，自…起施行" comes
    before the text it issues, whose closing article has the last word."""
    found: list[tuple[bool, int, str]] = []
    for m in _EXPLICIT.finditer(text):
        if not _own_statement(text, m.start()):
            continue
        d = _day(m.group("date"))
        if d is not None:
            found.append((_named(text, m.start()), m.start(), d.isoformat()))
    for m in _RELATIVE.finditer(text):
        if not _own_statement(text, m.start()):
            continue
        got = _relative_date(m.group("event"), md, fallback)
        if got is None:
            # a State Council order signed right after: "…自公布之日起施行。总理 温家宝 二○○七年九月十八日"
            near = re.search(DATE, text[m.end() : m.end() + 40])
            got = iso_date(near.group(0)) if near else None
        if got is not None:
            found.append((_named(text, m.start()), m.start(), got))
    if not found:
        return None, -1
    _, pos, date = max(found)
    return date, pos


def read_expiry(text: str, effective: str | None, near: int = -1) -> str | None:
    """The last day in force the text states for itself: the term stated with the 施行 statement at
    ``near`` first, else the last one of its own elsewhere."""
    candidates: list[tuple[int, str]] = []
    starts = sorted(
        {m.start() for rx in (_TERM, _PERIOD, _RUN_UNTIL) for m in rx.finditer(text)}
        | {m.start() for m in _ENDS.finditer(text)}
    )
    for pos in starts:
        m = _ENDS.match(text, pos)
        if m is not None and _is_ours(text, pos):
            d = _day(m.group("until"))
            if d is not None and (effective is None or d.isoformat() > effective):
                candidates.append((pos, (d - dt.timedelta(days=1)).isoformat()))
            continue
        if not _is_ours(text, pos):
            continue
        end = _term_end(text, pos, effective)
        if end is not None and (effective is None or end >= effective):
            candidates.append((pos, end))
    if not candidates:
        return None
    if near >= 0:
        s, e = _sentence(text, near)
        same = [c for c in candidates if s <= c[0] <= e + 40]
        if same:
            return same[0][1]
    return candidates[-1][1]


def read_start_of_period(text: str, md: Any, fallback: str | None) -> str | None:
    """A stated period's first day when no 施行 statement gives one: "本通知执行期为2022年6月20日至…",
    "该政策的执行期限自文件印发之日起至…" (the 成文 date)."""
    for rx in (_PERIOD, _TERM):
        for m in rx.finditer(text):
            start = m.groupdict().get("from")
            if not start or not _is_ours(text, m.start()):
                continue
            event = re.search(r"印发|发布|公布|下发", start)
            if event and not re.search(r"\d", start):
                return _relative_date(event.group(0), md, fallback)
            d = _day(start)
            if d is not None:
                return d.isoformat()
    return None


# -- repeals -----------------------------------------------------------------------------------------
def _closing(text: str, i: int) -> int:
    """Index just past the 》 that closes the 《 at ``i`` (nested 《〈<>〉》 allowed); -1 if none."""
    depth = 0
    for j in range(i, min(len(text), i + 200)):
        c = text[j]
        if c == "《":
            depth += 1
        elif c == "》":
            depth -= 1
            if depth == 0:
                return j + 1
        elif c in "。；\n":
            return -1
    return -1


def _number_text(text: str) -> str | None:
    from corpus.metadata import normalize_doc_number  # noqa: PLC0415 - metadata imports this module

    t = text.strip().strip("（()）").strip()
    if not _NUMBER_IN.search(t) or len(t) > 30:
        return None
    return normalize_doc_number(t) or re.sub(r"\s+", "", t)


def _references(span: str) -> list[tuple[int, int, Reference]]:
    """The documents named in ``span``: 《title》 with an optional (文号), and bare 文号s."""
    out: list[tuple[int, int, Reference]] = []
    i = 0
    while i < len(span):
        if span[i] == "《":
            end = _closing(span, i)
            if end < 0:
                i += 1
                continue
            title = span[i + 1 : end - 1].strip()
            ref = Reference(title=title)
            m = re.match(r"\s*[（(]([^（()）]{1,40})[）)]", span[end:])
            if m:
                ref.doc_number = _number_text(m.group(1))
                end += m.end()
            out.append((i, end, ref))
            i = end
            continue
        m = _BARE_NUMBER.match(span, i)
        if m and (i == 0 or not re.match(r"[\u4e00-\u9fff]", span[i - 1]) or span[i - 1] in "原和及、与"):
            out.append((i, m.end(), Reference(doc_number=_number_text(m.group(0)))))
            i = m.end()
            continue
        i += 1
    return out


def read_repeals(text: str) -> list[Reference]:
    """The documents this text repeals, in order, once each (by 文号, else title)."""
    found: list[Reference] = []
    for v in _REPEAL_VERB.finditer(text):
        s, _ = _sentence(text, v.start())
        span = text[s : v.start()]
        refs = _references(span)
        # the run of references that ends right before the verb, joined by 、 and the like
        run: list[Reference] = []
        tail_end = len(span)
        for a, b, ref in reversed(refs):
            gap = span[b:tail_end]
            ok = _FILLER.match(gap) if not run else _SEPARATOR.match(re.sub(r"^[)）\s]*文件", "", gap))
            if not ok or (not run and _PARTIAL.match(gap)):
                break
            run.insert(0, ref)
            tail_end = a
            # words before the run: 原, 此前印发的, 2022年5月18日印发的 … (anything but a part marker)
        found += run
    for v in _VERB_FIRST.finditer(text):
        s, e = _sentence(text, v.end())
        refs = _references(text[v.end() : e])
        run = []
        last = 0
        rest = text[v.end() : e]
        for a, b, ref in refs:
            if not _SEPARATOR.match(re.sub(r"^原", "", rest[last:a]).replace("原", "")):
                break
            run.append(ref)
            last = b
        after = rest[last:]
        if run and not _PARTIAL.match(after):
            found += run
    out: list[Reference] = []
    seen: set[str] = set()
    for r in found:
        key = r.doc_number or r.title or ""
        if key and key not in seen:
            seen.add(key)
            out.append(r)
    return out


# -- the page's 有效性 cell, and the dates a header table gives -----------------------------------------
_CELL = re.compile(
    r"(?:有\s*效\s*性|时\s*效\s*性|废止日期)\s*[\]】:：]?\s*(现行有效|有效|失效|已失效|废止|已废止|是|否)(?![\u4e00-\u9fff]{0,1}日期)"
)
_HEAD_DATE = re.compile(rf"[\[【]\s*(实施日期|生效日期|施行日期|废止日期)\s*[\]】]\s*(?P<date>{DATE})")


def read_cell(text: str) -> str | None:
    """The 有效性 / 时效性 cell of a page's info table when the reader did not give it: "[有效性] 是" → 有效."""
    m = _CELL.search(text[:3000])
    if m is None:
        return None
    v = m.group(1)
    return {"是": "有效", "否": "失效"}.get(v, v)


def read_validity(
    text: str, md: Any, given: Mapping[str, Any] | None = None, fallback: str | None = None
) -> None:
    """Set ``md.effective_date`` (unless a field gave it), ``md.expires_on``, ``md.repeals`` and, when no
    reader gave it, ``md.validity`` from ``text``. ``md`` carries the 成文 and 发布 dates already read;
    ``fallback`` is the date the record came with (any of its dates)."""
    given = given or {}
    start = -1
    head = {m.group(1): m.group("date") for m in _HEAD_DATE.finditer(text[:3000])}
    stated = head.get("实施日期") or head.get("生效日期") or head.get("施行日期")
    if not md.effective_date and stated:
        md.effective_date = iso_date(stated)
    if not md.effective_date:
        md.effective_date, start = read_effective(text, md, fallback)
    else:
        _, start = read_effective(text, md, fallback)
    md.expires_on = iso_date(given.get("expires_on")) or read_expiry(text, md.effective_date, start)
    if md.expires_on is None and "废止日期" in head:
        d = _day(head["废止日期"])
        md.expires_on = (d - dt.timedelta(days=1)).isoformat() if d else None
    if md.effective_date is None and md.expires_on is not None:
        md.effective_date = read_start_of_period(text, md, fallback)
    md.repeals = [r.to_dict() for r in read_repeals(text)]
    if not md.validity:
        md.validity = read_cell(text)


__all__ = [
    "DATE",
    "Reference",
    "add_term",
    "read_cell",
    "read_effective",
    "read_expiry",
    "read_repeals",
    "read_validity",
]
