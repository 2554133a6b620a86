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
- **Scanned pages are read by OCR** (:mod:`corpus.ocr`): a page with no text layer (under 5 characters),
  a page whose text layer the garbage check refuses (a font without a Unicode map: private-use
  characters, mojibake), and a page that is mostly an image with a line or two of text on it (a scan
  with a typed page number) are rendered at POLICY_SEARCH_OCR_DPI and recognised, and their lines join
  the others here, so that wraps, titles and page numbers are handled alike. ``ocr_pages`` names them.
  With OCR off (POLICY_SEARCH_OCR=off) a PDF without any text layer is refused as a scan, and scanned
  pages inside a text PDF are named in a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from corpus.garbage import GarbageError, check_text
from corpus.headings import starts_with_heading_marker
from corpus.models import Note
from corpus.ocr.options import OcrOptions
from corpus.readers.base import PageProgress, ReadError, ReadResult

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
_THIN_TEXT = 50  # characters: a page with fewer, mostly covered by an image, is a scan with a typed line


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


def _image_share(page) -> float:  # noqa: ANN001 - a pypdfium2 PdfPage
    """How much of the page its images cover (0–1; overlapping images counted once each)."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_width(), page.get_height()
    covered = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_pos()
        covered += max(0.0, min(right, width) - max(left, 0.0)) * max(
            0.0, min(top, height) - max(bottom, 0.0)
        )
    return min(1.0, covered / (width * height)) if width * height > 0 else 0.0


def _garbage(lines: list[Line]) -> str | None:
    """Why a page's text layer is garbage (the garbage check's reason), or None when it reads."""
    try:
        check_text("\n".join(ln.text for ln in lines))
    except GarbageError as exc:
        return exc.reason
    return None


class PdfReader:
    """PDF pages with a text layer through PDFium; scanned pages through OCR (``options``)."""

    name = "pdf"
    suffixes = (".pdf",)
    isolated = True
    reports_pages = True

    def __init__(self, options: OcrOptions | None = None) -> None:
        self.options = options or OcrOptions()
        self._recognizer = None

    @property
    def version(self) -> str:
        """ "1" as before OCR; with OCR on, its resolution too, so that turning OCR on (or changing the DPI)
        reads PDFs again at the next reindex."""
        return f"1+ocr{self.options.dpi}" if self.options.enabled else "1"

    def sniff(self, head: bytes) -> bool:
        return b"%PDF-" in head[:1024]

    def read(
        self, data: bytes, name: str, progress: Callable[[PageProgress], None] | None = None
    ) -> ReadResult:
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise ReadError("PDF 已加密，需要密码才能读取", "pdf_encrypted") from exc
            raise ReadError(f"PDF 已损坏或不是 PDF，无法打开：{exc}", "pdf_damaged") from exc
        try:
            pages: list[list[Line]] = []
            heights: list[float] = []
            empty: list[int] = []
            scans: list[int] = []  # pages to recognise (OCR on)
            garbled: list[int] = []
            for i in range(len(pdf)):
                page = pdf[i]
                textpage = page.get_textpage()
                boxes = [textpage.get_rect(k) for k in range(textpage.count_rects())]
                lines = page_lines(boxes, lambda box, tp=textpage: tp.get_text_bounded(*box), i + 1)
                chars = sum(len(ln.text.strip()) for ln in lines)
                if chars < 5:
                    empty.append(i + 1)
                    scans.append(i + 1)
                elif self.options.enabled and _garbage(lines) is not None:
                    garbled.append(i + 1)
                    scans.append(i + 1)
                elif self.options.enabled and chars < _THIN_TEXT and _image_share(page) >= 0.5:
                    scans.append(i + 1)
                pages.append(lines)
                heights.append(page.get_height())
                textpage.close()
                page.close()
            if not pages:
                raise ReadError("PDF 没有页面", "pdf_empty")
            if not self.options.enabled:
                return self._without_ocr(
                    pages, heights, empty, "文字识别（OCR）已关闭（POLICY_SEARCH_OCR=off）"
                )
            try:
                done = self._recognise(pdf, scans, name, progress)
            except ReadError as exc:
                if exc.code != "ocr_unavailable":
                    raise
                # no engine (rapidocr-onnxruntime not installed): the text layer is read as before OCR
                return self._without_ocr(pages, heights, empty, exc.reason)
        finally:
            pdf.close()
        from corpus.ocr.pages import page_notes

        for result in done:
            pages[result.page - 1] = result.lines
        if not any(pages):
            raise ReadError(
                f"PDF 没有文字层（共 {len(pages)} 页，像是扫描件），文字识别（OCR）也没有识别出文字",
                "pdf_no_text",
            )
        warnings = page_notes(done, self.options.min_confidence) + self._recognizer_notes()
        if garbled:
            warnings.append(
                Note(
                    f"第 {_pages(garbled)} 页的文字层是乱码，已改用文字识别（OCR）读取",
                    "pdf_text_layer_garbage",
                )
            )
        text = join_lines(drop_furniture(pages, heights))
        return ReadResult(text, {}, warnings, units=len(pages), ocr_pages=[r.page for r in done])

    def _recognise(self, pdf, scans: list[int], name: str, progress):  # noqa: ANN001, ANN202
        """The scanned pages, rendered at the OCR resolution one at a time and recognised."""
        if not scans:
            return []
        from corpus.ocr.pages import PageImage, PageRecognizer, render_scale

        if self._recognizer is None:
            self._recognizer = PageRecognizer(self.options)

        def images():  # noqa: ANN202 - rendered as they are needed: one page in memory at a time
            for number in scans:
                page = pdf[number - 1]
                scale = render_scale(page.get_width(), page.get_height(), self.options.dpi)
                pixels = page.render(scale=scale, rev_byteorder=True).to_numpy()
                page.close()
                yield PageImage(pixels[..., :3], scale * 72.0, number, px_per_mm=scale * 72.0 / 25.4)

        return list(self._recognizer.read_all(images(), len(pdf), name, progress))

    def _recognizer_notes(self) -> list[Note]:
        return self._recognizer.notes() if self._recognizer is not None else []

    @staticmethod
    def _without_ocr(pages: list[list[Line]], heights: list[float], empty: list[int], why: str) -> ReadResult:
        """The text layer alone, as before OCR: ``why`` there is no OCR (off, or the engine missing)."""
        if len(empty) == len(pages):
            raise ReadError(f"PDF 没有文字层（共 {len(pages)} 页，像是扫描件）；{why}", "pdf_no_text")
        warnings = []
        if empty:
            shown = "、".join(map(str, empty[:10])) + ("等" if len(empty) > 10 else "")
            warnings.append(
                Note(
                    f"第 {shown} 页没有文字层（可能是扫描页），其内容未读取：{why}", "pdf_pages_without_text"
                )
            )
        text = join_lines(drop_furniture(pages, heights))
        return ReadResult(text, {}, warnings, units=len(pages))


def _pages(numbers: list[int]) -> str:
    from corpus.ocr.pages import describe

    return describe(numbers)
