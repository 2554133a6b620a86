"""CC-CEDICT's renderings of an English word ranked by the opened index (search.english.ranked_by_index,
option ``english_lexicon = "index"``).

The corpus numbers are written the way policy-dev counts them (资金 and 公积金 in thousands of clauses, 基金 in
hundreds, 经费 in none); the searcher tests run on the built-in corpus (147 clauses on 社会办医), where the
bundled lexicon's "advice" is 处方 / 劝告 / 建言 (ranked by the law corpora it was built from) and the
index writes 咨询.
"""

from __future__ import annotations

import dataclasses
import gzip

import numpy as np
import pytest

from config.settings import Settings
from index.bm25 import bm25_idf
from policy_search.factory import ranking_from
from search.english import EnglishLexicon, ranked_by_index, read_candidates, read_keyed
from search.expansion import QueryExpander
from search.models import SearchRequest

CANDIDATES = {
    "fund": ("公积金", "基金", "资金", "经费"),
    "rent": ("房租", "租金"),
    "rare": ("罕见词",),
    "unknown": ("没见过",),
}


class Corpus:
    N = 10_000
    DF = {"公积金": 900, "基金": 300, "资金": 2_000, "房租": 60, "租金": 2, "罕见词": 2}

    def idf(self, words):  # noqa: ANN001, ANN201
        df = np.array([self.DF.get(w, 0) for w in words], np.float64)
        return np.where(df > 0, bm25_idf(df, self.N), 0.0)


def ranked(**kw) -> dict[str, list[str]]:  # noqa: ANN003
    return ranked_by_index(CANDIDATES, Corpus().idf, Corpus.N, **kw)


def test_the_words_the_index_holds_most_often_come_first() -> None:
    """资金 (2,000 clauses) before 公积金 (900) before 基金 (300); 经费 is in no clause; 租金 and 罕见词 are in
    2, under the 3 a word needs, so "rare" and "unknown" have no entry at all."""
    assert ranked() == {"fund": ["资金", "公积金"], "rent": ["房租"]}


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"per_key": 1}, {"fund": ["资金"], "rent": ["房租"]}),
        ({"per_key": 3}, {"fund": ["资金", "公积金", "基金"], "rent": ["房租"]}),
        ({"min_clauses": 2}, {"fund": ["资金", "公积金"], "rent": ["房租", "租金"], "rare": ["罕见词"]}),
        ({"min_clauses": 1000}, {"fund": ["资金"]}),
    ],
)
def test_how_many_words_and_how_common(kw: dict, expected: dict) -> None:
    assert ranked(**kw) == expected


@pytest.mark.parametrize("kw", [{"per_key": 0}, {"min_clauses": 0}])
def test_bad_settings_are_refused(kw: dict) -> None:
    with pytest.raises(ValueError):
        ranked(**kw)


def test_nothing_to_rank() -> None:
    assert ranked_by_index({}, Corpus().idf, Corpus.N) == {}


def test_the_candidates_file_reads_back(tmp_path) -> None:
    path = tmp_path / "c.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("# comment\nfund\t公积金 基金\ndown payment\t首付\nno tab here\n")
    assert read_keyed(path) == {"fund": ("公积金", "基金"), "down payment": ("首付",)}


def test_the_bundled_candidates_hold_what_policy_writes() -> None:
    """The head word of a two-word sense is a key of its own: 公积金 "accumulated fund" is a candidate for
    "fund", 首付 "down payment" for "payment"; 按揭 is CC-CEDICT's "mortgage"."""
    c = read_candidates()
    assert "公积金" in c["fund"] and "公积金" in c["accumulated fund"]
    assert "首付" in c["down payment"] and "首付" in c["payment"] and "按揭" in c["mortgage"]


def test_the_ranked_words_take_the_place_of_the_bundled_ones_for_their_keys() -> None:
    hand = {"private hospital": ["社会办医"]}
    cedict = EnglishLexicon({"fund": ["经费", "基金"], "tax": ["税费"]}, 0.3)
    ex = QueryExpander(hand, english=cedict).with_english({"fund": ["公积金", "资金"]})
    entries = ex._english[1].entries
    assert entries["fund"] == ["公积金", "资金"]  # the index's, not the bundled ones
    assert entries["tax"] == ["税费"]  # a key the index ranked nothing for keeps the bundled words
    assert ex._english[1].weight == 0.3  # at the CC-CEDICT lexicon's weight
    assert ex._english[0].entries == {"private hospital": ["社会办医"]}  # hand-made entries stay first
    assert cedict.entries["fund"] == ["经费", "基金"]  # the original expander is untouched


def test_an_expander_without_a_cedict_lexicon_is_left_as_it_is() -> None:
    ex = QueryExpander({"private hospital": ["社会办医"]})
    assert ex.with_english({"fund": ["公积金"]}) is ex


def _english_terms(searcher, q: str) -> set[str]:  # noqa: ANN001
    return {
        t for u in searcher.prepare(SearchRequest(q=q)).lexical.units if u.label.isascii() for t in u.forms
    }


def _with(searcher, source: str):  # noqa: ANN001, ANN202
    return searcher.variant(options=dataclasses.replace(searcher.options, english_lexicon=source))


def test_the_searcher_reads_the_index_ranked_words(searcher) -> None:
    """Over the built-in corpus "advice" is 咨询 (the one rendering its clauses write), not 处方 / 劝告 / 建言
    (ranked high by the law corpora the bundled lexicon was built from); "fund" drops 经费, which no seed
    clause writes."""
    bundled, by_index = _with(searcher, "bundled"), _with(searcher, "index")
    assert {("处方",), ("劝告",)} <= _english_terms(bundled, "advice")
    assert ("经费",) in _english_terms(bundled, "fund")
    assert _english_terms(by_index, "advice") == {("咨询",)}
    fund = _english_terms(by_index, "fund")
    assert ("资金",) in fund and ("经费",) not in fund
    # a variant of a variant reads the same ranking and the same merged expander, each built once
    again = by_index.variant(options=by_index.options)
    assert again._english_by_index is by_index._english_by_index
    assert again.preparer.lexical.expander is by_index.preparer.lexical.expander
    assert _english_terms(again, "advice") == {("咨询",)}


def test_the_index_ranking_is_the_default() -> None:
    """Chosen on policy-dev's 49 English questions, tested once on 30 fresh ones (BENCHMARKS.md)."""
    assert Settings().english_lexicon == "index"


def test_a_chinese_question_is_read_the_same_either_way(searcher) -> None:
    q = SearchRequest(q="民营医院能不能纳入医保定点", top_k=10)
    bundled, by_index = _with(searcher, "bundled").search(q), _with(searcher, "index").search(q)
    assert bundled.hits and [h.clause_id for h in by_index.hits] == [h.clause_id for h in bundled.hits]


@pytest.mark.parametrize(
    ("value", "ok"), [("bundled", True), ("index", True), ("corpus", False), ("", False)]
)
def test_the_setting_is_validated(monkeypatch, value: str, ok: bool) -> None:
    monkeypatch.setenv("POLICY_SEARCH_ENGLISH_LEXICON", value)
    if ok:
        assert ranking_from(Settings()).english_lexicon == value
    else:
        with pytest.raises(ValueError, match="english_lexicon"):
            Settings()


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("hospitals", "hospital"),
        ("policies", "policy"),
        ("news", "news"),
        ("series", "series"),
        ("bus", "bus"),
    ],
)
def test_the_crude_singular_leaves_nouns_in_s(word: str, key: str) -> None:
    """ "news" is not the plural of "new": read as one, 新闻 / 信息 were candidates for "new home"."""
    from search.english import singular

    assert singular(word) == key


def test_new_is_not_read_as_news() -> None:
    c = read_candidates()
    assert "新闻" not in c["new"] and "全新" in c["new"] and "新闻" in c["news"]


@pytest.mark.parametrize(
    ("text", "key"),
    [("one's side", "one side"), ("the bank's loans", "bank loan"), ("'quoted' words", "quoted word")],
)
def test_a_key_read_twice_stays_the_same(text: str, key: str) -> None:
    """ "one's" → "one'" → "one": a key that a second reading changed could never meet a question."""
    from search.english import english_key

    assert english_key(text) == key and english_key(key) == key


def test_every_bundled_candidate_key_is_already_read() -> None:
    from search.english import english_key

    assert all(english_key(k) == k for k in read_candidates())


def test_keys_one_reading_folds_together_add_up() -> None:
    """ "year" and "year'" are one key: the words of both stand, not the last one read."""
    cedict = EnglishLexicon({"tax": ["税费"]}, 0.3)
    ex = QueryExpander({}, english=cedict).with_english({"year": ["青年", "年度"], "year'": ["应届"]})
    assert ex._english[1].entries["year"] == ["青年", "年度", "应届"]


def test_excluded_words_are_never_kept() -> None:
    got = ranked_by_index(CANDIDATES, Corpus().idf, Corpus.N, exclude=lambda w: w == "资金")
    assert got == {"fund": ["公积金", "基金"], "rent": ["房租"]}


def test_no_place_name_is_read_for_an_english_word(searcher) -> None:
    """The built-in corpus's documents are from 吉林市 and a few other places; a word like "abbr" or "county"
    would otherwise read the place that writes it most."""
    from corpus.gazetteer import Gazetteer

    places = Gazetteer.bundled()
    entries = _with(searcher, "index")._english_by_index.entries()
    assert entries  # the built-in corpus ranks many keys
    named = [(k, w) for k, ws in entries.items() for w in ws if places.get(w) or places.by_short(w)]
    assert named == []


def test_the_build_drops_parts_of_a_definition_that_refer_elsewhere() -> None:
    from tests.scripts_module import load_script

    build = load_script("build_english_lexicon")
    got = build.senses("Zhejiang province (Chekiang), abbr. 浙[Zhe4], capital Hangzhou 杭州[Hang2 zhou1]")
    assert got == ["Zhejiang province"]
    assert build.senses("see 公积金[gong1 ji1 jin1]") == []
    assert build.senses("to pay a dividend; bonus (CL:个)") == ["to pay a dividend", "bonus"]


def test_ranked_per_key_on_first_use_as_all_at_once() -> None:
    from search.english import RankedEntries

    lazy = RankedEntries(CANDIDATES, Corpus().idf, lambda: Corpus.N)
    assert "fund" in lazy and lazy["fund"] == ["资金", "公积金"]
    assert set(lazy._ranked) == {"fund"}  # nothing else ranked yet
    assert "rare" not in lazy and "nowhere" not in lazy
    with pytest.raises(KeyError):
        lazy["unknown"]
    assert dict(lazy) == ranked()  # iterating ranks every key: the same as ranking them all at once


def test_opening_ranks_nothing_a_question_ranks_its_keys(searcher) -> None:
    by_index = _with(searcher, "index")
    entries = by_index._english_by_index.entries()
    before = len(entries._ranked)
    _english_terms(by_index, "advice")
    assert "advice" in entries._ranked and len(entries._ranked) <= before + 3
