"""An English question's Chinese words chosen by its first page (search.translation).

The page clauses are written the way policy-dev's 住房公积金 notices are (租房提取, 按月提取, 首付); the senses
are CC-CEDICT's for the words asked (公积金 "accumulated fund", 首付 "down payment"), cut to a few.
"""

from __future__ import annotations

import dataclasses
import gzip

import numpy as np
import pytest

from index.bm25 import bm25_idf
from search.expansion import QueryExpander
from search.models import SearchRequest
from search.translation import EnglishSenses, FirstPageTranslator, Translation, _df

SENSES = EnglishSenses(
    {
        "fund": ("公积金", "基金", "资金", "经费"),
        "withdraw": ("提取", "撤回", "退出"),
        "rent": ("房租", "租金", "出租"),
        "pay": ("支付", "缴纳"),
        "down payment": ("首付", "定金", "押金"),
        "payment": ("付款", "支付"),
        "down": ("下降", "首付"),
        "city": ("本市", "城市"),
    }
)
PAGE = [
    "缴存职工在本市无自有住房且租赁住房的，可按实际房租支出提取住房公积金，每月提取额不超过1700元。",
    "推行租房提取按月划转，缴存人可申请按实际已支付房租按月提取住房公积金。",
    "多子女家庭租房提取住房公积金的，提取限额可上浮50%，按实际房租提取本人及配偶的住房公积金。",
    "职工购买自住住房的，可提取住房公积金支付首付款，本市户籍与非本市户籍同等对待。",
]


class Corpus:
    """Document frequencies of a 10,000-clause corpus where 本市 and 支付 are everywhere and 公积金 is common."""

    N = 10_000
    DF = {
        "公积金": 900,
        "基金": 300,
        "资金": 2_000,
        "提取": 700,
        "房租": 60,
        "支付": 3_000,
        "本市": 4_000,
        "首付": 80,
    }

    def idf(self, words):  # noqa: ANN001, ANN201
        df = np.array([self.DF.get(w, 0) for w in words], np.float64)
        return np.where(df > 0, bm25_idf(df, self.N), 0.0)


def tokenize(text: str) -> list[str]:
    """The words of the senses wherever they stand in the text (the tests' stand-in for jieba)."""
    words = {w for ws in SENSES.entries.values() for w in ws} | {"首付款"}
    return [w for w in words if w in text]


def translator(**kw) -> FirstPageTranslator:  # noqa: ANN003
    c = Corpus()
    return FirstPageTranslator(SENSES, tokenize, c.idf, lambda: c.N, **kw)


def test_the_page_chooses_among_the_senses() -> None:
    """ "fund": 公积金 (on all four clauses) and not 基金 / 资金 / 经费 (on none); "rent": 房租, not 出租 (the
    page never says it); "withdraw": 提取. 支付 is on the page but everywhere in the corpus: not chosen."""
    got = translator().choose("Can I withdraw my housing provident fund to pay rent?", PAGE)
    assert got.chosen == {"withdraw": ["提取"], "fund": ["公积金"], "rent": ["房租"]}
    assert "pay" not in got.chosen  # 支付: 2 of 4 clauses, but 30 % of the corpus (lift < 3)
    assert got.describe() == "withdraw → 提取；fund → 公积金；rent → 房租"


def test_two_words_in_a_row_are_read_before_one() -> None:
    page = ["首付比例不低于20%。", "二套住房首付比例不低于30%。", "首付款可分期支付。"]
    got = translator().choose("minimum down payment ratio", page)
    assert got.chosen == {"down payment": ["首付"]}  # not "down" → 首付 and "payment" → 付款 apart


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, {"fund": ["公积金"], "rent": ["房租"]}),
        ({"min_clauses": 4}, {"fund": ["公积金"]}),  # 房租 is on 3 of the 4 clauses
        ({"lift": 12.0}, {"rent": ["房租"]}),  # 公积金: 9 % of the corpus, all the page (lift 11)
    ],
)
def test_how_much_of_the_page_a_word_needs(kw: dict, expected: dict) -> None:
    assert translator(**kw).choose("fund rent", PAGE).chosen == expected


def test_per_word_keeps_the_best_by_clauses_and_idf() -> None:
    page = PAGE + ["公积金与基金分别管理。", "基金收益按规定分配。"]
    got = translator(per_word=2).choose("fund", page)
    assert got.chosen == {"fund": ["公积金", "基金"]}  # 4 clauses × IDF beats 2 × a higher IDF
    assert translator(per_word=1).choose("fund", page).chosen == {"fund": ["公积金"]}


@pytest.mark.parametrize("question", ["公积金租房提取", "", "the of and"])
def test_nothing_to_choose(question: str) -> None:
    got = translator().choose(question, PAGE)
    assert not got and got == Translation({})


def test_an_empty_page_chooses_nothing() -> None:
    assert not translator().choose("fund", [])


@pytest.mark.parametrize("kw", [{"per_word": 0}, {"min_clauses": 0}, {"lift": 0.0}])
def test_bad_settings_are_refused(kw: dict) -> None:
    with pytest.raises(ValueError):
        translator(**kw)


@pytest.mark.parametrize("df", [1, 2, 60, 900, 4_000, 9_999])
def test_df_is_read_back_from_the_idf(df: int) -> None:
    idf = float(bm25_idf(np.array([df], np.float64), 10_000)[0])
    assert _df(idf, 10_000) == pytest.approx(df, rel=1e-9)


def test_the_senses_file_reads_back(tmp_path) -> None:
    path = tmp_path / "senses.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("# comment\nfund\t公积金 基金\ndown payment\t首付\nbroken line\n")
    s = EnglishSenses.read(path)
    assert s("fund") == ("公积金", "基金") and s("down payment") == ("首付",) and s("broken line") == ()


def test_the_bundled_senses_hold_the_words_policy_uses() -> None:
    """CC-CEDICT files them under senses the bundled lexicon's "most frequent" choice passes over."""
    s = EnglishSenses.bundled()
    assert "公积金" in s("fund") and "首付" in s("down payment") and "按揭" in s("mortgage")
    assert EnglishSenses.bundled() is s  # read once


def test_chosen_words_stand_before_the_lexicons() -> None:
    """ "fund" alone gives the bundled lexicons' 资金 / 经费 / 基金; chosen, 公积金 stands in their place, at
    the hand-made lexicon's weight, and the other lexicons' words for "fund" are not added."""
    ex = QueryExpander.bundled()
    plain = ex.expand("withdraw provident fund")
    assert "公积金" not in plain.terms
    chosen = ex.expand("withdraw provident fund", {"fund": ["公积金"]})
    # at the hand-made lexicon's weight, above the words CC-CEDICT's lexicon gives "withdraw"
    assert chosen.weights["公积金"] == ex._english[0].weight > chosen.weights["提取"]
    assert not {"资金", "经费", "基金"} & set(chosen.terms)
    assert ("fund", ["公积金"]) in chosen.matches


# -- in a search over the built-in corpus (社会办医) ---------------------------------------------------------

ENGLISH = "Can private hospitals be designated for medical insurance?"


def translating(searcher, depth: int = 20):  # noqa: ANN001, ANN201
    """The searcher with the first-page translation on (off by default)."""
    return searcher.variant(options=dataclasses.replace(searcher.options, english_translation=depth))


def test_off_by_default(searcher) -> None:
    assert searcher.options.english_translation == 0
    assert "english_translated" not in searcher.search(SearchRequest(q=ENGLISH, top_k=10)).notice_codes


def test_an_english_question_is_ranked_again_with_the_chosen_words(searcher) -> None:
    s = translating(searcher)
    on = s.search(SearchRequest(q=ENGLISH, top_k=10))
    plain = searcher.search(SearchRequest(q=ENGLISH, top_k=20))
    assert "english_translated" in on.notice_codes and "english_translated" not in plain.notice_codes
    chosen = s.translator().choose(ENGLISH, (h.text for h in plain.hits))
    assert chosen  # the first page bears some words out
    for words in chosen.chosen.values():
        for w in words:
            # every chosen word is on at least two clauses of the first page, and marked on the hits
            assert sum(w in searcher.tokenizer.tokenize(h.text) for h in plain.hits) >= 2
            assert w in on.hits[0].explanation.expansions
    notice_text = on.notices[on.notice_codes.index("english_translated")]
    assert chosen.describe() in notice_text


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(q="民营医院能不能纳入医保定点", top_k=10),  # Chinese
        SearchRequest(q=ENGLISH, top_k=10, fusion="dense"),  # no lexical side to translate for
    ],
)
def test_no_translation_where_it_cannot_count(searcher, request_: SearchRequest) -> None:
    on = translating(searcher).search(request_)
    off = searcher.search(request_)
    assert "english_translated" not in on.notice_codes
    assert [h.clause_id for h in on.hits] == [h.clause_id for h in off.hits]


def test_grouped_search_uses_the_same_words(searcher) -> None:
    s = translating(searcher)
    grouped = s.search(SearchRequest(q=ENGLISH, top_k=10, group_by="jurisdiction", per_group=3))
    plain = s.search(SearchRequest(q=ENGLISH, top_k=10))
    assert "english_translated" in grouped.notice_codes
    assert grouped.total == plain.total
    assert [h.clause_id for h in grouped.hits] == [h.clause_id for h in plain.hits]


def _named(notice_text: str) -> list[str]:
    """The Chinese words a notice names: "…：bed → 床位；rent → 房租、租赁" → [床位, 房租, 租赁]."""
    listed = notice_text.split("：", 1)[1]
    return [w for part in listed.split("；") for w in part.split(" → ", 1)[1].split("、")]


@pytest.mark.parametrize(
    "q",
    [
        "hospital beds per thousand permanent residents",  # "hospital bed" → 病床 is read before a chosen "bed"
        "public private partnership in health care",
        "traditional Chinese medicine clinics",
        ENGLISH,
    ],
)
def test_the_notice_names_only_words_the_ranking_read(searcher, q: str) -> None:
    r = translating(searcher).search(SearchRequest(q=q, top_k=5))
    if "english_translated" not in r.notice_codes:
        return  # nothing chosen, or nothing the ranking read: no notice (asserted for one question below)
    text = r.notices[r.notice_codes.index("english_translated")]
    named = _named(text)
    assert named and set(named) <= set(r.hits[0].explanation.expansions), (
        named,
        r.hits[0].explanation.expansions,
    )


def test_a_chosen_word_a_longer_phrase_took_is_not_named(searcher) -> None:
    """ "bed" alone may be chosen (床位 is on the page), but the question is read with the CC-CEDICT phrase
    "hospital bed" → 病床: the notice must not name 床位."""
    q = "hospital beds per thousand permanent residents"
    s = translating(searcher)
    first = searcher.search(SearchRequest(q=q, top_k=20))
    chosen = s.translator().choose(q, (h.text for h in first.hits))
    r = s.search(SearchRequest(q=q, top_k=5))
    named = (
        _named(r.notices[r.notice_codes.index("english_translated")])
        if "english_translated" in r.notice_codes
        else []
    )
    for key, words in chosen.chosen.items():
        if key not in {u.label for u in s.prepare(SearchRequest(q=q)).lexical.units} and key == "bed":
            assert not set(words) & set(named)
    assert Translation({"bed": ["床位"], "rent": ["房租"]}).within({"rent"}).chosen == {"rent": ["房租"]}


def test_a_question_that_is_only_a_place_is_not_translated(searcher) -> None:
    """ "Jilin": the place is taken out as a preference; no English word is left to translate (the place is
    not read back in as a word)."""
    on = translating(searcher).search(SearchRequest(q="Jilin", top_k=5))
    off = searcher.search(SearchRequest(q="Jilin", top_k=5))
    assert "english_translated" not in on.notice_codes
    assert [h.clause_id for h in on.hits] == [h.clause_id for h in off.hits] and on.total == off.total
