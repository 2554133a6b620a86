"""Fusing lexical and dense candidate lists.

``weighted``: w·dense + (1−w)·lexical, each min–max normalised over the candidate pool (both scores are
exact for every candidate, not only for the list it came from). ``rrf``: Σ 1/(k + rank).
"""

from __future__ import annotations

import numpy as np


def minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-12:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry by descending score."""
    order = np.argsort(-scores, kind="stable")
    r = np.empty(len(scores), dtype=np.int64)
    r[order] = np.arange(1, len(scores) + 1)
    return r


def fuse(
    lexical: np.ndarray,
    dense: np.ndarray,
    method: str,
    dense_weight: float | np.ndarray = 0.5,
    rrf_k: int = 60,
) -> np.ndarray:
    """``dense_weight`` may be one weight per candidate (laws and policy documents are weighted apart)."""
    if method == "lexical":
        return lexical.astype(np.float64)
    if method == "dense":
        return dense.astype(np.float64)
    if method == "rrf":
        lex_r = np.where(lexical > 0, ranks(lexical), 10**9)
        return 1.0 / (rrf_k + ranks(dense)) + np.where(lex_r < 10**9, 1.0 / (rrf_k + lex_r), 0.0)
    if method == "weighted":
        return dense_weight * minmax(dense.astype(np.float64)) + (1 - dense_weight) * minmax(
            lexical.astype(np.float64)
        )
    raise ValueError(f"unknown fusion {method!r}")
