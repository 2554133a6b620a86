"""The corpus pipeline: raw document → cleaned text + metadata + clauses."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from corpus.chunker import Chunker, ChunkOptions
from corpus.cleaner import clean
from corpus.gazetteer import Gazetteer
from corpus.loader import load
from corpus.metadata import MetadataExtractor, iso_date
from corpus.models import Document, LoadReport, RawDocument, SkippedFile
from corpus.ocr.options import OcrOptions
from corpus.readers import Limits, PageProgress, ReadError, Registry, resolve
from corpus.validity import read_validity

_INFO_END = "<!-- INFO END -->"


def builtin_corpus_dir() -> Path:
    """The five seed documents shipped inside the package (the default corpus)."""
    return Path(__file__).parent / "builtin"


class CorpusPipeline:
    def __init__(self, options: ChunkOptions | None = None, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or Gazetteer.bundled()
        self.extractor = MetadataExtractor(self.gazetteer)
        self.chunker = Chunker(options)

    def process(self, raw: RawDocument) -> Document:
        """Clean, extract metadata, chunk; a deferred file is read first (:class:`ReadError` if it cannot be)."""
        raw = resolve(raw)
        cleaned = clean(raw.text)
        text = cleaned.text
        body_start = 0
        given = dict(raw.fields)
        info = ""
        if raw.text_format == "markdown":
            pos = text.find(_INFO_END)
            if pos >= 0:
                info = text[:pos]
                body_start = pos + len(_INFO_END)
                if not given.get("date"):
                    given["date"] = iso_date(info)
        md = self.extractor.extract(
            text if raw.text_format != "markdown" else _md_head(text, body_start), given, info=info
        )
        if raw.text_format == "markdown":  # a law states its 施行 and repeals in its closing article
            read_validity(text[body_start:], md, given, iso_date(given.get("date")))
        md.reader = raw.reader or None
        md.ocr_pages = list(raw.ocr_pages)
        clauses = self.chunker.chunk(raw.id, text, md, body_start)
        return Document(
            id=raw.id,
            source=raw.source,
            text=text,
            metadata=md,
            clauses=clauses,
            content_hash=raw.content_hash,
        )

    def process_or_report(self, raw: RawDocument) -> Document | SkippedFile:
        """The processed document, or its path and why it failed: one bad document never stops a run."""
        try:
            return self.process(raw)
        except ReadError as exc:  # a changed file that now cannot be read: the index keeps its last version
            return SkippedFile(raw.origin or raw.source, exc.reason, exc.code, holds=raw.id)
        except Exception as exc:
            return SkippedFile(
                raw.origin or raw.source,
                f"处理失败：{type(exc).__name__}: {exc}",
                "processing_failed",
                holds=raw.id,
            )

    def iter_documents(self, paths: Iterable[Path]) -> Iterator[Document | SkippedFile]:
        for item in load(paths):
            yield item if isinstance(item, SkippedFile) else self.process_or_report(item)


def _md_head(text: str, body_start: int) -> str:
    """Title line and the first part of the body, for metadata of Markdown laws (no header fields)."""
    title = re.sub(r"^#+\s*", "", text.split("\n", 1)[0])
    return title + "\n" + text[body_start : body_start + 2000]


def process_raw(raw: RawDocument, options: ChunkOptions | None = None) -> Document:
    return CorpusPipeline(options).process(raw)


def process_paths(
    paths: Iterable[Path],
    options: ChunkOptions | None = None,
    max_file_bytes: int | None = None,
    limits: Limits | None = None,
    registry: Registry | None = None,
    progress: Callable[[PageProgress], None] | None = None,
    ocr: OcrOptions | None = None,
) -> LoadReport:
    """Every document of ``paths`` read and chunked, and the files skipped. ``ocr``: how scanned pages
    and page images are read (default: on, no cache); ``progress`` hears each page recognised."""
    report = LoadReport()
    pipeline = CorpusPipeline(options)
    for raw in load(paths, max_file_bytes, limits, registry, progress, ocr):
        if isinstance(raw, SkippedFile):
            report.skipped.append(raw)
            continue
        item = pipeline.process_or_report(raw)
        report.warnings += raw.warning_reports()  # after processing: a deferred read adds its own
        if isinstance(item, SkippedFile):
            report.skipped.append(item)
        else:
            report.documents.append(item)
    return report
