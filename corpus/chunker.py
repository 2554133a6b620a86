"""Split a cleaned document into clauses that keep their heading path.

Policy documents nest 一、 → （一） → 1. → （1）; laws nest 第X编 → 第X章 → 第X节 → 第X条, and the items
（一）（二） of an article stay inside it. A lead phrase opening a paragraph is a heading too:
"（十二）加强人力资源保障。切实落实……" has the path […, "（十二）加强人力资源保障"].
Text before the first heading is the 序言, closing paragraphs after the last one are the 结语 (never the
only text of the last heading: "四、保障措施" / "各乡镇、各部门要……" is section 四), and 附件 sections keep their own
path. The 主送, 附件说明, 落款, 附注 and 版记 lines (``corpus.layout``) are no clause's text, and no clause spans
one; a table set right after the 落款 is the 附件 the 附件说明 names (issue 28). Headings run inline
are split where their numbers say a new one starts; in a law, an article number that does not move forward
("第三条第二项所列人员……" inside 第四条) continues the article it stands in. Clauses over ``max_chars`` split at sentence ends (。；！？), each
part keeping the path; fragments under ``min_chars`` merge with a neighbour.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from config.settings import default_of
from corpus.headings import Heading, Numbering, attachment_label, numeral, parse_heading
from corpus.layout import Layout, is_org_line, read_layout
from corpus.metadata import _DOC_NUMBER, _STANDALONE_DATE, is_title_like
from corpus.models import Clause, DocumentMetadata
from corpus.places import clause_places
from corpus.responsible import parse_responsibility

_CLOSING_CUE = re.compile(
    r"^(各地各部门|各地区、?各部门|各地、各有关部门|各(县|市|区|盟市|旗县)[^，。]{0,12}(要|应)|"
    r"本(意见|方案|办法|通知|规定|细则|条例|实施意见|实施方案|工作方案)(自|由|所称|未尽|有效期|从)|"
    r"以上|此前|国家.{0,10}另有规定)"
)
_TRAILER = re.compile(r"^(抄送|抄报|主送|（此件|\(此件|此件|公开方式|联系人|联系电话|附注)")
_PRINTED_LINE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日印发$")
_ADDRESSEE = re.compile(r"^各[^。]{2,80}[：:]$")
_NOTE = re.compile(r"[（(][^（）()]{2,200}[）)]\s*$")
_SENTENCE = re.compile(r"[^。；！？\n]*(?:[。；！？]+[”’」』）)]*|\n|$)")


@dataclass
class _Para:
    text: str
    start: int
    end: int


@dataclass
class _Open:
    path: list[str]
    kind: str
    paras: list[_Para] = field(default_factory=list)
    after_close: bool = False  # opens after skipped lines (a 落款 …): never merged into the block before it


@dataclass
class ChunkOptions:
    max_chars: int = field(default_factory=lambda: default_of("max_clause_chars"))
    min_chars: int = field(default_factory=lambda: default_of("min_clause_chars"))


def _paragraphs(text: str, body_start: int) -> list[_Para]:
    out = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if start < body_start or not line.strip():
            continue
        out.append(_Para(line, start, end))
    return out


def _is_front_or_trailer(line: str, md: DocumentMetadata, seen_body: bool) -> bool:
    s = line.strip()
    if "\t" in s and re.search(r"[:：]", s):
        return True
    if s.startswith("#") and not parse_heading(s):
        return True  # Markdown title line
    if md.title and (
        s == md.title or (not seen_body and len(s) >= 4 and s in md.title and not is_title_like(s))
    ):
        return True
    if md.issuer and s == md.issuer and not seen_body:
        return True
    if _DOC_NUMBER.fullmatch(s) or _STANDALONE_DATE.match(s) or _TRAILER.match(s) or _PRINTED_LINE.search(s):
        return True
    if not seen_body and (_ADDRESSEE.match(s) or (s.endswith("文件") and len(s) <= 30)):
        return True
    if re.fullmatch(r"[（(](征求意见稿|草案|送审稿)[）)]", s):
        return True
    return False


class Chunker:
    def __init__(self, options: ChunkOptions | None = None) -> None:
        self.options = options or ChunkOptions()

    def chunk(
        self, doc_id: str, text: str, md: DocumentMetadata, body_start: int = 0, layout: Layout | None = None
    ) -> list[Clause]:
        layout = layout or read_layout(text, body_start)
        skipped = layout.skipped
        paras = [p for p in _paragraphs(text, body_start) if p.start not in skipped]
        gaps = _gaps(layout, paras)
        law_mode = sum(1 for p in paras if (h := parse_heading(p.text)) and h.kind == "条") >= 2
        if not law_mode:
            paras = _split_inline(paras)
        heads = [parse_heading(p.text) for p in paras]
        last_heading = max((i for i, h in enumerate(heads) if h), default=-1)
        article: float | None = None  # the number of the article being read (laws)
        content = False  # has the newest heading any text yet?
        skip_next = False
        stack: list[tuple[int, str]] = []
        attachment: str | None = None
        opened: list[_Open] = []
        cur: _Open | None = None
        seen_body = False
        in_article = False
        closed = False  # skipped lines (a 落款 …) stand between the last block and the next one
        # a heading line with nothing under it before the next heading of its depth: a one-sentence item
        # "（一）支持社会办医疗机构开展无人机配送药品试点，探索……。" is a clause, not a bare heading
        leaf: tuple[list[str], _Para, int] | None = None

        def emit_leaf(depth: int | None) -> None:
            nonlocal leaf
            if leaf and (depth is None or depth <= leaf[2]) and _is_statement(leaf[1].text):
                opened.append(_Open(leaf[0], "attachment" if attachment else "body", [leaf[1]]))
            leaf = None

        def flush() -> None:
            nonlocal cur
            if cur and cur.paras:
                opened.append(cur)
            cur = None

        def block(path: list[str], kind: str, first: list[_Para] | None = None) -> _Open:
            nonlocal closed
            made, closed = _Open(path, kind, first or [], after_close=closed), False
            return made

        def path_now() -> list[str]:
            base = [attachment] if attachment else []
            return base + [label for _, label in stack]

        gap: bool | None = None  # skipped lines since the last block's text: True if they close it (落款)
        for i, para in enumerate(paras):
            line = para.text.strip()
            if para.start in gaps:
                gap = bool(gap) or gaps[para.start]
            if skip_next:
                skip_next = False
                continue
            if _is_front_or_trailer(line, md, seen_body):
                continue
            label = attachment_label(line)
            if label and (len(line) <= 40 or line[len(label) :].lstrip("：: ").startswith(("1", "一"))):
                flush()
                gap = None
                title = _attachment_title(line, label)
                nxt = paras[i + 1].text.strip() if i + 1 < len(paras) else ""
                if not title and line == label and _is_attachment_title(nxt):
                    title, skip_next = f"：{nxt}", True  # "附件1" / "重点城市名单"
                elif not title and line == "附件" and len(layout.attachments) == 1:
                    title = f"：{layout.attachments[0]}"  # "附件" over a table: the one the 附件说明 names
                attachment, stack, in_article = label + title, [], False
                continue
            h: Heading | None = heads[i]
            if h and law_mode and in_article and h.kind in ("p2", "p3", "p4"):
                h = None  # an item （一） of the article, not a heading
            if h and law_mode and h.kind == "条":
                n = _article_number(h.label)
                if n is not None and article is not None and n <= article and n != 1:
                    h = None  # "第三条第二项所列人员……" inside 第四条: a reference, not an article
                elif n is not None:
                    article = n
            if h and attachment and h.kind in ("p3", "p4"):
                h = None  # "1.某某医院" in an attachment is a list entry
            if not h and gap is not None:
                # skipped lines (a 落款, a 附件说明, a 附注) end the block before them: no clause's text holds
                # them. After a 落款, a table is the attachment the 附件说明 names ("附件：任务分解表" / 落款 /
                # the table, without its own "附件" label)
                flush()
                closed = True
                if is_org_line(line):  # a 落款 whose date the copy lost: "附件：1.…" / "2.…" / the office
                    gap = None
                    continue
                if gap and not attachment and "\t" in line:
                    titles = layout.attachments
                    attachment = "附件" + (f"：{titles[0]}" if len(titles) == 1 else "")
                    stack, in_article = [], False
            gap = None
            if h:
                seen_body = True
                flush()
                emit_leaf(h.depth)
                while stack and stack[-1][0] >= h.depth:
                    stack.pop()
                stack.append((h.depth, h.label))
                in_article = h.kind == "条"
                content = bool(h.body)
                if h.body:
                    cur = block(path_now(), "attachment" if attachment else "body", [para])
                else:
                    leaf = (path_now(), para, h.depth)
                continue
            leaf = None
            if not stack and not attachment and is_org_line(line):
                continue  # the author line under a forwarded document's title: "国家发展改革委"
            if not stack and is_title_like(line) and len(line) <= 60:
                # the title of the issued document after its cover notice (印发…的通知): the text above
                # it is the notice, also where its 落款 set a line apart ("（公开属性：主动公开）", "全文如下")
                if cur and cur.kind == "preamble":
                    cur.path = ["印发通知"]
                for b in reversed(opened):
                    if b.kind != "preamble" or b.path != ["序言"]:
                        break
                    b.path = ["印发通知"]
                flush()
                continue
            if i > last_heading >= 0 and not attachment and content and _CLOSING_CUE.match(line):
                if not (cur and cur.kind == "closing"):
                    flush()
                    cur = block(["结语"], "closing")
                cur.paras.append(para)
                continue
            if cur is None:
                if stack or attachment:
                    cur = block(path_now(), "attachment" if attachment else "body")
                else:
                    cur = block(["序言"], "preamble")
            cur.paras.append(para)
            content = True
            seen_body = seen_body or bool(stack)
        flush()
        emit_leaf(None)
        return self._emit(doc_id, text, opened)

    def _emit(self, doc_id: str, text: str, opened: list[_Open]) -> list[Clause]:
        clauses: list[Clause] = []
        lead_rule = False
        for block in _merge_small(opened, self.options.min_chars):
            start, end = block.paras[0].start, block.paras[-1].end
            resp = parse_responsibility(text[start:end])
            lead_rule = lead_rule or bool(resp and resp.lead_rule)
            units = resp.units if resp else []
            lead = (resp.lead if resp else None) or (units[0] if units and lead_rule else None)
            if resp and resp.lead_rule and not resp.carries_on:
                lead_rule = False
            pieces = self._split(text, start, end, resp is not None)
            for k, (s, e) in enumerate(pieces, 1):
                clauses.append(
                    Clause(
                        id="",  # set below from the clause's place
                        doc_id=doc_id,
                        ordinal=len(clauses),
                        heading_path=list(block.path),
                        text=text[s:e],
                        start=s,
                        end=e,
                        kind=block.kind,
                        part=k,
                        part_count=len(pieces),
                        responsible_units=list(units),
                        lead_unit=lead,
                    )
                )
        for c, place in zip(
            clauses, clause_places([c.heading_path for c in clauses], [c.part for c in clauses])
        ):
            c.id = f"{doc_id}:{place}"
        return clauses

    def _split(self, text: str, start: int, end: int, has_note: bool) -> list[tuple[int, int]]:
        """Split a block; a trailing responsibility note stays with the sentence before it."""
        limit, floor = self.options.max_chars, self.options.min_chars
        note = _NOTE.search(text, start, end) if has_note else None
        if note is None or end - start <= limit:
            return split_span(text, start, end, limit, floor)
        pieces = split_span(text, start, note.start(), limit, floor)
        last_s, _ = pieces[-1]
        if end - last_s <= limit:
            pieces[-1] = (last_s, end)
        else:
            pieces.append((note.start(), end))
        return pieces


def _is_statement(line: str) -> bool:
    """A heading line that says something: it ends a sentence, or runs long (not "一、总则")."""
    s = line.strip()
    return s.endswith(("。", "；", "！", "？", ".", ";")) or len(s) >= 30


def _split_inline(paras: list[_Para]) -> list[_Para]:
    """Lines that run several headings together, cut where each one starts (``Numbering.breaks``)."""
    numbering = Numbering()
    out: list[_Para] = []
    for p in paras:
        cuts = numbering.breaks(p.text, parse_heading(p.text))
        bounds = [0, *cuts, len(p.text)]
        for a, b in zip(bounds, bounds[1:]):
            piece = p.text[a:b]
            lead = len(piece) - len(piece.lstrip())
            piece = piece.strip()
            if not piece:
                continue
            out.append(_Para(piece, p.start + a + lead, p.start + a + lead + len(piece)))
            h = parse_heading(piece)
            if h:
                numbering.observe(h)
    return out


def _article_number(label: str) -> float | None:
    """ "第十二条" → 12, "第十二条之一" → 12.1 (an inserted article comes after its base)."""
    m = re.match(r"第([^条]+)条(?:之(.+))?", label)
    if not m:
        return None
    n = numeral(m.group(1))
    if n is None:
        return None
    sub = numeral(m.group(2)) if m.group(2) else 0
    return n + (sub or 0) / 100


def _gaps(layout: Layout, paras: list[_Para]) -> dict[int, bool]:
    """The paragraphs that follow skipped lines (主送, 附件说明, 落款, 附注 …), by start offset: True where those
    lines close the document's text (a signature, or a 附件说明 and a date: a 落款), False otherwise. No
    clause spans such lines: its text would hold them."""
    roles = sorted((ln.start, ln.role) for ln in layout.lines if ln.role)
    out: dict[int, bool] = {}
    k = 0
    for p in paras:
        seen: set[str] = set()
        while k < len(roles) and roles[k][0] < p.start:
            seen.add(roles[k][1])
            k += 1
        if seen:
            out[p.start] = "signature" in seen or {"date", "attachment_list"} <= seen
    return out


def _is_attachment_title(line: str) -> bool:
    return 0 < len(line) <= 40 and not re.search(r"[。，；：:\t]", line) and not parse_heading(line)


def _attachment_title(line: str, label: str) -> str:
    rest = line[len(label) :].lstrip("：: ").strip()
    return f"：{rest}" if rest and len(rest) <= 40 else ""


def _merge_small(blocks: list[_Open], min_chars: int) -> list[_Open]:
    """A fragment under the floor joins the previous block of the same path ("略", a lone phrase)."""
    out: list[_Open] = []
    for b in blocks:
        size = b.paras[-1].end - b.paras[0].start
        if out and size < min_chars and out[-1].path == b.path and not b.after_close:
            out[-1].paras.extend(b.paras)
        else:
            out.append(b)
    return out


def split_span(text: str, start: int, end: int, max_chars: int, min_chars: int) -> list[tuple[int, int]]:
    """Split text[start:end] into spans of at most ``max_chars``, at sentence ends where possible."""
    if end - start <= max_chars:
        return [(start, end)]
    sentences: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text, start, end):
        if m.end() > m.start():
            for s, e in _hard_split(text, m.start(), m.end(), max_chars):
                sentences.append((s, e))
    total = end - start
    n_parts = math.ceil(total / max_chars)
    target = total / n_parts
    parts: list[tuple[int, int]] = []
    cur_s, cur_e = sentences[0]
    for s, e in sentences[1:]:
        if (e - cur_s > max_chars) or (cur_e - cur_s >= target and e - cur_s > target * 1.1):
            parts.append((cur_s, cur_e))
            cur_s = s
        cur_e = e
    parts.append((cur_s, cur_e))
    if (
        len(parts) > 1
        and parts[-1][1] - parts[-1][0] < min_chars
        and parts[-1][1] - parts[-2][0] <= max_chars
    ):
        parts[-2:] = [(parts[-2][0], parts[-1][1])]
    return [_trim(text, s, e) for s, e in parts]


def _hard_split(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A single sentence over the limit splits at commas, else at the limit."""
    out = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max(window.rfind("，"), window.rfind(","), window.rfind("、"))
        stop = start + (cut + 1 if cut > max_chars // 3 else max_chars)
        out.append((start, stop))
        start = stop
    out.append((start, end))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in " \n\t":
        s += 1
    while e > s and text[e - 1] in " \n\t":
        e -= 1
    return s, e
