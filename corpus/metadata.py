"""Extract document metadata from cleaned text: title, issuer, 文号, dates, jurisdiction, type, status.

Sources, strongest first: fields that came with the document (JSONL record, .meta.json sidecar), header
fields ("发文机关:\\t吉林市人民政府办公厅"), the document's own heading lines, its signature and date lines.
A document number cited in the text ("（吉政办发〔2017〕84号）") is a citation, never the document's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from corpus.gazetteer import Gazetteer
from corpus.models import DocumentMetadata

_HEADER_KEYS = "索引号|分类|主题分类|发文机关|发布机构|成文日期|标题|发文字号|文号|发布日期|生效日期|实施日期"
_HEADER = re.compile(rf"({_HEADER_KEYS})[:：]\s*([^\t]*)")
_DOC_NUMBER = re.compile(
    r"([\u4e00-\u9fff]{1,12}?)\s*[〔\[［(（【]\s*((?:19|20)\d{2})\s*[〕\]］)）】]\s*(\d{1,4})\s*号"
)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})\s*日?")
_STANDALONE_DATE = re.compile(r"^[（(]?\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[）)]?$")
_PRINTED = re.compile(r"((?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*印发")
_EFFECTIVE = re.compile(
    r"自\s*((?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起\s*(?:施行|实施|执行|生效)"
)
_ORG_SUFFIX = re.compile(
    r"(人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|常务委员会|人民代表大会|"
    r"卫生健康委员会|卫生健康委|卫生计生委|局|厅|部|委|院|政府|中心|署)$"
)
DOC_TYPES = [
    "实施意见", "实施方案", "工作方案", "行动方案", "行动计划", "指导意见", "实施细则", "实施办法", "管理办法",
    "暂行办法", "若干规定", "若干措施", "若干意见", "司法解释", "法典", "意见", "方案", "通知", "条例", "办法",
    "规定", "细则", "决定", "规划", "计划", "公告", "通告", "批复", "解释", "规则", "措施", "纲要", "函", "法",
]  # fmt: skip
_TYPE_TAIL = re.compile(r"[（(](试行|暂行|草案|征求意见稿|修订|修正|\d{4}年修正|\d{4}年修订)[）)]$")
_DRAFT = re.compile(r"征求意见稿|草案|送审稿|草稿|讨论稿")


def iso_date(text: str | None) -> str | None:
    """ "2019 年 4 月 1 日" → "2019-04-01"; None when there is no valid date."""
    if not text:
        return None
    m = _DATE.search(text)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def normalize_doc_number(text: str) -> str | None:
    """ "吉市政办发(2018)19号" → "吉市政办发〔2018〕19号"."""
    m = _DOC_NUMBER.search(text or "")
    if not m:
        return None
    return f"{m.group(1)}〔{m.group(2)}〕{int(m.group(3))}号"


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
        if line.endswith("文件") or _DOC_NUMBER.fullmatch(line):
            continue
        parts.append(line)
        if is_title_like(line):
            return "".join(parts)
    return None


def _issuer_from(title: str | None, lines: list[str]) -> str | None:
    if title and "关于" in title:
        prefix = title.split("关于", 1)[0]
        if prefix and _ORG_SUFFIX.search(prefix):
            return prefix
    for line in lines[:5]:
        if line.endswith("文件") and len(line) <= 30:
            return line[: -len("文件")]
    # signature: an organisation's name just before a standalone date line
    for i in range(len(lines) - 1, 0, -1):
        if _STANDALONE_DATE.match(lines[i]):
            prev = lines[i - 1]
            if len(prev) <= 30 and _ORG_SUFFIX.search(prev) and not re.search(r"[。，；：]", prev):
                return prev
    return None


class MetadataExtractor:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def extract(self, text: str, given: Mapping[str, Any] | None = None) -> DocumentMetadata:
        given = {k: v for k, v in (given or {}).items() if v not in (None, "")}
        lines = [ln for ln in text.split("\n") if ln.strip()]
        header = header_fields(lines)
        md = DocumentMetadata()

        md.title = given.get("title") or header.get("标题") or _title_from_lines(lines)
        if md.title:
            md.title = md.title.strip().lstrip("#").strip()
        status_text = (md.title or "") + "\n".join(lines[:6])
        md.status = given.get("status") or ("draft" if _DRAFT.search(status_text) else "final")
        if md.title:
            md.title = _DRAFT_PAREN.sub("", md.title).strip()
        md.doc_type, md.issued_with = doc_type_of(md.title)
        md.doc_type = given.get("doc_type") or md.doc_type

        md.issuer = given.get("issuer") or header.get("发文机关") or header.get("发布机构")
        if not md.issuer:
            md.issuer = _issuer_from(md.title, lines)

        own = given.get("doc_number") or header.get("发文字号") or header.get("文号")
        if not own:
            for line in lines[:10]:
                m = _DOC_NUMBER.fullmatch(line.strip())
                if m:
                    own = line
                    break
        md.doc_number = normalize_doc_number(own) if own else None
        cited = {normalize_doc_number(m.group(0)) for m in _DOC_NUMBER.finditer(text)}
        md.citations = sorted(c for c in cited if c and c != md.doc_number)

        # 政府信息公开 table fields (given by the HTML reader, a record or a sidecar; else header lines)
        md.index_number = given.get("index_number") or header.get("索引号")
        md.subject = given.get("subject") or header.get("主题分类")
        md.validity = given.get("validity")
        self._dates(md, lines, header, given)
        self._jurisdiction(md, text, given)
        md.law_level = given.get("level") if given.get("level") not in ("国家", "省级", "地市级") else None
        return md

    @staticmethod
    def _dates(
        md: DocumentMetadata, lines: list[str], header: dict[str, str], given: Mapping[str, Any]
    ) -> None:
        md.written_date = iso_date(given.get("written_date") or header.get("成文日期"))
        md.published_date = iso_date(given.get("published_date") or header.get("发布日期"))
        md.effective_date = iso_date(
            given.get("effective_date") or header.get("生效日期") or header.get("实施日期")
        )
        body = "\n".join(lines)
        if not md.written_date:
            for line in lines:
                if _STANDALONE_DATE.match(line):
                    md.written_date = iso_date(line)
                    break
        if not md.published_date:
            m = _PRINTED.search(body)
            md.published_date = iso_date(m.group(1)) if m else None
        if not md.effective_date:
            m = _EFFECTIVE.search(body)
            md.effective_date = iso_date(m.group(1)) if m else None
        md.date = iso_date(given.get("date")) or md.written_date or md.published_date or md.effective_date

    def _jurisdiction(self, md: DocumentMetadata, text: str, given: Mapping[str, Any]) -> None:
        if given.get("jurisdiction") or given.get("province"):
            jur = given.get("jurisdiction") or "/".join(
                x for x in (given.get("province"), given.get("city")) if x
            )
            if jur == "全国":
                md.jurisdiction, md.level = "全国", "国家"
                return
            prov, _, city = jur.partition("/")
            md.province = given.get("province") or prov
            md.city = given.get("city") or city or None
        else:
            place = None
            for source in (md.issuer, md.title, "\n".join(text.split("\n")[:8])):
                place = self.gazetteer.first(source or "")
                if place:
                    break
            if place:
                md.province, md.city = place.province, place.city
            else:
                inferred = self.gazetteer.infer(text)
                if inferred:
                    md.province, md.jurisdiction_inferred = inferred, True
        if md.province:
            md.jurisdiction = md.province + (f"/{md.city}" if md.city else "")
            md.level = "地市级" if md.city else "省级"
        elif given.get("level") == "国家" or (md.issuer or "").startswith(("国务院", "全国人民代表大会")):
            md.jurisdiction, md.level = "全国", "国家"
