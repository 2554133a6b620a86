"""A place the question names ranks that jurisdiction's clauses first (search.query_place), without dropping
the others or documents with no jurisdiction; a comparison lines every place up as before.

The fixture: four short notices on the same topic (限购), written the way cities and a ministry write them.
Shanghai's says 限购 and 调整 most often and Guangzhou's names its city only in its 落款, so by words alone
Shanghai's leads; "广州 限购" must put Guangzhou's first.
"""

from __future__ import annotations

import pytest

from corpus.models import RawDocument
from corpus.pipeline import CorpusPipeline
from index.builder import build_index
from search.compare_models import CompareRequest
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest
from search.query_place import PlacePreference, QueryPlaceReader

DOCS = {
    "sh": (
        "上海市住房和城乡建设管理委员会关于调整本市住房限购政策的通知",
        "各区住房保障和房屋管理局：\n一、调整限购政策。本市限购范围内，非本市户籍居民家庭限购1套住房，限购政策按本通知执行，"
        "限购区域为外环内。\n上海市住房和城乡建设管理委员会\n2024年5月27日\n",
    ),
    "gz": (
        "关于优化我市房地产市场平稳健康发展政策的通知",
        "各区人民政府，市政府各部门：\n一、优化住房限购政策。越秀区、海珠区等区域，居民家庭购买住房不再审核购房资格。\n"
        "广州市人民政府办公厅\n2024年5月28日\n",
    ),
    "none": (
        None,
        "一、关于限购。居民家庭在限购区域内购买第二套住房的，按照新的限购规定执行。\n",
    ),
    "nat": (
        "住房和城乡建设部关于做好住房限购政策调整工作的通知",
        "各省、自治区、直辖市住房和城乡建设厅（委）：\n一、支持各地因城施策调整限购政策，满足居民刚性住房需求。\n"
        "住房和城乡建设部\n2024年5月17日\n",
    ),
}


@pytest.fixture(scope="module")
def place_searcher(tmp_path_factory, embedder, tokenizer):
    pipeline = CorpusPipeline()
    docs = [
        pipeline.process(RawDocument(id=k, text=t, source=f"{k}.txt", fields={"title": ti} if ti else {}))
        for k, (ti, t) in DOCS.items()
    ]
    root = tmp_path_factory.mktemp("place") / "index"
    build_index(docs, root, embedder, tokenizer=tokenizer)
    s = HybridSearcher.open(root, embedder, tokenizer=tokenizer)
    yield s
    s.close()


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("上海 非沪籍 购房 社保年限", "上海市"),
        ("广州 限购 调整", "广东省/广州市"),
        ("杭州的公积金贷款额度", "浙江省/杭州市"),
        ("深圳市公积金租房提取", "广东省/深圳市"),
        ("嘉善县公积金贷款额度", "浙江省/嘉兴市/嘉善县"),
        ("Shanghai home purchase eligibility for non-local residents", "上海市"),
        ("Chongqing property tax pilot: who has to pay?", "重庆市"),
        ("外地人在这买房要交几年社保", None),
        ("上海和北京的限购政策", None),  # two places: no one preference
        ("minimum down payment ratio for a second home", None),
    ],
)
def test_the_place_a_question_names(q: str, expected: str | None) -> None:
    got = QueryPlaceReader().read(q)
    assert (got.jurisdiction if got else None) == expected


def test_relation_of_a_document_to_the_place() -> None:
    place = QueryPlaceReader().read("广州 限购")
    assert [
        place.relation(j) for j in ("广东省/广州市", "广东省/广州市/越秀区", "广东省", "全国", None, "上海市")
    ] == [
        "within",
        "within",
        "above",
        "above",
        "unknown",
        "elsewhere",
    ]
    assert PlacePreference().factor("within") == 1.0 > PlacePreference().factor("elsewhere")


def test_the_named_place_ranks_first_and_nothing_is_dropped(place_searcher) -> None:
    plain = place_searcher.variant(options=RankingOptions(place_preference=False))
    q = SearchRequest(q="广州 限购", top_k=10)
    before = [h.document.id for h in plain.search(q).hits]
    res = place_searcher.search(q)
    after = [h.document.id for h in res.hits]
    assert before[0] != "gz"  # by words alone Shanghai's notice leads: the fixture tests the preference
    assert after[0] == "gz"
    assert set(after) == set(before)  # a preference, not a filter: every document is still there
    assert "place_preferred" in res.notice_codes
    by_doc = {h.document.id: h.relevance for h in res.hits}
    # another city's clause answers another place's question; the unknown and the national one lie between
    assert by_doc["gz"] > by_doc["sh"]


def test_a_filter_or_a_comparison_does_not_apply_it(place_searcher) -> None:
    res = place_searcher.search(SearchRequest(q="广州 限购", jurisdiction=["上海"]))
    assert "place_preferred" not in res.notice_codes and {h.document.id for h in res.hits} == {"sh"}
    plain = place_searcher.variant(options=RankingOptions(place_preference=False))
    a = place_searcher.compare(CompareRequest(q="广州 限购"))
    b = plain.compare(CompareRequest(q="广州 限购"))
    assert [j.jurisdiction for j in a.jurisdictions] == [j.jurisdiction for j in b.jurisdictions]


def test_a_place_the_index_does_not_hold_is_said_so(place_searcher) -> None:
    """A question about a place no indexed document is from: the notice does not promise its clauses first."""
    res = place_searcher.search(SearchRequest(q="成都 限购", top_k=10))
    assert "place_not_indexed" in res.notice_codes and "place_preferred" not in res.notice_codes
    assert res.hits  # the rest are still listed
    assert "place_preferred" in place_searcher.search(SearchRequest(q="广州 限购")).notice_codes
