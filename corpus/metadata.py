"""Extract document metadata from cleaned text: title, issuer, 文号, dates, jurisdiction, type, status.

Sources, strongest first: fields that came with the document (JSONL record, .meta.json sidecar), header
fields ("发文机关:\\t吉林市人民政府办公厅"), the document's own heading lines, its 落款 (signature and date,
"二〇二五年三月十八日" too), 主送 and 附件说明 (``corpus.layout``). A document number cited in the text
("（吉政办发〔2017〕84号）") is a citation, never the document's own.

Jurisdiction comes from the issuer, the 文号 prefix and the title's opening, never from places the body or
the 主送 line mention: a State Council notice about a 湖南 coal mine is 全国, and so is one addressed to
新疆生产建设兵团. A draft is a document whose own title or header says so (征求意见稿, 草案, 送审稿, 讨论稿),
not one whose body mentions another text's 草案.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from corpus.dates import is_date_line, page_date
from corpus.dates import iso_date as _iso
from corpus.gazetteer import Gazetteer
from corpus.issuers import is_national, number_is_national, number_province
from corpus.jurisdiction import NATIONAL_ACTOR, JurisdictionReader, Reading
from corpus.layout import BANNER_NUMBER, ORG_SUFFIX, Layout, read_layout, split_orgs
from corpus.models import DocumentMetadata
from corpus.validity import read_validity

_HEADER_KEYS = "索引号|分类|主题分类|发文机关|发布机构|成文日期|标题|发文字号|文号|发布日期|生效日期|实施日期"
_HEADER = re.compile(rf"({_HEADER_KEYS})[:：]\s*([^\t]*)")
_DOC_NUMBER = re.compile(
    r"([\u4e00-\u9fff]{1,12}?)\s*[〔\[［(（【﹝〖]\s*((?:19|20)\d{2})\s*[〕\]］)）】﹞〗]\s*(\d{1,4})\s*号"
)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})\s*日?")
_STANDALONE_DATE = re.compile(r"^[（(]?\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[）)]?$")
_LEDE_DATE = re.compile(r"^((?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*[,，]")
# a news summary's measure, dated by when it starts: "2024年9月27日起，广州住房公积金管理中心开通…",
# "自2023年8月1日起至2023年9月30日止", "凡在2022年6月1日至2022年12月31日期间购买…"
_START = re.compile(
    r"(?:^|[，,。；;：:\n（(]|自|从|凡|于|在)\s*((?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*"
    r"(?:(?:零时|0时)?\s*起|至\s*(?:(?:19|20)\d{2}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:期间|止|前))"
)
_PRINTED = re.compile(r"((?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*印发")
_ORG_SUFFIX = ORG_SUFFIX
# LawRefBook's info block: "2016年12月23日 温州市第十二届人民代表大会常务委员会第三十九次会议通过"
_PASSED_BY = re.compile(
    r"^\S*?日\s*(.+?)(?:第[一二三四五六七八九十百零〇\d]+次(?:会议|全体会议)|会议)\s*(?:审议|修订)?\s*(通过|批准)"
)
_TERM = re.compile(r"第?[一二三四五六七八九十百零〇\d]+届")
DOC_TYPES = [
    "实施意见", "实施方案", "工作方案", "行动方案", "行动计划", "指导意见", "实施细则", "实施办法", "管理办法",
    "暂行办法", "若干规定", "若干措施", "若干意见", "若干政策", "政策措施", "司法解释", "法典", "意见", "方案", "通知", "条例", "办法",
    "规定", "细则", "决定", "规划", "计划", "公告", "通告", "批复", "解释", "规则", "措施", "纲要", "函", "法",
]  # fmt: skip
_TYPE_TAIL = re.compile(r"[（(](试行|暂行|草案|征求意见稿|修订|修正|\d{4}年修正|\d{4}年修订)[）)]$")
_DRAFT = re.compile(r"征求意见稿|草案|送审稿|草稿|讨论稿")
_DRAFT_LINE = re.compile(r"^[（(【]?\s*(征求意见稿|草案|送审稿|讨论稿|草稿)\s*[）)】]?$")


def iso_date(text: str | None) -> str | None:
    """ "2019 年 4 月 1 日" → "2019-04-01", "二〇二五年三月十八日" → "2025-03-18"; None when there is no valid date
    (``corpus.dates``)."""
    return _iso(text)


# what a sentence says just before a 文号 it cites; the 机关代字 begins after the last of them
_BEFORE_NUMBER = re.compile(
    r".*(?:通知|意见|决定|批复|复函|请示|报告|文件|文号|是指|执行|参照|按照|依照|根据|依据|落实好|不受|按|的|及|和|与)"
)


def normalize_doc_number(text: str) -> str | None:
    """ "吉市政办发(2018)19号" → "吉市政办发〔2018〕19号"; a cited number keeps its 机关代字 alone:
    "…许可及抵押管理仍按榕政办〔2016〕180号" → "榕政办〔2016〕180号"."""
    m = _DOC_NUMBER.search(text or "")
    if not m:
        return None
    agency = _BEFORE_NUMBER.sub("", m.group(1)) or m.group(1)
    return f"{agency}〔{m.group(2)}〕{int(m.group(3))}号"


def doc_type_of(title: str | None) -> tuple[str | None, str | None]:
    """(document type, the cover it is issued with).

    >>> doc_type_of("吉林市人民政府办公厅关于印发吉林市支持社会力量提供多层次多样化医疗服务实施方案的通知")
    ('实施方案', '通知')
    """
    if not title:
        return None, None
    title = _DRAFT_PAREN.sub("", title).strip()
    m = re.search(r"(?:印发|转发|发布)《?(.+?)》?的(通知|决定)$", title)
    if m:
        inner_type, _ = doc_type_of(m.group(1))
        return inner_type or m.group(2), m.group(2)
    title = _TYPE_TAIL.sub("", title).strip()
    for t in DOC_TYPES:
        if title.endswith(t):
            return ("法" if t == "法典" else t), None
    return None, None


_DRAFT_PAREN = re.compile(r"[（(]\s*(征求意见稿|草案|送审稿|讨论稿)\s*[）)]")


def header_fields(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines[:15]:
        for key, value in _HEADER.findall(line):
            value = value.strip()
            if value and key not in out:
                out[key] = value
    return out


def is_title_like(line: str) -> bool:
    """A short line with no sentence punctuation that ends in a document type: "…实施方案"."""
    if len(line) > 80 or re.search(r"[。，；：:\t]", line):
        return False
    core = _TYPE_TAIL.sub("", _DRAFT_PAREN.sub("", line)).strip()
    return any(core.endswith(t) for t in DOC_TYPES) and not line.endswith("文件")


def _title_from_lines(lines: list[str]) -> str | None:
    head = lines[:12]
    for line in head:
        if "关于" in line and is_title_like(line):
            return line
    # a title broken over short lines: "进一步促进全区社会办医" / "持续健康规范发展工作方案" / "（征求意见稿）"
    parts: list[str] = []
    for line in head:
        if "\t" in line or re.search(r"[。，；：]", line) or len(line) > 40:
            break
        if line.endswith("文件") or _DOC_NUMBER.fullmatch(line) or BANNER_NUMBER.match(line):
            continue
        parts.append(line)
        if is_title_like(line):
            return "".join(parts)
    return None


def _issuer_from(title: str | None, lines: list[str], layout: Layout) -> str | None:
    """The issuer named by the title ("淳安县人民政府办公室关于…"), the 版头 ("…文件") or the 落款."""
    if title and "关于" in title:
        # "国务院办公厅转发国家发展改革委关于…的通知": the issuer is who forwards
        prefix = re.split(r"转发|印发|批转", title.split("关于", 1)[0], maxsplit=1)[0]
        if prefix and all(_ORG_SUFFIX.search(o) for o in split_orgs(prefix)):
            return prefix
    for line in lines[:5]:
        if line.endswith("文件") and len(line) <= 30:
            return line[: -len("文件")]
    if layout.signers:
        return "、".join(dict.fromkeys(layout.signers))
    # an organisation's name just before a date line the layout did not take for a 落款
    for i in range(len(lines) - 1, 0, -1):
        if _STANDALONE_DATE.match(lines[i]) or is_date_line(lines[i]):
            prev = lines[i - 1]
            if len(prev) <= 30 and _ORG_SUFFIX.search(prev) and not re.search(r"[。，；：]", prev):
                return prev
    return None


def issuer_from_info(info: str) -> str | None:
    """Who passed a law, from LawRefBook's info block: "…温州市第十二届人民代表大会常务委员会第三十九次会议通过" →
    "温州市人民代表大会常务委员会"."""
    found = []
    lines = info.split("\n")
    title = lines[0].lstrip("#").strip() if lines else ""
    for line in lines:
        m = _PASSED_BY.match(line.strip().lstrip("#").strip())
        if m:
            name = _TERM.sub("", m.group(1)).strip()
            if name.startswith(("市", "省")):  # "市九届人大常委会": the place is the title's
                own = re.match(r"^[\u4e00-\u9fff]{2,6}?" + name[0], title)
                name = own.group(0) + name[1:] if own else name
            if _ORG_SUFFIX.search(name):
                # the body that passed it, before the one that approved it
                found.append((m.group(2) != "通过", name))
    return min(found)[1] if found else None


def _is_draft(title: str | None, lines: list[str]) -> bool:
    """Only the document's own title or a header line ("（征求意见稿）") makes it a draft."""
    if title and _DRAFT.search(title):
        return True
    return any(_DRAFT_LINE.match(ln) for ln in lines[:8])


class MetadataExtractor:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.reader = JurisdictionReader(gazetteer)

    def extract(self, text: str, given: Mapping[str, Any] | None = None, info: str = "") -> DocumentMetadata:
        """``info``: a Markdown law's info block (dates and the body that passed it), read for issuer and date
        when the record does not give them."""
        given = {k: v for k, v in (given or {}).items() if v not in (None, "")}
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        header = header_fields(lines)
        layout = read_layout(text)
        md = DocumentMetadata()

        md.title = given.get("title") or header.get("标题") or _title_from_lines(lines)
        if md.title:
            md.title = md.title.strip().lstrip("#").strip()
        md.status = given.get("status") or ("draft" if _is_draft(md.title, lines) else "final")
        if md.title:
            md.title = _DRAFT_PAREN.sub("", md.title).strip()
        md.doc_type, md.issued_with = doc_type_of(md.title)
        md.doc_type = given.get("doc_type") or md.doc_type

        md.issuer = given.get("issuer") or header.get("发文机关") or header.get("发布机构")
        if not md.issuer:
            md.issuer = _issuer_from(md.title, lines, layout) or (issuer_from_info(info) if info else None)
        if md.issuer and not given.get("issuer"):
            md.issuer = "、".join(split_orgs(md.issuer)) or md.issuer

        own = given.get("doc_number") or header.get("发文字号") or header.get("文号")
        # after the 版头 on its line, which opens a document: "…管理委员会文件泰公积金委字〔2022〕2号★"
        banner = BANNER_NUMBER.match(lines[0]) if not own and lines else None
        own = own or (banner.group(1) if banner else None)
        if not own:
            for line in lines[:10]:
                # "国办发〔2024〕15号", or in brackets under the title as web pages print it
                m = _DOC_NUMBER.fullmatch(re.sub(r"^[（(]\s*|\s*[)）]$", "", line.strip()))
                if m:
                    own = m.group(0)
                    break
        md.doc_number = normalize_doc_number(own) if own else None
        cited = {normalize_doc_number(m.group(0)) for m in _DOC_NUMBER.finditer(text)}
        md.citations = sorted(c for c in cited if c and c != md.doc_number)
        md.addressee = given.get("addressee") or layout.addressee
        md.attachments = list(given.get("attachments") or layout.attachments)

        # 政府信息公开 table fields (given by the HTML reader, a record or a sidecar; else header lines)
        md.index_number = given.get("index_number") or header.get("索引号")
        md.subject = given.get("subject") or header.get("主题分类")
        md.validity = given.get("validity")
        self._dates(md, lines, header, given, layout, info)
        self._jurisdiction(md, text, given, header)
        md.law_level = (
            given.get("level") if given.get("level") not in ("国家", "省级", "地市级", "县级") else None
        )
        return md

    @staticmethod
    def _dates(
        md: DocumentMetadata,
        lines: list[str],
        header: dict[str, str],
        given: Mapping[str, Any],
        layout: Layout,
        info: str = "",
    ) -> None:
        md.written_date = iso_date(given.get("written_date") or header.get("成文日期"))
        md.published_date = iso_date(given.get("published_date") or header.get("发布日期"))
        md.effective_date = iso_date(
            given.get("effective_date") or header.get("生效日期") or header.get("实施日期")
        )
        body = "\n".join(lines)
        if not md.written_date:
            md.written_date = layout.signed_date
        if not md.written_date:
            for line in lines:
                if is_date_line(line) and not line.endswith("印发"):
                    md.written_date = iso_date(line)
                    break
        if not md.published_date:
            m = _PRINTED.search(body)
            md.published_date = layout.printed_date or (iso_date(m.group(1)) if m else None)
        if not md.published_date:
            # a web page's date line: 发布日期：2023-02-05 10:04, "2023-04-25 21:03 来源：新华"
            head_and_tail = lines[:12] + lines[-3:]
            md.published_date = next((d for line in head_and_tail if (d := page_date(line))), None)
        if not md.published_date and lines:
            # a news text's lede: "2024年2月6日，金融监管总局召开专题会议…"
            m = _LEDE_DATE.match(lines[0])
            md.published_date = iso_date(m.group(1)) if m else None
        read_validity(body, md, given, iso_date(given.get("date")))  # 施行, 有效期, repeals (corpus.validity)
        md.date = (
            iso_date(given.get("date"))
            or md.written_date
            or md.published_date
            or md.effective_date
            or (iso_date(info) if info else None)
            or _stated_start(body)
        )

    def _jurisdiction(
        self,
        md: DocumentMetadata,
        text: str,
        given: Mapping[str, Any],
        header: Mapping[str, str] | None = None,
    ) -> None:
        if given.get("jurisdiction") or given.get("province"):
            jur = given.get("jurisdiction") or "/".join(
                x for x in (given.get("province"), given.get("city"), given.get("county")) if x
            )
            md.jurisdiction_evidence = "given"
            if jur == "全国":
                md.jurisdiction, md.level = "全国", "国家"
                return
            parts = jur.split("/")
            md.province = given.get("province") or parts[0]
            md.city = given.get("city") or (parts[1] if len(parts) > 1 else None)
            md.county = given.get("county") or (parts[2] if len(parts) > 2 else None)
            if md.city and not md.county:
                own = self.gazetteer.get(md.city)
                if own is not None and own.level == "county" and own.province == md.province:
                    md.city, md.county = own.city, own.county  # "北京市/房山区"
            md.jurisdiction = "/".join(x for x in (md.province, md.city, md.county) if x)
            md.level = "县级" if md.county else "地市级" if md.city else "省级"
            return
        reading = self.read_jurisdiction(md, text, given, header or {})
        md.jurisdiction_evidence = reading.evidence
        md.jurisdiction_inferred = reading.inferred
        if reading.national:
            md.jurisdiction, md.level = "全国", "国家"
        elif reading.place is not None:
            place = reading.place
            md.province, md.city, md.county = place.province, place.city, place.county
            md.jurisdiction, md.level = place.jurisdiction, place.level_name

    def read_jurisdiction(
        self, md: DocumentMetadata, text: str, given: Mapping[str, Any], header: Mapping[str, str]
    ) -> Reading:
        """All the evidence, strongest first (``corpus.jurisdiction``): issuer and 文号, the info table, the
        title's opening, a national 主送, the one place the title names, the 主送's level and bodies, the
        text's subject place."""
        from_table = bool(header.get("发文机关") or header.get("发布机构")) or (
            bool(given.get("issuer")) and bool(given.get("index_number") or given.get("subject"))
        )
        stated = self.locate(md)
        if stated is not None:
            place, kind = stated
            kind = "table" if from_table and kind == "issuer" else kind
            return Reading(national=place == "全国", place=None if place == "全国" else place, evidence=kind)
        addressed = self.reader.from_addressee(md.addressee, text)
        if addressed.national:
            return addressed
        title = _ZONE_PREFIX.sub(r"\1", md.title or "")
        if NATIONAL_ACTOR.match(title):
            return Reading(national=True, evidence="title")  # 住房城乡建设部在福建省福州市召开…现场会
        named = self._title_place(title)
        if named is not None:
            return Reading(place=named, evidence="title")
        if addressed.found:
            return addressed
        reading = self.reader.from_text(text, title=title)
        if reading.found:
            return reading
        vocabulary = self.gazetteer.infer(text)  # 盟市, 旗县: Inner Mongolia's own divisions
        place = self.gazetteer.get(vocabulary) if vocabulary else None
        return Reading(place=place, evidence="text", inferred=True) if place is not None else reading

    def _title_place(self, title: str):  # noqa: ANN202 - Place | None
        """The one place a title names, wherever it stands: "关于调整台州市住房公积金…的通知"."""
        # not a text the title cites: 关于贯彻落实《大理白族自治州人民政府关于…》的实施办法
        title = re.sub(r"(贯彻|落实|学习|转发|执行)[^《]{0,4}《[^》]*》", "", title)
        found = [c for _, _, c in self.gazetteer.mentions(title)]
        places = [c[0] for c in found if len(c) == 1]
        if not places or len(places) != len(found):
            return None
        deepest = max(places, key=lambda p: _DEPTH[p.level])
        if all(p.name in (deepest.name, deepest.province, deepest.prefecture) for p in places):
            return deepest
        return None

    def locate(self, md: DocumentMetadata):  # noqa: ANN201 - (Place | "全国", kind) | None
        """Where the document says it is from: its issuer's place; a national issuer; the place that opens its
        title; a national or provincial 文号 prefix. Never the places its body or 主送 mention. The kind is
        ``issuer`` or ``title``."""
        hint = " ".join(x for x in (md.doc_number, md.title) if x)
        title = _ZONE_PREFIX.sub(r"\1", md.title or "")  # 中国（上海）自由贸易试验区条例
        opening = title.split("关于", 1)[0] if "关于" in title else title
        found = self.gazetteer.mentions(opening)
        titled = None
        if found and found[0][0] == 0:
            titled = self.gazetteer.locate(opening[: _opening_end(opening, found)], hint)
        if md.issuer:
            place = self.gazetteer.locate(md.issuer, hint)
            if place is not None:
                # a regulation titled by a place within its issuer's: 温州市民间融资管理条例 (浙江省人大常委会)
                first = found[0][2][0] if found and found[0][0] == 0 else None
                if titled is not None and "关于" not in title and first is not None and _within(first, place):
                    return titled, "title"
                return place, "issuer"
            if is_national(md.issuer):
                return "全国", "issuer"
        if titled is not None:
            return titled, "title"
        if "关于" in title and is_national(opening):
            return "全国", "title"
        if number_is_national(md.doc_number):
            return "全国", "issuer"
        province = number_province(md.doc_number)
        place = self.gazetteer.get(province) if province else None
        return (place, "issuer") if place is not None else None


_ZONE_PREFIX = re.compile(r"^中国[（(]([\u4e00-\u9fff]{2,8})[）)]")
_DEPTH = {"province": 0, "prefecture": 1, "county": 2}


def _stated_start(body: str) -> str | None:
    """For a text that states no 成文, 发布 or 施行 date (a news summary of a measure): the first date it says
    a measure starts from, so that it sorts and filters near its time instead of not at all."""
    m = _START.search(body)
    return iso_date(m.group(1)) if m else None


def _within(inner, outer) -> bool:  # noqa: ANN001 - gazetteer places
    """``inner`` lies strictly below ``outer``."""
    return inner.name != outer.name and outer.name in (inner.province, inner.prefecture)


def _opening_end(opening: str, found: list) -> int:  # noqa: ANN001 - gazetteer mentions
    """Where the run of place names that opens a title ends: "浙江省杭州市淳安县农村…" → after 淳安县."""
    end = 0
    for s, e, _ in found:
        if s > end:
            break
        end = e
    return end
