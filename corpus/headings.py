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

A cross reference is not a heading: "第十二条规定的……" and "（三）项" continue a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = "一二三四五六七八九十百千零〇两"
_LAW = re.compile(rf"^第([{_NUM}\d]+)([编章节])(?![的规之中所和或至])\s*(.*)$")
_ARTICLE = re.compile(rf"^第([{_NUM}\d]+)条(?:之[{_NUM}]+)?(?![的规之中所和、或至款项（(])\s*")
_P1 = re.compile(rf"^([{_NUM}]+)[、，,．.](?![{_NUM}])")
_P2 = re.compile(rf"^[（(]([{_NUM}]+)[）)](?![项款目条])")
_P3 = re.compile(r"^(\d{1,2})[.、．](?!\d)")
_P4 = re.compile(r"^[（(](\d{1,2})[）)](?![项款目条])")
_ATTACHMENT = re.compile(r"^附\s*件\s*(\d*)\s*[：:]?")

DEPTH = {"编": 1, "章": 2, "节": 3, "条": 4, "p1": 5, "p2": 6, "p3": 7, "p4": 8}
_LEAD_MAX = 40


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
    if stop is None:
        if len(rest) <= _LEAD_MAX:
            return Heading(kind, DEPTH[kind], marker + rest, "")
        return Heading(kind, DEPTH[kind], marker + _preview(rest), marker + rest)
    lead = rest[: stop.start()]
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
