"""Document readers: one module per format behind one protocol (:class:`~corpus.readers.base.Reader`).

==========  ==================================  =====================================================
reader      files                               library
==========  ==================================  =====================================================
text        .txt .md (and any file no reader    charset-normalizer (+ own GB18030/Big5 scoring)
            claims)
pdf         .pdf, or content ``%PDF-``           pypdfium2 (PDFium); pages without a usable text layer
                                                by OCR (rapidocr-onnxruntime, :mod:`corpus.ocr`)
image       .png .jpg .jpeg .tif .tiff, or      Pillow, then OCR (:mod:`corpus.ocr`)
            their magic bytes
docx        .docx, or a ZIP with ``word/``       python-docx
doc         .doc, or an OLE2 file               antiword or catdoc (Debian packages, optional)
html        .html .htm, or ``<!doctype html``   selectolax (Lexbor)
==========  ==================================  =====================================================

A file's reader is picked by its content first (a PDF saved as .doc is read as a PDF, with a warning),
then by its suffix. Formats known but not read (archives, RTF, executables; page images when OCR is off)
are reported as such.
Adding a format is one module with a reader class, listed in :func:`default_registry`.

Readers marked ``isolated`` run in a worker process bounded in time and memory
(:mod:`corpus.readers.worker`), and lazily: the loader hashes the file's bytes and the builder asks for
its text (:func:`resolve`) only when the document is new or changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.garbage import GarbageError, check_text
from corpus.models import Note, RawDocument
from corpus.ocr.options import OcrOptions
from corpus.readers.base import PageProgress, Reader, ReadError, ReadResult
from corpus.readers.doc import DocReader
from corpus.readers.docx import DocxReader
from corpus.readers.html import HtmlReader
from corpus.readers.image import ImageReader
from corpus.readers.pdf import PdfReader
from corpus.readers.text import TextReader
from corpus.readers.worker import Limits, Request, pool_for, reader_ref

__all__ = [
    "Limits",
    "PageProgress",
    "PendingRead",
    "ReadError",
    "ReadResult",
    "Reader",
    "Registry",
    "checked",
    "default_registry",
    "resolve",
]

_OCR_OFF = "扫描件需要文字识别，文字识别（OCR）已关闭：POLICY_SEARCH_OCR=off"
# formats recognised by their first bytes and not read: (magic, what it is); the image reader claims the
# PNG, JPEG and TIFF ones first, unless OCR is off
UNSUPPORTED: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", f"PNG 图片（{_OCR_OFF}）"),
    (b"\xff\xd8\xff", f"JPEG 图片（{_OCR_OFF}）"),
    (b"GIF8", "GIF 图片"),
    (b"II*\x00", f"TIFF 图片（{_OCR_OFF}）"),
    (b"MM\x00*", f"TIFF 图片（{_OCR_OFF}）"),
    (b"PK\x03\x04", "ZIP 压缩包（不是 Word 文档；.xlsx/.pptx/.zip 需先解压或另存）"),
    (b"Rar!\x1a\x07", "RAR 压缩包（需先解压）"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包（需先解压）"),
    (b"\x1f\x8b", "gzip 压缩文件（JSONL 记录请以 .jsonl.gz 命名）"),
    (b"{\\rtf", "RTF 文档（请另存为 .docx）"),
    (b"\x7fELF", "可执行文件"),
    (b"%!PS", "PostScript 文件（请另存为 PDF）"),
]

# formats known by their suffix and not read, when no reader claimed the content
UNSUPPORTED_SUFFIXES: dict[str, str] = {
    ".mht": "MHTML 网页存档（请另存为 .html）",
    ".mhtml": "MHTML 网页存档（请另存为 .html）",
    ".ofd": "OFD 版式文件（请另存为 PDF）",
    ".wps": "WPS 文档（请另存为 .docx）",
    ".rtf": "RTF 文档（请另存为 .docx）",
    ".xls": "Excel 表格",
    ".xlsx": "Excel 表格",
    ".et": "WPS 表格",
    ".ppt": "PowerPoint 演示文稿",
    ".pptx": "PowerPoint 演示文稿",
    ".jpg": f"图片（{_OCR_OFF}）",
    ".jpeg": f"图片（{_OCR_OFF}）",
    ".png": f"图片（{_OCR_OFF}）",
    ".tif": f"图片（{_OCR_OFF}）",
    ".tiff": f"图片（{_OCR_OFF}）",
    ".zip": "ZIP 压缩包（需先解压）",
    ".rar": "RAR 压缩包（需先解压）",
    ".7z": "7z 压缩包（需先解压）",
}


class Registry:
    """Readers in the order their sniffing is tried, and the reader of last resort (text)."""

    def __init__(self, readers: Sequence[Reader], fallback: Reader) -> None:
        self.readers = list(readers)
        self.fallback = fallback

    def by_suffix(self, name: str) -> Reader | None:
        lower = name.lower()
        return next((r for r in [*self.readers, self.fallback] if lower.endswith(r.suffixes)), None)

    def pick(self, name: str, head: bytes) -> tuple[Reader | None, Note | None]:
        """(the reader, a warning when the name says another format), or (None, why it is not read).

        Content first (a PDF named .doc is a PDF), then the suffix, then formats known and not read (by
        their first bytes, then their suffix), then text.
        """
        named = self.by_suffix(name)
        for reader in self.readers:
            if reader.sniff(head):
                if named is not None and named is not reader:
                    return reader, Note(f"扩展名与内容不符：按内容作为 {reader.name} 读取", "format_mismatch")
                return reader, None
        if named is not None and named is not self.fallback:
            return named, None
        what = next((w for m, w in UNSUPPORTED if head.startswith(m)), None)
        what = what or UNSUPPORTED_SUFFIXES.get(Path(name).suffix.lower())
        if what:
            return None, Note(f"不支持的文件格式：{what}", "unsupported_format")
        return self.fallback, None


def default_registry(ocr: OcrOptions | None = None) -> Registry:
    """Every reader. ``ocr``: how scanned pages and page images are read (default: on, no cache); with
    OCR off, a PDF without a text layer is refused (``pdf_no_text``) and page images are not read."""
    ocr = ocr or OcrOptions()
    images = [ImageReader(ocr)] if ocr.enabled else []
    return Registry([PdfReader(ocr), *images, DocxReader(), DocReader(), HtmlReader()], TextReader())


def checked(result: ReadResult) -> ReadResult:
    """``result`` with its text through the garbage check (:mod:`corpus.garbage`): repaired with a
    warning, or :class:`ReadError` with the reason."""
    try:
        c = check_text(result.text)
    except GarbageError as exc:
        raise ReadError(exc.reason, exc.code) from exc
    result.text = c.text
    result.warnings = [*result.warnings, *(Note(w, code) for w, code in zip(c.warnings, c.codes))]
    return result


@dataclass
class PendingRead:
    """A read deferred until the document is needed: run in this process's worker pool. ``progress``
    hears each page the reader recognises (not sent to the worker)."""

    request: Request
    limits: Limits
    progress: Callable[[PageProgress], None] | None = None

    def run(self) -> ReadResult:
        return checked(pool_for(self.limits).read(self.request, self.progress))

    def __getstate__(self) -> dict:  # a deferred read may travel (Ray): a progress bar stays behind
        return {**self.__dict__, "progress": None}


def pending(
    reader: Reader,
    name: str,
    limits: Limits,
    path: Path | None = None,
    text: str | None = None,
    progress: Callable[[PageProgress], None] | None = None,
) -> PendingRead:
    options = getattr(reader, "options", None)
    request = Request(
        reader_ref(reader),
        name,
        str(path) if path else None,
        None,
        text,
        options=options,
        max_chars=limits.max_text_chars,
    )
    return PendingRead(request, limits, progress)


def resolve(raw: RawDocument) -> RawDocument:
    """Read a deferred document now (in place): its text, the reader's fields under the given ones, its
    warnings. :class:`ReadError` when the file yields no indexable text."""
    if raw.pending is None:
        return raw
    result = raw.pending.run()
    raw.text = result.text
    raw.fields = {**result.fields, **raw.fields}  # a sidecar or a record states fields: they win
    raw.text_format = result.text_format
    raw.warnings = [*raw.warnings, *result.warnings]
    raw.ocr_pages = list(result.ocr_pages)
    raw.pending = None
    return raw
