"""Pseudo-relevance feedback from the dense side (search.feedback): the words of the clauses nearest the
question become a second BM25 query, in the documents' own terms.

The clauses are written the way housing notices say it; the dense scores are given by hand (the nearest
clause is the 限售 rule), so the test reads what the feedback does with them, not the embedding.
"""

from __future__ import annotations

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
