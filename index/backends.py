"""Pick the vector and lexical implementations named in a manifest, and open a generation (verified)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from index.bm25 import BM25Index
from index.faiss_vectors import FaissVectorIndex, VectorCheckError
from index.integrity import IntegrityError, verify_files
from index.manifest import IndexError_, Manifest
from index.neardup import WordingIndex
from index.protocols import LexicalIndex, VectorIndex
from index.store import STORE_FILE, ClauseStore, StoreError

VECTOR_DIR = "vectors"
LEXICAL_DIR = "lexical"
WORDING_DIR = "wording"  # MinHash signatures for same-wording groups (index.neardup)
VECTOR_BACKENDS: dict[str, type] = {"faiss": FaissVectorIndex}
LEXICAL_BACKENDS: dict[str, type] = {"bm25": BM25Index}
DEFAULT_VECTOR_BACKEND = "faiss"
DEFAULT_LEXICAL_BACKEND = "bm25"


def _backend(table: dict[str, type], name: str, what: str) -> type:
    try:
        return table[name]
    except KeyError:
        raise IndexError_(f"unknown {what} backend {name!r} (this program knows {sorted(table)})") from None


def new_vector_index(name: str, dim: int, expected: int) -> VectorIndex:
    return _backend(VECTOR_BACKENDS, name, "vector").create(dim, expected)


def new_lexical_index(name: str) -> LexicalIndex:
    return _backend(LEXICAL_BACKENDS, name, "lexical").create()


def open_vector_index(directory: Path, manifest: Manifest) -> VectorIndex:
    return _backend(VECTOR_BACKENDS, manifest.vector_backend, "vector").open(directory / VECTOR_DIR)


def open_lexical_index(directory: Path, manifest: Manifest) -> LexicalIndex:
    return _backend(LEXICAL_BACKENDS, manifest.lexical_backend, "lexical").open(directory / LEXICAL_DIR)


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


FIX = "rebuild it with `policy-search reindex --full`"


def open_generation(directory: Path, verify: bool = True) -> OpenedGeneration:
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
            raise IndexError_(f"damaged index generation: {exc}; {FIX}") from exc
    timings["checksums_s"] = time.perf_counter() - t0
    store = None
    try:
        store = ClauseStore(directory / STORE_FILE)
        t1 = time.perf_counter()
        vectors = open_vector_index(directory, manifest)
        lexical = open_lexical_index(directory, manifest)
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
            f"damaged index generation {directory}: {type(exc).__name__}: {exc}; {FIX}"
        ) from exc
    return OpenedGeneration(directory, manifest, store, vectors, lexical, wording, timings)
