"""Relevance from the question and the clause alone (issue 24): one clause, one verdict in every view; one
order and one set of counts, read from the same numbers; English questions calibrated too."""

from __future__ import annotations

import numpy as np
import pytest

from search.compare_models import CompareRequest
from search.english import content_words
from search.lexical_query import QUESTION_WORDS, _tile
from search.models import SearchRequest
from search.relevance import english_share
from search.scoring import clause_key

QUESTIONS = [
    "医师多点执业政策",
    "民营医院能不能纳入医保定点",
    "Can physicians practice at multiple hospitals?",
    "社会办医院床位",
    "社会办医疗机构用地保障政策",
]


def _relevance(hits) -> dict[str, float]:  # noqa: ANN001
    """By clause (a view may show another part of a split clause; every part carries the clause's)."""
    return {clause_key(h.clause_id): h.relevance for h in hits}


@pytest.mark.parametrize("q", QUESTIONS)
def test_one_clause_one_relevance_in_every_view(searcher, q) -> None:
    """Search, a filtered search (the region drill-down, drafts left out), a grouped search and compare give
    each clause the same relevance; the issue saw 内蒙古 (八) at 0.08 in the list and 0.554 in its region's."""
    seen: dict[str, dict[str, float]] = {}  # clause → view → relevance

    def record(view: str, items) -> None:  # noqa: ANN001
        for c in items:
            seen.setdefault(clause_key(c.clause_id), {})[view] = c.relevance

    record("flat", searcher.search(SearchRequest(q=q, top_k=100)).hits)
    grouped = searcher.search(SearchRequest(q=q, top_k=5, group_by="jurisdiction", per_group=20))
    for g in grouped.groups:
        record("grouped", g.hits)
        record(
            "drill-down", searcher.search(SearchRequest(q=q, top_k=100, jurisdiction=[g.jurisdiction])).hits
        )
        no_drafts = SearchRequest(q=q, top_k=100, include_drafts=False, jurisdiction=[g.jurisdiction])
        record("filtered", searcher.search(no_drafts).hits)
    compared = searcher.compare(CompareRequest(q=q, per_jurisdiction=10))
    for j in compared.jurisdictions + compared.without:
        record("compare", j.clauses + ([j.nearest_miss] if j.nearest_miss else []))
    for key, views in seen.items():
        assert len(set(views.values())) == 1, (key, views)
    assert sum(len(v) >= 3 for v in seen.values()) >= 20
    assert any("compare" in v and "flat" in v for v in seen.values())


def test_the_issues_clause_is_strong_in_the_list_and_in_its_region(searcher) -> None:
    """内蒙古 (八) "支持和规范医师多机构执业" answers 医师多点执业政策: strong everywhere, counted everywhere."""
    q = "医师多点执业政策"
    grouped = searcher.search(SearchRequest(q=q, group_by="jurisdiction"))
    nm = next(g for g in grouped.groups if g.jurisdiction == "内蒙古自治区")
    assert nm.count >= 1 and any("（八）" in h.heading_path[-1] and h.strong for h in nm.hits)
    compared = searcher.compare(CompareRequest(q=q))
    assert "内蒙古自治区" in {j.jurisdiction for j in compared.jurisdictions}


def test_near_duplicate_sentences_get_near_equal_relevance(searcher) -> None:
    """Clauses that share a same-wording sentence (compare's groups) on the question's topic get the same
    verdict and relevance within 0.15 of each other: 辽宁 (十三), 吉林 (十二) and 衡水 (一) all say
    可在多个机构执业. (The model fitted on seeds and policy-dev together reads the cosine about 2.5 times as
    steeply as the seeds-only one did, so the tolerance that was 0.1 is 0.15; the verdict is the same.)"""
    checked = 0
    for q in ("医师多点执业政策", "医师多点执业"):
        r = searcher.compare(CompareRequest(q=q, per_jurisdiction=5))
        rel = {c.clause_id: c.relevance for j in r.jurisdictions for c in j.clauses}
        for g in r.groups:
            values = [rel[m.clause_id] for m in g.members]
            assert max(values) - min(values) <= 0.15, (q, g.common, values)
            assert len({v >= r.floor for v in values}) == 1, (q, g.common, values, r.floor)
            checked += 1
    assert checked >= 2


def test_near_identical_insurance_clauses_are_all_strong(searcher) -> None:
    """衡水 四/(二), 辽宁 三/(十四) and 吉林 五/(十三) say 落实将符合条件的社会办医疗机构纳入基本医疗保险定点范围:
    the question in colloquial words (民营医院, 医保定点) reaches all three through the lexicon."""
    hits = searcher.search(SearchRequest(q="民营医院能不能纳入医保定点", top_k=20)).hits
    by_place = {(h.document.jurisdiction, h.heading_path[-1][:5]): h for h in hits}
    for key in (("河北省/衡水市", "（二）落实"), ("辽宁省", "（十四）落"), ("吉林省/吉林市", "（十三）落")):
        assert by_place[key].strong, key


@pytest.mark.parametrize(
    ("q", "strong_in"),
    [
        ("Can physicians practice at multiple hospitals?", {"河北省/衡水市", "吉林省/吉林市", "辽宁省"}),
        ("Can private hospitals be designated for basic medical insurance?", {"河北省/衡水市"}),
    ],
)
def test_english_questions_are_calibrated(searcher, q, strong_in) -> None:
    """Once "0 条匹配条款" and "probably not on the topic": the lexical features of an English question were 0."""
    r = searcher.search(SearchRequest(q=q, group_by="jurisdiction"))
    assert r.total >= len(strong_in) and "no_strong_match" not in r.notice_codes
    assert strong_in <= {g.jurisdiction for g in r.groups if g.count > 0}
    assert r.hits[0].strong


@pytest.mark.parametrize("q", ["航天发射场", "What is the penalty for drunk driving?"])
def test_off_topic_questions_have_nothing_strong(searcher, q) -> None:
    r = searcher.search(SearchRequest(q=q, group_by="jurisdiction"))
    assert r.total == 0 and all(g.count == 0 for g in r.groups) and "no_strong_match" in r.notice_codes


# -- one order, one verdict ---------------------------------------------------------------------------
@pytest.mark.parametrize("q", QUESTIONS + ["医师多点执业", "航天发射场"])
def test_a_weak_clause_never_ranks_above_a_strong_one(searcher, q) -> None:
    hits = searcher.search(SearchRequest(q=q, top_k=30)).hits
    strong = [h.strong for h in hits]
    assert strong == sorted(strong, reverse=True), [(h.relevance, h.strong) for h in hits]
    grouped = searcher.search(SearchRequest(q=q, group_by="jurisdiction", per_group=10))
    for g in grouped.groups:
        flags = [h.strong for h in g.hits]
        assert flags == sorted(flags, reverse=True)


@pytest.mark.parametrize("q", QUESTIONS + ["医师多点执业"])
def test_counts_total_drill_down_and_compare_agree(searcher, q) -> None:
    """A region's count in a grouped search = its count in compare, and its drill-down's total = its count
    plus those of the regions under it (a drill-down to 九江市 includes 武宁县's documents); the total is the
    sum of the counts; compare lists a region under 没有相关条款 exactly when its count is 0."""
    grouped = searcher.search(SearchRequest(q=q, group_by="jurisdiction"))
    compared = searcher.compare(CompareRequest(q=q))
    counts = {j.jurisdiction: j.count for j in compared.jurisdictions}
    without = {j.jurisdiction for j in compared.without}
    assert grouped.total == sum(g.count for g in grouped.groups)
    flat = searcher.search(SearchRequest(q=q))
    assert flat.total == grouped.total
    for g in grouped.groups:
        drill = searcher.search(SearchRequest(q=q, jurisdiction=[g.jurisdiction]))
        below = sum(o.count for o in grouped.groups if o.jurisdiction.startswith(g.jurisdiction + "/"))
        assert drill.total == g.count + below, g.jurisdiction
        if g.count:
            assert counts[g.jurisdiction] == g.count
        else:
            assert g.jurisdiction in without
        strong_shown = {clause_key(h.clause_id) for h in drill.hits if h.strong}
        assert len(strong_shown) == min(g.count, len(strong_shown))  # never more strong shown than counted


def test_a_split_clause_has_one_relevance(searcher) -> None:
    """Every part of a split clause carries the clause's relevance (the best of its parts')."""
    p = searcher.prepare(SearchRequest(q="社会办医院床位"))
    cands = searcher.pool.candidates(p, searcher.depth())
    sc = searcher.scorer.score(p, cands)
    by_clause: dict[str, set[float]] = {}
    for cid, r in zip(cands.ids, sc.relevance):
        by_clause.setdefault(clause_key(cid), set()).add(round(float(r), 9))
    assert any("~" in c for c in cands.ids)
    assert all(len(v) == 1 for v in by_clause.values())


def test_features_do_not_look_at_the_pool(searcher) -> None:
    """The same clause's features with the whole corpus as candidates and with itself alone."""
    from search.relevance import features

    q = "民营医院能不能纳入医保定点"
    p = searcher.prepare(SearchRequest(q=q))
    cands = searcher.pool.candidates(p, searcher.depth())
    law = np.zeros(len(cands.ids), bool)
    lex = searcher.generation.lexical
    containers = searcher.scorer.relevance.containers
    every = features(p.lexical, q, cands.ids, cands.lexical, cands.dense, law, lex, containers)
    for i in (0, len(cands.ids) // 2, len(cands.ids) - 1):
        one = features(
            p.lexical, q, cands.ids[i : i + 1], cands.lexical[i : i + 1], cands.dense[i : i + 1], law[:1], lex
        )
        for name in ("dense", "lexical", "english"):
            assert one[name][0] == pytest.approx(every[name][i])
    assert (every["lexical"] <= 1.0).all()  # a share of what the question can attain


# -- units of a question ------------------------------------------------------------------------------
def test_units_read_a_question_through_the_lexicon(searcher) -> None:
    lq = searcher.prepare(SearchRequest(q="民营医院能不能纳入医保定点")).lexical
    units = {u.label: u for u in lq.units}
    assert ("社会办医疗机构",) in units["民营医院"].forms  # the official wording counts
    assert units["民营医院"].weighed[0] != ("民营医院",)  # weighed by its official forms
    assert ("医保", "定点") in units["医保定点"].forms and ("基本医疗保险", "定点") in units["医保定点"].forms
    assert not set(units) & QUESTION_WORDS and "保定" not in units  # not a question word, not a stray token
    english = searcher.prepare(SearchRequest(q="Can physicians practice at multiple hospitals?")).lexical
    assert {u.label for u in english.units} == {"physician", "practice", "multiple", "hospital"}
    unknown = searcher.prepare(SearchRequest(q="Can physicians use blockchain?")).lexical
    assert any(u.label == "blockchain" and not u.forms for u in unknown.units)


@pytest.mark.parametrize(
    ("word", "pieces", "tiling"),
    [
        ("医保定点", ["医保", "保定", "定点"], ("医保", "定点")),
        ("多点执业", ["多点", "执业"], ("多点", "执业")),
        ("医保", ["医"], None),
    ],
)
def test_tiling(word, pieces, tiling) -> None:
    assert _tile(word, pieces) == tiling


def test_english_share() -> None:
    assert english_share("Can physicians practice?") == 1.0 and english_share("医师多点执业") == 0.0
    assert 0 < english_share("医师 multiple 执业") < 1 and content_words("the") == []
