"""The FAISS vector index: exact inner product (IndexFlatIP) up to ``HNSW_THRESHOLD`` vectors, HNSW above.

Filters are applied inside the search (an ID selector), before the top-k cut, so a filter never hides
hits that exist.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

HNSW_THRESHOLD = 100_000  # exact search costs ~1 ms per 10k vectors here; HNSW ~0.5 ms at any size


class DenseIndex:
    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> str:
        return "IndexHNSWFlat(IP)" if isinstance(self._index, faiss.IndexHNSWFlat) else "IndexFlatIP"

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if len(vectors) > HNSW_THRESHOLD:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(faiss.read_index(str(path)))

    def scores_for(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products of the query with the stored vectors of ``rows``."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        vecs = self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return vecs @ np.asarray(query, dtype=np.float32)

    def search(
        self, query: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest clauses, only among rows where ``mask`` is True."""
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        params = None
        if mask is not None:
            allowed = int(mask.sum())
            if allowed == 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            k = min(k, allowed)
            bits = np.packbits(mask.astype(np.uint8), bitorder="little")
            selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(64, k))
                if self.kind.startswith("IndexHNSW")
                else faiss.SearchParameters(sel=selector)
            )
            scores, rows = self._index.search(q, k, params=params)
            del bits  # keep the bitmap alive until the search has run
        else:
            if self.kind.startswith("IndexHNSW"):
                self._index.hnsw.efSearch = max(64, k)
            scores, rows = self._index.search(q, k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep].astype(np.int64)
