"""The FAISS vector index, keyed by clause id: exact inner product (IndexFlatIP) up to ``HNSW_THRESHOLD``
vectors, HNSW above.

Filters are applied inside the search (an ID selector over the rows of the allowed documents), before the
top-k cut, so a filter never hides hits that exist. Removing clauses from a flat index rebuilds it (a
copy of the kept vectors); HNSW cannot remove, so removed rows become tombstones that every search
excludes, and the graph is rebuilt once a fifth of it is dead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import faiss
import numpy as np

from index.protocols import DocFilter, top_per_group
from index.rowmap import RowMap

HNSW_THRESHOLD = 100_000  # exact search costs ~1 ms per 10k vectors here; HNSW ~0.5 ms at any size
VECTORS_FILE = "vectors.faiss"
MAX_DEAD_FRACTION = 0.2


class VectorCheckError(ValueError):
    """Stored vectors of the wrong dimension, or not finite."""


def _new_index(dim: int, n: int) -> faiss.Index:
    if n > HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        return index
    return faiss.IndexFlatIP(dim)


def _all_vectors(index: faiss.Index) -> np.ndarray:
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(0, index.ntotal)


class FaissVectorIndex:
    kind = "faiss"

    def __init__(self, index: faiss.Index, rows: RowMap) -> None:
        if index.ntotal != len(rows):
            raise ValueError(f"{index.ntotal} vectors but {len(rows)} row ids")
        self._index = index
        self._rows = rows
        self._last_scan: tuple[bytes, np.ndarray] | None = None

    @classmethod
    def create(cls, dim: int, expected: int = 0) -> FaissVectorIndex:
        return cls(_new_index(dim, expected), RowMap())

    @property
    def size(self) -> int:
        return self._rows.live

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @property
    def structure(self) -> str:
        return "IndexHNSWFlat(IP)" if isinstance(self._index, faiss.IndexHNSWFlat) else "IndexFlatIP"

    def _is_hnsw(self) -> bool:
        return isinstance(self._index, faiss.IndexHNSWFlat)

    def add(self, ids: Sequence[str], docs: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(vectors) != len(ids):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        _check(vectors, self.dim)
        self._rows.add(list(ids), list(docs))
        self._index.add(vectors)
        if not self._is_hnsw() and self._index.ntotal > HNSW_THRESHOLD:
            self._rebuild()

    def remove(self, ids: Iterable[str]) -> int:
        removed = self._rows.remove(ids)
        if removed and (
            not self._is_hnsw() or 1 - self._rows.live / max(len(self._rows), 1) > MAX_DEAD_FRACTION
        ):
            self._rebuild()
        return len(removed)

    def _rebuild(self) -> None:
        rows, keep = self._rows.compacted()
        vectors = _all_vectors(self._index)[keep]
        index = _new_index(self.dim, len(vectors))
        if len(vectors):
            index.add(vectors)
        self._index, self._rows = index, rows

    def _allowed(self, where: DocFilter | None) -> np.ndarray | None:
        dead = len(self._rows) != self._rows.live
        if where is None:
            return self._rows.live_mask() if dead else None
        return where.mask_for(self, self._rows.doc_mask)

    def search(
        self, query: np.ndarray, k: int, where: DocFilter | None = None
    ) -> tuple[list[str], np.ndarray]:
        """Ids and scores of the k nearest clauses, among the documents ``where`` allows."""
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        mask = self._allowed(where)
        k = min(k, self.size if mask is None else int(mask.sum()))
        if k <= 0:
            return [], np.zeros(0, np.float32)
        if mask is not None:
            bits = np.packbits(mask.astype(np.uint8), bitorder="little")
            selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(64, k))
                if self._is_hnsw()
                else faiss.SearchParameters(sel=selector)
            )
            scores, rows = self._index.search(q, k, params=params)
            del bits  # keep the bitmap alive until the search has run
        else:
            if self._is_hnsw():
                self._index.hnsw.efSearch = max(64, k)
            scores, rows = self._index.search(q, k)
        keep = rows[0] >= 0
        return [self._rows.ids[r] for r in rows[0][keep]], scores[0][keep]

    def _stored(self) -> np.ndarray:
        """A read-only view of the stored vectors (no copy): flat storage of either structure."""
        flat = faiss.downcast_index(self._index.storage) if self._is_hnsw() else self._index
        n = flat.ntotal
        if n == 0:
            return np.zeros((0, self.dim), np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim)

    def search_groups(
        self, query: np.ndarray, k: int, groups: Sequence[DocFilter], where: DocFilter | None = None
    ) -> list[list[str]]:
        """Exact top ``k`` per group from one scan of every stored vector (HNSW included: a filtered graph
        search over a small jurisdiction misses clauses, and a scan of 155 k vectors takes ~20 ms)."""
        q = np.asarray(query, dtype=np.float32).ravel()
        scores = self._stored() @ q
        self._last_scan = (q.tobytes(), scores)  # scores_for of this query's candidates reads it
        allowed = self._allowed(where)
        per = top_per_group(scores, k, groups, self, self._rows.doc_mask, allowed)
        live = self._rows.live_mask()
        return [[self._rows.ids[r] for r in rows if live[r]] for rows in per]  # type: ignore[misc]

    def vectors_for(self, ids: Sequence[str]) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_batch(self._rows.rows(ids))

    def scores_for(self, query: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        """Exact inner products of the query with the stored vectors of ``ids`` (from the last full scan
        when it was of this query: a comparison scores ~3000 candidates it has just scanned)."""
        q = np.asarray(query, dtype=np.float32)
        last = self._last_scan
        if last is not None and last[0] == q.ravel().tobytes():
            return last[1][self._rows.rows(ids)]
        return self.vectors_for(ids) @ q

    def check(self, dim: int) -> None:
        """Raise :class:`VectorCheckError` unless every stored vector has ``dim`` finite components."""
        if self.dim != dim:
            raise VectorCheckError(f"vectors have {self.dim} dimensions, the embedder gives {dim}")
        _check(_all_vectors(self._index), dim)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(directory / VECTORS_FILE))
        self._rows.save(directory)

    @classmethod
    def open(cls, directory: Path) -> FaissVectorIndex:
        return cls(faiss.read_index(str(directory / VECTORS_FILE)), RowMap.load(directory))


def _check(vectors: np.ndarray, dim: int) -> None:
    if vectors.ndim != 2 or (len(vectors) and vectors.shape[1] != dim):
        raise VectorCheckError(f"vectors of shape {vectors.shape}, expected (n, {dim})")
    bad = ~np.isfinite(vectors).all(axis=1)
    if bad.any():
        raise VectorCheckError(
            f"{int(bad.sum())} vectors are not finite (NaN or infinity), e.g. row {int(np.flatnonzero(bad)[0])}"
        )
