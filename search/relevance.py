"""How likely a candidate clause is to answer the question: a probability, and the floor under which the
service says "no strong match" (search) or "nothing on it" (compare, per jurisdiction).

Fused scores cannot say this: they are min–max normalised over the candidate pool, so the best clause
of an off-topic question (航天发射场 over the built-in corpus) still scores near 1. The model reads four
features that keep their meaning from one question to the next:

- ``lexical_share``: BM25 over the best BM25 in the pool (0–1);
- ``dense_gap``: cosine minus the best cosine in the pool (≤ 0);
- ``coverage``: the share of the question's IDF mass the clause contains (``LexicalIndex.coverage``);
- ``dense``: the raw cosine.

A logistic regression over them was fitted on half of the judged seed questions plus half of a set of
off-topic questions, and the floor chosen there; ``scripts/calibrate_relevance.py`` refits both and
reports them on the other halves (BENCHMARKS.md). Lexical-only ranking has its own two-feature model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).parent / "data" / "relevance.json"
FEATURES = ("lexical_share", "dense_gap", "coverage", "dense")
LEXICAL_FEATURES = ("lexical_share", "coverage")


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def __call__(self, x: dict[str, np.ndarray]) -> np.ndarray:
        z = self.bias + sum(w * x[f] for f, w in zip(self.features, self.weights))
        return 1.0 / (1.0 + np.exp(-np.asarray(z, np.float64)))


@dataclass(frozen=True)
class RelevanceModel:
    hybrid: Logistic
    lexical: Logistic
    floor: float
    lexical_floor: float
    source: dict = field(default_factory=dict)

    @classmethod
    def bundled(cls) -> RelevanceModel:
        return cls.from_dict(json.loads(MODEL_FILE.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, d: dict) -> RelevanceModel:
        def lg(m: dict) -> Logistic:
            return Logistic(tuple(m["features"]), tuple(m["weights"]), float(m["bias"]))

        return cls(lg(d["hybrid"]), lg(d["lexical"]), d["floor"], d["lexical_floor"], d.get("source", {}))

    @staticmethod
    def features(lexical: np.ndarray, dense: np.ndarray, coverage: np.ndarray) -> dict[str, np.ndarray]:
        lex = lexical.astype(np.float64)
        den = dense.astype(np.float64)
        top_lex = float(lex.max()) if lex.size else 0.0
        top_dense = float(den.max()) if den.size else 0.0
        return {
            "lexical_share": lex / top_lex if top_lex > 0 else np.zeros_like(lex),
            "dense_gap": den - top_dense,
            "coverage": coverage.astype(np.float64),
            "dense": den,
        }

    def score(self, features: dict[str, np.ndarray], with_dense: bool) -> np.ndarray:
        return (self.hybrid if with_dense else self.lexical)(features)

    def floor_for(self, with_dense: bool) -> float:
        return self.floor if with_dense else self.lexical_floor
