"""Build the next generation of an index directory: incrementally by default, in full when asked or needed.

``reindex_into`` compares each document's key and content hash with the current generation:

- added and changed documents are cleaned, chunked, embedded (through the cache) and tokenised;
- removed ones are deleted by clause id from the store, the vector and the lexical index;
- unchanged ones are carried over as they are: no processing, no embedding, no tokenising.

Only a source that is really absent is a removal. One that is there but cannot be read (a dangling link,
no permission, a truncated archive, undecodable bytes) keeps its documents from the current generation:
they are *held*, and the result names them (the CLI exits 3), unless ``allow_removals`` says to drop
them. A full build (``--full``) holds them too, carried over from the current generation's store.

With nothing changed, no generation is written. The generation is written under ``.build-…`` and made
current by :meth:`IndexLayout.commit` only when complete; see ``index.generations``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from config.settings import default_of
from corpus.loader import lone_surrogate
from corpus.models import Clause, Document, RawDocument, SkippedFile
from index.backends import (
    BACKENDS,
    LEXICAL_DIR,
    MILVUS,
    VECTOR_DIR,
    WORDING_DIR,
    IndexError_,
    milvus_after_commit,
    milvus_before_build,
    new_indexes,
    open_indexes,
)
from index.cache import EmbeddingCache, embed_with_cache
from index.copies import Copy, find_copies, signatures, still_a_copy
from index.embedder import Embedder, engine_name
from index.faiss_vectors import AnnOptions, FaissVectorIndex
from index.generations import IndexLayout, fault_point
from index.integrity import IntegrityError, checksums, verify_files
from index.manifest import MANIFEST, Manifest
from index.neardup import WordingIndex
from index.passages import passage_text
from index.protocols import LexicalIndex
from index.repeals import write_repeals
from index.store import (
    STORE_FILE,
    copy_records,
    document_count,
    document_hashes,
    read_documents,
    stored_signatures,
    write_store,
)
from index.tokenizer import ChineseTokenizer

if TYPE_CHECKING:
    from index.milvus_backend import MilvusConfig

log = logging.getLogger(__name__)
PIPELINE_VERSION = 7  # bump when cleaning/chunking changes what a document's clauses are, or the files
# of a generation change (3: the wording index; 4: 落款/版记 out of clauses, inline headings, county level,
# near-duplicate documents, zero-width and control characters deleted as from queries; 5: 施行, 有效期 and
# repeals read, the repealed_by table; nothing after a 落款 joins the clause before it, a table right after it
# is the 附件; 6: jurisdiction from all the evidence, page date lines; 7: lines cut inside a bracket or
# continued by a comma joined, page numbers dropped, days the calendar lacks no date, 版头 + 文号 on one line)


NO_INDEX_YET = "还没有索引（no index yet）"


class EmptyCorpusError(ValueError):
    """Nothing to index: no document produced a clause."""


class BuildWriteError(IndexError_):
    """Writing the new generation failed (disk full, quota, I/O): one line naming the file and the fix;
    the current generation is untouched."""


_FULL = ("No space left", "disk is full", "Disk quota", "File too large")
_LOW_SPACE = 1 << 20  # under this much free space, a failed write is taken for a full disk


def _disk_full(path: Path, exc: BaseException) -> bool:
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or any(
        m in str(exc) for m in _FULL
    ):
        return True
    where = next((p for p in (path, *path.parents) if p.exists()), None)
    try:  # a short write (numpy: "7952 requested and 1008 written") says nothing of why
        return where is not None and shutil.disk_usage(where).free < _LOW_SPACE
    except OSError:
        return False


def write_failure(path: Path, exc: BaseException, serving: str | None, root: Path | None = None) -> str:
    """One line: what failed where, that the index still serves, what to do (Chinese, code beside).
    Inside a build directory the file is named by its place in the generation (``clauses.sqlite``)."""
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^Error in .*? at \S+: Error: ", "", text)  # FAISS's C++ location says nothing to a user
    root = root or path.parent
    build = next((p for p in (path, *path.parents) if p.name.startswith(".build-")), None)
    what = f"索引 {root} 的新版本（{path.relative_to(build).as_posix() or '目录'}）" if build else str(path)
    kept = f"当前版本 {serving} 未改动，仍可服务" if serving else "目录中原有的版本未改动"
    if _disk_full(path, exc):
        return f"写入{what}时磁盘已满（{text}）；{kept}；请释放 {root} 所在磁盘的空间后重新运行 policy-search reindex（disk_full）"
    return f"写入{what}失败（{type(exc).__name__}: {text}）；{kept}；请检查 {root} 的磁盘与权限后重新运行 policy-search reindex（write_failed）"


@contextlib.contextmanager
def _writing(path: Path, serving: str | None, root: Path) -> Iterator[None]:
    """Turn a low-level write failure (OSError, SQLite, FAISS's RuntimeError) into a BuildWriteError."""
    try:
        yield
    except IndexError_:
        raise
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        raise BuildWriteError(write_failure(path, exc, serving, root)) from exc


@dataclass
class BuildOptions:
    passage_template: str = field(default_factory=lambda: default_of("passage_template"))
    lexical_template: str = field(default_factory=lambda: default_of("lexical_template"))
    max_clause_chars: int = field(default_factory=lambda: default_of("max_clause_chars"))
    backend: str = field(default_factory=lambda: default_of("backend"))  # "embedded" | "milvus"
    milvus: MilvusConfig | None = None  # where a Milvus backend's collections live
    ann: AnnOptions = field(default_factory=AnnOptions)  # when the FAISS index turns approximate (IVF)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise IndexError_(f"unknown backend {self.backend!r} (this program knows {sorted(BACKENDS)})")

    @property
    def vector_backend(self) -> str:
        return BACKENDS[self.backend][0]

    @property
    def lexical_backend(self) -> str:
        return BACKENDS[self.backend][1]

    def pipeline(self) -> dict:
        return {
            "version": PIPELINE_VERSION,
            "passage_template": self.passage_template,
            "lexical_template": self.lexical_template,
            "max_clause_chars": self.max_clause_chars,
        }


@dataclass
class Duplicate:
    key: str
    kept: str  # source of the document indexed under the key
    skipped: str  # source of the later one, not indexed


@dataclass
class BuildResult:
    """What one reindex did. ``manifest`` is the current generation's after it (new or unchanged)."""

    manifest: Manifest
    wrote_generation: bool
    mode: str  # "full" | "incremental"
    reason: str  # why full, when it was
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)  # near-duplicate documents recorded, not indexed
    failed: list[SkippedFile] = field(default_factory=list)  # documents that could not be processed
    empty: list[str] = field(default_factory=list)  # documents that yielded no clause
    held: list[str] = field(default_factory=list)  # kept from the current generation: source unreadable
    embedded_now: int = 0
    from_cache: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        head = (
            f"{self.mode} build → {self.manifest.generation}"
            if self.wrote_generation
            else f"no change; still serving {self.manifest.generation}"
        )
        return (
            f"{head}: {len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged documents; {self.manifest.documents} documents, "
            f"{self.manifest.clauses} clauses; {self.embedded_now} passages embedded, {self.from_cache} from "
            f"cache; {len(self.duplicates)} duplicate keys, {len(self.copies)} near-duplicate copies, "
            f"{len(self.failed)} failed, {len(self.held)} held (source unreadable), "
            f"{len(self.empty)} without clauses; {self.seconds:.2f}s"
        )

    def to_dict(self) -> dict:
        return {
            "generation": self.manifest.generation,
            "wrote_generation": self.wrote_generation,
            "mode": self.mode,
            "full_reason": self.reason,
            "engine": self.manifest.engine_name,
            "embedder": self.manifest.embedder_fingerprint,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "documents": self.manifest.documents,
            "clauses": self.manifest.clauses,
            "duplicates": [d.__dict__ for d in self.duplicates],
            "copies": [c.to_dict() for c in self.copies],
            "failed": [s.__dict__ for s in self.failed],
            "empty": self.empty,
            "held": self.held,
            "embedded_now": self.embedded_now,
            "from_cache": self.from_cache,
            "seconds": round(self.seconds, 3),
        }


def clause_texts(
    docs: Sequence[Document], options: BuildOptions
) -> tuple[list[tuple[Document, Clause]], list[str], list[str]]:
    """Every clause of ``docs`` with what is embedded for it and what BM25 indexes (the templates)."""
    pairs = [(d, c) for d in docs for c in d.clauses]
    law = {d.id: bool(d.metadata.law_level) for d in docs}
    dense = [passage_text(d.metadata.title, c, options.passage_template, law=law[d.id]) for d, c in pairs]
    lexical = [passage_text(d.metadata.title, c, options.lexical_template, law=law[d.id]) for d, c in pairs]
    return pairs, dense, lexical


def document_hash(doc: Document) -> str:
    """For documents made without a loader (tests, evaluation): hash of what was made."""
    h = hashlib.blake2b(digest_size=16)
    h.update(doc.text.encode("utf-8", "surrogatepass"))
    h.update(json.dumps(doc.metadata.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    for c in doc.clauses:
        h.update(json.dumps([c.id, c.heading_path, c.text, c.kind], ensure_ascii=False).encode())
    return h.hexdigest()


Source = RawDocument | Document
Processor = Callable[[RawDocument], Document | SkippedFile]  # CorpusPipeline.process_or_report


def source_hash(s: Source) -> str:
    """What decides whether a document changed: the loader's hash of the raw document (text, fields,
    format), or for a processed one without it, the hash of what was made."""
    if isinstance(s, Document):
        return s.content_hash or document_hash(s)
    return s.content_hash


def holds_key(pattern: str, key: str) -> bool:
    """Does an unreadable source's ``holds`` pattern (a key, ``dir/``, or ``*``) cover document ``key``?
    A plain key covers the paths under it too: a directory replaced by a dangling link or a FIFO is
    named by its own key (``sub`` holds ``sub/a.html``)."""
    return (
        pattern == "*"
        or key == pattern
        or key.startswith(pattern if pattern.endswith("/") else pattern + "/")
    )


def held_back(keys: Iterable[str], holds: Sequence[str]) -> list[str]:
    """Of the document keys a build would remove, those whose source is there but could not be read."""
    if not holds:
        return []
    return [k for k in keys if any(holds_key(h, k) for h in holds)]


def _current_store(layout: IndexLayout) -> Path | None:
    """The current generation's clause store, if the pointer and the store can be read."""
    try:
        store = layout.current() / STORE_FILE
    except IndexError_:
        return None
    return store if store.is_file() else None


def _unstorable(doc: Document) -> str | None:
    """Why a document cannot be stored (a lone surrogate in its text or a metadata field), or None.
    The loader already skips such records; this covers documents made elsewhere (readers, evaluation)."""
    fields = {k: v for k, v in doc.metadata.to_dict().items() if isinstance(v, str)}
    return lone_surrogate(doc.text, fields)


def _incremental_base(
    layout: IndexLayout, embedder: Embedder, tokenizer: ChineseTokenizer, options: BuildOptions
) -> tuple[Path | None, Manifest | None, str]:
    """The current generation to build on, or None with the reason for a full build."""
    if not layout.exists():
        return None, None, NO_INDEX_YET
    try:
        base = layout.current()
        m = Manifest.load(base)
    except IndexError_ as exc:
        return None, None, f"当前索引无法使用（index_unusable）：{exc}"
    if m.embedder_fingerprint != embedder.fingerprint:
        now = engine_name(embedder)
        if now != m.engine_name:
            return (
                None,
                None,
                (
                    f"引擎变更 (engine_changed)：索引由 {m.engine_name} 嵌入，本次构建用 {now}；两种引擎的向量不能混用，"
                    f"所有条款重新嵌入（要保留 {m.engine_name}，请加 --embedder {m.engine_name.removeprefix('st:')}）"
                ),
            )
        return (
            None,
            None,
            f"嵌入模型变更 (embedder_changed)：{m.embedder_fingerprint} → {embedder.fingerprint}",
        )
    for what, code, old, new in (
        ("分词器", "tokenizer_changed", m.tokenizer, tokenizer.fingerprint),
        ("处理流程", "pipeline_changed", m.pipeline, options.pipeline()),
        ("向量后端", "vector_backend_changed", m.vector_backend, options.vector_backend),
        ("词法后端", "lexical_backend_changed", m.lexical_backend, options.lexical_backend),
    ):
        if old != new:
            return None, None, f"{what}变更（{code}）"
    try:
        verify_files(base, m.files)
    except IntegrityError as exc:
        return None, None, f"当前版本已损坏（generation_damaged）：{exc}"
    if m.vector_backend == MILVUS:  # its data lives in a collection the files only name
        try:
            open_indexes(base, m, options.milvus)[0].check(m.dimension)
        except (IndexError_, RuntimeError) as exc:
            return None, None, f"当前索引无法使用（index_unusable）：{exc}"
    return base, m, ""


def reindex_into(
    index_dir: Path,
    sources: Iterable[Source],
    embedder: Embedder,
    *,
    process: Processor | None = None,
    cache: EmbeddingCache | None = None,
    options: BuildOptions | None = None,
    tokenizer: ChineseTokenizer | None = None,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
    extra: dict | None = None,
    holds: Sequence[str] = (),
    allow_removals: bool = False,
) -> BuildResult:
    """Bring the index at ``index_dir`` up to date with ``sources`` (raw documents are processed with
    ``process`` only when added or changed). Two sources with one key: the first is kept, both are named.

    ``holds``: the patterns of sources that are there but could not be read (``SkippedFile.holds``);
    the current generation's documents they cover are kept (``BuildResult.held``), not removed, unless
    ``allow_removals``."""
    t0 = time.perf_counter()
    options = options or BuildOptions()
    tokenizer = tokenizer or ChineseTokenizer()
    layout = IndexLayout(index_dir)
    with layout.lock():
        layout.root.mkdir(parents=True, exist_ok=True)
        layout.remove_debris()
        if options.backend == MILVUS:
            milvus_before_build(layout, options.milvus)  # what a killed build left in Milvus
        base, base_manifest, reason = (
            (None, None, "--full") if full else _incremental_base(layout, embedder, tokenizer, options)
        )
        # -- plan ---------------------------------------------------------------------------------
        wanted: dict[str, Source] = {}
        result_dups: list[Duplicate] = []
        for s in sources:
            if s.id in wanted:
                first = wanted[s.id]
                result_dups.append(
                    Duplicate(
                        s.id,
                        getattr(first, "origin", "") or first.source,
                        getattr(s, "origin", "") or s.source,
                    )
                )
                continue
            wanted[s.id] = s
        indexed = document_hashes(base / STORE_FILE) if base else {}
        old_copies = copy_records(base / STORE_FILE) if base else {}
        old = {**indexed, **{k: c.content_hash for k, c in old_copies.items()}}
        added = [k for k in wanted if k not in old]
        changed = [k for k in wanted if k in old and old[k] != source_hash(wanted[k])]
        removed = [k for k in old if k not in wanted]
        held = [] if allow_removals else held_back(removed, holds)
        removed = [k for k in removed if k not in set(held)]
        carried: list[Document] = []  # a full build: held documents, read back from the current store
        if base is None and not allow_removals and holds and (current := _current_store(layout)):
            held = held_back([k for k in document_hashes(current) if k not in wanted], holds)
            carried = read_documents(current, held)
        # a copy whose original leaves or changes is looked at again (on its stored signature first)
        moved = set(removed) | set(changed)
        recheck = {k: c for k, c in old_copies.items() if k in wanted and k not in changed and c.of in moved}
        failed: list[SkippedFile] = []

        def process_all(keys: list[str]) -> list[Document]:
            docs = []
            for key in keys:
                s = wanted[key]
                if isinstance(s, Document):
                    doc = s
                else:
                    if process is None:
                        raise ValueError("raw documents need a processor")
                    doc = process(s)
                    if isinstance(doc, SkippedFile):  # one bad document must not stop a build
                        failed.append(doc)
                        continue
                if (bad := _unstorable(doc)) is not None:  # it would fail in the cache key or the store
                    origin = getattr(s, "origin", "") or doc.source
                    failed.append(SkippedFile(origin, bad, "lone_surrogate", key))
                    continue
                if not doc.content_hash:
                    doc.content_hash = source_hash(s)
                docs.append(doc)
            return docs

        new_docs = process_all(added + changed)
        failed_keys = set(added + changed) - {d.id for d in new_docs}
        added = [k for k in added if k not in failed_keys]
        changed = [k for k in changed if k not in failed_keys]  # the previous version stays
        # near-duplicate documents: each new one against the indexed ones (and the other new ones)
        kept_sigs, copy_sigs = (
            stored_signatures(base / STORE_FILE, leave_out=removed + changed) if base else ([], {})
        )
        sigs = signatures([d for d in new_docs if d.clauses])
        new_copies = find_copies(sigs, kept_sigs)
        new_kept = {s.key: s for s in sigs if s.key not in {c.key for c in new_copies}}
        still: list[Copy] = []
        redo: list[str] = []
        for key, old_copy in recheck.items():
            original = new_kept.get(old_copy.of)
            again = still_a_copy(copy_sigs[key], original) if original and key in copy_sigs else None
            if again is not None:
                again.content_hash = old_copy.content_hash
                still.append(again)
            else:
                redo.append(key)  # its original left, or changed past it: read it again
        if redo:
            more = process_all(redo)
            changed += [d.id for d in more]
            more_sigs = signatures([d for d in more if d.clauses])
            new_copies += find_copies(more_sigs, kept_sigs + list(new_kept.values()))
            new_docs += more
            sigs += more_sigs
        hashes = {d.id: d.content_hash for d in new_docs}
        for c in new_copies:
            c.content_hash = hashes[c.key]
        copy_keys = {c.key for c in new_copies}
        new_docs = [d for d in new_docs if d.id not in copy_keys] + carried
        sig_rows = sigs + signatures([d for d in carried if d.clauses]) + [copy_sigs[c.key] for c in still]
        new_copies = sorted(new_copies + still, key=lambda c: c.key)
        drop = removed + changed + [c.key for c in still]
        all_copies = sorted(
            [c for k, c in old_copies.items() if k not in drop and (k in wanted or k in held)] + new_copies,
            key=lambda c: c.key,
        )
        empty = [d.id for d in new_docs if not d.clauses]
        mode = "incremental" if base else "full"
        if base_manifest is not None and not (added or changed or removed):
            layout.prune()  # the current generation was just verified: what killed builds renamed can go
            return BuildResult(
                base_manifest,
                False,
                mode,
                reason,
                unchanged=len(wanted) - len(failed_keys),
                duplicates=result_dups,
                copies=all_copies,
                failed=failed,
                held=held,
                seconds=time.perf_counter() - t0,
            )

        # -- embed and tokenise only what is new ----------------------------------------------------
        pairs, dense_texts, lexical_texts = clause_texts(new_docs, options)
        _warn_over_window(embedder, dense_texts)
        t_embed = time.perf_counter()
        vectors, fresh = embed_with_cache(embedder, dense_texts, cache, progress=progress)
        t_embed = time.perf_counter() - t_embed
        del dense_texts
        ids = [c.id for _, c in pairs]
        docs = [d.id for d, _ in pairs]

        # -- write the generation -----------------------------------------------------------------
        serving = base_manifest.generation if base_manifest else _serving(layout)
        with _writing(layout.root, serving, layout.root):
            build = layout.new_build_dir()
        name = ""
        try:
            with _writing(build / STORE_FILE, serving, layout.root):
                gone = write_store(
                    build / STORE_FILE,
                    new_docs,
                    base / STORE_FILE if base else None,
                    drop,
                    sig_rows,
                    new_copies,
                )
                write_repeals(build / STORE_FILE)  # over all documents: a later repealer marks an older one
            fault_point("after-store")
            if base and base_manifest:
                vec, lex = open_indexes(base, base_manifest, options.milvus)
                if isinstance(vec, FaissVectorIndex):  # today's settings decide when it turns approximate
                    vec.ann.threshold, vec.ann.nprobe = options.ann.threshold, options.ann.nprobe
                wording = WordingIndex.open(base / WORDING_DIR)
                vec.remove(gone)
                lex.remove(gone)
                wording.remove(gone)
            else:
                vec, lex = new_indexes(
                    options.vector_backend,
                    options.lexical_backend,
                    embedder.dim,
                    len(ids),
                    options.milvus,
                    options.ann,
                )
                wording = WordingIndex.create()
            vec.add(ids, docs, vectors)
            del vectors  # the index holds its own copy: at a million clauses, 1.5 GB each
            _add_text_in_batches(
                lex, wording, tokenizer, ids, docs, lexical_texts, [c.text for _, c in pairs]
            )
            if vec.size == 0:
                raise EmptyCorpusError("没有可索引的条款：每个文件都是空的或被跳过（no clauses to index）")
            for part, index in ((VECTOR_DIR, vec), (LEXICAL_DIR, lex), (WORDING_DIR, wording)):
                with _writing(build / part, serving, layout.root):
                    index.save(build / part)
            fault_point("after-indexes")
            name = layout.next_name()
            documents_total = document_count(build / STORE_FILE)
            manifest = Manifest(
                embedder_name=embedder.name,
                embedder_fingerprint=embedder.fingerprint,
                engine=engine_name(embedder),
                dimension=embedder.dim,
                tokenizer=tokenizer.fingerprint,
                documents=documents_total,
                clauses=vec.size,
                vector_backend=options.vector_backend,
                lexical_backend=options.lexical_backend,
                pipeline=options.pipeline(),
                generation=name,
                parent=base_manifest.generation if base_manifest else None,
                build={
                    "mode": mode,
                    "full_reason": reason,
                    "vector_structure": getattr(vec, "structure", vec.kind),
                    "added": len(added),
                    "changed": len(changed),
                    "removed": len(removed),
                    "unchanged": len(wanted) - len(added) - len(changed) - len(failed_keys),
                    "duplicates": len(result_dups),
                    "copies": [c.to_dict() for c in all_copies],
                    "failed": len(failed),
                    "empty": len(empty),
                    "held": len(held),
                    "embedded_now": fresh,
                    "from_cache": len(pairs) - fresh,
                    "embed_seconds": round(t_embed, 2),
                    "seconds": round(time.perf_counter() - t0, 2),
                    **(extra or {}),
                },
                files=checksums(build, skip=(MANIFEST,)),
            )
            with _writing(build / MANIFEST, serving, layout.root):
                manifest.save(build)
            with _writing(layout.root / name, serving, layout.root):
                layout.commit(build, name)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            if name and _serving(layout) != name:  # renamed, but never made current: it frees the space
                shutil.rmtree(layout.root / name, ignore_errors=True)
            if options.backend == MILVUS:
                try:
                    milvus_before_build(layout, options.milvus)  # what the failed build wrote
                except Exception as exc:  # the next build retries; the build's own error matters more
                    log.warning("could not clean up Milvus after a failed build: %s", exc)
            raise
        if options.backend == MILVUS:
            milvus_after_commit(layout, options.milvus)  # what fell out of rollback's reach
    return BuildResult(
        manifest,
        True,
        mode,
        reason,
        added,
        changed,
        removed,
        unchanged=manifest.build["unchanged"],
        duplicates=result_dups,
        copies=all_copies,
        failed=failed,
        empty=empty,
        held=held,
        embedded_now=fresh,
        from_cache=len(pairs) - fresh,
        seconds=time.perf_counter() - t0,
    )


TEXT_BATCH = 50_000  # clauses tokenised (and MinHashed) at once: tokens of a million clauses are ~5 GB
SEEN_LINES = 400_000  # distinct lines (sentences) whose tokens (band keys) a build keeps for reuse


def _add_text_in_batches(
    lex: LexicalIndex,
    wording: WordingIndex,
    tokenizer: ChineseTokenizer,
    ids: Sequence[str],
    docs: Sequence[str],
    lexical_texts: Sequence[str],
    clause_texts: Sequence[str],
) -> None:
    """Tokenise and add to the lexical and wording indexes a batch at a time, so that memory holds one
    batch's tokens and shingles, never the whole build's; a line or sentence met in an earlier batch is
    not tokenised or MinHashed again (up to ``SEEN_LINES`` of them)."""
    lines: dict[str, list[str]] = {}
    sentences: dict[str, np.ndarray] = {}
    for i in range(0, len(ids), TEXT_BATCH):
        j = i + TEXT_BATCH
        tokens = tokenizer.tokenize_many_later(list(lexical_texts[i:j]), lines)  # other processes, if many
        try:
            wording.add(ids[i:j], docs[i:j], clause_texts[i:j], sentences)  # meanwhile, here
            lex.add(ids[i:j], docs[i:j], tokens())
        finally:
            tokens.cancel()  # a failure above: the processes still tokenising are stopped, not waited for
        for seen in (lines, sentences):
            if len(seen) > SEEN_LINES:
                seen.clear()


def _serving(layout: IndexLayout) -> str | None:
    try:
        p = layout.pointer()
    except IndexError_:
        return None
    return p.current if p else None


def _warn_over_window(embedder: Embedder, texts: list[str]) -> None:
    over = [
        t
        for t in texts
        if len(t) > embedder.max_tokens // 2 and embedder.count_tokens(t) > embedder.max_tokens
    ]
    if over:
        log.warning(
            "%d passages exceed the embedder's %d-token window and are truncated by it",
            len(over),
            embedder.max_tokens,
        )


def build_index(
    documents: Iterable[Document],
    out_dir: Path,
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    options: BuildOptions | None = None,
    tokenizer: ChineseTokenizer | None = None,
    progress: Callable[[int], None] | None = None,
    extra: dict | None = None,
) -> Manifest:
    """A full build of processed documents into ``out_dir`` (a new generation); the evaluation uses it."""
    documents = list(documents)
    if not any(d.clauses for d in documents):
        raise EmptyCorpusError("没有可索引的条款：每个文件都是空的或被跳过（no clauses to index）")
    return reindex_into(
        out_dir,
        documents,
        embedder,
        cache=cache,
        options=options,
        tokenizer=tokenizer,
        full=True,
        progress=progress,
        extra=extra,
    ).manifest
