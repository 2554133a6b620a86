"""Corpus pipeline: load, clean, extract metadata, split into clause passages."""

from corpus.models import Clause, Document, DocumentMetadata, LoadReport, RawDocument, SkippedFile
from corpus.pipeline import builtin_corpus_dir, process_paths, process_raw

__all__ = [
    "Clause",
    "Document",
    "DocumentMetadata",
    "LoadReport",
    "RawDocument",
    "SkippedFile",
    "builtin_corpus_dir",
    "process_paths",
    "process_raw",
]
