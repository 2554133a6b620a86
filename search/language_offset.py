"""An English question's vector moved to where the same question in Chinese would lie (``q' = normalize(q − w·s·o)``).

multilingual-e5 keeps some of each language apart: over policy-dev's English questions the dense side alone reads
an English question's nearest clauses at nDCG@10 ~0.30, against ~0.6 for Chinese ones. ``o`` is that
separation measured on a bilingual dictionary: the mean of CC-CEDICT's English senses minus the mean of their
Chinese words, both encoded as queries (``scripts/build_language_offset.py``; "housing" / 住房 …, ~97 k
pairs, no question or judgment read). ``s`` is the question's share of Latin letters
(``search.relevance.english_share``: 1 for "Can I withdraw my provident fund to pay rent?", 0 for a Chinese
question, which is never moved), ``w`` the setting ``english_offset``.

Like the query adapter, the offset belongs to the embedder it was measured with (by fingerprint, and the
engines listed in ``applies_to``) and is ignored for any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.embedder_files import load_bound, save_bound, suits

BUNDLED = Path(__file__).parent / "data" / "language_offset.npz"


@dataclass(frozen=True)
class LanguageOffset:
    vector: np.ndarray  # (dim,) mean English − mean Chinese query vector
    embedder_fingerprint: str
    info: dict
    applies_to: tuple[str, ...] = ()  # further embedder fingerprints it was measured to suit

    def apply(self, query: np.ndarray, share: float, weight: float) -> np.ndarray:
        """``query`` (dim,) or (n, dim), unit length, moved by ``weight`` × ``share`` of the offset and made unit
        length again; returned as it is when either is 0."""
        q = np.asarray(query, dtype=np.float32)
        if share <= 0 or weight <= 0:
            return q
        out = q - (weight * share) * self.vector
        norm = np.linalg.norm(out, axis=-1, keepdims=True)
        return (out / np.maximum(norm, 1e-12)).astype(np.float32)

    def save(self, path: Path) -> None:
        save_bound(path, {"vector": self.vector}, self.embedder_fingerprint, self.info, self.applies_to)

    @classmethod
    def load(cls, path: Path) -> LanguageOffset:
        """Raises OSError or KeyError when the file is missing or not an offset file."""
        (vector,), fingerprint, info, also = load_bound(path, ("vector",))
        return cls(vector, fingerprint, info, also)

    @classmethod
    def for_embedder(cls, fingerprint: str, path: Path = BUNDLED) -> LanguageOffset | None:
        """The bundled offset when it was measured for this embedder or to suit it, else None."""
        if not path.exists():
            return None
        offset = cls.load(path)
        return offset if suits(fingerprint, offset.embedder_fingerprint, offset.applies_to) else None
