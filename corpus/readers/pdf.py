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
- **Table cells** set apart on one line, by a gap wider than a character or by a drawn cell border, are
  joined by a tab: one table row, one line.
- **Fonts that are not embedded** (STSong-Light and the other Adobe CID fonts that reportlab and many
  generators name without embedding them) on a machine that has no font to stand in for them: PDFium then
  gives their glyphs boxes of almost no height (0.02 pt for 16 pt text), though the text is all there. Each
  run's height is then taken from the font's own ascent and descent (PDFium's "loose" character box), which
  does not depend on the fonts installed, so the lines read as they do on a machine with the font.
- **Scanned pages are read by OCR** (:mod:`corpus.ocr`): a page with no text layer (under 5 characters),
  a page whose text layer the garbage check refuses (a font without a Unicode map: private-use
  characters, mojibake), and a page that is mostly an image with a line or two of text on it (a scan
  with a typed page number) are rendered at POLICY_SEARCH_OCR_DPI and recognised, and their lines join
  the others here, so that wraps, titles and page numbers are handled alike. ``ocr_pages`` names them.
  With OCR off (POLICY_SEARCH_OCR=off) a PDF without any text layer is refused as a scan, and scanned
  pages inside a text PDF are named in a warning.
- **Hostile files**: a Flate stream that inflates past 256 MB is refused before PDFium inflates it
  (:mod:`corpus.readers.pdf_streams`); a file whose text passes POLICY_SEARCH_MAX_TEXT_CHARS is refused at
  the page that passes it; an encrypted file with an empty user password is read with a warning that says
  so (``pdf_encrypted_no_password``).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from corpus.garbage import GarbageError, check_text
from corpus.headings import starts_with_heading_marker
from corpus.models import Note
from corpus.ocr.options import OcrOptions
from corpus.readers.base import TEXT_LIMIT, PageProgress, ReadError, ReadResult, check_length
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
_FLAT = 1.0  # points: a run this flat has glyphs without outlines (a non-embedded font with no stand-in)


def with_heights(boxes: list[Box], loose: Callable[[Box], Box | None]) -> list[Box]:
    """The page's runs with a real height where a font's glyphs came without one.

    ``loose(run)`` gives the loose box (the font's ascent to descent, whatever fonts the machine has) of the
    run's first character, or None. A flat run (under 1 pt high: a glyph no font drew, or a lone "一" or "—")
    spans its loose box. Where flat runs make a quarter of the page's text (by width), every run does, so
    that all its lines measure alike ("永政办发〔2025〕12号" is as high as its digits, which a stand-in font
    draws, but its size is that of its characters). A page without flat runs is returned as it is."""
    flat = [b[3] - b[1] < _FLAT for b in boxes]
    if not any(flat):
        return boxes
    width = sum(b[2] - b[0] for b in boxes) or 1.0
    every = sum(b[2] - b[0] for b, f in zip(boxes, flat) if f) >= 0.25 * width
    out = []
    for b, f in zip(boxes, flat):
        got = loose(b) if f or every else None
        out.append(b if got is None else (b[0], min(b[1], got[1]), b[2], max(b[3], got[3])))
    return out


Rule = tuple[float, float, float]  # a vertical line drawn on the page: x, bottom, top


def vertical_rules(bounds: list[Box]) -> list[Rule]:
    """The vertical lines among a page's drawn paths (their bounding boxes), left to right: a table's cell
    borders, as Chromium, Word and WPS print them (thin filled rectangles or stroked lines, 0.5–3 pt wide)."""
    return sorted(
        ((b[0] + b[2]) / 2, b[1], b[3])
        for b in bounds
        if b[2] - b[0] <= _RULE_WIDTH and b[3] - b[1] >= max(4.0, 3 * (b[2] - b[0]))
    )


_RULE_WIDTH = 3.0  # points
_CELL_GAP = 0.15  # of the text size: a gap narrower than this is the space between glyphs, never a cell's


def _ruled(left: float, right: float, low: float, high: float, rules: list[Rule]) -> bool:
    """Whether a vertical rule runs through the gap between ``left`` and ``right`` at the line's height."""
    mid = (low + high) / 2
    k = bisect.bisect_left(rules, (left - 0.5,))
    while k < len(rules) and rules[k][0] <= right + 0.5:
        if rules[k][1] <= mid <= rules[k][2]:
            return True
        k += 1
    return False


def page_lines(
    boxes: list[Box],
    text_in: Callable[[Box], str],
    page: int,
    rules: Callable[[], list[Rule]] | None = None,
) -> list[Line]:
    """Text boxes (PDFium's runs: a line, or a single glyph in PDFs that place each one) grouped into
    lines top to bottom, and split into cells where a gap wider than a character sets them apart, or where
    a vertical rule (``rules()``: the page's cell borders, asked for only when a line has a gap wider than
    the space between glyphs) runs between them, however narrow the gap ("指标 │ 2025年 │ 2027年" printed by
    Chromium with 3 pt of padding); ``text_in`` reads the text inside a box once per line or cell, not once
    per glyph. Cells are joined by a tab."""
    drawn: list[Rule] | None = None
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
        ends = [g[0][2]]  # where each cell ends
        for r in g[1:]:
            gap = r[0] - ends[-1]
            if gap > _CELL_GAP * size and gap <= size and rules is not None and drawn is None:
                drawn = rules()
            if gap > size or (gap > _CELL_GAP * size and drawn and _ruled(ends[-1], r[0], lo, hi, drawn)):
                cells.append([r])
                ends.append(r[2])
            else:
                cells[-1].append(r)
                ends[-1] = max(ends[-1], r[2])
        parts = [
            text_in((c[0][0], lo, end, hi)).replace("\r", "").replace("\n", "").strip()
            for c, end in zip(cells, ends)
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
    # lines of no height (glyphs no font could draw) are body lines too: never an empty body
    body = [ln for ln in lines if abs(ln.size - size) <= 0.15 * size] or lines
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


def _loose_box(textpage, box: Box) -> Box | None:  # noqa: ANN001 - PdfTextPage
    """The loose box of the character at the left end of ``box`` (see :func:`with_heights`)."""
    left, bottom, right, top = box
    # PDFium's tolerances are the whole width and height of the rectangle searched around the point
    i = textpage.get_index(min(left + 0.5, right), (bottom + top) / 2, 2.0, top - bottom + 2.0)
    return None if i is None or i < 0 else textpage.get_charbox(i, loose=True)


def _rules(page) -> list[Rule]:  # noqa: ANN001 - PdfPage
    """The page's vertical rules, through PDFium's C API (pypdfium2's object wrappers cost 4× as much on a
    Chromium page, where every glyph is an object); paths inside form XObjects are read two levels down."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    bounds: list[Box] = []
    edges = [ctypes.c_float() for _ in range(4)]  # left, bottom, right, top

    def walk(count: int, get: Callable[[int], object], depth: int) -> None:
        for i in range(count):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH and pdfium_c.FPDFPageObj_GetBounds(obj, *edges):
                left, bottom, right, top = (e.value for e in edges)
                bounds.append((left, bottom, right, top))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 2:
                walk(
                    pdfium_c.FPDFFormObj_CountObjects(obj),
                    lambda k, form=obj: pdfium_c.FPDFFormObj_GetObject(form, k),
                    depth + 1,
                )

    walk(pdfium_c.FPDFPage_CountObjects(page), lambda k: pdfium_c.FPDFPage_GetObject(page, k), 0)
    return vertical_rules(bounds)


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
        """ "2" (loose glyph heights, drawn cell borders) with OCR off; with OCR on, its resolution too, so
        that turning OCR on (or changing the DPI) reads PDFs again at the next reindex."""
        return f"2+ocr{self.options.dpi}" if self.options.enabled else "2"

    def sniff(self, head: bytes) -> bool:
        return b"%PDF-" in head[:1024]

    def read(
        self, data: bytes, name: str, progress: Callable[[PageProgress], None] | None = None
    ) -> ReadResult:
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
            scans: list[int] = []  # pages to recognise (OCR on)
            garbled: list[int] = []
            total, limit = 0, TEXT_LIMIT.get()
            for i in range(len(pdf)):
                page = pdf[i]
                textpage = page.get_textpage()
                boxes = with_heights(
                    [textpage.get_rect(k) for k in range(textpage.count_rects())],
                    lambda box, tp=textpage: _loose_box(tp, box),
                )
                lines = page_lines(
                    boxes,
                    lambda box, tp=textpage: tp.get_text_bounded(*box),
                    i + 1,
                    lambda pg=page: _rules(pg),
                )
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
                total += chars
                check_length(total, limit)  # a 5,000-page file is refused at the page that passes the limit
            if not pages:
                raise ReadError("PDF 没有页面", "pdf_empty")
            if not self.options.enabled:
                return self._without_ocr(
                    pages, heights, empty, "文字识别（OCR）已关闭（POLICY_SEARCH_OCR=off）", encrypted
                )
            try:
                done = self._recognise(pdf, scans, name, progress)
            except ReadError as exc:
                if exc.code != "ocr_unavailable":
                    raise
                # no engine (rapidocr-onnxruntime not installed): the text layer is read as before OCR
                return self._without_ocr(pages, heights, empty, exc.reason, encrypted)
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
        warnings = [n for n in [encrypted] if n] + page_notes(done, self.options.min_confidence)
        warnings += self._recognizer_notes()
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
    def _without_ocr(
        pages: list[list[Line]], heights: list[float], empty: list[int], why: str, encrypted: Note | None
    ) -> ReadResult:
        """The text layer alone, as before OCR: ``why`` there is no OCR (off, or the engine missing)."""
        if len(empty) == len(pages):
            raise ReadError(f"PDF 没有文字层（共 {len(pages)} 页，像是扫描件）；{why}", "pdf_no_text")
        warnings = [encrypted] if encrypted else []
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
