"""The hybrid searcher over the built-in corpus with the default embedder."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from search.models import NotFound, QueryError, SearchRequest

ISSUE_QUERIES = {
    "医师多点执业政策": ["多点执业", "多个机构执业", "多机构执业"],
    "民营医院能不能纳入医保定点": ["医保定点", "基本医疗保险定点", "医疗保险定点"],
    "Can physicians practice at multiple hospitals?": ["多点执业", "多个机构执业", "多机构执业"],
}


@pytest.mark.parametrize("query", sorted(ISSUE_QUERIES))
def test_issue_queries_find_relevant_clauses_across_jurisdictions(searcher, query: str) -> None:
    resp = searcher.search(SearchRequest(q=query, top_k=10))
    relevant = [h for h in resp.hits if any(p in h.text for p in ISSUE_QUERIES[query])]
    assert len(relevant) >= 3, [h.text[:30] for h in resp.hits]
    assert len({h.document.jurisdiction for h in relevant}) >= 3
    assert all(h.heading_path for h in resp.hits)
    top3 = resp.hits[:3]
    assert sum(any(p in h.text for p in ISSUE_QUERIES[query]) for h in top3) >= 2


def test_jurisdiction_prefix_filter_applied_before_cut(searcher) -> None:
    resp = searcher.search(SearchRequest(q="医师多点执业", top_k=5, jurisdiction="辽宁省"))
    assert len(resp.hits) == 5 and {h.document.province for h in resp.hits} == {"辽宁省"}
    city = searcher.search(SearchRequest(q="医师多点执业", top_k=5, jurisdiction=["浙江省"]))
    assert {h.document.jurisdiction for h in city.hits} == {"浙江省/舟山市"}
    assert searcher.search(SearchRequest(q="医师", jurisdiction="广东省")).hits == []


@pytest.mark.parametrize(
    ("kwargs", "check"),
    [
        (dict(include_drafts=False), lambda d: d.status != "draft"),
        (dict(date_from=dt.date(2018, 1, 1)), lambda d: d.date and d.date >= "2018-01-01"),
        (dict(date_to=dt.date(2018, 12, 31)), lambda d: d.date and d.date <= "2018-12-31"),
        (dict(doc_type="实施方案"), lambda d: d.doc_type == "实施方案"),
        (dict(level="地市级"), lambda d: d.level == "地市级"),
        (dict(city="衡水市"), lambda d: d.city == "衡水市"),
        (dict(issuer="舟山市"), lambda d: "舟山市" in d.issuer),
    ],
)
def test_filters(searcher, kwargs, check) -> None:
    resp = searcher.search(SearchRequest(q="社会办医疗机构", top_k=20, **kwargs))
    assert resp.hits and all(check(h.document) for h in resp.hits)


def test_group_by_jurisdiction(searcher) -> None:
    resp = searcher.search(
        SearchRequest(q="医师多点执业政策", top_k=10, group_by="jurisdiction", per_group=2)
    )
    assert resp.groups is not None and len(resp.groups) == 5
    scores = [g.best_score for g in resp.groups]
    assert scores == sorted(scores, reverse=True)
    for g in resp.groups:
        assert 1 <= len(g.hits) <= 2 and all(h.document.jurisdiction == g.jurisdiction for h in g.hits)
        assert g.best_score == max(h.score for h in g.hits)  # the best-scored clause is among the 2 shown


def _counting(store, monkeypatch) -> list[int]:
    """Each read of the clause store, by the number of ids it asked for."""
    calls: list[int] = []
    read = store.clauses

    def counted(ids):
        calls.append(len(ids))
        return read(ids)

    monkeypatch.setattr(store, "clauses", counted)
    return calls


@pytest.mark.parametrize("view", ["grouped", "compare", "timeline"])
def test_per_jurisdiction_views_read_the_store_in_a_few_queries(searcher, monkeypatch, view: str) -> None:
    """A view showing a few clauses of every jurisdiction reads them together, not a query per jurisdiction
    (at 10⁶ clauses, 450 of them)."""
    from search.compare_models import CompareRequest
    from search.timeline_models import TimelineRequest

    calls = _counting(searcher.store, monkeypatch)
    q = "医师多点执业政策"
    if view == "grouped":
        got = searcher.search(SearchRequest(q=q, top_k=3, group_by="jurisdiction", per_group=2)).groups
    elif view == "compare":
        got = searcher.compare(CompareRequest(q=q, per_jurisdiction=2)).jurisdictions
    else:
        got = searcher.timeline(TimelineRequest(q=q, per_jurisdiction=2)).jurisdictions
    assert len(got) >= 4
    assert len(calls) <= 3, calls  # the hits' own read, the jurisdictions' heads, at most one more


@pytest.mark.parametrize("batch", [None, 1, 3, 50])
def test_dedupe_through_a_clause_cache_picks_what_it_picks_reading_directly(searcher, batch) -> None:
    from search.dedupe import ClauseCache, dedupe

    resp = searcher.search(SearchRequest(q="社会办医疗机构纳入医保定点", top_k=60))
    ids = [h.clause_id for h in resp.hits]
    ids = ids + ids[:5]  # repeats: the second time is not a second clause
    direct = dedupe(ids, searcher.store.clauses, 12)
    cache = ClauseCache(searcher.store.clauses, ids[:4])
    cached = dedupe(ids, cache, 12, batch)
    assert [(i, c.id) for i, c in direct] == [(i, c.id) for i, c in cached]


def test_clause_cache_reads_its_head_at_once_and_each_clause_once(searcher, monkeypatch) -> None:
    from search.dedupe import ClauseCache

    ids = list(searcher.store.clause_doc)[:30]
    calls = _counting(searcher.store, monkeypatch)
    cache = ClauseCache(searcher.store.clauses, ids[:10] + ids[:3])
    assert calls == [10]
    got = cache(ids[5:15] + ids[5:7])
    assert calls == [10, 5] and [c.id for c in got] == ids[5:15] + ids[5:7]
    cache(ids[:15])
    assert calls == [10, 5]


def test_no_clause_returned_twice(searcher) -> None:
    resp = searcher.search(SearchRequest(q="社会办医疗机构纳入医保定点", top_k=30))
    keys = [(h.document.id, tuple(h.heading_path)) for h in resp.hits if h.part_count > 1]
    assert len(keys) == len(set(keys))
    assert len({h.clause_id for h in resp.hits}) == len(resp.hits)


def test_highlights_and_explanation(searcher) -> None:
    resp = searcher.search(SearchRequest(q="民营医院纳入医保定点", top_k=5))
    h = resp.hits[0]
    assert h.highlights
    for m in h.highlights:
        assert h.text[m.start : m.end].lower() == m.term
    e = h.explanation
    assert e.fusion == "weighted" and e.fused_score == h.score
    assert "社会办医" in e.expansions  # 民营医院 → 社会办医
    assert e.lexical_rank or e.dense_rank
    # the page's order is the learned head order's; by each hit's place before it, the fused scores fall
    before = sorted(resp.hits, key=lambda x: x.explanation.fused_rank)
    scores = [x.score for x in before]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("fusion", ["lexical", "dense", "rrf", "weighted"])
def test_every_fusion_runs(searcher, fusion: str) -> None:
    assert searcher.search(SearchRequest(q="用地保障", top_k=3, fusion=fusion)).hits


def test_query_limits(searcher) -> None:
    with pytest.raises(ValueError):
        SearchRequest(q="   ")
    with pytest.raises(ValueError):
        SearchRequest(q="x", top_k=101)
    with pytest.raises(QueryError):
        searcher.search(SearchRequest(q="医" * 501))


def test_document_and_clause_views(searcher) -> None:
    hit = searcher.search(SearchRequest(q="医养结合", top_k=1)).hits[0]
    doc = searcher.document(hit.document.id)
    ids = [c.clause_id for c in doc.clauses]
    assert hit.clause_id in ids
    c = next(c for c in doc.clauses if c.clause_id == hit.clause_id)
    assert doc.text[c.start : c.end] == c.text
    view = searcher.clause(hit.clause_id)
    assert view.clause.text == hit.text and view.document.id == hit.document.id
    i = ids.index(hit.clause_id)
    assert (view.previous.clause_id if view.previous else None) == (ids[i - 1] if i > 0 else None)
    with pytest.raises(NotFound):
        searcher.document("nope")
    with pytest.raises(NotFound):
        searcher.clause("nope")


def test_stats(searcher) -> None:
    st = searcher.stats()
    assert st["documents"] == 5 and st["clauses"] == sum(j["clauses"] for j in st["jurisdictions"])
    assert {j["jurisdiction"] for j in st["jurisdictions"]} == {
        "吉林省/吉林市",
        "河北省/衡水市",
        "辽宁省",
        "浙江省/舟山市",
        "内蒙古自治区",
    }


def test_highlights_of_equal_length_terms_follow_the_order_given() -> None:
    """社会办医 and 医疗机构 overlap in 社会办医疗机构 and are both 4 characters: the term given first is marked,
    in every process (a set's order changes with PYTHONHASHSEED, and so did the marks)."""
    import subprocess
    import sys

    from search.highlight import highlight

    text = "鼓励社会办医疗机构纳入医保定点"
    marked = lambda terms: [text[h.start : h.end] for h in highlight(text, terms)]  # noqa: E731
    assert marked(["社会办医", "医疗机构"])[0] == "社会办医"
    assert marked(["医疗机构", "社会办医"])[0] == "医疗机构"
    code = (
        "from search.highlight import highlight\n"
        f"t = {text!r}\n"
        "print([t[h.start:h.end] for h in highlight(t, ['社会办医', '医疗机构', '医保', '定点', '纳入'])])"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(6)
    }
    assert len(outs) == 1, outs
