"""Domain objects of the corpus pipeline."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Note:
    """Something to tell the operator about a document that is indexed anyway: a Chinese reason and a code.

    ``Note("乱码已由 ftfy 修复：UTF-8 文本曾被按 Latin-1/cp1252 解码", "repaired_utf8_as_latin1")``
    """

    reason: str
    code: str = ""


@dataclass
class RawDocument:
    """A document as loaded, before cleaning: text plus whatever metadata came with it."""

    id: str
    text: str
    source: str
    fields: dict[str, Any] = field(default_factory=dict)  # from JSONL records or a .meta.json sidecar
    text_format: str = "plain"  # "plain" or "markdown" (LawRefBook)
    origin: str = ""  # where it was read on this machine (reports to the operator only; never stored)
    content_hash: str = ""  # of text + fields + format: an unchanged hash means nothing to re-process
    warnings: list[Note | str] = field(default_factory=list)  # indexed, but with something to say
    reader: str = ""  # the reader that reads it: text / pdf / docx / doc / html / jsonl
    pending: Any = None  # a corpus.readers PendingRead: text and fields are read on demand (resolve)
    ocr_pages: list[int] = field(default_factory=list)  # pages the reader read by OCR (from 1)

    def warning_reports(self) -> list[SkippedFile]:
        where = self.origin or self.source
        return [
            SkippedFile(where, w.reason, w.code) if isinstance(w, Note) else SkippedFile(where, w)
            for w in self.warnings
        ]


@dataclass
class DocumentMetadata:
    title: str | None = None
    issuer: str | None = None
    issuer_inferred: bool = False
    doc_number: str | None = None
    date: str | None = None  # the main date: 成文 if known, else 发布, else 施行 (ISO)
    written_date: str | None = None  # 成文日期
    published_date: str | None = None  # 发布 / 印发
    effective_date: str | None = None  # 施行
    jurisdiction: str | None = None  # "全国" | "吉林省" | "吉林省/吉林市" | "浙江省/杭州市/淳安县"
    province: str | None = None
    city: str | None = None
    county: str | None = None  # 县 / 区 / 县级市 / 旗 (issue 21)
    level: str | None = None  # 国家 / 省级 / 地市级 / 县级
    jurisdiction_inferred: bool = (
        False  # read from the 主送 or the text, not stated by issuer, table or title
    )
    # what decided the jurisdiction: issuer (incl. 落款, 文号) | table (政府信息公开) | title | addressee | text |
    # given (a record's or sidecar's field)
    jurisdiction_evidence: str | None = None
    doc_type: str | None = None  # 实施意见, 实施方案, 工作方案, 通知, 条例, 办法 …
    issued_with: str | None = None  # 通知 when the document is issued by a cover notice (印发…的通知)
    status: str = "final"  # "final" | "draft" (征求意见稿)
    law_level: str | None = None  # LawRefBook: 法律 / 行政法规 / 司法解释 / 部门规章 / 地方性法规
    citations: list[str] = field(default_factory=list)  # document numbers this document cites
    index_number: str | None = None  # 索引号 (政府信息公开 info table)
    subject: str | None = None  # 主题分类 (info table)
    validity: str | None = None  # 有效性 / 时效性 (info table): 有效 / 失效 / 废止 …
    addressee: str | None = None  # 主送: "各乡镇人民政府、街道办事处，县政府各部门"
    attachments: list[str] = field(default_factory=list)  # 附件 titles, in order
    reader: str | None = None  # which reader read the file: text / pdf / image / docx / doc / html / jsonl
    ocr_pages: list[int] = field(default_factory=list)  # pages read by OCR (from 1): a scan, a page image
    # validity (issue 30, corpus.validity): the last day in force, and the documents this one repeals;
    # effective_date (施行) is above. Which indexed document repeals this one is resolved at index time
    # (index.repeals), its status at a date at search time (search.validity_status).
    expires_on: str | None = None  # "有效期至2025年3月31日"; "有效期五年" from 施行, the day before
    repeals: list[dict[str, str | None]] = field(default_factory=list)  # [{doc_number, title}]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Clause:
    """The smallest numbered unit that carries a statement, with its place in the document.

    ``heading_path`` for 吉林市's (十二): ["五、加大政策支持", "（十二）加强人力资源保障"].
    """

    id: str
    doc_id: str
    ordinal: int
    heading_path: list[str]
    text: str
    start: int  # span in the cleaned document text
    end: int
    kind: str = "body"  # body | preamble | closing | attachment
    part: int = 1
    part_count: int = 1
    responsible_units: list[str] = field(default_factory=list)
    lead_unit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Document:
    id: str
    source: str
    text: str  # cleaned text; clause spans point into it
    metadata: DocumentMetadata
    clauses: list[Clause] = field(default_factory=list)
    content_hash: str = ""  # of the raw document (see corpus.loader.content_hash)

    def to_dict(self, with_text: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "source": self.source, **self.metadata.to_dict()}
        if with_text:
            out["text"] = self.text
        out["clauses"] = [c.to_dict() for c in self.clauses]
        return out


@dataclass
class SkippedFile:
    """A file (or record: ``FILE:LINE``) not indexed, or indexed with a warning: why, and a machine code."""

    path: str
    reason: str  # Chinese, for people: "PDF 没有文字层（扫描件）…"
    code: str = ""  # for machines: "pdf_no_text"
    # The source exists but could not be read: the key of the documents the current index generation
    # keeps for it (a file's key; "dir/" for everything under an unreadable directory; "*" for a record
    # file, whose unread part may hold any key). None: nothing to keep (the path is really absent, or a
    # problem that concerns no document). See index.builder.held_back.
    holds: str | None = None


@dataclass
class LoadReport:
    """What a load run saw: the documents it produced and the files it skipped, with reasons."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[SkippedFile] = field(default_factory=list)  # indexed anyway: path and what to know

    @property
    def clause_count(self) -> int:
        return sum(len(d.clauses) for d in self.documents)

    def summary(self) -> str:
        return f"{len(self.documents)} 份文件，{self.clause_count} 条条款，跳过 {len(self.skipped)} 个文件"
