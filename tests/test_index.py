"""Index files: manifest, atomic writes, embedding cache, FAISS vs brute force, BM25 vs a reference."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest

from corpus.models import Clause, Document, DocumentMetadata
from index import builder as builder_mod
from index.builder import EmptyCorpusError, build_index
from index.cache import EmbeddingCache, embed_with_cache
from index.dense import DenseIndex
from index.lexical import LexicalIndex
from index.manifest import IndexError_, Manifest
from index.passages import passage_text


class HashEmbedder:
    """A deterministic stand-in embedder (character hashing) that counts what it embeds."""

    name = "hash-test"
    dim = 16
    max_tokens = 512

    def __init__(self, salt: str = "") -> None:
        self.salt = salt
        self.embedded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for ch in self.salt + text:
            v[(ord(ch) * 2654435761) % self.dim] += 1.0
        return v / max(np.linalg.norm(v), 1e-9)

    def encode_queries(self, texts):
        return np.vstack([self._vec(t) for t in texts])

    def encode_passages(self, texts, progress=None):
        self.embedded += len(texts)
        if progress:
            progress(len(texts))
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def count_tokens(self, text: str) -> int:
        return len(text)

    @property
    def fingerprint(self) -> str:
        return f"{self.name}|{self.dim}|{self.salt}"


def _docs(n: int = 3) -> list[Document]:
    docs = []
    for i in range(n):
        md = DocumentMetadata(title=f"测试文件{i}", jurisdiction="全国", level="国家")
        text = f"医师多点执业第{i}条。\n社会办医疗机构纳入医保定点{i}。"
        clauses = [
            Clause(
                id=f"d{i}:0000",
                doc_id=f"d{i}",
                ordinal=0,
                heading_path=["一、总则"],
                text=text.split("\n")[0],
                start=0,
                end=len(text.split("\n")[0]),
            ),
            Clause(
                id=f"d{i}:0001",
                doc_id=f"d{i}",
                ordinal=1,
                heading_path=["二、支持"],
                text=text.split("\n")[1],
                start=len(text.split("\n")[0]) + 1,
                end=len(text),
            ),
        ]
        docs.append(Document(id=f"d{i}", source="t", text=text, metadata=md, clauses=clauses))
    return docs


def test_build_writes_self_describing_directory(tmp_path, tokenizer) -> None:
    m = build_index(_docs(), tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    files = {p.name for p in (tmp_path / "idx").iterdir()}
    assert files == {"manifest.json", "clauses.sqlite", "vectors.faiss", "bm25"}
    data = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    for key in (
        "format_version",
        "embedder_name",
        "embedder_fingerprint",
        "dimension",
        "tokenizer",
        "corpus_fingerprint",
        "documents",
        "clauses",
        "created_at",
        "libraries",
        "vector_index",
    ):
        assert key in data
    assert (m.documents, m.clauses, m.dimension, m.vector_index) == (3, 6, 16, "IndexFlatIP")
    assert "faiss-cpu" in data["libraries"] and "bm25s" in data["libraries"]
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]  # no temporary debris


def test_failed_build_keeps_previous_index_and_leaves_no_debris(tmp_path, tokenizer, monkeypatch) -> None:
    build_index(_docs(2), tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    before = (tmp_path / "idx" / "manifest.json").read_text()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(builder_mod.LexicalIndex, "build", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(_docs(3), tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    assert (tmp_path / "idx" / "manifest.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_empty_corpus_is_refused(tmp_path, tokenizer) -> None:
    with pytest.raises(EmptyCorpusError):
        build_index([], tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    assert not (tmp_path / "idx").exists()


def test_manifest_refuses_other_embedder(tmp_path, tokenizer) -> None:
    build_index(_docs(), tmp_path / "idx", HashEmbedder("a"), tokenizer=tokenizer)
    m = Manifest.load(tmp_path / "idx")
    m.check_embedder(HashEmbedder("a").fingerprint, "hash-test")
    with pytest.raises(IndexError_, match="built with embedder"):
        m.check_embedder(HashEmbedder("b").fingerprint, "hash-test")


def test_missing_index_has_clear_message(tmp_path) -> None:
    with pytest.raises(IndexError_, match="reindex"):
        Manifest.load(tmp_path / "nothing")


def test_cache_resumes_and_skips_known_texts(tmp_path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    emb = HashEmbedder()
    texts = [f"条款{i}" for i in range(10)]
    v1, fresh1 = embed_with_cache(emb, texts[:6], cache)
    v2, fresh2 = embed_with_cache(emb, texts, cache)
    assert (fresh1, fresh2) == (6, 4) and emb.embedded == 10
    assert np.allclose(v1, v2[:6])
    assert cache.count(emb.fingerprint) == 10
    cache.close()
    reopened = EmbeddingCache(tmp_path / "c.sqlite")
    _, fresh3 = embed_with_cache(emb, texts, reopened)
    assert fresh3 == 0


@pytest.mark.parametrize("use_mask", [False, True])
def test_faiss_matches_brute_force(use_mask: bool) -> None:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(500, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    q = vecs[7] + 0.1 * rng.normal(size=32).astype(np.float32)
    mask = rng.random(500) < 0.2 if use_mask else None
    scores, rows = DenseIndex.build(vecs).search(q, 10, mask)
    brute = vecs @ q
    if mask is not None:
        brute = np.where(mask, brute, -np.inf)
        assert mask[rows].all()
    assert list(rows) == list(np.argsort(-brute)[:10])
    assert np.allclose(scores, np.sort(brute)[::-1][:10], atol=1e-5)


def test_bm25_matches_reference_formula() -> None:
    corpus = [
        ["医师", "多点", "执业"],
        ["医师", "医师", "注册"],
        ["医保", "定点"],
        ["社会", "办医", "医师", "执业"],
    ]
    k1, b = 1.2, 0.75
    idx = LexicalIndex.build(corpus, k1=k1, b=b)
    query = ["医师", "执业"]
    n, avgdl = len(corpus), sum(map(len, corpus)) / len(corpus)
    df = Counter(t for d in corpus for t in set(d))
    expected = []
    for d in corpus:
        tf = Counter(d)
        s = 0.0
        for t in query:
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                # Lucene's BM25 (bm25s "lucene"): the constant (k1 + 1) numerator factor is left out
                s += idf * tf[t] / (tf[t] + k1 * (1 - b + b * len(d) / avgdl))
        expected.append(s)
    assert np.allclose(idx.scores(query), expected, atol=1e-4)


def test_bm25_save_load_roundtrip(tmp_path) -> None:
    idx = LexicalIndex.build([["甲", "乙"], ["乙", "丙"], []])
    idx.save(tmp_path / "bm25")
    again = LexicalIndex.load(tmp_path / "bm25", 3)
    assert np.allclose(idx.scores(["乙"]), again.scores(["乙"]))
    assert again.scores(["乙"]).shape == (3,)


def _clause(path: list[str], text: str) -> Clause:
    return Clause(id="x", doc_id="d", ordinal=0, heading_path=path, text=text, start=0, end=10)


def test_contextual_passage_carries_title_and_path() -> None:
    c = _clause(
        ["第二章 自然人", "第五十四条"], "第五十四条 自然人从事工商业经营，经依法登记，为个体工商户。"
    )
    p = passage_text("中华人民共和国民法典", c, "contextual")
    assert p.startswith("中华人民共和国民法典 › 第二章 自然人\n") and p.endswith(c.text)
    assert passage_text("t", c, "clause") == c.text
    with pytest.raises(ValueError):
        passage_text("t", c, "nope")


@pytest.mark.parametrize(("law", "with_title"), [(True, True), (False, False)])
def test_auto_template_titles_laws_only(law: bool, with_title: bool) -> None:
    c = _clause(
        ["五、加大政策支持", "（十二）加强人力资源保障"],
        "（十二）加强人力资源保障。全面实行医师执业区域注册。",
    )
    p = passage_text(
        "某某市人民政府办公室关于支持社会力量提供多层次多样化医疗服务的实施意见", c, "auto", law=law
    )
    assert p.startswith("某某市") is with_title
    assert p.endswith(c.text)


@pytest.mark.parametrize(
    "query, weights",
    [(["医师", "执业", "医师", "未知词"], {"执业": 0.5}), (["医保"], {}), (["未知词"], {}), ([], {})],
)
def test_weighted_bm25_equals_per_term_sum(query, weights) -> None:
    """The one-pass scorer = Σ over query terms of weight × occurrences × bm25s's own score for that term."""
    docs = [["医师", "执业", "医院"], ["医保", "定点", "医院"], ["医师", "医师", "培训"], ["社会", "办医"]]
    index = LexicalIndex.build(docs)
    bm25 = index._bm25
    expected = np.zeros(len(docs), dtype=np.float32)
    for tok in dict.fromkeys(query):
        if tok in bm25.vocab_dict:
            expected += weights.get(tok, 1.0) * query.count(tok) * np.asarray(bm25.get_scores([tok]))
    np.testing.assert_allclose(index.scores(query, weights), expected, atol=1e-5)
