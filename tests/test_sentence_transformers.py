"""The sentence-transformers embedder, on a tiny model the test builds itself (no hub access)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")

from index.builder import build_index  # noqa: E402
from index.embedder import SentenceTransformerEmbedder, make_embedder  # noqa: E402
from index.manifest import IndexError_  # noqa: E402
from search.hybrid import HybridSearcher  # noqa: E402
from search.models import SearchRequest  # noqa: E402

from .conftest import build_tiny_st_model  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, builtin_report):
    texts = [c.text for d in builtin_report.documents for c in d.clauses] + [
        d.metadata.title or "" for d in builtin_report.documents
    ]
    return build_tiny_st_model(tmp_path_factory.mktemp("tiny"), texts)


def test_tiny_model_encodes_normalized_distinct_vectors(tiny_model) -> None:
    emb = make_embedder(str(tiny_model), query_prefix="query: ", passage_prefix="passage: ")
    assert isinstance(emb, SentenceTransformerEmbedder) and emb.dim == 32
    vecs = emb.encode_passages(["医师多点执业", "土地供应", "医保定点"])
    assert vecs.shape == (3, 32) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vecs[0], vecs[1])  # a vocabulary that fell back to [UNK] would make them equal
    assert emb.count_tokens("医师") >= 2


def test_index_and_search_with_tiny_model(tmp_path, tiny_model, builtin_report, tokenizer) -> None:
    emb = SentenceTransformerEmbedder(str(tiny_model), batch_size=16)
    manifest = build_index(builtin_report.documents, tmp_path / "idx", emb, tokenizer=tokenizer)
    assert manifest.embedder_name == f"st:{tiny_model}" and manifest.dimension == 32
    s = HybridSearcher.open(tmp_path / "idx", emb, tokenizer=tokenizer)
    resp = s.search(SearchRequest(q="医师多点执业", top_k=5, fusion="dense"))
    assert len(resp.hits) == 5
    # dense ranking equals brute force over the stored vectors: the best cosine is found, and each tier
    # (strong before weak) is in cosine order
    qv = emb.encode_queries(["医师多点执业"])[0]
    ids = [c.id for d in builtin_report.documents for c in d.clauses]
    hits = s.search(SearchRequest(q="医师多点执业", top_k=100, fusion="dense")).hits
    assert max(h.explanation.dense_score for h in hits) == pytest.approx(
        max(float(v @ qv) for v in s.generation.vectors.vectors_for(ids)), abs=1e-3
    )
    for strong in (True, False):
        tier = [h.explanation.dense_score for h in hits if h.strong is strong]
        assert tier == sorted(tier, reverse=True)
    s.close()


def test_other_model_refused_with_clear_message(tmp_path, tiny_model, builtin_report, tokenizer) -> None:
    emb = SentenceTransformerEmbedder(str(tiny_model))
    docs = builtin_report.documents[:1]
    build_index(docs, tmp_path / "idx", emb, tokenizer=tokenizer)
    other = build_tiny_st_model(tmp_path / "other", [c.text for c in docs[0].clauses], seed=1)
    with pytest.raises(IndexError_, match="built with embedder"):
        HybridSearcher.open(tmp_path / "idx", SentenceTransformerEmbedder(str(other)), tokenizer=tokenizer)
