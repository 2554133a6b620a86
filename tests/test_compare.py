"""Comparison across jurisdictions (search.compare), and the results-page fixes of the same issue, through the
library and the API, on the built-in corpus."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from index.neardup import WordingIndex, sentences
from search.compare import char_diff
from search.compare_models import CompareRequest
from search.figures import extract, similar_measures
from search.models import SearchRequest

from .conftest import LOCAL, Borrowed


@pytest.fixture(scope="module")
def client(searcher):
    from config.settings import Settings

    with TestClient(create_app(Settings(), searcher_factory=lambda: Borrowed(searcher)), base_url=LOCAL) as c:
        yield c


# -- compare -----------------------------------------------------------------------------------------
def test_compare_lists_each_jurisdiction_in_order(searcher) -> None:
    r = searcher.compare(CompareRequest(q="医师多点执业"))
    names = [j.jurisdiction for j in r.jurisdictions]
    assert {"辽宁省", "吉林省/吉林市", "河北省/衡水市"} <= set(names)
    levels = [{"national": 0, "province": 1, "city": 2}[j.level] for j in r.jurisdictions]
    assert levels == sorted(levels)  # national, then provinces, then cities
    for j in r.jurisdictions:
        assert j.clauses and all(c.strong and c.relevance >= r.floor for c in j.clauses)
        assert all(c.document.jurisdiction == j.jurisdiction for c in j.clauses)
        assert j.count >= len({c.clause_id.split("~")[0] for c in j.clauses})
    # every jurisdiction of the corpus is listed once, with matches or as having nothing on it
    listed = names + [j.jurisdiction for j in r.without]
    assert sorted(listed) == sorted(set(listed)) and len(listed) == 5
    for j in r.without:
        assert j.nearest_miss is not None and j.nearest_miss.relevance < r.floor
        assert (
            j.best_relevance == pytest.approx(j.nearest_miss.relevance, abs=1e-3)
            or j.best_relevance < r.floor
        )


def test_compare_searches_within_each_jurisdiction(searcher) -> None:
    """A jurisdiction's best clause is found even where a global top-k would have cut it off."""
    r = searcher.compare(CompareRequest(q="医师多点执业", per_jurisdiction=1))
    for j in r.jurisdictions:
        alone = searcher.search(SearchRequest(q="医师多点执业", jurisdiction=[j.jurisdiction], top_k=5))
        assert j.clauses[0].clause_id in [h.clause_id for h in alone.hits[:3]]


def test_same_wording_group_of_jilin_and_liaoning(searcher) -> None:
    r = searcher.compare(CompareRequest(q="医师多点执业"))
    group = next(g for g in r.groups if "可在多个机构执业" in g.common)
    members = {m.jurisdiction: m for m in group.members}
    assert {"吉林省/吉林市", "辽宁省"} <= set(members)
    for m in group.members:
        # the diff rebuilds both the member's sentence and the common form
        assert "".join(d.text for d in m.diff) == m.sentence
        assert "".join(d.common for d in m.diff) == group.common
    changed = [m for m in group.members if any(d.op != "equal" for d in m.diff)]
    assert changed, "吉林 adds 促进医师有序流动; the diff must show it"


def test_figures_of_the_bed_quota(searcher) -> None:
    r = searcher.compare(CompareRequest(q="床位规划"))
    row = next(row for row in r.figures if row.unit == "张")
    got = {(f.jurisdiction, f.value) for f in row.figures}
    assert {("吉林省/吉林市", 1.3), ("河北省/衡水市", 1.5), ("辽宁省", 1.5)} <= got


def test_off_topic_compare_says_nothing_on_it(searcher) -> None:
    r = searcher.compare(CompareRequest(q="航天发射场"))
    assert r.jurisdictions == [] and len(r.without) == 5
    assert any("阈值" in n for n in r.notices) and "no_jurisdiction_over_floor" in r.notice_codes


def test_compare_takes_the_filters(searcher) -> None:
    r = searcher.compare(CompareRequest(q="医师多点执业", jurisdiction=["辽宁", "吉林市"]))
    listed = {j.jurisdiction for j in r.jurisdictions + r.without}
    assert listed == {"辽宁省", "吉林省/吉林市"}
    assert any("按 辽宁省 检索" in n for n in r.notices)


# -- API ---------------------------------------------------------------------------------------------
def test_compare_api_get_and_post(client) -> None:
    r = client.get("/api/compare", params={"q": "医师多点执业", "per_jurisdiction": 2})
    assert r.status_code == 200
    body = r.json()
    assert {"jurisdictions", "without", "groups", "figures", "floor", "notices"} <= set(body)
    assert all(len(j["clauses"]) <= 2 for j in body["jurisdictions"])
    p = client.post("/api/compare", json={"q": "医师多点执业", "per_jurisdiction": 2.0})  # JSON's 2.0 is 2
    assert p.status_code == 200
    bad = client.post("/api/compare", json={"q": "医师多点执业", "per_jurisdiction": "2"})
    assert bad.status_code == 422 and "per_jurisdiction" in bad.json()["detail"]
    assert [j["jurisdiction"] for j in p.json()["jurisdictions"]] == [
        j["jurisdiction"] for j in body["jurisdictions"]
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "医师", "per_jurisdiction": 0},
        {"q": "医师", "per_jurisdiction": 11},
        {"q": "医师", "bogus": 1},
    ],
)
def test_compare_api_rejects_bad_input(client, params) -> None:
    r = client.get("/api/compare", params=params)
    assert r.status_code == 422 and r.json()["detail"]  # an unknown parameter too, as for search


# -- the results page's API fixes --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("吉林市", "吉林省/吉林市"),
        ("辽宁", "辽宁省"),
        ("舟山市", "浙江省/舟山市"),
        ("舟山", "浙江省/舟山市"),
        ("内蒙古", "内蒙古自治区"),
    ],
)
def test_jurisdiction_filter_reads_names(client, given, read) -> None:
    r = client.get("/api/search", params={"q": "社会办医", "jurisdiction": given})
    body = r.json()
    assert r.status_code == 200 and body["jurisdictions"] == [read]
    assert body["hits"] and all(
        h["document"]["jurisdiction"] == read or h["document"]["jurisdiction"].startswith(read + "/")
        for h in body["hits"]
    )


def test_jurisdiction_without_documents_names_the_ones_that_exist(client) -> None:
    body = client.get("/api/search", params={"q": "社会办医", "jurisdiction": "沈阳"}).json()
    assert body["hits"] == []
    assert any(
        "辽宁省 › 沈阳市" in n and "已索引的地区：" in n and "辽宁省" in n.split("已索引的地区：")[1]
        for n in body["notices"]
    )
    body = client.get("/api/search", params={"q": "社会办医", "jurisdiction": "火星"}).json()
    assert body["hits"] == [] and any("不是可识别的" in n for n in body["notices"])
    assert "unknown_jurisdiction" in body["notice_codes"]


def test_total_counts_matching_clauses_and_groups_count_theirs(client) -> None:
    body = client.get(
        "/api/search", params={"q": "医师多点执业政策", "group_by": "jurisdiction", "per_group": 1}
    ).json()
    assert body["total"] < body["candidates"]
    assert body["total"] == sum(g["count"] for g in body["groups"])
    assert all(len(g["hits"]) <= 1 for g in body["groups"])
    assert any(g["count"] > len(g["hits"]) for g in body["groups"])  # more than shown: the page links to them


def test_weak_results_are_said(client) -> None:
    body = client.get("/api/search", params={"q": "航天发射场"}).json()
    assert body["total"] == 0 and body["hits"]
    assert not any(h["strong"] for h in body["hits"])
    assert any("没有强相关条款" in n for n in body["notices"]) and "no_strong_match" in body["notice_codes"]
    strong = client.get("/api/search", params={"q": "医师多点执业政策"}).json()
    assert strong["hits"][0]["strong"] and "no_strong_match" not in strong["notice_codes"]


def test_undated_documents_excluded_are_counted_and_can_be_included(client) -> None:
    base = {"q": "社会办医", "date_from": "2017-01-01", "group_by": "jurisdiction"}
    body = client.get("/api/search", params=base).json()
    assert body["excluded_undated"] >= 1
    assert any("未注明日期" in n for n in body["notices"]) and "undated_excluded" in body["notice_codes"]
    assert "内蒙古自治区" not in {g["jurisdiction"] for g in body["groups"]}
    more = client.get("/api/search", params={**base, "include_undated": "true"}).json()
    assert more["excluded_undated"] == 0
    assert "内蒙古自治区" in {g["jurisdiction"] for g in more["groups"]}


def test_inferred_region_is_marked(client) -> None:
    body = client.get("/api/search", params={"q": "社会办医", "jurisdiction": "内蒙古"}).json()
    assert body["hits"] and all(h["document"]["jurisdiction_inferred"] for h in body["hits"])


# -- units ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value", "unit", "bound"),
    [
        ("到2020年，按照每千常住人口不低于1.5张床位为社会办医院预留规划空间", 1.5, "张", "≥"),
        ("社会办医疗机构床位数占比达到 28%以上", 28, "%", "≥"),
        ("在三个月内反馈评审结果", 3, "个月", "≤"),
        ("占比达到百分之三十", 30, "%", "="),
        ("床位数和诊疗服务量占比达到25%左右", 25, "%", "≈"),
    ],
)
def test_figures_extracted(text, value, unit, bound) -> None:
    figs = [f for f in extract(text) if f.unit == unit]
    assert figs and figs[0].value == value and figs[0].bound == bound


@pytest.mark.parametrize(
    "text",
    ["2018年4月28日印发", "吉市政办发〔2018〕19号", "依照《医疗机构管理条例》第十条", "规划（2016-2020年）"],
)
def test_not_figures(text) -> None:
    assert extract(text) == []


def test_similar_measures() -> None:
    assert similar_measures("每千人口 … 床位", "按照每千常住人口 … 床位为社会办医院预留")
    assert not similar_measures("每千人口 … 床位", "反馈评审结果")


def test_char_diff_rebuilds_both_texts() -> None:
    a, b = (
        "全面实行医师执业区域注册，可在多个机构执业。",
        "全面实行医师区域注册，可在多个机构执业，促进医师有序流动。",
    )
    ops = char_diff(a, b)
    assert "".join(d.text for d in ops) == b and "".join(d.common for d in ops) == a
    assert {d.op for d in ops} >= {"equal"} and any(d.op in ("insert", "replace") for d in ops)


def test_wording_index_add_remove_and_candidates() -> None:
    w = WordingIndex.create()
    same = "全面实行医师执业区域注册，医师个人以合同（协议）为依据，可在多个机构执业。"
    w.add(
        ["a:1", "b:1", "c:1"],
        ["a", "b", "c"],
        [same, same.replace("。", "，促进医师有序流动。"), "完全无关的一句话讲的是渔业捕捞许可证的办理。"],
    )
    got = w.candidates(["a:1"])
    (sid,) = got
    assert [x.split("@")[0] for x in got[sid]] == ["b:1"]
    assert w.size == 3
    w.remove(["b:1"])
    assert w.size == 2 and all(not v for v in w.candidates(["a:1"]).values())


def test_sentences_skip_headings_and_short_bits() -> None:
    text = "（十三）加强人力资源保障。全面实行医师执业区域注册，可在多个机构执业。好。"
    spans = [text[a:b] for a, b in sentences(text)]
    assert spans == ["全面实行医师执业区域注册，可在多个机构执业。"]


# -- issue 24: figures that hold -------------------------------------------------------------------------
def test_bed_figures_from_every_part_of_a_split_clause(searcher) -> None:
    """/?q=社会办医院床位&view=compare: 辽宁 (十九)'s 1.5 张 stands in the clause's first part; 舟山's 28% is
    listed; a year is not a measure; no row label is cut mid-phrase."""
    r = searcher.compare(CompareRequest(q="社会办医院床位"))
    beds = next(row for row in r.figures if row.unit == "张" and "每千" in row.measure)
    assert {("辽宁省", 1.5), ("吉林省/吉林市", 1.3), ("河北省/衡水市", 1.5)} <= {
        (f.jurisdiction, f.value) for f in beds.figures
    }
    share = next(row for row in r.figures if row.unit == "%" and any(f.value == 28 for f in row.figures))
    assert "浙江省/舟山市" in {f.jurisdiction for f in share.figures}
    assert "浙江省/舟山市" in {j.jurisdiction for j in r.jurisdictions}
    assert all(row.unit != "年" for row in r.figures)
    for row in r.figures:
        assert not row.measure.endswith(("很", "或", "和", "的")) and "或" not in row.measure.split(" … ")[-1]


@pytest.mark.parametrize(
    ("text", "measure", "bound"),
    [
        ("对设置20张床位以下或环境影响很小的医疗机构，实行环评登记表备案", "设置 … 床位", "≤"),
        ("到2020年，按照每千常住人口不低于1.5张床位为社会办医院预留规划空间", "每千常住人口 … 床位", "≥"),
    ],
)
def test_figure_measures_end_where_the_phrase_turns(text, measure, bound) -> None:
    (f,) = extract(text)  # the year is no figure
    assert (f.measure, f.bound) == (measure, bound)
