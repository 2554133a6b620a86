"""Training the query adapter (``search.adapter.QueryAdapter``) in numpy: used by
``scripts/train_query_adapter.py`` and the experiments, never by the service."""

from __future__ import annotations

import numpy as np


def fit_adapter(
    queries: np.ndarray,
    passages: np.ndarray,
    pairs: list[tuple[int, int]],
    tau: float,
    reg: float,
    epochs: int,
    lr: float = 1e-3,
    batch: int = 128,
    seed: int = 0,
) -> np.ndarray:
    """W minimising softmax cross-entropy of each (query row, passage row) pair against all passages."""
    rng = np.random.default_rng(seed)
    dim = queries.shape[1]
    w = np.zeros((dim, dim), np.float32)
    m, v = np.zeros_like(w), np.zeros_like(w)
    qi = np.array([p[0] for p in pairs])
    ri = np.array([p[1] for p in pairs])
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(pairs))
        for b in range(0, len(order), batch):
            sel = order[b : b + batch]
            q = queries[qi[sel]]
            u = q + q @ w
            norm = np.linalg.norm(u, axis=1, keepdims=True)
            z = u / norm
            logits = z @ passages.T / tau
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(sel)), ri[sel]] -= 1.0
            gz = (p @ passages) / (tau * len(sel))  # d loss / d z
            gu = (gz - z * (gz * z).sum(axis=1, keepdims=True)) / norm  # through the normalisation
            grad = q.T @ gu + 2 * reg * w
            step += 1
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            w -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w
