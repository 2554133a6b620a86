"""Page images → lines of text, for the readers that meet scans (PDF pages without a usable text layer,
page images): the seal taken off, the cache asked, the engine run, the reading order worked out, the
lines that carry a 文号 or a date normalised (:mod:`corpus.ocr.fields`).

A line recognised with a confidence under :data:`DROP_SCORE` is left out of the text (speckle, a
seal's arc on a grey scan, a signature's scrawl); a page's confidence is the mean over all its
characters, those left out included, so a page that reads badly is named (:func:`page_notes`) rather
than silently thin.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from corpus.models import Note
from corpus.ocr.cache import OcrCache, page_key
from corpus.ocr.engine import OcrBox, OcrEngine, OcrUnavailable, shared_engine
from corpus.ocr.fields import field_line
from corpus.ocr.options import OcrOptions
from corpus.ocr.order import page_lines, tidy
from corpus.ocr.seals import remove_seals
from corpus.readers.base import PageProgress, ReadError
from corpus.readers.pdf import Line

DROP_SCORE = 0.5
SEALS_VERSION = 1  # in the cache key: a change to corpus.ocr.seals recognises pages again
MAX_PAGE_PIXELS = 36_000_000  # a page is rendered or scaled to at most this many pixels (≈ A2 at 200 dpi)
UNAVAILABLE = (
    "文字识别（OCR）引擎无法加载（{why}）；请安装 rapidocr-onnxruntime 1.4.4 与 opencv-python-headless"
    "（pip install --no-deps rapidocr-onnxruntime==1.4.4，scripts/test.sh 与 scripts/serve.sh 会自动安装），"
    "或设 POLICY_SEARCH_OCR=off 关闭文字识别"
)


@dataclass
class PageImage:
    """One page to recognise: RGB pixels, the resolution they are at, and the page's number (from 1)."""

    pixels: np.ndarray
    dpi: float
    page: int
    px_per_mm: float | None = None  # known scale (a rendered PDF page), else the page is taken to be A4 wide


@dataclass
class RecognizedPage:
    page: int
    lines: list[Line]
    height_pt: float
    confidence: float | None  # mean character confidence; None when nothing was found
    cached: bool
    seconds: float
    dropped: int = 0  # lines left out for low confidence


TURNED = "/turned-90"  # a cache key's mark: the page's boxes are those of the page turned a quarter


def sideways(boxes: list[OcrBox]) -> bool:
    """Whether a page's text lines stand upright (a page scanned or photographed a quarter turned): most
    of at least three lines, each of two or more characters, over twice as tall as wide."""
    tall = total = 0
    for b in boxes:
        if len(b.text.strip()) < 2:
            continue
        (x0, y0), (x1, y1), (x2, y2) = b.points[0], b.points[1], b.points[2]
        width, height = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        total += 1
        tall += height > 2 * width
    return total >= 3 and tall > total / 2


def render_scale(width_pt: float, height_pt: float, dpi: int) -> float:
    """Pixels per PDF point to render a page at: ``dpi`` / 72, less for a page so large that it would
    pass :data:`MAX_PAGE_PIXELS` (the memory a page may take is bounded, whatever the PDF says)."""
    scale = dpi / 72.0
    area = max(width_pt * height_pt, 1.0)
    return min(scale, (MAX_PAGE_PIXELS / area) ** 0.5)


def confidence(boxes: Iterable[OcrBox]) -> float | None:
    """Mean confidence per character over the boxes (a long line weighs more than a speck)."""
    weights = [(max(1, len(tidy(b.text))), b.score) for b in boxes if tidy(b.text)]
    total = sum(w for w, _ in weights)
    return sum(w * s for w, s in weights) / total if total else None


@dataclass
class PageRecognizer:
    """Recognises pages for one reader in one process: the engine is loaded and the cache opened on the
    first page (:class:`ReadError` ``ocr_unavailable`` when the engine cannot be loaded)."""

    options: OcrOptions
    engine_factory: Callable[[int], OcrEngine] = shared_engine
    _engine: OcrEngine | None = field(default=None, init=False, repr=False)
    _cache: OcrCache | None = field(default=None, init=False, repr=False)
    _fingerprint: str = field(default="", init=False, repr=False)

    def engine(self) -> OcrEngine:
        if self._engine is None:
            try:
                self._engine = self.engine_factory(self.options.threads)
            except OcrUnavailable as exc:
                raise ReadError(UNAVAILABLE.format(why=exc), "ocr_unavailable") from exc
        return self._engine

    def fingerprint(self) -> str:
        """What a page's recognition depends on besides its pixels: the engine and the seal removal."""
        if not self._fingerprint:
            self._fingerprint = f"{OcrEngine.fingerprint()}/seals-{SEALS_VERSION}"
        return self._fingerprint

    def cache(self) -> OcrCache | None:
        if self._cache is None and self.options.cache_path is not None:
            self._cache = OcrCache(self.options.cache_path)
        return self._cache

    def notes(self) -> list[Note]:
        """What the cache had to say since the last call (a damaged file moved aside …)."""
        return self._cache.take_notes() if self._cache is not None else []

    def read(self, image: PageImage) -> RecognizedPage:
        t0 = time.perf_counter()
        cache = self.cache()
        key = page_key(image.pixels, f"{self.fingerprint()}/{image.px_per_mm}")
        boxes = cache.get(key) if cache is not None else None
        cached = boxes is not None
        # a page scanned sideways was read turned a quarter; the cache says so beside its boxes
        turned = cached and cache is not None and cache.get(key + TURNED) is not None
        if boxes is None:  # the models are loaded only for a page the cache does not have
            clean, _ = remove_seals(image.pixels, image.px_per_mm)
            boxes = self.engine().recognize(clean)
            if sideways(boxes):
                # its lines stand upright: turn it a quarter (the engine turns it the rest of the way
                # if that leaves it upside down) and read it again
                boxes, turned = self.engine().recognize(np.ascontiguousarray(np.rot90(clean, -1))), True
            if cache is not None:
                cache.put(key, boxes)
                if turned:
                    cache.put(key + TURNED, [])
        kept = [b for b in boxes if b.score >= DROP_SCORE and tidy(b.text)]
        h, w = image.pixels.shape[:2]
        if turned:
            h, w = w, h
        lines = page_lines(kept, w, h, image.dpi, image.page)
        for ln in lines:
            ln.text = field_line(ln.text)
        return RecognizedPage(
            image.page,
            lines,
            h * 72.0 / image.dpi,
            confidence(boxes),
            cached,
            time.perf_counter() - t0,
            dropped=len([b for b in boxes if tidy(b.text)]) - len(kept),
        )

    def read_all(
        self,
        images: Iterable[PageImage],
        pages: int,
        name: str,
        progress: Callable[[PageProgress], None] | None = None,
    ) -> Iterator[RecognizedPage]:
        """Each page in turn; before each one ``progress`` hears which page is next and how long it may
        take (the worker's parent holds it to that: POLICY_SEARCH_OCR_PAGE_TIMEOUT_SECONDS)."""
        for image in images:
            if progress is not None:
                progress(PageProgress(name, image.page, pages, self.options.page_timeout_s))
            yield self.read(image)


def page_notes(done: list[RecognizedPage], min_confidence: float) -> list[Note]:
    """Warnings for a file: which pages were recognised, and which of them read badly (page numbers and
    their confidence) or yielded no text."""
    notes = []
    low = [p for p in done if p.confidence is not None and p.confidence < min_confidence]
    if low:
        shown = "、".join(f"{p.page}（{p.confidence:.2f}）" for p in low[:20]) + (
            "等" if len(low) > 20 else ""
        )
        notes.append(
            Note(
                f"文字识别（OCR）置信度低于 {min_confidence:g} 的页：第 {shown} 页，识别结果可能有误，请核对原件",
                "ocr_low_confidence",
            )
        )
    blank = [p.page for p in done if not p.lines]
    if blank:
        shown = "、".join(map(str, blank[:20])) + ("等" if len(blank) > 20 else "")
        notes.append(Note(f"第 {shown} 页经文字识别（OCR）没有识别出文字", "ocr_page_empty"))
    return notes


def describe(pages: list[int]) -> str:
    """Page numbers as ranges: [1, 2, 3, 5] → "1–3、5"."""
    out: list[str] = []
    for p in sorted(pages):
        if out and "–" in out[-1] and int(out[-1].split("–")[1]) == p - 1:
            out[-1] = f"{out[-1].split('–')[0]}–{p}"
        elif out and "–" not in out[-1] and int(out[-1]) == p - 1:
            out[-1] = f"{out[-1]}–{p}"
        else:
            out.append(str(p))
    return "、".join(out)
