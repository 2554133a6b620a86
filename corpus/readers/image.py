"""Page images: a scanned or photographed page as PNG, JPEG or TIFF, read by OCR (:mod:`corpus.ocr`).

A multi-page TIFF (how scanners file a notice) is one document, its frames its pages in order. Each page
is decoded with Pillow (a JPEG turned as its EXIF orientation says; palette, grey, 16-bit and CMYK
pages made RGB), scaled down to POLICY_SEARCH_OCR_DPI when it is finer (by the resolution the file
states, else by taking the page to be A4 wide), recognised, and put in reading order; then the pages go
through the PDF reader's layout logic (wrapped lines joined, page numbers dropped), so a page image reads
as the same page printed to PDF does. A page larger than 120 megapixels is refused before it is decoded.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from corpus.ocr.options import OcrOptions
from corpus.readers.base import PageProgress, ReadError, ReadResult

_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
MAX_DECODED_PIXELS = 120_000_000
A4_WIDTH_IN = 210 / 25.4


def _scale(width: int, stated_dpi: float | None, dpi: int, pixels: int) -> tuple[float, float]:
    """(factor to resize by, the resolution after it) for a page ``width`` pixels wide."""
    from corpus.ocr.pages import MAX_PAGE_PIXELS

    source = stated_dpi if stated_dpi and stated_dpi >= 50 else width / A4_WIDTH_IN
    factor = min(1.0, dpi / source, (MAX_PAGE_PIXELS / max(pixels, 1)) ** 0.5)
    return factor, source * factor


class ImageReader:
    """PNG, JPEG and TIFF pages through OCR."""

    name = "image"
    suffixes = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
    isolated = True
    reports_pages = True

    def __init__(self, options: OcrOptions | None = None) -> None:
        self.options = options or OcrOptions()
        self._recognizer = None

    @property
    def version(self) -> str:
        return f"1+ocr{self.options.dpi}"

    def sniff(self, head: bytes) -> bool:
        return head.startswith(_MAGIC)

    def _pages(self, data: bytes, name: str) -> tuple[int, Iterator]:
        """How many pages the file has, and its pages as :class:`PageImage` one at a time."""
        import numpy as np
        from PIL import Image, ImageOps, UnidentifiedImageError

        from corpus.ocr.pages import PageImage

        try:
            img = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            # Pillow's message names a Python object ("cannot identify image file <_io.BytesIO …>"): not for a user
            raise ReadError(
                "图片已损坏或格式无法识别：文件头像图片，但内容无法解码", "image_damaged"
            ) from exc
        except Image.DecompressionBombError as exc:  # Pillow's own bound, past twice MAX_IMAGE_PIXELS
            raise ReadError(
                "图片过大：像素数超过解码上限（像是解压炸弹），未读取", "image_too_large"
            ) from exc
        count = getattr(img, "n_frames", 1)

        def pages() -> Iterator[PageImage]:
            for i in range(count):
                try:
                    img.seek(i)
                    w, h = img.size
                    if w * h > MAX_DECODED_PIXELS:
                        raise ReadError(
                            f"第 {i + 1} 页图片过大（{w}×{h} 像素，超过 {MAX_DECODED_PIXELS // 1_000_000} 百万像素）",
                            "image_too_large",
                        )
                    page = ImageOps.exif_transpose(img) if img.format == "JPEG" else img
                    page = _eight_bit(page).convert("RGB")
                except (OSError, ValueError, SyntaxError, EOFError) as exc:
                    why = "文件不完整（被截断）" if "truncated" in str(exc) else "无法解码"
                    raise ReadError(f"图片第 {i + 1} 页已损坏，{why}", "image_damaged") from exc
                stated = img.info.get("dpi")
                factor, dpi = _scale(
                    page.width, float(stated[0]) if stated else None, self.options.dpi, w * h
                )
                if factor < 0.99:
                    size = (max(1, round(page.width * factor)), max(1, round(page.height * factor)))
                    page = page.resize(size, Image.Resampling.LANCZOS)
                px_per_mm = (
                    dpi / 25.4 if stated else None
                )  # else the seal's size is judged against an A4 width
                yield PageImage(np.asarray(page), dpi, i + 1, px_per_mm=px_per_mm)

        return count, pages()

    def read(
        self, data: bytes, name: str, progress: Callable[[PageProgress], None] | None = None
    ) -> ReadResult:
        from corpus.ocr.pages import PageRecognizer, page_notes
        from corpus.readers.pdf import drop_furniture, join_lines

        count, images = self._pages(data, name)
        if self._recognizer is None:
            self._recognizer = PageRecognizer(self.options)
        done = list(self._recognizer.read_all(images, count, name, progress))
        if not any(p.lines for p in done):
            raise ReadError(f"图片中没有识别出文字（共 {count} 页）", "image_no_text")
        text = join_lines(drop_furniture([p.lines for p in done], [p.height_pt for p in done]))
        warnings = page_notes(done, self.options.min_confidence) + self._recognizer.notes()
        return ReadResult(text, {}, warnings, units=count, ocr_pages=[p.page for p in done])


def _eight_bit(page):  # noqa: ANN001, ANN202 - a PIL image in, a PIL image out
    """A 16- or 32-bit grey page scaled to 8 bits: Pillow's own conversion clips every value over 255 to
    white, so a 16-bit scan would read as a page of specks."""
    if not (page.mode == "I" or page.mode.startswith("I;16")):
        return page
    import numpy as np
    from PIL import Image

    arr = np.asarray(page, dtype=np.float64)
    top = 65535.0 if page.mode.startswith("I;16") else max(float(arr.max()), 255.0)
    return Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype(np.uint8), "L")
