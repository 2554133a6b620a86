"""The parts of an official document that are not its clauses (GB/T 9704's 版头 and 版记), line by line.

A government document is laid out as: 版头 ("淳安县人民政府办公室文件"), 发文字号 ("淳政办发〔2025〕12号"),
title, 主送 ("各乡镇人民政府，县政府各部门："), body, 附件说明 ("附件：1.重点城市名单" / "2.价格监测报表"),
落款 (the issuer's name, then the date: "淳安县人民政府办公室" / "二〇二五年三月十八日"), 附注 ("（此件公开发布）"),
the attachments themselves ("附件1" / title / text), and 版记 ("抄送：…" / "淳安县人民政府办公室 2025年3月19日印发").
:func:`read_layout` marks each line with its part, so that the chunker leaves 主送, 附件说明, 落款, 附注 and 版记
out of clause text, and the metadata reader takes the 主送, the 附件 titles, the signer and the signing date
from them. A timetable line ("2025年6月底前，各乡镇完成摸底登记。") is body: only a line that is a whole date
is a date line, and only an organisation's name right above one (or beside it) is a signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.dates import DATE_AT_END, is_date_line, iso_date
from corpus.headings import parse_heading

ORG_SUFFIX = re.compile(
    r"(人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|常务委员会|人民代表大会|管理委员会|管委会|"
    r"行政公署|公署|卫生健康委|卫生计生委|总局|总署|分局|监管局|中心|分行|支行|银行|局|厅|部|委|院|政府|署|会)$"
)
_ATTACH_LIST = re.compile(r"^附\s*件\s*[：:]\s*(.*)$")
_LIST_ITEM = re.compile(r"^(\d{1,2})\s*[.．、]\s*(\S.*)$")
_NOTE = re.compile(
    r"^[（(]\s*(此件|此文件|本件|信息公开|公开方式|公开属性|联系人|联系电话|此页无正文)[^）)]*[）)]$"
)
_COPY = re.compile(r"^(抄送|抄报|分送|发送)\s*[：:]")
_PRINTED = re.compile(r"印发\s*$")
_PLAIN_NOTE = re.compile(r"^(公开方式|公开属性|信息公开选项|联系人|联系电话|来源)\s*[：:]")
_ADDRESSEE_NOT = re.compile(
    r"(如下|通知|意见|公告|规定|办法|方案|决定)[：:]$|^(为|根据|按照|现|经|依据|依照|近期|近年)"
)
_RECIPIENT = re.compile(
    r"(政府|部门|单位|机构|委员会|委|办|厅|局|行|公司|企业|职工|纳税人|管委会|办事处|总部|交易所|学校|医院|院|会|处|"
    r"所|中心|街道|社区|村|镇|乡|市|县|区|州|盟|旗|团|部|署|室|人员|各有关方面)[）)]?$"
)
_DOC_NUMBER_LINE = re.compile(
    r"^[（(]?[\u4e00-\u9fff]{1,12}?\s*[〔\[［(（【﹝〖]\s*(?:19|20)\d{2}\s*[〕\]］)）】﹞〗]\s*\d{1,4}\s*号[)）]?$"
)
# 版头 and 文号 on one line, as a saved web page or a .txt copy prints them: "桐庐县人民政府办公室文件 桐政办发〔2023〕15号"
# (at a line's start, the 版头 holding no punctuation: "一、根据省政府办公厅文件浙政办发〔2022〕8号精神" is a citation)
BANNER_NUMBER = re.compile(
    r"^(?!根据|按照|依据|依照|现将|转发|经|为|对|在)[^，。；：、,;:]{2,30}?文件\s*"
    r"([\u4e00-\u9fff]{1,12}?\s*[〔\[［(（【﹝〖]\s*(?:19|20)\d{2}\s*[〕\]］)）】﹞〗]\s*\d{1,4}\s*号)"
)
_BANNER_NUMBER_LINE = re.compile(BANNER_NUMBER.pattern + r"\s*[★☆]?$")
_HEADER_FIELD = re.compile(
    r"\t|^(索引号|发文机关|发布机构|成文日期|发文字号|文号|发布日期|主题分类|标题)[:：]"
)


@dataclass
class Line:
    text: str
    start: int
    end: int
    role: str = ""  # "" (body) | header | banner | doc_number | addressee | attachment_list | signature |
    #                 date | note | copy | printed


@dataclass
class Layout:
    lines: list[Line]
    addressee: str | None = None
    attachments: list[str] = field(default_factory=list)
    signers: list[str] = field(default_factory=list)  # 落款 names, in order (joint documents sign twice)
    signed_date: str | None = None  # the first 落款 date, ISO
    printed_date: str | None = None  # 印发 date of the 版记

    def role_at(self, start: int) -> str:
        for line in self.lines:
            if line.start == start:
                return line.role
        return ""

    @property
    def skipped(self) -> set[int]:
        """Start offsets of the lines that are never clause text."""
        return {ln.start for ln in self.lines if ln.role}


def is_addressee(text: str) -> bool:
    """A 主送 list: recipients between 、，； — each short, the last one a body or group ("…人民政府",
    "各缴存单位、缴存职工"), never a sentence ("…会议决定，对《…》作如下修改")."""
    if _ADDRESSEE_NOT.search(text + "：") or "《" in text or "如下" in text:
        return False
    parts = [p for p in re.split(r"[，、；,;]", text) if p.strip()]
    return bool(parts) and all(len(p) <= 40 for p in parts) and bool(_RECIPIENT.search(parts[-1]))


def split_orgs(text: str) -> list[str]:
    """The organisations of a signature or a joint issuer, split at spaces, 、 and where one name ends and the
    next begins: "财政部 税务总局" / "四川省财政厅国家税务总局四川省税务局" → two names each."""
    parts = [p for p in re.split(r"[\s、，,]+", text.strip()) if p]
    out: list[str] = []
    for part in parts:
        out.extend(_split_glued(part))
    return out


_ORG_START = re.compile(
    r"^(国家|国务院|中国|中共|中央|全国|最高人民|财政部|税务总局|海关总署|审计署|教育部|科技部|工业和信息化部|公安部|"
    r"民政部|司法部|人力资源|自然资源部|生态环境部|住房和城乡建设部|住房城乡建设部|交通运输部|水利部|农业农村部|"
    r"商务部|文化和旅游部|应急管理部|市场监管总局|金融监管总局|证监会|人民银行|共青团|[\u4e00-\u9fff]{2,5}(省|市|县|区|自治区|自治州|盟|旗))"
)


def _split_glued(name: str) -> list[str]:
    for i in range(2, len(name) - 1):
        head, rest = name[:i], name[i:]
        if ORG_SUFFIX.search(head) and _ORG_START.match(rest) and ORG_SUFFIX.search(rest):
            # 国家税务总局四川省税务局 stays whole: its second part is where the first one sits
            if (
                head.startswith(("国家", "中国"))
                and head.endswith(("总局", "银行", "委员会"))
                and not rest.startswith(("国家", "中国", "国务院", "财政部", "税务总局"))
            ):
                continue
            return [head, *_split_glued(rest)]
    return [name]


def is_org_line(line: str) -> bool:
    """A line that is one or more organisations' names and nothing else (a 落款, a 版头 without 文件)."""
    s = line.strip()
    if not s or len(s) > 80 or re.search(r"[。，；：:;！？]", s) or parse_heading(s):
        return False
    names = split_orgs(s)
    return bool(names) and all(len(n) <= 40 and ORG_SUFFIX.search(n) for n in names)


def _signature_with_date(line: str) -> tuple[str, str] | None:
    """ "肥西县人民政府 2024年3月12日" (one line): the name and the date."""
    m = DATE_AT_END.search(line)
    if not m or m.start() == 0:
        return None
    name = line[: m.start()].strip()
    return (name, m.group(1)) if is_org_line(name) else None


def read_layout(text: str, body_start: int = 0) -> Layout:
    lines: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        if start >= body_start and raw.strip():
            lines.append(Line(raw.strip(), start, end))
    layout = Layout(lines)
    _front(layout)
    _tail(layout)
    return layout


def _front(layout: Layout) -> None:
    """版头, 文号, header fields and 主送: before the first heading or sentence of the body."""
    for ln in layout.lines[:20]:
        s = ln.text
        if parse_heading(s) and not _DOC_NUMBER_LINE.match(s):
            return
        if _HEADER_FIELD.search(s):
            ln.role = "header"
        elif (s.endswith("文件") and len(s) <= 30) or _BANNER_NUMBER_LINE.match(s):
            ln.role = "banner"
        elif _DOC_NUMBER_LINE.match(s) or re.match(r"^(签发人|签发)[：:]", s):
            ln.role = "doc_number"
        elif s.endswith(("：", ":")) and len(s) <= 200 and "。" not in s:
            if is_addressee(s[:-1]) and layout.addressee is None:
                ln.role = "addressee"
                layout.addressee = s[:-1].strip()
            return
        elif re.search(r"[。；]", s):
            return


def _tail(layout: Layout) -> None:
    lines = layout.lines
    n = len(lines)
    k = 0
    while k < n:
        ln = lines[k]
        s = ln.text
        if ln.role:
            k += 1
            continue
        if _COPY.match(s):
            ln.role = "copy"
            j = k + 1
            # a 抄送 list broken over lines: "…，" / "市中级法院，市检察院。"
            while j < n and not lines[j].role and _continues_copy(lines[j - 1].text, lines[j].text):
                lines[j].role = "copy"
                j += 1
            k = j
            continue
        if _PRINTED.search(s) and iso_date(s) and len(s) <= 60:
            ln.role = "printed"
            layout.printed_date = layout.printed_date or iso_date(s)
            if k and not lines[k - 1].role and is_org_line(lines[k - 1].text):
                lines[k - 1].role = "printed"  # "舟山市人民政府办公室" / "2019年4月11日印发"
        elif _NOTE.match(s) or _PLAIN_NOTE.match(s):
            ln.role = "note"
        elif is_date_line(s):
            ln.role = "date"
            # the 落款 above it: up to three lines of names (a joint document signs one per line)
            names: list[str] = []
            j = k - 1
            while j >= 0 and k - j <= 3 and not lines[j].role and is_org_line(lines[j].text):
                names.insert(0, lines[j].text)
                j -= 1
            if names:
                for x in range(j + 1, k):
                    lines[x].role = "signature"
                layout.signers += [o for nm in names for o in split_orgs(nm)]
            if layout.signed_date is None and (names or k >= n - 4):
                layout.signed_date = iso_date(s)
        else:
            both = _signature_with_date(s)
            if both:
                ln.role = "signature"
                layout.signers += split_orgs(both[0])
                layout.signed_date = layout.signed_date or iso_date(both[1])
            else:
                _attachment_list(layout, k)
        k += 1


def _continues_copy(prev: str, line: str) -> bool:
    return (
        not prev.endswith("。")
        and len(line) <= 80
        and not parse_heading(line)
        and not _PRINTED.search(line)
        and not line.startswith("附件")
    )


def _attachment_list(layout: Layout, k: int) -> None:
    """附件说明: "附件：1.标题" and the numbered lines after it, or "附件：标题" right above the 落款 or right
    above the attachment's table."""
    lines = layout.lines
    m = _ATTACH_LIST.match(lines[k].text)
    if not m or not m.group(1):
        return
    first = _LIST_ITEM.match(m.group(1))
    if first:
        titles = [first.group(2)]
        j = k + 1
        while (
            j < len(lines)
            and (item := _LIST_ITEM.match(lines[j].text))
            and int(item.group(1)) == len(titles) + 1
        ):
            titles.append(item.group(2))
            j += 1
        for x in range(k, j):
            lines[x].role = "attachment_list"
        layout.attachments += [_title(t) for t in titles]
        return
    if _signature_follows(lines, k + 1):
        lines[k].role = "attachment_list"
        layout.attachments.append(_title(m.group(1)))
    elif (k + 1 == len(lines) or "\t" in lines[k + 1].text) and _is_title(m.group(1)):
        # "附件：任务分解表" over the table itself (or last, the attachment left out of the copy): the
        # attachment's label, which the chunker keeps as its section's name, and one of the document's 附件
        title = _title(m.group(1))
        if title not in layout.attachments:
            layout.attachments.append(title)


def _signature_follows(lines: list[Line], j: int) -> bool:
    """A 落款 starts at line ``j``: names (up to three lines) then a date line, or a name and date on one line
    ("×××人民法院" / "协助执行通知书" is an attachment's first lines, not a 落款)."""
    if j < len(lines) and (is_date_line(lines[j].text) or _signature_with_date(lines[j].text)):
        return True
    for k in range(j, min(j + 3, len(lines))):
        if not is_org_line(lines[k].text):
            return False
        if k + 1 < len(lines) and is_date_line(lines[k + 1].text):
            return True
    return False


def _is_title(text: str) -> bool:
    return 0 < len(text.strip()) <= 40 and not re.search(r"[。；;！？]", text)


def _title(text: str) -> str:
    """ "《任务分解表》" → "任务分解表", but "《…的通知》政策解读" keeps its brackets."""
    text = text.strip()
    if re.fullmatch(r"《[^《》]*》", text):
        text = text[1:-1]
    return re.sub(r"[（(]\s*\d+\s*[)）]$|[。；;]$", "", text).strip()
