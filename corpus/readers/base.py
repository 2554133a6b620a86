"""The reader protocol: one file format in, plain policy text and given metadata out.

A reader turns a file's bytes into what the pipeline reads: plain text in lines (one paragraph or heading
per line; a table row as its cells joined by tabs, in its place) and the metadata fields the file states
(a web page's 政府信息公开 table: ``{"index_number": "…", "issuer": "…", "written_date": "2025年03月18日"}``).
It never guesses metadata from the text: :mod:`corpus.metadata` does that for every format alike.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from corpus.models import Note


class ReadError(Exception):
    """A file the reader cannot turn into text: ``reason`` in Chinese for people, ``code`` for machines.

    ``ReadError("PDF 已加密，需要密码才能读取", "pdf_encrypted")``
    """

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:  # crosses the worker's pipe
        return (type(self), (self.reason, self.code))


# The most characters of text the document being read may have (POLICY_SEARCH_MAX_TEXT_CHARS), set by
# the worker around each read: a reader that can tell early (a web page once parsed, a PDF page by page)
# stops there instead of reading the rest of a file it would be refused for.
TEXT_LIMIT: ContextVar[int | None] = ContextVar("policy_search_text_limit", default=None)


def check_length(chars: int, limit: int | None) -> None:
    """:class:`ReadError` (``text_too_long``) when a document's text has more than ``limit`` characters
    (POLICY_SEARCH_MAX_TEXT_CHARS; None: no limit). Cleaning holds about 120 bytes a character in the
    main process (a list item and an offset for each), so a 49 MB page's 17 million characters took
    2.6 GB there; the longest real document we have, a law of 107,607 characters, is a tenth of the
    default."""
    if limit is not None and chars > limit:
        raise ReadError(
            f"文本有 {chars:,} 个字符以上，超过上限 {limit:,}（POLICY_SEARCH_MAX_TEXT_CHARS）："
            "不像一份文件；请拆分后再索引，或调高上限",
            "text_too_long",
        )


@dataclass
class ReadResult:
    """What a reader made of one file.

    ``text``: lines of plain text. ``fields``: metadata the file states, under DocumentMetadata's names
    (title, issuer, doc_number, written_date, published_date, effective_date, index_number, subject,
    validity). ``warnings``: indexed anyway, with something to say (a page without text skipped).
    ``units``: pages for a PDF or a page image, 1 for other formats (for rates). ``ocr_pages``: the pages
    read by OCR (from 1), for ``inspect`` and the document's metadata.
    """

    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    warnings: list[Note] = field(default_factory=list)
    text_format: str = "plain"  # "plain" or "markdown"
    units: int = 1
    ocr_pages: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PageProgress:
    """A reader's word on a long read, before each page it recognises: page ``page`` of ``pages`` of file
    ``name`` is next, and may take up to ``seconds`` (the worker's parent holds it to that)."""

    name: str
    page: int
    pages: int
    seconds: float


@runtime_checkable
class Reader(Protocol):
    """One format. ``name`` is what ``inspect`` shows; ``version`` goes into the content hash, so a reader
    that reads differently re-reads its files at the next reindex; ``isolated`` readers run in the worker
    process, bounded in time and memory (:mod:`corpus.readers.worker`).

    A reader that takes options (the PDF and image readers: :class:`corpus.ocr.options.OcrOptions`) keeps
    them as ``options`` and is made with them in the worker; one that reads page by page
    (``reports_pages = True``) takes ``progress``, a callable it gives a :class:`PageProgress` before each
    page it recognises."""

    name: str
    version: str
    suffixes: tuple[str, ...]  # ".pdf"; lower case
    isolated: bool

    def sniff(self, head: bytes) -> bool:
        """Whether the first bytes of a file (8 KiB at most) are this format, whatever its name."""
        ...

    def read(self, data: bytes, name: str) -> ReadResult:
        """The file's text and given fields; :class:`ReadError` with the reason when there is none."""
        ...
