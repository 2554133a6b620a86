"""PDF files with a text layer, through pypdfium2 (PDFium, the engine of Chrome's PDF viewer).

PDFium gives each run of text with its box on the page. From the boxes this reader rebuilds what the
author typed:

- **Lines wrapped by the page width are joined.** A line that reaches the right margin (within 1.5
  characters of where the page's full lines end) runs on into the next one, unless the next one starts a
  paragraph: it is indented (official documents indent every paragraph by two characters), it is a heading
  after a sentence end ("。" then "二、重点任务"), or it is set in another size. "应" + "取得" → "应取得",
  "到20" + "27年" → "到2027年"; Latin words keep a space ("health" + "care" → "health care").
- **A title set over several centred lines in a larger size** becomes one line.
- **Page furniture is dropped**: page numbers in the top or bottom band of a page ("— 3 —", "-3-", "3",
  "第3页 共9页", "3/9", "Page 3 of 9"), and lines that repeat in that band on at least half the pages
  (a running header, a browser's date and URL line).
- **Table cells** set apart on one line are joined by a tab: one table row, one line.
- **No text layer** (a scan) is refused with the reason; scanned pages inside a text PDF are named in a
  warning. OCR is out of scope.
- **Hostile files** (issue 32): a Flate stream that inflates past 256 MB is refused before PDFium
  inflates it (:mod:`corpus.readers.pdf_streams`); a file whose text passes POLICY_SEARCH_MAX_TEXT_CHARS
  is refused at the page that passes it; an encrypted file with an empty user password is read with a
  warning that says so (``pdf_encrypted_no_password``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from corpus.headings import starts_with_heading_marker
from corpus.models import Note
from corpus.readers.base import TEXT_LIMIT, ReadError, ReadResult, check_length
from corpus.readers.pdf_streams import check_streams

_SENTENCE_END = set("。！？；：!?;:")
_PAGE_NUMBER = re.compile(
    r"^(?:[—–\-－~～\s]*\d{1,4}[—–\-－~～\s]*"
    r"|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*[，,]?\s*第\s*\d{1,4}\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)$",
    re.IGNORECASE,
)
_BAND = 0.12  # share of the page height at the top and at the bottom where headers and footers live


@dataclass
class Line:
    """One line of a page: its text and box in PDF points (origin bottom left, so top > bottom)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float  # the tallest run's height: about the font size
    page: int

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Layout:
    """Where a document's body lines start and end, and how large its body text is."""

    left: float
    right: float
    size: float
    indents: bool  # paragraphs start indented


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _glue(a: str, b: str) -> str:
    """Two pieces of one line or sentence: a space only between Latin words."""
    if not a or not b:
        return a + b
    return a + (" " if _is_latin(a[-1]) and _is_latin(b[0]) else "") + b


Box = tuple[float, float, float, float]  # left, bottom, right, top


def page_lines(boxes: list[Box], text_in: Callable[[Box], str], page: int) -> list[Line]:
    """Text boxes (PDFium's runs: a line, or a single glyph in PDFs that place each one) grouped into
    lines top to bottom, and split where a gap wider than a character sets cells apart; ``text_in`` reads
    the text inside a box once per line or cell, not once per glyph. Cells are joined by a tab."""
    boxes = sorted(boxes, key=lambda r: (-(r[1] + r[3]) / 2, r[0]))
    groups: list[list[Box]] = []
    top = bottom = 0.0
    for r in boxes:
        mid = (r[1] + r[3]) / 2
        if groups and bottom <= mid <= top:
            groups[-1].append(r)
            top, bottom = max(top, r[3]), min(bottom, r[1])
        else:
            groups.append([r])
            top, bottom = r[3], r[1]
    out = []
    for g in groups:
        g.sort(key=lambda r: r[0])
        size = max(r[3] - r[1] for r in g)
        lo, hi = min(r[1] for r in g), max(r[3] for r in g)
        cells: list[list[Box]] = [[g[0]]]
        for r in g[1:]:
            if r[0] - max(x[2] for x in cells[-1]) > size:
                cells.append([r])
            else:
                cells[-1].append(r)
        parts = [
            text_in((c[0][0], lo, max(x[2] for x in c), hi)).replace("\r", "").replace("\n", "").strip()
            for c in cells
        ]
        text = "\t".join(p for p in parts if p)
        if text:
            out.append(Line(text, g[0][0], max(r[2] for r in g), hi, lo, size, page))
    return out


def drop_furniture(pages: list[list[Line]], heights: list[float]) -> list[list[Line]]:
    """Pages without their page numbers, running headers and footers (see the module docstring)."""

    def in_band(line: Line, height: float) -> bool:
        return line.mid > height * (1 - _BAND) or line.mid < height * _BAND

    def edges(lines: list[Line], height: float) -> list[Line]:
        cand = lines[:2] + lines[-2:] if len(lines) > 4 else list(lines)
        return [ln for ln in cand if in_band(ln, height)]

    def shape(text: str) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))

    seen = Counter(
        shape(ln.text)
        for lines, h in zip(pages, heights)
        for ln in {id(x): x for x in edges(lines, h)}.values()
    )
    repeat = max(2, (len(pages) + 1) // 2)
    out = []
    for lines, h in zip(pages, heights):
        drop = {
            id(ln)
            for ln in edges(lines, h)
            if _PAGE_NUMBER.match(ln.text.strip()) or (len(pages) > 1 and seen[shape(ln.text)] >= repeat)
        }
        out.append([ln for ln in lines if id(ln) not in drop])
    return out


def layout_of(lines: list[Line]) -> Layout | None:
    """The body's size and margins: the commonest size, the left edge most lines start at, and where the
    full lines of that size end (a high percentile, so that one hanging comma does not move it)."""
    if not lines:
        return None
    sizes = Counter(round(ln.size) for ln in lines for _ in range(len(ln.text)))
    size = float(sizes.most_common(1)[0][0])
    body = [ln for ln in lines if abs(ln.size - size) <= 0.15 * size]
    left = min(Counter(round(ln.x0) for ln in body).most_common(3), key=lambda kv: (kv[0], -kv[1]))[0]
    long = sorted(ln.x1 for ln in body if len(ln.text) >= 8) or sorted(ln.x1 for ln in body)
    right = long[int(0.8 * (len(long) - 1))]
    starts = [
        b for a, b in zip(body, body[1:]) if a.x1 < right - 2 * size and not _centred(a, left, right, size)
    ]
    indented = sum(1 for b in starts if b.x0 >= left + 1.2 * size)
    return Layout(float(left), right, size, indents=bool(starts) and indented >= 0.5 * len(starts))


def _centred(line: Line, left: float, right: float, size: float) -> bool:
    return line.x0 > left + 1.2 * size and abs((line.x0 - left) - (right - line.x1)) < 2 * size


def _large(line: Line, lay: Layout) -> bool:
    return line.size >= 1.15 * lay.size


def runs_on(a: Line, b: Line, lay: Layout) -> bool:
    """Whether line ``b`` continues the sentence of line ``a`` (a wrap), rather than starting a new one."""
    if "\t" in a.text or "\t" in b.text or a.text[-1] in _SENTENCE_END and _large(a, lay):
        return False
    if abs(a.size - b.size) > 0.15 * max(a.size, b.size):
        return False
    if _large(a, lay):  # a title over several centred lines, the same large size
        near = a.page == b.page and a.bottom - b.top < 1.2 * a.size
        return near and a.text[-1] not in _SENTENCE_END
    if a.x1 < lay.right - 1.5 * lay.size:  # a short line ends its paragraph
        return False
    if b.x0 >= lay.left + 1.2 * lay.size:  # an indented line starts one
        return False
    ends = a.text[-1] in _SENTENCE_END
    if ends and starts_with_heading_marker(b.text):
        return False
    return not (ends and not lay.indents)


def join_lines(pages: list[list[Line]]) -> str:
    """The document's text: wrapped lines joined back, one paragraph a line (pages in order)."""
    lines = [ln for page in pages for ln in page]
    lay = layout_of(lines)
    if lay is None:
        return ""
    out: list[str] = []
    prev: Line | None = None
    for ln in lines:
        if prev is not None and runs_on(prev, ln, lay):
            out[-1] = _glue(out[-1], ln.text)
        else:
            out.append(ln.text)
        prev = ln
    return "\n".join(out) + "\n"


# standard security handler revision → cipher (ISO 32000: R2 RC4 40-bit, R3 RC4 up to 128, R4 crypt
# filters, RC4 or AES-128, R5/R6 AES-256)
_CIPHERS = {2: "RC4 40 位", 3: "RC4 128 位", 4: "RC4 或 AES 128 位", 5: "AES 256 位", 6: "AES 256 位"}


def encryption_note(pdf) -> Note | None:  # noqa: ANN001 (a pypdfium2.PdfDocument, imported lazily)
    """A warning for a PDF that is encrypted but opened without a password (its user password is empty):
    it is read as any other, and ``inspect`` says so."""
    import pypdfium2.raw as pdfium_c

    revision = pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw)
    if revision < 0:
        return None
    cipher = _CIPHERS.get(revision, f"安全处理器第 {revision} 版")
    return Note(
        f"PDF 已加密（{cipher}），但用户密码为空：无需密码即已打开并读取", "pdf_encrypted_no_password"
    )


class PdfReader:
    name = "pdf"
    version = "1"
    suffixes = (".pdf",)
    isolated = True

    def sniff(self, head: bytes) -> bool:
        return b"%PDF-" in head[:1024]

    def read(self, data: bytes, name: str) -> ReadResult:
        import pypdfium2 as pdfium

        check_streams(data)  # a Flate bomb is refused before PDFium inflates it
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise ReadError("PDF 已加密，需要密码才能读取", "pdf_encrypted") from exc
            raise ReadError(f"PDF 已损坏或不是 PDF，无法打开：{exc}", "pdf_damaged") from exc
        try:
            encrypted = encryption_note(pdf)
            pages: list[list[Line]] = []
            heights: list[float] = []
            empty: list[int] = []
            chars, limit = 0, TEXT_LIMIT.get()
            for i in range(len(pdf)):
                page = pdf[i]
                textpage = page.get_textpage()
                boxes = [textpage.get_rect(k) for k in range(textpage.count_rects())]
                lines = page_lines(boxes, lambda box, tp=textpage: tp.get_text_bounded(*box), i + 1)
                if sum(len(ln.text.strip()) for ln in lines) < 5:
                    empty.append(i + 1)
                pages.append(lines)
                heights.append(page.get_height())
                textpage.close()
                page.close()
                chars += sum(len(ln.text) for ln in lines)
                check_length(chars, limit)  # a 5,000-page file is refused at the page that passes the limit
        finally:
            pdf.close()
        if not pages:
            raise ReadError("PDF 没有页面", "pdf_empty")
        if len(empty) == len(pages):
            raise ReadError(
                f"PDF 没有文字层（共 {len(pages)} 页，像是扫描件）；需要 OCR，本项目不做 OCR", "pdf_no_text"
            )
        warnings = [encrypted] if encrypted else []
        if empty:
            shown = "、".join(map(str, empty[:10])) + ("等" if len(empty) > 10 else "")
            warnings.append(
                Note(f"第 {shown} 页没有文字层（可能是扫描页），其内容未读取", "pdf_pages_without_text")
            )
        text = join_lines(drop_furniture(pages, heights))
        return ReadResult(text, {}, warnings, units=len(pages))
