"""Precision on everyday questions (issue 14): the English long tail, law vocabulary kept to laws, and a
rewritten colloquial word counted once and no higher than its official wording."""

from __future__ import annotations

import pytest

from corpus.models import Clause, Document, DocumentMetadata
from index.builder import build_index
from search.english import english_key
from search.expansion import QueryExpander
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest
from tests.test_index import HashEmbedder


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("to pay a dividend", "pay dividend"),
        ("Hospitals", "hospital"),
        ("policies", "policy"),
        ("business", "business"),
        ("environmental impact assessment (EIA)", "environmental impact assessment eia"),
        ("the", ""),
    ],
)
def test_english_key(text, key) -> None:
    assert english_key(text) == key


def test_english_lexicon_reads_the_long_tail_and_leaves_hand_made_words_alone() -> None:
    e = QueryExpander.bundled().expand("Can non-profit private hospitals pay dividends?")
    assert "分红" in e.terms and e.weights["分红"] < e.weights["社会办医"]  # weakest lexicon
    # "private" is read by the hand-made lexicon (→ 社会办医), never again by CC-CEDICT (→ 秘密, 私自)
    assert "秘密" not in e.terms and "私自" not in e.terms
    assert (
        "环评" in QueryExpander.bundled().expand("Do clinics need an environmental impact assessment?").terms
    )
    assert "分红" not in QueryExpander.bundled(english=False).expand("pay dividends").terms


def _doc(doc_id: str, text: str, law_level: str | None) -> Document:
    md = DocumentMetadata(title=f"文件{doc_id}", jurisdiction="全国", level="国家", law_level=law_level)
    c = Clause(f"{doc_id}:0000", doc_id, 0, ["第一条"], text, 0, len(text))
    return Document(id=doc_id, source=f"{doc_id}.txt", text=text, metadata=md, clauses=[c])


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory, tokenizer):
    docs = [
        _doc("law", "家庭财产由夫妻共同管理，农村承包经营户以家庭经营的，以家庭财产承担。", "法律"),
        _doc("policy", "支持个体诊所发展，鼓励家庭经营的药店规范管理。", None),
        _doc("other", "医疗卫生用地保障。", None),
    ]
    out = tmp_path_factory.mktemp("mixed") / "index"
    build_index(docs, out, HashEmbedder(), tokenizer=tokenizer)
    return out


@pytest.mark.parametrize("laws_only", [True, False])
def test_term_model_terms_score_law_clauses_only(mixed_index, tokenizer, laws_only) -> None:
    """个体 → 家庭财产 家庭经营 (learned from STARD): a statute's words, which a policy clause must not
    collect from a policy question."""
    s = HybridSearcher.open(mixed_index, HashEmbedder(), tokenizer=tokenizer)
    try:
        s = s.variant(expander=QueryExpander.bundled(term_model_laws_only=laws_only))
        p = s.prepare(SearchRequest(q="个体"))
        assert ("家庭经营" in p.law_weights) == laws_only and ("家庭经营" in p.weights) != laws_only
        hits = {h.clause_id: h for h in s.search(SearchRequest(q="个体", top_k=10, fusion="lexical")).hits}
        assert hits["law:0000"].explanation.lexical_score > 0  # the law clause is found by the statute words
        policy = hits["policy:0000"].explanation  # found by its own 个体
        with_terms = s.variant(expander=QueryExpander.bundled(term_model_laws_only=False))
        full = {
            h.clause_id: h
            for h in with_terms.search(SearchRequest(q="个体", top_k=10, fusion="lexical")).hits
        }
        if laws_only:  # the policy clause scores its own words only: less than with the statute words
            assert policy.lexical_score < full["policy:0000"].explanation.lexical_score
    finally:
        s.close()


def _rank(searcher, q: str, heading: str) -> int:
    hits = searcher.search(SearchRequest(q=q, top_k=20)).hits
    return next(i for i, h in enumerate(hits, 1) if heading in "".join(h.heading_path))


def test_a_rare_colloquial_word_no_longer_outranks_the_topic(searcher) -> None:
    """民营医院 occurs in one clause (辽宁 (十八) 住院医师规培), so summed and at its own IDF it put that clause
    first on BM25 for every 民营医院 question; capped and counted once, the 用地 clauses lead."""
    q = "民营医院用地怎么解决"
    before = searcher.variant(
        options=RankingOptions(variant_idf_cap=False, concept_max=False, fusion="lexical")
    )
    after = searcher.variant(options=RankingOptions(fusion="lexical"))
    assert _rank(before, q, "住院医师规范化培训") == 1
    assert _rank(after, q, "住院医师规范化培训") > 3
    p = after.prepare(SearchRequest(q=q))
    assert p.weights["民营医院"] < 0.5 and any("社会办医" in c and "民营医院" in c for c in p.concepts)
    top = after.search(SearchRequest(q=q, top_k=3)).hits
    assert all("用地" in h.text for h in top)
