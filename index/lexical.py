"""BM25 over the Chinese tokenizer (bm25s, saved as a directory of arrays + JSON)."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import bm25s
import numpy as np


class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25, size: int) -> None:
        self._bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, tokenized: list[list[str]], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
        bm25 = bm25s.BM25(k1=k1, b=b)
        # an empty token list would drop the row; a placeholder keeps row i ↔ clause i
        bm25.index([toks or ["\u0000"] for toks in tokenized], show_progress=False)
        return cls(bm25, len(tokenized))

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory))

    @classmethod
    def load(cls, directory: Path, size: int) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(directory)), size)

    def scores(self, tokens: list[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 score of every clause; ``weights`` scales individual query terms (synonym expansion).

        Sums the precomputed per-term columns of the index in one ``bincount`` (a repeated query term counts
        as often as it occurs), instead of one pass over all clauses per term.
        """
        weights = weights or {}
        bm25 = self._bm25  # built with the Lucene variant: absent terms score 0
        data, indices, indptr = bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"]
        rows, values = [], []
        for tok, n in Counter(tokens).items():
            i = bm25.vocab_dict.get(tok)
            if i is None:
                continue
            lo, hi = int(indptr[i]), int(indptr[i + 1])
            rows.append(indices[lo:hi])
            values.append(data[lo:hi].astype(np.float64) * (n * weights.get(tok, 1.0)))
        if not rows:
            return np.zeros(self.size, dtype=np.float32)
        summed = np.bincount(np.concatenate(rows), weights=np.concatenate(values), minlength=self.size)
        return summed.astype(np.float32)
