"""The FAISS vector index, keyed by clause id: exact inner product (IndexFlatIP) up to the ANN threshold
(``Settings.ann_threshold``), an inverted-file index (IndexIVFFlat) above it.

Filters are applied inside the search (an ID selector over the rows of the allowed documents), before the
top-k cut, so a filter never hides hits that exist. Removing clauses from a flat index rebuilds it (a
copy of the kept vectors); from an IVF (or an HNSW index written by earlier versions) removed rows become
tombstones that every search excludes, and the index is rebuilt once a fifth of it is dead.

**Why IVF, not HNSW, above the threshold.** Every search asks for each jurisdiction's nearest clauses
(:meth:`FaissVectorIndex.search_groups`); a graph answers one nearest-neighbour list, and a filtered graph
search per small jurisdiction misses clauses and costs a walk each. The probed inverted lists of an IVF
are a set of rows scored exactly, which every group's list is read from in one pass: the cost is the
probed share of the vectors (``nprobe / nlist``), not all of them, and a jurisdiction's list is its
nearest clauses among the probed ones. Recall against exact search is measured by
``scripts/benchmark_million.py recall`` (BENCHMARKS.md, "Scale").
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from config.settings import default_of
from index.protocols import DocFilter, top_per_group
from index.rowmap import RowMap, unique_rows

VECTORS_FILE = "vectors.faiss"
ANN_FILE = "ann.json"  # the ANN settings the index was built with (absent: flat, today's defaults)
MAX_DEAD_FRACTION = 0.2
TRAIN_POINTS_PER_LIST = 64  # k-means reads this many sampled vectors per list (faiss warns under 39)
NO_FLOOR = float(-np.finfo(np.float32).max)  # a range search that keeps every row it reads
RETRAIN_GROWTH = 4  # an IVF grown to this many times the vectors it was trained on is trained again


@dataclass
class AnnOptions:
    """When the vector index stops being exact, and how much of it an approximate search reads.

    ``threshold``: an index of more vectors than this is an IVF (0: always exact); ``nprobe``: inverted
    lists read per query, of about ``2·√n`` (``nprobe`` ≥ the list count reads all: exact)."""

    threshold: int = field(default_factory=lambda: default_of("ann_threshold"))
    nprobe: int = field(default_factory=lambda: default_of("ann_nprobe"))
    trained_on: int = 0  # vectors the IVF's lists were trained on (0: not an IVF)

    def wants_ann(self, n: int) -> bool:
        return self.threshold > 0 and n > self.threshold


class VectorCheckError(ValueError):
    """Stored vectors of the wrong dimension, or not finite."""


def nlist_for(n: int) -> int:
    """Inverted lists for ``n`` vectors: the power of two nearest 2·√n (2,048 at a million)."""
    return max(16, 2 ** round(math.log2(2 * math.sqrt(max(n, 1)))))


def _ivf(vectors: np.ndarray, ann: AnnOptions) -> faiss.Index:
    """An IVF over ``vectors`` (trained on a fixed sample of them: the same vectors give the same lists)."""
    n, dim = vectors.shape
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist_for(n), faiss.METRIC_INNER_PRODUCT)
    index.cp.max_points_per_centroid = TRAIN_POINTS_PER_LIST
    index.cp.seed = 1234
    index.train(vectors)
    index.make_direct_map()  # vectors_for / scores_for read a row's vector by its number
    for start in range(0, n, 100_000):
        index.add(vectors[start : start + 100_000])
    index.nprobe = ann.nprobe
    ann.trained_on = n
    return index


def _flat_storage(index: faiss.Index) -> faiss.Index | None:
    """The flat storage of a flat or HNSW index (rows in order), None for an IVF."""
    if isinstance(index, faiss.IndexHNSWFlat):
        return faiss.downcast_index(index.storage)
    return index if isinstance(index, faiss.IndexFlat) else None


class FaissVectorIndex:
    kind = "faiss"

    def __init__(self, index: faiss.Index, rows: RowMap, ann: AnnOptions | None = None) -> None:
        if index.ntotal != len(rows):
            raise ValueError(f"{index.ntotal} vectors but {len(rows)} row ids")
        self._index = index
        self._rows = rows
        self.ann = ann or AnnOptions()
        self._scans: tuple[tuple[bytes, np.ndarray], ...] = ()
        self._group_codes: list[tuple[tuple[DocFilter, ...], np.ndarray | None]] = []

    @classmethod
    def create(cls, dim: int, expected: int = 0, ann: AnnOptions | None = None) -> FaissVectorIndex:
        """An empty index; it becomes an IVF when it grows past ``ann.threshold``."""
        return cls(faiss.IndexFlatIP(dim), RowMap(), ann)

    @property
    def size(self) -> int:
        return self._rows.live

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @property
    def structure(self) -> str:
        if self._is_ivf():
            return f"IndexIVFFlat(IP, nlist={self._index.nlist}, nprobe={self.nprobe})"
        return "IndexHNSWFlat(IP)" if isinstance(self._index, faiss.IndexHNSWFlat) else "IndexFlatIP"

    @property
    def nprobe(self) -> int:
        return int(self._index.nprobe) if self._is_ivf() else 0

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        """Lists read per search of an IVF (its list count or more: every list, an exact search)."""
        self.ann.nprobe = int(value)
        if self._is_ivf():
            self._index.nprobe = min(int(value), int(self._index.nlist))
            self._scans = ()  # read with the other setting

    def _is_hnsw(self) -> bool:
        return isinstance(self._index, faiss.IndexHNSWFlat)

    def _is_ivf(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    def _tombstones(self) -> bool:
        return self._is_hnsw() or self._is_ivf()

    def add(self, ids: Sequence[str], docs: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(vectors) != len(ids):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        _check(vectors, self.dim)
        self._rows.add(list(ids), list(docs))
        total = self._index.ntotal + len(vectors)
        if self._index.ntotal == 0 and self.ann.wants_ann(total):
            self._index = _ivf(vectors, self.ann)  # a full build: trained on its own vectors, no copy
        elif not self._is_ivf() and self.ann.wants_ann(total):
            self._index.add(vectors)
            self._rebuild()
        elif self._is_ivf() and total > RETRAIN_GROWTH * max(self.ann.trained_on, 1):
            self._index.add(vectors)
            self._rebuild()  # its lists were drawn for far fewer vectors: each would be read whole
        else:
            self._index.add(vectors)
        self._changed()

    def remove(self, ids: Iterable[str]) -> int:
        removed = self._rows.remove(ids)
        if removed and (
            not self._tombstones() or 1 - self._rows.live / max(len(self._rows), 1) > MAX_DEAD_FRACTION
        ):
            self._rebuild()
        self._changed()
        return len(removed)

    def _changed(self) -> None:
        self._scans = ()
        self._group_codes = []

    def _rebuild(self) -> None:
        rows, keep = self._rows.compacted()
        stored = self._stored()
        vectors = stored[keep] if stored is not None else self._index.reconstruct_batch(keep)
        if self.ann.wants_ann(len(vectors)):
            index = _ivf(vectors, self.ann)
        else:
            index = faiss.IndexFlatIP(self.dim)
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
        """Ids and scores of the k nearest clauses, among the documents ``where`` allows (an IVF: among
        the clauses of the ``nprobe`` lists nearest the query)."""
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        mask = self._allowed(where)
        k = min(k, self.size if mask is None else int(mask.sum()))
        if k <= 0:
            return [], np.zeros(0, np.float32)
        scan = self._scan_of(q)
        if scan is not None:  # this query's scan has just been read (search_groups): no second pass
            return self._top_of_scan(scan, k, mask)
        bits = selector = None
        if mask is not None:
            bits = np.packbits(mask.astype(np.uint8), bitorder="little")
            selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        if self._is_ivf():
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
        elif self._is_hnsw():
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(64, k))
        else:
            params = faiss.SearchParameters(sel=selector)
        scores, rows = self._index.search(q, k, params=params)
        del bits  # keep the bitmap alive until the search has run
        keep = rows[0] >= 0
        return self._rows.ids_at(rows[0][keep]), scores[0][keep]

    def _top_of_scan(
        self, scores: np.ndarray, k: int, mask: np.ndarray | None
    ) -> tuple[list[str], np.ndarray]:
        """The k best rows of a remembered scan (NaN: a row an IVF did not read), allowed ones only; ties
        by row, as FAISS orders them."""
        ok = ~np.isnan(scores) if mask is None else mask & ~np.isnan(scores)
        rows = np.flatnonzero(ok)
        if len(rows) > k:
            rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        rows = rows[np.lexsort((rows, -scores[rows]))]
        return self._rows.ids_at(rows), scores[rows].astype(np.float32)

    def _stored(self) -> np.ndarray | None:
        """A read-only view of the stored vectors in row order (no copy); None for an IVF."""
        flat = _flat_storage(self._index)
        if flat is None:
            return None
        n = flat.ntotal
        if n == 0:
            return np.zeros((0, self.dim), np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim)

    def _lists(self) -> Iterable[tuple[np.ndarray, np.ndarray]]:
        """(row numbers, vectors) of each non-empty inverted list of an IVF, as views (no copy)."""
        invlists = self._index.invlists
        for i in range(self._index.nlist):
            size = invlists.list_size(i)
            if size:
                yield _list_view(invlists, i, size, self.dim)

    def _probe(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the ``nprobe`` lists nearest ``q`` and their exact scores, in no particular order:
        FAISS's range search with no floor, which scans the lists in C++ (~30 % faster than a product per
        list here, and the same scores)."""
        params = faiss.SearchParametersIVF(nprobe=self._index.nprobe)
        lims, scores, rows = self._index.range_search(q.reshape(1, -1), NO_FLOOR, params=params)
        return rows[: lims[1]].astype(np.int64, copy=False), scores[: lims[1]]

    def prepare(self, queries: Sequence[np.ndarray]) -> None:
        """Scan for two queries at once (a search asks with the adapted query on laws and the plain one on
        the rest): a flat index's vectors are read once for both, which is what a scan costs, and the
        searches with these queries that follow read the scan. An IVF reads each query's own lists (the
        two queries' lists overlap little: reading their union for both cost more than two scans)."""
        stored = self._stored()
        if stored is None or len(queries) != 2:
            return
        qs = np.vstack([np.asarray(q, dtype=np.float32).ravel() for q in queries])
        if qs.shape[1] != self.dim:
            return
        both = stored @ qs.T
        for j in range(len(qs)):
            self._remember(qs[j], np.ascontiguousarray(both[:, j]), None)

    def search_groups(
        self, query: np.ndarray, k: int, groups: Sequence[DocFilter], where: DocFilter | None = None
    ) -> list[list[str]]:
        """The top ``k`` per group: exact from one scan of every stored vector (flat and HNSW indexes: a
        filtered graph search over a small jurisdiction misses clauses, and a scan of 155 k vectors takes
        ~20 ms); from the probed lists of an IVF, each group's nearest among them."""
        return [self._rows.ids_at(rows) for rows in self._group_rows(query, k, groups, where)]

    def search_groups_merged(
        self, query: np.ndarray, k: int, groups: Sequence[DocFilter], where: DocFilter | None = None
    ) -> Sequence[str]:
        """Every clause of :meth:`search_groups` once, in the index's order (what a candidate pool asks
        for: one list, not one per jurisdiction)."""
        per = self._group_rows(query, k, groups, where)
        return self._rows.held(unique_rows(*per))

    def _group_rows(
        self, query: np.ndarray, k: int, groups: Sequence[DocFilter], where: DocFilter | None
    ) -> list[np.ndarray]:
        q = np.asarray(query, dtype=np.float32).ravel()
        allowed = self._allowed(where)
        live = self._rows.live_mask()
        stored = self._stored()
        if stored is not None:
            scores = self._scan_of(q)  # prepare() may have scanned for this query already
            if scores is None:
                scores = stored @ q
                self._remember(q, scores, None)  # scores_for of this query's candidates reads it
            per = top_per_group(scores, k, groups, self, self._rows.doc_mask, allowed)
        else:
            rows, scores = self._probe(q)
            self._remember(q, scores, rows)
            if allowed is not None:
                rows, scores = rows[allowed[rows]], scores[allowed[rows]]
            per = self._top_per_group_among(rows, scores, k, groups)
        return [rows[live[rows]] for rows in per]

    def _codes(self, groups: Sequence[DocFilter]) -> np.ndarray | None:
        """Each row's group number (-1: none), kept for the last few group lists; None if groups overlap."""
        key = tuple(groups)
        for got_key, codes in self._group_codes:
            if len(got_key) == len(key) and all(a is b for a, b in zip(got_key, key)):
                return codes
        codes = np.full(len(self._rows), -1, np.int32)
        covered = 0
        for g, f in enumerate(groups):
            rows = f.rows_for(self, self._rows.doc_mask)
            codes[rows] = g
            covered += len(rows)
        got: np.ndarray | None = codes if covered == int((codes >= 0).sum()) else None
        self._group_codes = [(key, got), *self._group_codes[:3]]
        return got

    def _top_per_group_among(
        self, rows: np.ndarray, scores: np.ndarray, k: int, groups: Sequence[DocFilter]
    ) -> list[np.ndarray]:
        """For each group, its ``k`` best of the given (probed) rows."""
        codes = self._codes(groups)
        if codes is None:  # overlapping groups: one pass per group
            out = []
            for g in groups:
                mine = g.mask_for(self, self._rows.doc_mask)[rows]
                r, s = rows[mine], scores[mine]
                out.append(r[np.argsort(-s, kind="stable")[:k]])
            return out
        c = codes[rows]
        inside = c >= 0
        rows, scores, c = rows[inside], scores[inside], c[inside]
        if not len(rows):
            return [rows] * len(groups)
        # by group, then best first: one sort of one key (a two-key lexsort took four times as long);
        # rows of one group with equal scores come in no fixed order, as argpartition leaves them
        span = float(scores.max() - scores.min()) + 1.0
        order = np.argsort(c * span - scores.astype(np.float64))
        c = c[order]
        starts = np.searchsorted(c, np.arange(len(groups)), "left")
        ends = np.searchsorted(c, np.arange(len(groups)), "right")
        ranked = rows[order]
        return [ranked[a : min(b, a + k)] for a, b in zip(starts, ends)]

    def vectors_for(self, ids: Sequence[str]) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._rows.rows(ids)
        stored = self._stored()
        return stored[rows] if stored is not None else self._index.reconstruct_batch(rows)

    def scores_for(self, query: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        """Exact inner products of the query with the stored vectors of ``ids`` (from one of the last
        scans when it was of this query: a search scores the candidates it has just scanned; of an IVF,
        the rows outside its probed lists are read one by one)."""
        q = np.asarray(query, dtype=np.float32).ravel()
        scan = self._scan_of(q)
        if scan is None:
            return self.vectors_for(ids) @ q
        rows = self._rows.rows(ids)
        out = scan[rows]
        missing = np.flatnonzero(np.isnan(out))
        if len(missing):
            out[missing] = self._index.reconstruct_batch(rows[missing]) @ q
        return out

    def _scan_of(self, q: np.ndarray) -> np.ndarray | None:
        """This query's remembered scores by row (:meth:`_remember`), or None."""
        key = q.tobytes()
        return next((scores for k, scores in self._scans if k == key), None)

    def _remember(self, q: np.ndarray, scores: np.ndarray, rows: np.ndarray | None) -> None:
        """Keep this query's scores by row (NaN: not scanned) beside the previous query's: a search scans
        twice (law clauses with the adapted query, the rest with the plain one)."""
        if rows is not None:
            full = np.full(len(self._rows), np.nan, np.float32)
            full[rows] = scores
            scores = full
        self._scans = ((q.tobytes(), scores), *self._scans[:1])

    def check(self, dim: int) -> None:
        """Raise :class:`VectorCheckError` unless every stored vector has ``dim`` finite components."""
        if self.dim != dim:
            raise VectorCheckError(f"vectors have {self.dim} dimensions, the embedder gives {dim}")
        stored = self._stored()
        if stored is not None:
            _check(stored, dim)
            return
        for _, vectors in self._lists():
            _check(vectors, dim)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(directory / VECTORS_FILE))
        self._rows.save(directory)
        ann = {"threshold": self.ann.threshold, "nprobe": self.ann.nprobe, "trained_on": self.ann.trained_on}
        (directory / ANN_FILE).write_text(json.dumps(ann), encoding="utf-8")

    @classmethod
    def open(cls, directory: Path, nprobe: int | None = None, rows: RowMap | None = None) -> FaissVectorIndex:
        """The saved index; ``nprobe`` overrides the lists an IVF reads per search; ``rows``: its row map
        when the caller has read the same one already."""
        ann = AnnOptions()
        if (directory / ANN_FILE).exists():
            saved = json.loads((directory / ANN_FILE).read_text(encoding="utf-8"))
            ann = AnnOptions(int(saved["threshold"]), int(saved["nprobe"]), int(saved.get("trained_on", 0)))
        rows = rows if rows is not None else RowMap.load(directory)
        index = cls(faiss.read_index(str(directory / VECTORS_FILE)), rows, ann)
        if index._is_ivf():
            index.nprobe = nprobe or ann.nprobe
        return index


def _list_view(invlists: faiss.InvertedLists, i: int, size: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    ids = faiss.rev_swig_ptr(invlists.get_ids(i), size)
    codes = faiss.rev_swig_ptr(invlists.get_codes(i), size * dim * 4)
    return ids, codes.view(np.float32).reshape(size, dim)


def _check(vectors: np.ndarray, dim: int) -> None:
    if vectors.ndim != 2 or (len(vectors) and vectors.shape[1] != dim):
        raise VectorCheckError(f"vectors of shape {vectors.shape}, expected (n, {dim})")
    bad = ~np.isfinite(vectors).all(axis=1)
    if bad.any():
        raise VectorCheckError(
            f"{int(bad.sum())} vectors are not finite (NaN or infinity), e.g. row {int(np.flatnonzero(bad)[0])}"
        )
