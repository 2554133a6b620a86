"""Load raw documents from files, directories and JSONL(.gz) record files.

Text files are decoded whatever their Chinese encoding (see :mod:`corpus.encoding`); a sidecar
``NAME.meta.json`` (or ``NAME.txt.meta.json``) beside ``NAME.txt`` overrides extracted fields. A file that
cannot be read is reported as a :class:`SkippedFile` with the reason, and loading goes on.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from corpus.encoding import UndecodableError, decode_bytes
from corpus.models import RawDocument, SkippedFile

TEXT_SUFFIXES = {".txt", ".md", ".text"}
MAX_FILE_BYTES = 50_000_000


def content_id(text: str, prefix: str = "doc") -> str:
    """Stable id from content: the same file loaded twice gets the same id."""
    return f"{prefix}-" + hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:16]


def _is_record_file(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".jsonl", ".jsonl.gz", ".ndjson"))


def _sidecar(path: Path) -> Path | None:
    for cand in (path.with_suffix(".meta.json"), path.with_name(path.name + ".meta.json")):
        if cand.exists():
            return cand
    return None


def iter_files(paths: Iterable[Path]) -> Iterator[Path | SkippedFile]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if (
                    child.is_file()
                    and not child.name.endswith(".meta.json")
                    and not child.name.startswith(".")
                ):
                    yield child
        elif p.is_file():
            yield p
        else:
            yield SkippedFile(str(p), "no such file or directory")


def load(paths: Iterable[Path]) -> Iterator[RawDocument | SkippedFile]:
    for item in iter_files(paths):
        if isinstance(item, SkippedFile):
            yield item
        elif _is_record_file(item):
            yield from load_records(item)
        else:
            yield load_text_file(item)


def load_text_file(path: Path) -> RawDocument | SkippedFile:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return SkippedFile(str(path), f"file larger than {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return SkippedFile(str(path), f"cannot read: {exc.strerror or exc}")
    try:
        text, encoding = decode_bytes(data)
    except UndecodableError as exc:
        return SkippedFile(str(path), str(exc))
    fields: dict = {"encoding": encoding}
    side = _sidecar(path)
    if side is not None:
        try:
            extra = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return SkippedFile(str(side), f"bad metadata sidecar: {exc}")
        if not isinstance(extra, dict):
            return SkippedFile(str(side), "bad metadata sidecar: not a JSON object")
        fields.update(extra)
    doc_id = str(fields.pop("id", None) or content_id(text))
    fmt = "markdown" if path.suffix.lower() == ".md" else "plain"
    return RawDocument(id=doc_id, text=text, source=str(path), fields=fields, text_format=fmt)


def load_records(path: Path) -> Iterator[RawDocument | SkippedFile]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{n}"
                try:
                    rec = json.loads(line)
                except ValueError as exc:
                    yield SkippedFile(where, f"invalid JSON: {exc}")
                    continue
                if (
                    not isinstance(rec, dict)
                    or not isinstance(rec.get("text"), str)
                    or not rec["text"].strip()
                ):
                    yield SkippedFile(where, "record has no 'text'")
                    continue
                text = rec.pop("text")
                doc_id = str(rec.pop("id", None) or content_id(text))
                fmt = (
                    "markdown"
                    if "<!-- INFO END -->" in text or str(rec.get("source", "")).endswith(".md")
                    else "plain"
                )
                source = str(rec.get("source") or where)
                yield RawDocument(id=doc_id, text=text, source=source, fields=rec, text_format=fmt)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        yield SkippedFile(str(path), f"cannot read record file: {exc}")
