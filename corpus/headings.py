"""What counts as a clause heading.

A heading opens a line (never the middle of a sentence) with one of these markers, outermost first:

=====  ==================  ===========================
depth  marker              example
=====  ==================  ===========================
1      第X编               第一编 总则
2      第X章               第二章 自然人
3      第X节               第四节 个体工商户和农村承包经营户
4      第X条 (an article)  第五十四条 自然人从事工商业经营……
5      一、                五、加大政策支持
6      （一） / (一)        （十二）加强人力资源保障。切实落实……
7      1. / 1、 / 1．      1．完善医师多点执业
8      （1） / (1)          （1）床位
=====  ==================  ===========================

A cross reference is not a heading: "第十二条规定的……", "第三条第二项所列人员……" and "（三）项" continue a
sentence (and in a law, an article number that does not move forward is one: see ``corpus.chunker``).

Scraped pages run headings inline ("一、支持住房消费（一）2024年起……。（二）……二、加大公积金支持……") and glue a
heading to its body ("一、加大住房保障力度加大规划建设……"): :class:`Numbering` finds the inline ones by their
numbers (the next in sequence, after a sentence end or a bare heading), and :func:`glued_title` the end of a
glued title (a heading noun, then a sentence opener).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUM = "一二三四五六七八九十百千零〇两"
_LAW = re.compile(rf"^第([{_NUM}\d]+)([编章节])(?![的规之中所和或至])\s*(.*)$")
_ARTICLE = re.compile(rf"^第([{_NUM}\d]+)条(?:之[{_NUM}]+)?(?![的规之中所和、或至款项（(第及])\s*")
_P1 = re.compile(rf"^([{_NUM}]+)[、，,．.](?![{_NUM}])")
_P2 = re.compile(rf"^[（(]([{_NUM}]+)[）)](?![项款目条])")
_P3 = re.compile(r"^(\d{1,2})[.、．](?!\d)")
_P4 = re.compile(r"^[（(](\d{1,2})[）)](?![项款目条])")
_ATTACHMENT = re.compile(r"^附\s*件\s*(\d*)\s*[：:]?")

DEPTH = {"编": 1, "章": 2, "节": 3, "条": 4, "p1": 5, "p2": 6, "p3": 7, "p4": 8}
_LEAD_MAX = 40
_GLUE_MIN, _GLUE_MAX = 4, 16  # a glued title's length, in characters


@dataclass(frozen=True)
class Heading:
    kind: str  # 编 章 节 条 p1 p2 p3 p4
    depth: int
    label: str  # what the heading path shows: "（十二）加强人力资源保障", "第五十四条"
    body: str  # the text after a lead phrase on the same line ("切实落实…"), "" for a heading line


def starts_with_heading_marker(line: str) -> bool:
    return any(p.match(line) for p in (_LAW, _ARTICLE, _P1, _P2, _P3, _P4))


def _full_width(marker: str) -> str:
    return marker.replace("(", "（").replace(")", "）")


def parse_heading(line: str) -> Heading | None:
    """Parse a heading at the start of ``line``.

    >>> parse_heading("（十二）加强人力资源保障。切实落实社会办医疗机构……").label
    '（十二）加强人力资源保障'
    >>> parse_heading("第十二条规定的情形除外。") is None
    True
    """
    line = line.strip().lstrip("#").strip()
    m = _LAW.match(line)
    if m and len(line) <= 60 and not line.endswith("。"):
        return Heading(m.group(2), DEPTH[m.group(2)], line, "")
    m = _ARTICLE.match(line)
    if m:
        return Heading("条", DEPTH["条"], m.group(0).strip(), line)
    for kind, pattern in (("p1", _P1), ("p2", _P2), ("p3", _P3), ("p4", _P4)):
        m = pattern.match(line)
        if not m:
            continue
        marker = _full_width(m.group(0))
        if kind == "p1" and marker[-1] in "，,．.":
            marker = marker[:-1] + "、"
        rest = line[m.end() :].strip()
        return _with_lead_phrase(kind, marker, rest)
    return None


def _with_lead_phrase(kind: str, marker: str, rest: str) -> Heading:
    """Split "（一）总体要求。深入贯彻……" into the label "（一）总体要求" and the body."""
    if not rest:
        return Heading(kind, DEPTH[kind], marker, "")
    stop = re.search(r"[。！？]", rest)
    lead = rest[: stop.start()] if stop else rest
    if len(lead) > _GLUE_MAX or re.search(r"[，,；;]", lead):
        k = glued_title(rest)
        if k:  # "加大住房保障力度" + "加大规划建设……"
            return Heading(kind, DEPTH[kind], marker + rest[:k], marker + rest)
    if stop is None:
        if len(rest) <= _LEAD_MAX:
            return Heading(kind, DEPTH[kind], marker + rest, "")
        return Heading(kind, DEPTH[kind], marker + _preview(rest), marker + rest)
    body = rest[stop.end() :].strip()
    if len(lead) <= _LEAD_MAX and "；" not in lead:
        if not body:
            return Heading(kind, DEPTH[kind], marker + lead, "")
        return Heading(kind, DEPTH[kind], marker + lead, marker + rest)
    return Heading(kind, DEPTH[kind], marker + _preview(rest), marker + rest)


def _preview(text: str, n: int = 16) -> str:
    cut = re.split(r"[，；：,;]", text, maxsplit=1)[0]
    return cut if len(cut) <= n else cut[:n] + "…"


def heading_number(label: str) -> str | None:
    """The numbering of a heading label, the stable part of a clause's place:
    "第一章 总则" → "第一章", "第三条之一" → "第三条之一", "五、加大政策支持" → "五", "（十二）加强…" → "(十二)",
    "1．完善…" → "1", "（1）床位" → "(1)", "附件1：名单" → "附件1"; None for an unnumbered label."""
    s = label.strip()
    m = _LAW.match(s)
    if m:
        return f"第{m.group(1)}{m.group(2)}"
    m = _ARTICLE.match(s)
    if m:
        return m.group(0).strip()
    for pattern, fmt in ((_P1, "{}"), (_P2, "({})"), (_P3, "{}"), (_P4, "({})")):
        m = pattern.match(s)
        if m:
            return fmt.format(m.group(1))
    return attachment_label(s)


def attachment_label(line: str) -> str | None:
    """ "附件1：医疗机构名单" → "附件1"; other lines → None."""
    m = _ATTACHMENT.match(line.strip())
    if not m:
        return None
    return "附件" + (m.group(1) or "")


# the nouns headings end with, and the words a sentence of policy text opens with
_TITLE_END = re.compile(
    r"(目标|任务|要求|原则|措施|保障|机制|体系|制度|政策|力度|能力|水平|环境|服务|管理|建设|发展|改革|创新|监管|保护|"
    r"治理|支持|引导|作用|工作|责任|领导|组织|实施|落实|考核|督查|宣传|投入|供给|消费|质量|效率|安全|基础|队伍|人才|"
    r"经济|产业|市场|主体|平台|标准|规范|范围|合作|协同|融合|共享|开放|转型|布局|结构|功能|格局|生态|资源|资金|项目|"
    r"设施|网络|步骤|安排|分工|思想|重点|内容|对象|条件|程序|流程|方式|职责|待遇|补贴|奖励|激励|优惠|价格|信用|秩序|"
    r"风险|应急|防控|监测|评估|评价|信息|数据|科技|技术|教育|培训|就业|医疗|卫生|健康|养老|托育|住房|用地|文化|旅游|"
    r"交通|物流|金融|财政|保险|联结)$"
)
_OPENER = re.compile(
    r"^(坚持|按照|根据|围绕|鼓励|支持|推动|推进|加快|加大|加强|完善|建立|健全|落实|实施|开展|严格|各地|各级|各部门|"
    r"各乡镇|各县|各市|各区|各单位|到20|力争|积极|进一步|深入|全面|统筹|优化|强化|提高|提升|引导|探索|充分|切实|认真|"
    r"发展|推广|实行|设立|制定|组织|做好|确保|聚焦|依法|允许|取消|降低|减少|扩大|培育|打造|构建|规范|对|在|将|由)"
)


def glued_title(rest: str) -> int:
    """Where a heading's title ends when scraping glued it to its body, or 0.

    >>> rest = "加大住房保障力度加大规划建设保障性住房力度，在郑州等城市加快发展保障性租赁住房。"
    >>> rest[: glued_title(rest)]
    '加大住房保障力度'
    """
    head = re.split(r"[，,；;：:。！？、“”（）()]", rest, maxsplit=1)[0]
    sentence = re.split(r"[。！？]", rest, maxsplit=1)[0]
    best = 0
    for k in range(_GLUE_MIN, min(_GLUE_MAX, len(head) - 2) + 1):
        if _TITLE_END.search(rest[:k]) and _OPENER.match(rest[k:]) and len(sentence) - k >= 10:
            if rest[k : k + 2] == rest[:2]:
                return k  # the body opens with the title's verb again: "加大…力度" + "加大…"
            best = k
    return best


_CN_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def numeral(text: str) -> int | None:
    """ "十二" → 12, "三十五" → 35, "12" → 12; None for anything else."""
    if text.isdigit():
        return int(text)
    total, unit_seen, cur = 0, False, 0
    for ch in text:
        if ch in _CN_VALUE:
            cur = _CN_VALUE[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur, unit_seen = 0, True
        elif ch == "百":
            total += (cur or 1) * 100
            cur, unit_seen = 0, True
        else:
            return None
    return total + cur if (unit_seen or len(text) == 1) else None


_INLINE = {
    "p1": re.compile(rf"(?<!第)([{_NUM}]+)、(?![{_NUM}])"),
    "p2": re.compile(rf"[（(]([{_NUM}]+)[）)](?![项款目条])"),
    "p3": re.compile(r"(?<![\d.．])(\d{1,2})[.．、](?!\d)"),
    "p4": re.compile(r"[（(](\d{1,2})[）)](?![项款目条])"),
}
_ENDS_SENTENCE = re.compile(r"[。！？][”’」』）)]*$")


@dataclass
class Numbering:
    """The numbers the headings of a document have reached, per kind, to tell an inline heading (the next
    number) from a list item or a number in a sentence."""

    last: dict[str, int] = field(default_factory=dict)

    def observe(self, h: Heading) -> None:
        n = numeral(heading_number(h.label).strip("()") if heading_number(h.label) else "")
        if n is None or h.kind not in _INLINE:
            return
        self.last[h.kind] = n
        for kind in _INLINE:  # a new 二、 may restart the （一） below it
            if DEPTH[kind] > h.depth:
                self.last.setdefault(kind, 0)
                self.last[kind] = -abs(self.last[kind])  # negative: 1 or the next number both continue

    def expects(self, kind: str, n: int) -> bool:
        last = self.last.get(kind)
        if last is None:
            return n == 1
        return n == abs(last) + 1 or (last <= 0 and n == 1)

    def breaks(self, line: str, head: Heading | None) -> list[int]:
        """Offsets in ``line`` where an inline heading starts (the line's own first heading not included)."""
        found: list[tuple[int, str, int]] = []
        for kind, pattern in _INLINE.items():
            for m in pattern.finditer(line):
                n = numeral(m.group(1))
                if m.start() > 0 and n is not None:
                    found.append((m.start(), kind, n))
        found.sort()
        out: list[int] = []
        seg_start = 0
        probe = Numbering(dict(self.last))
        if head:
            probe.observe(head)
        for pos, kind, n in found:
            before = line[seg_start:pos]
            bare_title = (
                bool(parse_heading(before))
                and not re.search(r"[，。；：！？,;:]", before)
                and len(before) <= 30
            )
            if kind in ("p3",) and not _ENDS_SENTENCE.search(before):
                continue
            if not (_ENDS_SENTENCE.search(before) or bare_title):
                continue
            if not probe.expects(kind, n):
                continue
            h = parse_heading(line[pos:])
            if h is None or h.kind != kind:
                continue
            probe.observe(h)
            out.append(pos)
            seg_start = pos
        return out
