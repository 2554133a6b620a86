"""Load raw documents from files, directories and JSONL(.gz) record files.

Text files are decoded whatever their Chinese encoding (see :mod:`corpus.encoding`); a sidecar
``NAME.meta.json`` (or ``NAME.txt.meta.json``) beside ``NAME.txt`` overrides extracted fields. A file that
cannot be read is reported as a :class:`SkippedFile` with the reason, and loading goes on.

Every document gets a *key* from its identity, not its content, so that editing a paragraph keeps its
clause ids: a JSONL record's ``id``; for a file, its path relative to the corpus root it was given
(``政策/吉林/000.txt`` under ``corpus/``; the file name when the file itself was given); a sidecar's
``id`` wins. Beside the key each document carries a hash of its raw content, which is what an incremental
reindex compares.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from config.settings import default_of
from corpus.encoding import UndecodableError, decode_bytes
from corpus.models import RawDocument, SkippedFile

TEXT_SUFFIXES = {".txt", ".md", ".text"}
# metadata fields a record may give, each text or null ("title": ["a"] is refused with the field's name)
TEXT_FIELDS = (
    "title",
    "issuer",
    "date",
    "jurisdiction",
    "province",
    "city",
    "level",
    "law_level",
    "doc_type",
    "doc_number",
    "source",
    "status",
)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadKeyError(ValueError):
    """A document key that cannot serve as an id (empty, not a string or number, control characters)."""


def content_hash(text: str, fields: dict, text_format: str) -> str:
    """Hash of everything the pipeline reads from a raw document: text, given metadata and format."""
    h = hashlib.blake2b(digest_size=16)
    h.update(text.encode("utf-8", "surrogatepass"))
    h.update(
        json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8", "surrogatepass")
    )
    h.update(text_format.encode())
    return h.hexdigest()


def document_key(value: object) -> str:
    """A key as given (a record's ``id``, a sidecar's ``id``, a relative path), checked.

    ``"lawrefbook-123"`` and ``123`` are keys; ``{"a": 1}`` is not (it would be stored as its ``str()``).
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadKeyError(f"id must be a string or a number, not {type(value).__name__}")
    key = str(value).strip()
    if not key:
        raise BadKeyError("id is empty")
    if _CONTROL.search(key):
        raise BadKeyError(f"id {key!r} contains control characters")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadKeyError(f"id {key!r} is not valid Unicode") from exc
    return key


def _is_record_file(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".jsonl", ".jsonl.gz", ".ndjson"))


def _sidecar(path: Path) -> Path | None:
    for cand in (path.with_suffix(".meta.json"), path.with_name(path.name + ".meta.json")):
        try:
            if cand.exists():
                return cand
        except OSError:  # a name at the length limit has no room for ".meta.json"
            continue
    return None


def display_path(path: Path | str) -> str:
    """A path as it can be printed and stored: bytes that are not UTF-8 shown as \\x escapes."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def _kind(st: os.stat_result) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(st.st_mode):
            return name
    return "not a regular file"


def _walk(root: Path) -> Iterator[tuple[Path, str] | SkippedFile]:
    """Files under ``root`` (symbolic links followed, each directory once), sorted; what cannot be read
    is reported, never passed over in silence: unreadable directories, link loops, broken links, FIFOs."""
    seen: set[tuple[int, int]] = set()
    problems: list[SkippedFile] = []
    found: list[Path] = []

    def onerror(exc: OSError) -> None:
        problems.append(
            SkippedFile(display_path(exc.filename or root), f"cannot read directory: {exc.strerror or exc}")
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=True):
        here = Path(dirpath)
        st = os.stat(here)
        if (st.st_dev, st.st_ino) in seen:
            problems.append(
                SkippedFile(display_path(here), "symbolic link loop: directory already read, not read again")
            )
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or name.endswith(".meta.json"):
                continue
            found.append(here / name)
    yield from problems
    for child in sorted(found):
        rel = child.relative_to(root).as_posix()
        try:
            st = child.stat()
        except OSError as exc:
            reason = "broken symbolic link" if child.is_symlink() else f"cannot read: {exc.strerror or exc}"
            yield SkippedFile(display_path(child), reason)
            continue
        if not stat.S_ISREG(st.st_mode):
            yield SkippedFile(display_path(child), f"{_kind(st)}, not a text file")
        elif display_path(rel) != rel:
            yield SkippedFile(display_path(child), "file name is not valid UTF-8; rename the file")
        else:
            yield child, rel


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, str] | SkippedFile]:
    """Each file with its key: the path relative to the root it was found under (the name for a file)."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from _walk(p)
        elif p.is_file():
            if display_path(p.name) != p.name:
                yield SkippedFile(display_path(p), "file name is not valid UTF-8; rename the file")
            else:
                yield p, p.name
        elif p.exists():
            yield SkippedFile(display_path(p), f"{_kind(p.stat())}, not a text file")
        else:
            yield SkippedFile(display_path(p), "no such file or directory")


def load(paths: Iterable[Path], max_file_bytes: int | None = None) -> Iterator[RawDocument | SkippedFile]:
    """Raw documents and skipped files; text files over ``max_file_bytes`` (POLICY_SEARCH_MAX_FILE_BYTES) are
    skipped with that reason."""
    limit = max_file_bytes if max_file_bytes is not None else default_of("max_file_bytes")
    for item in iter_files(paths):
        if isinstance(item, SkippedFile):
            yield item
        elif _is_record_file(item[0]):
            yield from load_records(*item)
        else:
            yield load_text_file(*item, max_bytes=limit)


def load_text_file(
    path: Path, key: str | None = None, max_bytes: int | None = None
) -> RawDocument | SkippedFile:
    max_bytes = max_bytes if max_bytes is not None else default_of("max_file_bytes")
    try:
        if path.stat().st_size > max_bytes:
            return SkippedFile(
                str(path), f"file larger than {max_bytes} bytes (POLICY_SEARCH_MAX_FILE_BYTES)"
            )
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
    try:
        doc_id = document_key(fields.pop("id", None) or key or path.name)
    except BadKeyError as exc:
        return SkippedFile(str(path), f"bad document key: {exc}")
    fmt = "markdown" if path.suffix.lower() == ".md" else "plain"
    warnings = [f"read as {encoding}"] if "replaced" in encoding else []
    return RawDocument(
        id=doc_id,
        text=text,
        source=key or path.name,  # shown to users: relative to the corpus root, never a server path
        origin=display_path(path),
        fields=fields,
        text_format=fmt,
        content_hash=content_hash(text, fields, fmt),
        warnings=warnings,
    )


def load_records(path: Path, key: str | None = None) -> Iterator[RawDocument | SkippedFile]:
    """One document per JSON line; its key is the record's ``id``, else ``FILE#LINE``."""
    key = key or path.name
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
                wrong = next(
                    (k for k in TEXT_FIELDS if rec.get(k) is not None and not isinstance(rec[k], str)), None
                )
                if wrong:
                    yield SkippedFile(
                        where, f"field {wrong!r} must be text or null, not {type(rec[wrong]).__name__}"
                    )
                    continue
                text = rec.pop("text")
                given = rec.pop("id", None)
                try:
                    doc_id = document_key(given if given not in (None, "") else f"{key}#{n}")
                except BadKeyError as exc:
                    yield SkippedFile(where, f"bad document key: {exc}")
                    continue
                fmt = (
                    "markdown"
                    if "<!-- INFO END -->" in text or str(rec.get("source", "")).endswith(".md")
                    else "plain"
                )
                source = str(rec.get("source") or f"{key}:{n}")
                yield RawDocument(
                    id=doc_id,
                    text=text,
                    source=source,
                    origin=where,
                    fields=rec,
                    text_format=fmt,
                    content_hash=content_hash(text, rec, fmt),
                )
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        yield SkippedFile(str(path), f"cannot read record file: {exc}")
