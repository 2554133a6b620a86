"""Pick the vector and lexical implementations named in a manifest, and open a generation (verified)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from index.bm25 import BM25Index
from index.faiss_vectors import AnnOptions, FaissVectorIndex, VectorCheckError
from index.integrity import IntegrityError, verify_files
from index.manifest import IndexError_, Manifest
from index.neardup import WordingIndex
from index.protocols import LexicalIndex, VectorIndex
from index.rowmap import RowMap
from index.store import STORE_FILE, ClauseStore, StoreError

if TYPE_CHECKING:
    from index.generations import IndexLayout
    from index.milvus_backend import MilvusConfig

VECTOR_DIR = "vectors"
LEXICAL_DIR = "lexical"
WORDING_DIR = "wording"  # MinHash signatures for same-wording groups (index.neardup)
VECTOR_BACKENDS: dict[str, type] = {"faiss": FaissVectorIndex}
LEXICAL_BACKENDS: dict[str, type] = {"bm25": BM25Index}
DEFAULT_VECTOR_BACKEND = "faiss"
DEFAULT_LEXICAL_BACKEND = "bm25"
MILVUS = "milvus"  # one collection serves as both the vector and the lexical index (index.milvus_backend)
BACKENDS = {"embedded": (DEFAULT_VECTOR_BACKEND, DEFAULT_LEXICAL_BACKEND), MILVUS: (MILVUS, MILVUS)}


def _backend(table: dict[str, type], name: str, what: str) -> type:
    try:
        return table[name]
    except KeyError:
        raise IndexError_(f"unknown {what} backend {name!r} (this program knows {sorted(table)})") from None


def _milvus(config: MilvusConfig | None) -> MilvusConfig:
    try:
        from index.milvus_backend import MilvusConfig
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise IndexError_(f"the Milvus backend needs pymilvus: pip install -e '.[milvus]' ({exc})") from exc
    return config or MilvusConfig()


def new_indexes(
    vector: str,
    lexical: str,
    dim: int,
    expected: int,
    milvus: MilvusConfig | None = None,
    ann: AnnOptions | None = None,
) -> tuple[VectorIndex, LexicalIndex]:
    """Empty indexes of the named implementations (a full build); ``ann``: when FAISS turns approximate."""
    if MILVUS in (vector, lexical):
        if (vector, lexical) != (MILVUS, MILVUS):
            raise IndexError_("the Milvus backend holds vectors and text in one collection: use it for both")
        from index.milvus_backend import create_indexes

        return create_indexes(_milvus(milvus), dim)
    vec_type = _backend(VECTOR_BACKENDS, vector, "vector")
    vec = (
        vec_type.create(dim, expected, ann)
        if vec_type is FaissVectorIndex
        else vec_type.create(dim, expected)
    )
    return vec, _backend(LEXICAL_BACKENDS, lexical, "lexical").create()


def open_indexes(
    directory: Path, manifest: Manifest, milvus: MilvusConfig | None = None
) -> tuple[VectorIndex, LexicalIndex]:
    """The generation's indexes, by the implementations its manifest names. Changes made to Milvus ones
    are written, when saved, as rows of the next generation, which this one never sees."""
    if manifest.vector_backend == MILVUS:
        from index.milvus_backend import MilvusBackendError
        from index.milvus_backend import open_indexes as open_milvus

        try:
            return open_milvus(directory / VECTOR_DIR, directory / LEXICAL_DIR, _milvus(milvus))
        except MilvusBackendError as exc:
            raise IndexError_(f"index generation {directory.name}: {exc}; {FIX}") from exc
    vec_type = _backend(VECTOR_BACKENDS, manifest.vector_backend, "vector")
    lex_type = _backend(LEXICAL_BACKENDS, manifest.lexical_backend, "lexical")
    if (
        vec_type is FaissVectorIndex
        and lex_type is BM25Index
        and RowMap.same_files(manifest.files, VECTOR_DIR, LEXICAL_DIR)
    ):  # the usual case: both hold the same clauses in the same rows, read once (~2.5 s at 10⁶)
        rows = RowMap.load(directory / VECTOR_DIR)
        vec = FaissVectorIndex.open(directory / VECTOR_DIR, rows=rows)
        return vec, BM25Index.open(directory / LEXICAL_DIR, rows=rows.copy())
    return vec_type.open(directory / VECTOR_DIR), lex_type.open(directory / LEXICAL_DIR)


def _drop_unkept(layout: IndexLayout, config: MilvusConfig) -> list[tuple[str, str, str]]:
    """Drop this directory's collections that no generation present names (a killed full build's, or
    one whose generations were pruned); returns (generation, collection, uri) of the current and the
    previous generation, where the pointer reads and they are Milvus ones. A pointer that cannot be
    read, or names a missing generation, keeps every collection a generation on disk names: the
    generation ``rollback --to`` could still serve keeps its rows."""
    from index.generations import PointerError
    from index.milvus_backend import drop_unreferenced, recorded

    try:
        p = layout.pointer()
    except PointerError:
        p = None
    kept = []
    for name in (p.current, p.previous) if p else ():
        if name and (info := recorded(layout.root / name)):
            kept.append((name, info["collection"], info.get("uri", "")))
    present = [info for g in layout.generations() if (info := recorded(layout.root / g))]
    uri = kept[0][2] if kept else (present[-1].get("uri", "") if present else "")
    drop_unreferenced(config, {c for _, c, _ in kept} | {i["collection"] for i in present}, uri)
    return kept


def milvus_before_build(layout: IndexLayout, milvus: MilvusConfig | None) -> None:
    """Under the build lock: drop this directory's collections no generation names (a killed full
    build's), and undo in the current collection what generations ahead of the current one wrote (a
    killed incremental build, or the generation rolled back from, which then stops being the previous
    and is removed: its rows are about to be undone)."""
    import shutil

    from index.generations import Pointer, generation_number
    from index.milvus_backend import prepare_collection, recorded

    config = _milvus(milvus)
    kept = _drop_unkept(layout, config)
    p = layout.pointer() if kept else None
    if p is None or not kept or kept[0][0] != p.current:
        return
    number, collection = generation_number(p.current), kept[0][1]
    if p.previous and generation_number(p.previous) > number:
        layout.write_pointer(Pointer(p.current, None))  # it is about to be undone: no rollback to it
    for g in layout.generations():  # generations ahead of the current one in its collection
        info = recorded(layout.root / g)
        if generation_number(g) > number and info and info["collection"] == collection:
            shutil.rmtree(layout.root / g, ignore_errors=True)
    prepare_collection(layout.root / p.current, config, number)


def milvus_after_commit(layout: IndexLayout, milvus: MilvusConfig | None) -> None:
    """After a switch: drop collections no kept generation names, and delete the rows that no kept
    generation shows any more (removed at or before the oldest one reading the collection)."""
    from index.generations import generation_number
    from index.milvus_backend import purge_dead

    config = _milvus(milvus)
    kept = _drop_unkept(layout, config)
    if not kept:
        return
    current, coll, _ = kept[0]
    readers = [generation_number(g) for g, c, _ in kept if c == coll]
    purge_dead(layout.root / current, config, min(readers))


@dataclass
class OpenedGeneration:
    directory: Path
    manifest: Manifest
    store: ClauseStore
    vectors: VectorIndex
    lexical: LexicalIndex
    wording: WordingIndex | None = None  # None in generations written before it existed
    timings: dict[str, float] = field(default_factory=dict)

    def close(self) -> None:
        self.store.close()


FIX = "可用 `policy-search rollback --to 版本` 切换到其他完整版本，或用 `policy-search reindex --full` 重建"


def open_generation(
    directory: Path, verify: bool = True, milvus: MilvusConfig | None = None
) -> OpenedGeneration:
    """Open one generation; with ``verify``, every file's size and checksum and every vector are checked.

    Any damage is an :class:`IndexError_` that names the file and the fix.
    """
    manifest = Manifest.load(directory)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if verify:
        try:
            verify_files(directory, manifest.files)
        except IntegrityError as exc:
            raise IndexError_(f"索引版本已损坏（damaged_generation）：{exc}；{FIX}") from exc
    timings["checksums_s"] = time.perf_counter() - t0
    store = None
    try:
        store = ClauseStore(directory / STORE_FILE)
        t1 = time.perf_counter()
        vectors, lexical = open_indexes(directory, manifest, milvus)
        wording = WordingIndex.open(directory / WORDING_DIR) if (directory / WORDING_DIR).is_dir() else None
        if hasattr(lexical, "warm"):
            lexical.warm()  # the first query after a switch should not pay for it
        timings["load_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        if verify:
            vectors.check(manifest.dimension)
        timings["vector_check_s"] = time.perf_counter() - t2
        sizes = (vectors.size, lexical.size, len(store), wording.size if wording else len(store))
        if len(set(sizes)) != 1 or sizes[0] != manifest.clauses:
            raise IndexError_(
                f"index generation {directory} is inconsistent: {vectors.size} vectors, {lexical.size} "
                f"lexical rows, {len(store)} clauses, {sizes[3]} wording signatures, manifest says "
                f"{manifest.clauses}; {FIX}"
            )
    except IndexError_:
        if store is not None:
            store.close()
        raise
    except (StoreError, VectorCheckError, OSError, ValueError, RuntimeError, KeyError) as exc:
        if store is not None:
            store.close()
        raise IndexError_(
            f"索引版本 {directory} 已损坏（damaged_generation）：{type(exc).__name__}: {exc}；{FIX}"
        ) from exc
    return OpenedGeneration(directory, manifest, store, vectors, lexical, wording, timings)
