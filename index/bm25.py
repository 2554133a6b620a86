"""BM25 (Lucene variant, as bm25s computes it) over a term-frequency matrix keyed by clause id.

Stored are the raw counts, not scores: IDF and length normalisation are computed when the index is
opened, over the whole collection, so an index grown by ``add``/``remove`` scores exactly like one built
in one go. ``tests/test_index.py`` checks the scores against bm25s, the reference implementation.

    idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))
    score(t, d) = idf(t) · tf / (tf + k1 · (1 − b + b · |d| / avg|d|))
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from index.protocols import DocFilter, top_per_group
from index.rowmap import RowMap, unique_rows

TF_FILE = "tf.npz"
VOCAB_FILE = "vocab.json"
PARAMS_FILE = "bm25.json"


def bm25_idf(df: np.ndarray, n: int) -> np.ndarray:
    """Lucene's IDF, the one formula both lexical backends use: ln(1 + (N − df + 0.5) / (df + 0.5))."""
    return np.log(1 + (n - df + 0.5) / (df + 0.5))


class BM25Scores:
    """One query's scores over the live clauses, computed once; read the top or any candidates from it."""

    def __init__(self, scores: np.ndarray, rows: RowMap, allowed: np.ndarray | None, owner: object) -> None:
        self._scores = scores if allowed is None else np.where(allowed, scores, 0.0)
        self._rows = rows
        self._owner = owner

    def top(self, k: int) -> tuple[list[str], np.ndarray]:
        pos = np.flatnonzero(self._scores > 0)
        if len(pos) > k:
            pos = pos[np.argpartition(-self._scores[pos], k - 1)[:k]]
        return self._rows.ids_at(pos), self._scores[pos].astype(np.float32)

    def scores_for(self, ids: Sequence[str]) -> np.ndarray:
        return self._scores[self._rows.rows(ids)].astype(np.float32)

    def _group_rows(self, k: int, groups: Sequence[DocFilter]) -> list[np.ndarray]:
        per = top_per_group(self._scores, k, groups, self._owner, self._rows.doc_mask, None)
        return [rows[self._scores[rows] > 0] for rows in per]

    def top_groups(self, k: int, groups: Sequence[DocFilter]) -> list[list[str]]:
        return [self._rows.ids_at(rows) for rows in self._group_rows(k, groups)]

    def top_groups_merged(self, k: int, groups: Sequence[DocFilter]) -> Sequence[str]:
        """Every clause of :meth:`top_groups` once, in the index's order (what a candidate pool asks for:
        one list, not one per jurisdiction)."""
        return self._rows.held(_merged(self._group_rows(k, groups)))

    # -- composition row by row (search.retrieval composes by id for backends that cannot) ----------
    def composes_with(self, other: object) -> bool:
        """Whether ``other`` scores the same rows of the same index (then :meth:`split` and
        :meth:`plus_best_of` combine them as arrays, not per clause id)."""
        return (
            isinstance(other, BM25Scores)
            and other._owner is self._owner
            and len(other._scores) == len(self._scores)
        )

    def split(self, law: BM25Scores, laws: DocFilter) -> BM25Scores:
        """These scores on the clauses of other documents, ``law``'s on the clauses of ``laws``' documents
        (the STARD term model scores statutes only: ``search.retrieval.SplitScores`` says why)."""
        mask = laws.mask_for(self._owner, self._rows.doc_mask)
        return BM25Scores(np.where(mask, law._scores, self._scores), self._rows, None, self._owner)

    def plus_best_of(self, concepts: Sequence[Sequence[BM25Scores]]) -> BM25Scores:
        """These scores plus, for each concept, the best of its forms' scores on each clause
        (``search.retrieval.ConceptScores``: 民营医院 / 社会办医 count once, at their best)."""
        out = self._scores.copy()
        for forms in concepts:
            if forms:
                out += np.maximum.reduce([f._scores for f in forms])
        return BM25Scores(out, self._rows, None, self._owner)


def _merged(lists: list[np.ndarray]) -> np.ndarray:
    return unique_rows(*lists)


class BM25Index:
    kind = "bm25"
    per_term_queries = True  # a one-term query is cheap and scores every clause (concept grouping)

    def __init__(
        self, tf: sp.csr_matrix, vocab: list[str], rows: RowMap, k1: float = 1.2, b: float = 0.75
    ) -> None:
        self._counts = tf.tocsr()
        self._pending: list[sp.csr_matrix] = []  # blocks added since the matrix was last put together
        self._vocab = vocab
        self._term = {t: i for i, t in enumerate(vocab)}
        self._rows = rows
        self.k1, self.b = k1, b
        self._csc: sp.csc_matrix | None = None
        # each clause's length counted through a term weighting (grouped_scores), per weighting object
        self._weighted: dict[int, tuple[object, np.ndarray, float]] = {}

    @classmethod
    def create(cls, k1: float = 1.2, b: float = 0.75) -> BM25Index:
        return cls(sp.csr_matrix((0, 0), dtype=np.int32), [], RowMap(), k1, b)

    @property
    def size(self) -> int:
        return self._rows.live

    @property
    def _tf(self) -> sp.csr_matrix:
        """The term counts, one row per clause row: the blocks of a build are stacked once, when read."""
        if self._pending:
            width = len(self._vocab)
            blocks = [self._counts, *self._pending]
            for m in blocks:
                m.resize((m.shape[0], width))
            self._counts = sp.vstack(blocks, format="csr", dtype=np.int32)
            self._pending = []
        return self._counts

    def add(self, ids: Sequence[str], docs: Sequence[str], tokens: Sequence[list[str]]) -> None:
        if len(ids) != len(tokens):
            raise ValueError(f"{len(ids)} ids for {len(tokens)} token lists")
        indptr, cols, data = [0], [], []
        for toks in tokens:
            for t, n in Counter(toks).items():
                cols.append(self._term.setdefault(t, len(self._term)))
                data.append(n)
            indptr.append(len(cols))
        self._vocab.extend(list(self._term)[len(self._vocab) :])
        width = len(self._vocab)
        new = sp.csr_matrix(
            (np.asarray(data, np.int32), np.asarray(cols, np.int64), np.asarray(indptr, np.int64)),
            shape=(len(tokens), width),
        )
        self._rows.add(list(ids), list(docs))
        self._pending.append(new)
        self._csc = None
        self._weighted = {}

    def remove(self, ids: Iterable[str]) -> int:
        removed = self._rows.remove(ids)
        if removed:
            rows, keep = self._rows.compacted()
            self._counts, self._rows = self._tf[keep], rows
            self._csc = None
            self._weighted = {}
        return len(removed)

    def _scores_matrix(self) -> sp.csc_matrix:
        """Per-(clause, term) BM25 scores, column-major, from the counts (computed once per open).

        Computed on the row-major counts and turned column-major once, at the end: at 10⁶ clauses
        (55 M counts) 1.2 s, where converting first and scaling the column-major copy took 4–7 s."""
        if self._csc is None:
            tf = self._tf
            n = tf.shape[0]
            per_row = np.diff(tf.indptr)
            counts = tf.data.astype(np.float64)
            # each row's length (its token count); the 0 appended lets an empty last row start past the end
            lengths = np.add.reduceat(np.append(counts, 0.0), tf.indptr[:-1]) if n else np.zeros(0)
            lengths[per_row == 0] = 0.0
            avg = lengths.mean() if n else 1.0
            df = np.bincount(tf.indices, minlength=tf.shape[1])
            idf = bm25_idf(df, n)
            norm = self.k1 * ((1 - self.b) + self.b * lengths / max(avg, 1e-9))
            scores = idf[tf.indices] * counts / (counts + np.repeat(norm, per_row))
            self._csc = sp.csr_matrix((scores, tf.indices, tf.indptr), shape=tf.shape).tocsc()
        return self._csc

    def query(
        self, tokens: list[str], weights: dict[str, float] | None = None, where: DocFilter | None = None
    ) -> BM25Scores:
        """Scores of every clause; ``weights`` scales individual query terms (synonym expansion).

        A repeated query term counts as often as it occurs; the per-term columns are summed in one
        ``bincount`` instead of one pass over all clauses per term.
        """
        weights = weights or {}
        m = self._scores_matrix()
        rows, values = [], []
        for tok, n in Counter(tokens).items():
            i = self._term.get(tok)
            if i is None:
                continue
            lo, hi = int(m.indptr[i]), int(m.indptr[i + 1])
            rows.append(m.indices[lo:hi])
            values.append(m.data[lo:hi] * (n * weights.get(tok, 1.0)))
        size = len(self._rows)
        if rows:
            scores = np.bincount(np.concatenate(rows), weights=np.concatenate(values), minlength=size)
        else:
            scores = np.zeros(size, dtype=np.float64)
        allowed = None if where is None else where.mask_for(self, self._rows.doc_mask)
        return BM25Scores(scores, self._rows, allowed, self)

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """Each token's IDF over the live clauses; 0 for a token no clause contains (it scores nothing)."""
        dfs = np.diff(self._scores_matrix().indptr)
        n = len(self._rows)
        df = np.array([dfs[self._term[t]] if t in self._term else 0 for t in tokens], np.float64)
        return np.where(df > 0, bm25_idf(df, n), 0.0)

    def grouped_scores(
        self,
        groups: Sequence[Sequence[str]],
        ids: Sequence[str],
        term_length: Mapping[str, float],
        k1: float = 1.5,
        b: float = 0.75,
    ) -> np.ndarray:
        """BM25 of ``ids`` (float64, one per id) for a query whose terms are groups of index terms, each group
        counted as one term (a structured query: an English word and every Chinese word whose gloss holds
        it): a group's count in a clause is the sum of its members' counts, its document frequency the
        clauses holding any member, and a clause's length the sum of its counts weighted by
        ``term_length`` (0 for a term it lacks: a clause's length in gloss words). Members the index never
        saw are skipped; a group with none scores nothing. Unknown ids raise KeyError; ``k1`` not above 0, ``b``
        outside 0–1, a negative or non-finite length, or a group given as one string raise ValueError."""
        if not (math.isfinite(k1) and k1 > 0 and math.isfinite(b) and 0 <= b <= 1):
            raise ValueError(f"grouped_scores: k1 {k1} must be > 0 and b {b} within 0–1")
        if isinstance(groups, str) or any(isinstance(g, str) for g in groups):
            raise ValueError("grouped_scores: each group is a sequence of terms, not one string")
        out = np.zeros(len(ids), np.float64)
        if not len(ids):
            return out
        lengths, avg = self._weighted_lengths(term_length)
        rows = self._rows.rows(ids)
        counts = self._tf[rows]
        m, n = self._scores_matrix(), len(self._rows)
        norm = k1 * ((1 - b) + b * lengths[rows] / max(avg, 1e-9))
        for group in groups:
            cols = sorted({c for t in group if (c := self._term.get(t)) is not None})
            if not cols:
                continue
            held = np.unique(np.concatenate([m.indices[m.indptr[c] : m.indptr[c + 1]] for c in cols]))
            if not len(held):
                continue
            tf = np.asarray(counts[:, cols].sum(axis=1), np.float64).ravel()
            out += bm25_idf(np.array([float(len(held))]), n)[0] * tf / (tf + norm)
        return out

    def _weighted_lengths(self, term_length: Mapping[str, float]) -> tuple[np.ndarray, float]:
        """Each row's Σ count × term_length[term], and their mean, computed once per weighting and open."""
        got = self._weighted.get(id(term_length))
        if got is None or got[0] is not term_length:
            weights = np.array([float(term_length.get(t, 0.0)) for t in self._vocab], np.float64)
            if not np.isfinite(weights).all() or (weights < 0).any():
                raise ValueError("grouped_scores: term lengths must be finite and not negative")
            tf = self._tf
            lengths = tf @ weights[: tf.shape[1]] if tf.shape[0] else np.zeros(0)
            got = (
                term_length,
                np.asarray(lengths, np.float64),
                float(lengths.mean()) if len(lengths) else 1.0,
            )
            self._weighted[id(term_length)] = got
        return got[1], got[2]

    def coverage(self, tokens: list[str], ids: Sequence[str]) -> np.ndarray:
        """The share of the query's IDF mass each clause contains (each distinct term once): 1.0 when every
        word of "民营医院 医保 定点" occurs, 0 when none does; a word the index never saw counts as rarest."""
        terms = list(dict.fromkeys(tokens))
        if not terms or not len(ids):
            return np.zeros(len(ids), np.float32)
        n = len(self._rows)
        cols = [self._term.get(t) for t in terms]
        dfs = np.diff(self._scores_matrix().indptr)
        df = np.array([0 if c is None else dfs[c] for c in cols], np.float64)
        idf = bm25_idf(df, n)
        known = [i for i, c in enumerate(cols) if c is not None]
        if not known:
            return np.zeros(len(ids), np.float32)
        present = self.presence([terms[i] for i in known], ids).astype(np.float64)
        return (present @ idf[known] / idf.sum()).astype(np.float32)

    def ordered(self, lists: Iterable[Sequence[str]]) -> list[str]:
        """Every clause id of ``lists`` once, in this index's fixed order; the ids it (or an index sharing
        its row map) returned are merged as rows, not looked up one by one. Unknown ids raise KeyError."""
        return self._rows.union(lists)

    def with_parts(self, ids: Sequence[str]) -> list[str]:
        """``ids`` and the other parts of the split clauses among them, each once, in this index's order
        (``index.rowmap.SplitClauses``: a search at 10⁶ clauses holds thousands of split clauses)."""
        return self._rows.with_parts(ids)

    def part_groups(self, ids: Sequence[str]) -> np.ndarray:
        """A number per id shared by the parts of one split clause, -1 for a clause not split."""
        return self._rows.part_groups(ids)

    def in_filter(self, ids: Sequence[str], where: DocFilter) -> np.ndarray:
        """Whether each clause's document is one ``where`` allows (bool array; unknown ids raise KeyError)."""
        if not len(ids):
            return np.zeros(0, dtype=bool)
        return where.mask_for(self, self._rows.doc_mask)[self._rows.rows(ids)]

    @property
    def vocabulary(self) -> Sequence[str]:
        """Every term the index holds (live or not)."""
        return self._vocab

    def presence(self, tokens: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        """(len(ids), len(tokens)) booleans: whether each clause holds each token (one the index never saw:
        no clause). ``search.relevance`` reads it; other backends answer through ``coverage``."""
        out = np.zeros((len(ids), len(tokens)), bool)
        cols = [self._term.get(t) for t in tokens]
        if not len(ids) or all(c is None for c in cols):
            return out
        # from each term's column of clauses (the score matrix holds an entry wherever a count does):
        # slicing tens of thousands of candidates' rows out of the counts cost ~15 ms at 10⁶ clauses
        m, rows = self._scores_matrix(), self._rows.rows(ids)
        holds = np.zeros(len(self._rows), bool)
        for j, c in enumerate(cols):
            if c is not None:
                column = m.indices[m.indptr[c] : m.indptr[c + 1]]
                holds[column] = True
                out[:, j] = holds[rows]
                holds[column] = False
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        sp.save_npz(directory / TF_FILE, self._tf, compressed=False)
        (directory / VOCAB_FILE).write_text(json.dumps(self._vocab, ensure_ascii=False), encoding="utf-8")
        (directory / PARAMS_FILE).write_text(json.dumps({"k1": self.k1, "b": self.b}), encoding="utf-8")
        self._rows.save(directory)

    @classmethod
    def open(cls, directory: Path, rows: RowMap | None = None) -> BM25Index:
        """The saved index; ``rows``: its row map when the caller has read the same one already."""
        params = json.loads((directory / PARAMS_FILE).read_text(encoding="utf-8"))
        vocab = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
        tf = sp.load_npz(directory / TF_FILE).tocsr()
        rows = rows if rows is not None else RowMap.load(directory)
        if tf.shape[0] != len(rows) or tf.shape[1] != len(vocab):
            raise ValueError(f"{directory}: {tf.shape} counts for {len(rows)} rows, {len(vocab)} terms")
        return cls(tf, vocab, rows, params["k1"], params["b"])

    def warm(self) -> None:
        """Compute the score matrix and the split clauses' table now (a serving open), not on the first
        query; a build never needs them."""
        self._scores_matrix()
        self._rows.splits()
