"""BM25 over the Chinese tokenizer (bm25s, saved as a directory of arrays + JSON)."""

from __future__ import annotations

import logging
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
        """BM25 score of every clause; ``weights`` scales individual query terms (synonym expansion)."""
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        if not weights:
            return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        total = np.zeros(self.size, dtype=np.float32)
        for tok in dict.fromkeys(tokens):
            w = weights.get(tok, 1.0)
            total += w * np.asarray(self._bm25.get_scores([tok]) * tokens.count(tok), dtype=np.float32)
        return total
