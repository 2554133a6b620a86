"""The reranking stage: the numpy cross-encoder against its PyTorch form, its artefact, and the search
option (rerank=true|false, depth) through the library, the API and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from index.builder import build_index
from search.hybrid import HybridSearcher, RankingOptions
from search.models import QueryError, SearchRequest
from search.reranker import DELTA, CrossEncoder, LazyReranker, mixed_order

from .conftest import LOCAL, Borrowed
from .test_citations import _law
from .test_index import HashEmbedder

PAIRS = [
    ("医生能在几家医院同时上班吗", "医师个人以合同（协议）为依据，可在多个机构执业，促进医师有序流动。"),
    ("土地出让金可以分期交吗", "土地出让价款可在规定期限内按合同约定分期缴纳。"),
    ("Can non-profit hospitals pay dividends?", "非营利性医疗机构不得将收支结余用于分红或变相分红。" * 4),
]


def test_numpy_forward_equals_the_trained_pytorch_model(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    from training.cross_encoder import CrossEncoderTorch

    torch.set_num_threads(1)
    model = CrossEncoderTorch(trained_layers=2, seed=3)
    with torch.no_grad():  # a delta that is not zero: the numpy side must add it where it belongs
        for p in model.e5.layers[-2:].parameters():
            p.add_(torch.randn_like(p) * 0.01)
        model.head.bias.fill_(0.25)
        want = model([model.ids(q, p) for q, p in PAIRS]).numpy()
        split = model.top(model.bottom([model.ids(q, p) for q, p in PAIRS])).numpy()
    model.export_delta(tmp_path / "d.npz")
    ce = CrossEncoder(tmp_path / "d.npz")
    got = np.array([ce.scores(q, [p])[0] for q, p in PAIRS])
    np.testing.assert_allclose(got, want, atol=1e-4)
    np.testing.assert_allclose(split, want, atol=2e-3)  # the frozen half in float16


def test_delta_for_another_model_file_is_refused(tmp_path) -> None:
    data = dict(np.load(DELTA))
    data["meta.model"] = np.array("0000000000000000")
    np.savez(tmp_path / "other.npz", **data)
    with pytest.raises(ValueError, match="another model file"):
        CrossEncoder(tmp_path / "other.npz")


@pytest.mark.parametrize(
    ("weight", "want"),
    [
        (1.0, [2, 1, 0, 3]),  # the reranker's order alone
        (0.0, [0, 1, 2, 3]),  # the first stage's
        (0.5, [0, 1, 2, 3]),  # 0 and 2 swap ranks 1 and 3: a tie, the first stage decides; 1 stays 2nd
        (0.6, [2, 1, 0, 3]),
    ],
)
def test_mixed_order_averages_the_two_ranks(weight, want) -> None:
    scores = np.array([0.1, 0.5, 0.9, -1.0])  # reranker ranks 3, 2, 1, 4
    assert mixed_order(scores, weight).tolist() == want


def test_mixed_order_takes_first_stage_ranks_given() -> None:
    assert mixed_order(np.array([0.0, 1.0, 2.0]), 0.0, np.array([3, 1, 2])).tolist() == [1, 2, 0]


LAW_PAIRS = [  # the kind of question it was trained on (STARD: lay questions, statute answers)
    pytest.param(
        "借给朋友的钱过了好几年没还，还能去法院起诉吗",
        "中华人民共和国民法典 › 第九章 诉讼时效\n第一百八十八条 向人民法院请求保护民事权利的诉讼时效期间为三年。",
        "中华人民共和国土地管理法\n第五十五条 以出让等有偿使用方式取得国有土地使用权的建设单位，按照国务院规定的标准和办法，缴纳土地使用权出让金等土地有偿使用费和其他费用后，方可使用土地。",
        # a known weakness, kept in sight (strict: a model that gets it right must say so here): a long
        # article off the topic outscores the short answer. Trained on the first stage's lists, it
        # judges among near-topic clauses, which is all it is shown when serving (BENCHMARKS.md)
        marks=pytest.mark.xfail(strict=True, reason="the reranker reads a question's topic poorly"),
    ),
    (
        "公司不给交社保，我可以辞职并要求补偿吗",
        "中华人民共和国劳动合同法\n第三十八条 用人单位有下列情形之一的，劳动者可以解除劳动合同：（三）未依法为劳动者缴纳社会保险费的；",
        "中华人民共和国民法典\n第一千零六十五条 男女双方可以约定婚姻关系存续期间所得的财产以及婚前财产归各自所有、共同所有或者部分各自所有、部分共同所有。",
    ),
]


@pytest.mark.parametrize(("q", "answer", "other"), LAW_PAIRS)
def test_shipped_reranker_is_small_and_prefers_the_statute_that_answers(q, answer, other) -> None:
    assert DELTA.stat().st_size < 8_000_000
    s = LazyReranker().get().scores(q, [answer, other])
    assert s[0] > s[1], s


def every_clause(searcher) -> HybridSearcher:
    """The built-in corpus has no law clauses, which the reranker reads by default."""
    return searcher.variant(options=RankingOptions(rerank_laws_only=False))


@pytest.mark.parametrize("depth", [5, 12])
def test_rerank_reorders_the_first_stage_top_only(searcher, depth) -> None:
    searcher = every_clause(searcher)
    q = "民营医院能不能纳入医保定点"
    plain = searcher.search(SearchRequest(q=q, top_k=20)).hits
    reranked = searcher.search(SearchRequest(q=q, top_k=20, rerank=True, rerank_depth=depth)).hits
    head = reranked[:depth]
    assert {h.clause_id for h in head} == {h.clause_id for h in plain[:depth]}  # same clauses, new order
    ranks = [h.explanation.first_stage_rank for h in head]
    assert sorted(ranks) == list(range(1, depth + 1))
    # the rank average the setting asks for, within each tier: strong clauses keep the places of strong
    # clauses (a list stays strong before weak), weak ones those of weak ones
    by_rank = {h.explanation.first_stage_rank: h for h in head}
    want: list[int] = []
    for strong in (True, False):
        tier = [r for r in range(1, depth + 1) if by_rank[r].strong is strong]
        scores = np.array([by_rank[r].explanation.rerank_score for r in tier])
        want += [tier[int(i)] for i in mixed_order(scores, searcher.options.rerank_weight)] if tier else []
    assert ranks == want
    assert [h.strong for h in head] == sorted((h.strong for h in head), reverse=True)
    assert [h.clause_id for h in reranked[depth:]] == [h.clause_id for h in plain[depth:]]
    assert all(h.explanation.rerank_score is None for h in plain)


def test_rerank_moves_law_clauses_only_among_their_own_places(tmp_path, tokenizer) -> None:
    docs = [
        _law(
            "civil",
            "中华人民共和国民法典",
            ["民事主体从事民事活动，应当遵循诚信原则。", "医疗机构应当依法成立。"],
        ),
        _law(
            "labour",
            "中华人民共和国劳动合同法",
            ["医疗机构订立劳动合同，应当遵循诚信原则。", "劳动合同依法订立。"],
        ),
    ]
    policy = _law(
        "notice", "关于支持社会办医的意见", ["支持社会办医疗机构依法执业。", "医疗机构遵循诚信原则执业。"]
    )
    policy.metadata.law_level = None
    build_index([*docs, policy], tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    s = HybridSearcher.open(tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    q, n = "医疗机构 诚信原则 劳动合同 执业", 6
    plain = s.search(SearchRequest(q=q, top_k=n)).hits
    laws = s.search(SearchRequest(q=q, top_k=n, rerank=True, rerank_depth=n)).hits
    every = every_clause(s).search(SearchRequest(q=q, top_k=n, rerank=True, rerank_depth=n)).hits
    is_law = [bool(h.document.law_level) for h in plain]
    assert 0 < sum(is_law) < n  # a mixed list
    for a, b in zip(plain, laws):  # policy clauses keep their places; law clauses fill the law places
        assert bool(b.document.law_level) == bool(a.document.law_level)
        if not a.document.law_level:
            assert b.clause_id == a.clause_id and b.explanation.rerank_score is None
        else:
            assert b.explanation.rerank_score is not None
    assert all(h.explanation.rerank_score is not None for h in every)


def test_rerank_without_an_artefact_is_a_clear_error(searcher, tmp_path) -> None:
    s = searcher.variant()
    s.reranker = LazyReranker(tmp_path / "missing.npz")
    with pytest.raises(QueryError, match="没有重排序模型"):
        s.search(SearchRequest(q="医保定点", rerank=True))


def test_api_rerank_parameters(searcher) -> None:
    searcher = every_clause(searcher)
    with TestClient(create_app(Settings(), searcher_factory=lambda: Borrowed(searcher)), base_url=LOCAL) as c:
        r = c.get("/api/search", params={"q": "医保定点", "rerank": "true", "rerank_depth": 3})
        assert r.status_code == 200
        hits = r.json()["hits"]
        assert [h["explanation"]["rerank_score"] is not None for h in hits[:4]] == [True, True, True, False]
        assert c.get("/api/search", params={"q": "医保定点", "rerank_depth": 0}).status_code == 422
        assert c.get("/api/search", params={"q": "医保定点", "rerank": "maybe"}).status_code == 422
