"""Load raw documents from files, directories and JSONL(.gz) record files.

Each file goes to the reader of its format (:mod:`corpus.readers`: text, PDF, Word, web pages), picked by
its content and its suffix; a sidecar ``NAME.meta.json`` (or ``NAME.pdf.meta.json``) beside ``NAME.pdf``
overrides extracted fields. Text files are read here; PDF, Word and web pages are read later, in a worker
bounded in time and memory, and only when the document is new or changed (:func:`corpus.readers.resolve`).
Every text, a file's or a JSONL record's, passes the garbage check (:mod:`corpus.garbage`); HTML in a
record's text is read as a web page. A file that cannot be read is reported as a :class:`SkippedFile`
with the reason (Chinese) and a code, and loading goes on.

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
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from config.settings import default_of
from corpus.dates import iso_date
from corpus.garbage import GarbageError, check_text
from corpus.jsontext import JsonTextError, parse_json
from corpus.models import Note, RawDocument, SkippedFile
from corpus.ocr.options import OcrOptions
from corpus.readers import Limits, PageProgress, ReadError, Registry, checked, default_registry, pending
from corpus.readers.base import check_length
from corpus.readers.html import HtmlReader, looks_like_html

_SNIFF_BYTES = 8192
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


# dates a record or sidecar may give; one that reads as no day is not used, and the operator is told
DATE_FIELDS = ("date", "written_date", "published_date", "effective_date")


def date_field_notes(fields: dict[str, Any]) -> list[Note]:
    """A warning for each date a record or a ``.meta.json`` gives that names no valid day: it is not used
    (the document's date then comes from its text: 落款, 发布日期 …), and the operator is told which.

    ``{"date": "2023-13-45"}`` and ``{"date": "2023年5月"}`` → ``bad_date_field``; ``"二〇二三年五月八日"``,
    ``"2023-05-08"`` and ``"2023年5月8日"`` are read.
    """
    notes = []
    for name in DATE_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value.strip() and iso_date(value) is None:
            shown = value if len(value) <= 40 else value[:40] + "…"
            notes.append(
                Note(
                    f"字段 {name!r} 的日期 {shown!r} 无法识别（应为某年某月某日，如 2023-05-08 或"
                    " 二〇二三年五月八日），未采用：日期改从正文读取",
                    "bad_date_field",
                )
            )
    return notes


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BAD_NAME = "文件名不是有效的 UTF-8（file name not valid UTF-8），请重命名"


class BadKeyError(ValueError):
    """A document key that cannot serve as an id (empty, not a string or number, control characters)."""


def content_hash(text: str | bytes, fields: dict, text_format: str) -> str:
    """Hash of everything the pipeline reads from a raw document: text (or, for a file a reader reads
    later, its bytes), given metadata and format (for those files: the reader's name and version)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
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
        raise BadKeyError(f"id 须为字符串或数字，不能是 {type(value).__name__}")
    key = str(value).strip()
    if not key:
        raise BadKeyError("id 为空")
    if _CONTROL.search(key):
        raise BadKeyError(f"id {key!r} 含控制字符")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadKeyError(f"id {key!r} 不是有效的 Unicode") from exc
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
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "字符设备"),
        (stat.S_ISBLK, "块设备"),
    ):
        if test(st.st_mode):
            return f"不是普通文件（{name}），不读取"
    return "不是普通文件，不读取"


def _held(rel: str) -> str:
    """What an entry that is there but cannot be read covers in the current index: a record file's
    documents have keys of their own (any of them), anything else its key and, were it a directory
    once (a dangling link or a FIFO in its place), everything under it (``index.builder.holds_key``)."""
    return "*" if _is_record_file(Path(rel)) else rel


def _walk(root: Path) -> Iterator[tuple[Path, str] | SkippedFile]:
    """Files under ``root`` (symbolic links followed, each directory once), sorted; what cannot be read
    is reported, never passed over in silence: unreadable directories, link loops, broken links, FIFOs."""
    seen: set[tuple[int, int]] = set()
    problems: list[SkippedFile] = []
    found: list[Path] = []

    def onerror(exc: OSError) -> None:
        where = Path(exc.filename or root)
        rel = where.relative_to(root).as_posix() if where != root and where.is_relative_to(root) else ""
        problems.append(
            SkippedFile(
                display_path(where),
                f"目录无法读取：{exc.strerror or exc}",
                "unreadable_directory",
                holds=f"{rel}/" if rel else "*",  # what the current index has from under it is kept
            )
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=True):
        here = Path(dirpath)
        st = os.stat(here)
        if (st.st_dev, st.st_ino) in seen:
            problems.append(
                SkippedFile(display_path(here), "符号链接成环：该目录已读过，不再重复读取", "symlink_loop")
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
            if child.is_symlink():
                yield SkippedFile(
                    display_path(child),
                    "符号链接指向的文件不存在（broken symbolic link）",
                    "broken_link",
                    holds=_held(rel),  # the link is there: what the index has under its name is kept
                )
            else:
                gone = isinstance(exc, FileNotFoundError)  # removed while we walked: a removal
                yield SkippedFile(
                    display_path(child),
                    f"无法读取：{exc.strerror or exc}",
                    "unreadable",
                    holds=None if gone else _held(rel),
                )
            continue
        if not stat.S_ISREG(st.st_mode):
            yield SkippedFile(display_path(child), _kind(st), "not_regular_file", holds=_held(rel))
        elif display_path(rel) != rel:
            yield SkippedFile(display_path(child), _BAD_NAME, "bad_file_name")
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
                yield SkippedFile(display_path(p), _BAD_NAME, "bad_file_name")
            else:
                yield p, p.name
        elif p.exists():
            yield SkippedFile(display_path(p), _kind(p.stat()), "not_regular_file", holds=_held(p.name))
        elif p.is_symlink():  # a file or a directory once: keep whatever the index has from it
            yield SkippedFile(
                display_path(p), "符号链接指向的文件不存在（broken symbolic link）", "broken_link", holds="*"
            )
        else:
            yield SkippedFile(display_path(p), "文件或目录不存在", "not_found")


def default_limits() -> Limits:
    return Limits(
        default_of("reader_timeout_seconds"),
        default_of("reader_memory_mb"),
        default_of("max_text_chars"),
        default_of("reader_resident_mb"),
    )


def load(
    paths: Iterable[Path],
    max_file_bytes: int | None = None,
    limits: Limits | None = None,
    registry: Registry | None = None,
    progress: Callable[[PageProgress], None] | None = None,
    ocr: OcrOptions | None = None,
) -> Iterator[RawDocument | SkippedFile]:
    """Raw documents and skipped files. Files over ``max_file_bytes`` (POLICY_SEARCH_MAX_FILE_BYTES) are
    skipped with that reason; ``limits`` bound each isolated reader (time, memory) per file; ``progress``
    hears each page a deferred read recognises (OCR), when it is read; ``ocr`` says how scans are read
    (default: on, no cache) when no ``registry`` is given."""
    limit = max_file_bytes if max_file_bytes is not None else default_of("max_file_bytes")
    limits = limits or default_limits()
    registry = registry or default_registry(ocr)
    for item in iter_files(paths):
        if isinstance(item, SkippedFile):
            yield item
        elif _is_record_file(item[0]):
            yield from load_records(*item, limits=limits, max_line_chars=limit)
        else:
            yield load_file(*item, max_bytes=limit, limits=limits, registry=registry, progress=progress)


def lone_surrogate(text: str, fields: dict) -> str | None:
    """Why a text or a field cannot be stored as UTF-8 (a lone surrogate such as "\\ud800" from JSON),
    or None. Such a record is skipped and named, like any other bad record."""
    for name, value in (("text", text), *fields.items()):
        if not isinstance(value, str):
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = value[exc.start]
            return (
                f"字段 {name!r} 第 {exc.start + 1} 个字符是孤立的代理码位 U+{ord(bad):04X}，不是有效的 Unicode；"
                "请修正源文件中的这条记录"
            )
    return None


def _held_key(path: Path, key: str | None) -> str:
    """The key the current index has a file under: its sidecar's ``id`` when it gives one, else ``key``."""
    side = _sidecar(path)
    if side is not None:
        try:
            return document_key(parse_json(side.read_text(encoding="utf-8")).get("id"))
        except (OSError, ValueError, AttributeError, BadKeyError):
            pass
    return key or path.name


def _record_key(rec: object, key: str, n: int) -> str:
    """The key a bad record would have had (its ``id``, else ``FILE#LINE``), or "*" if it cannot be told."""
    given = rec.get("id") if isinstance(rec, dict) else None
    try:
        return document_key(given if given not in (None, "") else f"{key}#{n}")
    except BadKeyError:
        return "*"


def _read_sidecar(path: Path) -> dict | SkippedFile:
    side = _sidecar(path)
    if side is None:
        return {}
    try:
        extra = parse_json(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JsonTextError is a ValueError, with a reason in Chinese
        return SkippedFile(str(side), f"元数据附属文件（.meta.json）无效：{exc}", "bad_sidecar")
    if not isinstance(extra, dict):
        return SkippedFile(str(side), "元数据附属文件（.meta.json）无效：不是 JSON 对象", "bad_sidecar")
    return extra


def _file_hash(path: Path) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.digest()


def load_file(
    path: Path,
    key: str | None = None,
    max_bytes: int | None = None,
    limits: Limits | None = None,
    registry: Registry | None = None,
    progress: Callable[[PageProgress], None] | None = None,
) -> RawDocument | SkippedFile:
    """One file as a raw document: read now (text), or hashed now and read when needed (PDF, Word, HTML)."""
    max_bytes = max_bytes if max_bytes is not None else default_of("max_file_bytes")
    limits = limits or default_limits()
    registry = registry or default_registry()
    held = _held_key(path, key)  # the file is there: what the index has for it is kept, never removed
    try:
        if path.stat().st_size > max_bytes:
            return SkippedFile(
                str(path), f"文件超过 {max_bytes} 字节（POLICY_SEARCH_MAX_FILE_BYTES）", "too_large", held
            )
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
        reader, note = registry.pick(path.name, head)
        if reader is None:
            reason = note.reason if note else "不支持的文件格式"
            return SkippedFile(str(path), reason, "unsupported_format", held)
        digest = _file_hash(path) if reader.isolated else b""
        data = b"" if reader.isolated else path.read_bytes()
    except OSError as exc:
        return SkippedFile(str(path), f"无法读取：{exc.strerror or exc}", "unreadable", held)
    side = _read_sidecar(path)
    if isinstance(side, SkippedFile):
        side.holds = held
        return side
    fields = dict(side)
    try:
        doc_id = document_key(fields.pop("id", None) or key or path.name)
    except BadKeyError as exc:
        return SkippedFile(str(path), f"文档键无效：{exc}", "bad_key", held)
    warnings: list[Note | str] = [*([note] if note else []), *date_field_notes(fields)]
    common = {"id": doc_id, "source": key or path.name, "origin": display_path(path), "reader": reader.name}
    # source is shown to users: relative to the corpus root, never a server path
    if reader.isolated:
        return RawDocument(
            text="",
            fields=fields,
            content_hash=content_hash(digest, fields, f"{reader.name}/{reader.version}"),
            warnings=warnings,
            pending=pending(reader, path.name, limits, path=path, progress=progress),
            **common,
        )
    try:
        result = reader.read(data, path.name)
        del data
        check_length(len(result.text), limits.max_text_chars)
        result = checked(result)
    except ReadError as exc:
        return SkippedFile(str(path), exc.reason, exc.code, held)
    fields = {**result.fields, **fields}
    if (bad := lone_surrogate(result.text, fields)) is not None:
        return SkippedFile(str(path), bad, "lone_surrogate", held)
    return RawDocument(
        text=result.text,
        fields=fields,
        text_format=result.text_format,
        content_hash=content_hash(result.text, fields, result.text_format),
        warnings=[*warnings, *result.warnings],
        **common,
    )


def _record_lines(fh: Any, limit: int) -> Iterator[tuple[int, str | None]]:
    """(line number, line) of a record file; a line of more than ``limit`` characters comes as None,
    read past in pieces, never held whole (a .jsonl.gz line may inflate to gigabytes)."""
    n = 0
    while line := fh.readline(limit + 1):
        n += 1
        if len(line) > limit and not line.endswith("\n"):
            while line and not line.endswith("\n"):
                line = fh.readline(1 << 20)
            yield n, None
        else:
            yield n, line


def load_records(
    path: Path, key: str | None = None, limits: Limits | None = None, max_line_chars: int | None = None
) -> Iterator[RawDocument | SkippedFile]:
    """One document per JSON line; its key is the record's ``id``, else ``FILE#LINE``. A record's text
    passes the garbage check; a text that is a web page's markup is read as one (in the worker). A line
    longer than ``max_line_chars`` (POLICY_SEARCH_MAX_FILE_BYTES) or a text longer than the limits'
    ``max_text_chars`` is named and skipped; the records after it are read."""
    key = key or path.name
    limits = limits or default_limits()
    max_line = max_line_chars if max_line_chars is not None else default_of("max_file_bytes")
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for n, line in _record_lines(fh, max_line):
                where = f"{path}:{n}"
                if line is None:  # which record it was cannot be told without reading it: keep them all
                    yield SkippedFile(
                        where,
                        f"记录超过 {max_line:,} 个字符（POLICY_SEARCH_MAX_FILE_BYTES），未读取",
                        "record_too_large",
                        "*",
                    )
                    continue
                if not line.strip():
                    continue
                try:
                    rec = parse_json(line)
                except JsonTextError as exc:
                    # a line cut short (a truncated file) may have been any record: keep them all
                    yield SkippedFile(where, exc.reason, exc.code, "*")
                    continue
                held = _record_key(rec, key, n)
                if (
                    not isinstance(rec, dict)
                    or not isinstance(rec.get("text"), str)
                    or not rec["text"].strip()
                ):
                    yield SkippedFile(where, "记录没有 'text' 字段，或它不是非空文本", "no_text", held)
                    continue
                wrong = next(
                    (k for k in TEXT_FIELDS if rec.get(k) is not None and not isinstance(rec[k], str)), None
                )
                if wrong:
                    yield SkippedFile(
                        where,
                        f"字段 {wrong!r} 须为文本或 null，不能是 {type(rec[wrong]).__name__}",
                        "bad_field",
                        held,
                    )
                    continue
                if (bad := lone_surrogate(rec["text"], rec)) is not None:
                    yield SkippedFile(where, bad, "lone_surrogate", held)
                    continue
                text = rec.pop("text")
                given = rec.pop("id", None)
                try:
                    doc_id = document_key(given if given not in (None, "") else f"{key}#{n}")
                except BadKeyError as exc:
                    yield SkippedFile(where, f"文档键无效：{exc}", "bad_key", held)
                    continue
                source = str(rec.get("source") or f"{key}:{n}")
                common = {"id": doc_id, "source": source, "origin": where}
                if looks_like_html(text):
                    reader = HtmlReader()
                    yield RawDocument(
                        text="",
                        fields=rec,
                        content_hash=content_hash(text, rec, f"{reader.name}/{reader.version}"),
                        reader=reader.name,
                        warnings=date_field_notes(rec),
                        pending=pending(reader, where, limits, text=text),
                        **common,
                    )
                    continue
                try:
                    check_length(len(text), limits.max_text_chars)  # markup's text is counted in the worker
                    check = check_text(text)
                except ReadError as exc:
                    yield SkippedFile(where, exc.reason, exc.code, held)
                    continue
                except GarbageError as exc:
                    yield SkippedFile(where, exc.reason, exc.code, held)
                    continue
                text = check.text
                fmt = (
                    "markdown"
                    if "<!-- INFO END -->" in text or str(rec.get("source", "")).endswith(".md")
                    else "plain"
                )
                yield RawDocument(
                    text=text,
                    fields=rec,
                    text_format=fmt,
                    content_hash=content_hash(text, rec, fmt),
                    warnings=[
                        *(Note(w, c) for w, c in zip(check.warnings, check.codes)),
                        *date_field_notes(rec),
                    ],
                    reader="jsonl",
                    **common,
                )
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
        # unread records may be any of the file's documents: the current index keeps them all
        yield SkippedFile(str(path), f"记录文件无法读取：{exc}", "unreadable_records", "*")
