"""Pseudo-relevance feedback from the dense side (search.feedback): the words of the clauses nearest the
question become a second BM25 query, in the documents' own terms.

The clauses are written the way housing notices say it; the dense scores are given by hand (the nearest
clause is the 限售 rule), so the test reads what the feedback does with them, not the embedding.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from index.bm25 import BM25Index
from index.tokenizer import ChineseTokenizer
from search.feedback import DenseFeedback

CLAUSES = {
    "a": "新购买的商品住房取得不动产权证满2年后方可上市交易，限售期内不得转让。",
    "b": "居民家庭新购住房须取得不动产权证满3年方可上市交易。",
    "c": "对购买首套住房的家庭，给予契税50%的购房补贴。",
    "d": "卖旧买新的家庭，出售原有住房后购买新建商品住房的，给予购房补贴。",
    "e": "住房公积金贷款最高额度提高至80万元。",
    "f": "本通知自印发之日起施行。",
}


@pytest.fixture(scope="module")
def lexical():
    tok = ChineseTokenizer()
    idx = BM25Index.create()
    idx.add(list(CLAUSES), [f"doc-{k}" for k in CLAUSES], [tok.tokenize(t) for t in CLAUSES.values()])
    return idx, tok


def test_the_nearest_clause_words_become_a_query(lexical) -> None:
    idx, tok = lexical
    fb = DenseFeedback(idx, tok, CLAUSES.__getitem__, docs=2, terms=3, max_df_share=0.5)
    ids = list(CLAUSES)
    own = tok.tokenize("新房买了几年才能卖")
    dense = np.array([0.9, 0.8, 0.3, 0.6, 0.2, 0.1])  # the two 限售 clauses are nearest
    lex = idx.query(own).scores_for(ids)
    got = fb.expand(own, ids, dense, lex, None)
    assert got is not None
    # what the nearest clauses share (取得 不动产权证 …), in the documents' own words, leads the feedback query
    shared = set(tok.tokenize(CLAUSES["a"])) & set(tok.tokenize(CLAUSES["b"]))
    assert set(got.terms) <= shared
    assert not set(got.terms) & set(own)  # the question's own words are not fed back
    # a 限售 clause that shares none of the question's words now scores on the lexical side, above the
    # 卖旧买新 subsidy that shares 买/新 with the question
    assert lex[ids.index("b")] <= lex[ids.index("d")]
    assert got.scores[ids.index("b")] > got.scores[ids.index("d")]


def test_nothing_to_feed_back(lexical) -> None:
    idx, tok = lexical
    fb = DenseFeedback(idx, tok, CLAUSES.__getitem__)
    ids = list(CLAUSES)
    assert fb.expand(["补贴"], ids, np.zeros(len(ids)), np.zeros(len(ids)), None) is None
    assert fb.expand(["补贴"], [], np.zeros(0), np.zeros(0), None) is None


# -- when the feedback joins the ranking (search.scoring.Scorer) --------------------------------------
class _Relevance:
    """What the scorer reads of relevance: the ``lexical`` feature (BM25 over what the question could
    attain) of every candidate, a floor and which clauses are laws."""

    def __init__(self, best: float) -> None:
        self.best = best

    def score(self, lq, q, ids, lexical, dense, with_dense):  # noqa: ANN001, ANN201
        share = np.linspace(self.best, 0.0, len(ids))
        return np.zeros(len(ids)), {"lexical": share}

    def floor(self, with_dense: bool) -> float:
        return 0.5

    @staticmethod
    def is_law(clause_id: str) -> bool:
        return clause_id.startswith("law")


class _Feedback:
    """A feedback query that scores the last candidate only, and counts its calls."""

    def __init__(self, size: int) -> None:
        self.calls = 0
        self.lexical = SimpleNamespace(size=size)  # the index's clauses

    def expand(self, own, ids, dense, lexical, where):  # noqa: ANN001, ANN201
        from search.feedback import Feedback

        self.calls += 1
        scores = np.zeros(len(ids))
        scores[-1] = 10.0
        return Feedback({"限售": 1.0}, scores)


def _scored(q: str, best: float, ids: list[str], size: int = 20_000, **options):  # noqa: ANN003, ANN202
    from search.hybrid import RankingOptions
    from search.models import Filters
    from search.prepare import Prepared
    from search.retrieval import Candidates
    from search.scoring import Scorer

    fb = _Feedback(size)
    scorer = Scorer(_Relevance(best), RankingOptions(**options), feedback=fb)  # type: ignore[arg-type]
    p = Prepared(
        q=q, method="weighted", filters=Filters(), where=None, notices=[], qvec=np.ones(4, np.float32)
    )
    n = len(ids)
    cands = Candidates(ids, np.linspace(2.0, 1.0, n), np.full(n, 0.5), np.zeros(n, bool))
    return scorer.score(p, cands), fb


@pytest.mark.parametrize(
    ("q", "best", "options", "fed"),
    [
        ("新房买了几年才能卖", 0.3, {}, True),  # everyday wording: its words are found weakly
        ("新建商品住房 限售 上市交易", 0.9, {}, False),  # official wording: found in its own words
        ("新房买了几年才能卖", 0.3, {"feedback_weight": 0.0}, False),  # off
        ("restrictions on reselling newly purchased homes", 0.3, {}, False),  # English
        ("restrictions on reselling newly purchased homes", 0.3, {"feedback_english": True}, True),
        ("新建商品住房 限售 上市交易", 0.9, {"feedback_below": 2.0}, True),  # every question
        ("新房买了几年才能卖", 0.3, {"feedback_min_clauses": 50_000}, False),  # an index of 20,000 clauses
        ("新房买了几年才能卖", 0.3, {"feedback_min_clauses": 0}, True),
    ],
)
def test_which_questions_are_fed_back(q: str, best: float, options: dict, fed: bool) -> None:
    sc, fb = _scored(q, best, ["doc-a:一", "doc-b:二", "doc-c:三"], **{"feedback_weight": 0.5, **options})
    assert (fb.calls == 1) is fed
    # the feedback scores the last candidate only: it rises above the first when fed back
    assert bool(sc.fused[2] > sc.fused[0]) is fed


def test_feedback_moves_policy_clauses_only() -> None:
    """Law clauses keep their own bridges (query adapter, term model): the feedback does not score them,
    and an index of laws alone does not ask for it."""
    sc, fb = _scored("新房买了几年才能卖", 0.3, ["doc-a:一", "law-b:第三条"], feedback_weight=0.5)
    assert fb.calls == 1 and sc.fused[1] < sc.fused[0]
    sc, fb = _scored("新房买了几年才能卖", 0.3, ["doc-a:一", "doc-b:二"], feedback_weight=0.5)
    assert sc.fused[1] > sc.fused[0]
    _, fb = _scored("借钱不还怎么办", 0.3, ["law-a:第一条", "law-b:第三条"], feedback_weight=0.5)
    assert fb.calls == 0


@pytest.mark.parametrize(("size", "fed"), [(147, False), (5_000, False), (20_000, True)])
def test_a_small_index_has_no_feedback(size: int, fed: bool) -> None:
    """By default (``feedback_min_clauses``): the built-in corpus's 147 clauses are too few for the nearest
    clauses to share the answer's words rather than the corpus's."""
    _, fb = _scored("新房买了几年才能卖", 0.3, ["doc-a:一", "doc-b:二"], size=size, feedback_weight=0.5)
    assert (fb.calls == 1) is fed


def test_no_feedback_where_the_question_words_match_nothing() -> None:
    """With no lexical score to weigh it against, the feedback would be the whole lexical side whatever its
    weight: a question whose words are found nowhere ("嗯嗯啊啊咋整") keeps the dense order."""
    from search.hybrid import RankingOptions
    from search.models import Filters
    from search.prepare import Prepared
    from search.retrieval import Candidates
    from search.scoring import Scorer

    fb = _Feedback(20_000)
    scorer = Scorer(_Relevance(0.0), RankingOptions(feedback_weight=0.5), feedback=fb)  # type: ignore[arg-type]
    p = Prepared(
        q="嗯嗯啊啊咋整", method="weighted", filters=Filters(), where=None, notices=[], qvec=np.ones(4)
    )
    ids = ["doc-a:一", "doc-b:二"]
    sc = scorer.score(p, Candidates(ids, np.zeros(2), np.array([0.9, 0.5]), np.zeros(2, bool)))
    assert fb.calls == 0 and sc.feedback is None and sc.fused[0] > sc.fused[1]


def test_a_law_clause_does_not_decide_for_the_policy_clauses() -> None:
    """The best share that withholds the feedback is read over policy clauses: a law clause holding the
    question's words (share 0.9) does not switch it off for them."""
    sc, fb = _scored("新房买了几年才能卖", 0.9, ["law-a:第一条", "doc-b:二", "doc-c:三"], feedback_weight=0.5)
    assert fb.calls == 1
    assert sc.feedback is not None and sc.feedback[0] == 0 and sc.feedback[2] > 0
    assert sc.feedback_terms == ("限售",)


def test_policy_clause_counts_within_filters() -> None:
    from index.protocols import DocFilter
    from search.scoring import PolicyClauseCounts

    clause_doc = {"a:1": 0, "a:2": 0, "a:3": 0, "law:1": 1, "law:2": 1, "b:1": 2}
    keys = {"a": 0, "law": 1, "b": 2}
    count = PolicyClauseCounts(clause_doc, [False, True, False], keys.get)
    assert count(None) == 4  # the law's clauses are not counted
    assert count(DocFilter({"a"})) == 3
    assert count(DocFilter({"law", "b", "unknown"})) == 1
    assert count(DocFilter(set())) == 0


def test_the_size_rule_reads_what_the_filters_leave(searcher) -> None:
    """On the built-in corpus (147 clauses) with the size rule at 100: fed back over the whole corpus, not
    within one city's document; the hits say what the feedback added and its words."""
    import dataclasses

    from search.models import SearchRequest

    s = searcher.variant(
        options=dataclasses.replace(searcher.options, feedback_weight=0.5, feedback_min_clauses=100)
    )
    whole = s.search(SearchRequest(q="私人诊所的医生能不能去别的医院上班", top_k=10))
    assert whole.hits[0].explanation.feedback_terms
    assert any(h.explanation.feedback_score > 0 for h in whole.hits)
    one = s.search(SearchRequest(q="私人诊所的医生能不能去别的医院上班", top_k=10, jurisdiction="吉林市"))
    assert one.hits and not one.hits[0].explanation.feedback_terms
    assert all(h.explanation.feedback_score == 0 for h in one.hits)
    # the default rule (6,000 clauses): none on the built-in corpus
    plain = searcher.search(SearchRequest(q="私人诊所的医生能不能去别的医院上班", top_k=10))
    assert not plain.hits[0].explanation.feedback_terms


@pytest.mark.parametrize("k", [1, 3, 10, 50])
def test_the_nearest_clauses_as_a_stable_sort_would_pick_them(k: int) -> None:
    from search.feedback import _nearest

    rng = np.random.default_rng(k)
    dense = rng.integers(0, 20, size=40).astype(np.float64) / 20  # many ties
    assert _nearest(dense, k).tolist() == np.argsort(-dense, kind="stable")[:k].tolist()
