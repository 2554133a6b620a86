"""The search box side of real text (issue 21): traditional characters, regions as people type them, the
county level in filters, and date filters by year or month."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from config.settings import Settings
from corpus.fold import to_simplified
from policy_search.cli import main
from policy_search.factory import reindex
from search.hybrid import HybridSearcher
from search.jurisdictions import JurisdictionResolver, level_of
from search.models import Filters, SearchRequest

from .conftest import LOCAL, Borrowed
from .test_index import HashEmbedder


def test_traditional_folds_to_simplified() -> None:
    assert to_simplified("醫師多點執業政策") == "医师多点执业政策"
    assert to_simplified("民營醫院能不能納入醫保定點") == "民营医院能不能纳入医保定点"
    assert to_simplified("医师多点执业") == "医师多点执业" and to_simplified("hospital") == "hospital"


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [("醫師多點執業", "医师多点执业"), ("民營醫院納入醫保定點", "民营医院纳入医保定点")],
)
def test_a_traditional_query_ranks_and_scores_like_the_simplified_one(
    searcher, traditional, simplified
) -> None:
    t = searcher.search(SearchRequest(q=traditional, top_k=10))
    s = searcher.search(SearchRequest(q=simplified, top_k=10))
    assert [h.clause_id for h in t.hits] == [h.clause_id for h in s.hits]
    assert [h.relevance for h in t.hits] == pytest.approx([h.relevance for h in s.hits])
    assert t.hits[0].strong and t.total == s.total > 0
    assert "traditional_folded" in t.notice_codes and all("traditional_folded" not in n for n in t.notices)


# -- regions ----------------------------------------------------------------------------------------------
KNOWN = ["浙江省/杭州市/淳安县", "浙江省/杭州市", "浙江省/舟山市", "吉林省/吉林市", "北京市/房山区", "全国"]


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("浙江杭州", "浙江省/杭州市"),
        ("杭州市淳安", "浙江省/杭州市/淳安县"),
        ("淳安", "浙江省/杭州市/淳安县"),
        ("淳安县", "浙江省/杭州市/淳安县"),
        ("北京房山", "北京市/房山区"),
        ("大理州", "云南省/大理白族自治州"),
        ("吉林", "吉林省"),
        ("吉林市", "吉林省/吉林市"),
        ("舟山", "浙江省/舟山市"),
        ("浙江 杭州", "浙江省/杭州市"),
    ],
)
def test_regions_as_people_type_them(typed: str, read: str) -> None:
    assert JurisdictionResolver(KNOWN).one(typed) == read


def test_a_region_that_is_no_place_gets_a_suggestion() -> None:
    r = JurisdictionResolver(KNOWN).resolve(["杭洲"])
    assert (
        r.problems
        and "您是否要找：浙江省 › 杭州市" in r.problems[0]
        and r.problems[0].code == "unknown_jurisdiction"
    )


def test_a_shared_short_name_names_the_others() -> None:
    r = JurisdictionResolver(KNOWN).resolve(["朝阳"])
    assert r.prefixes == ["辽宁省/朝阳市"] and "北京市 › 朝阳区" in r.notices[0]


def test_levels_for_comparison_order() -> None:
    assert [
        level_of(j) for j in ("全国", "浙江省", "浙江省/杭州市", "浙江省/杭州市/淳安县", "北京市/房山区")
    ] == [
        0,
        1,
        2,
        3,
        3,
    ]


# -- dates ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2023", dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
        ("2023-05", dt.date(2023, 5, 1), dt.date(2023, 5, 31)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2023年5月", dt.date(2023, 5, 1), dt.date(2023, 5, 31)),
        ("2023-05-18", dt.date(2023, 5, 18), dt.date(2023, 5, 18)),
        ("2023年5月18日", dt.date(2023, 5, 18), dt.date(2023, 5, 18)),
    ],
)
def test_date_filters_take_a_year_or_a_month(value: str, start: dt.date, end: dt.date) -> None:
    f = Filters(date_from=value, date_to=value)
    assert (f.date_from, f.date_to) == (start, end)


@pytest.mark.parametrize("value", ["yesterday", "2023-13", "23"])
def test_a_bad_date_says_what_is_accepted(value: str) -> None:
    with pytest.raises(ValidationError) as e:
        Filters(date_from=value)
    assert "可用的写法" in str(e.value) or "不存在" in str(e.value)


def test_api_and_cli_take_a_year(searcher, builtin_index, monkeypatch, capsys) -> None:
    app = create_app(Settings(), searcher_factory=lambda: Borrowed(searcher))
    with TestClient(app, base_url=LOCAL) as client:
        r = client.get("/api/search", params={"q": "医师多点执业", "date_from": "2018"})
        assert r.status_code == 200 and r.json()["hits"]
        assert all(h["document"]["date"] >= "2018-01-01" for h in r.json()["hits"])
        r = client.get("/api/search", params={"q": "医师多点执业", "date_from": "明年"})
        assert r.status_code == 422 and "可用的写法" in r.json()["detail"] and r.json()["code"] == "bad_date"
        r = client.get("/api/search", params={"q": "医师多点执业", "date_to": "2023-02-30"})
        assert r.status_code == 422 and r.json()["code"] == "bad_date"
    monkeypatch.setenv("POLICY_SEARCH_INDEX_DIR", str(builtin_index))
    assert main(["search", "医师多点执业", "--date-from", "2018-04", "--json"]) == 0
    assert main(["search", "医师多点执业", "--date-from", "明年"]) == 2
    assert "可用的写法" in capsys.readouterr().err


# -- the county level in filters ------------------------------------------------------------------------
DOCS = {
    "chunan.txt": "淳安县人民政府办公室关于加强农村宅基地管理的通知\n一、加强审批\n农村宅基地审批实行县乡联审。\n淳安县人民政府办公室\n2025年3月18日\n",
    "hangzhou.txt": "杭州市人民政府办公厅关于加强农村宅基地管理的通知\n一、加强审批\n全市农村宅基地审批纳入数字化平台。\n杭州市人民政府办公厅\n2024年3月18日\n",
    "ningbo.txt": "宁波市人民政府办公厅关于加强农村宅基地管理的通知\n一、加强审批\n全市农村宅基地审批实行限时办结。\n宁波市人民政府办公厅\n2023年3月18日\n",
}


@pytest.fixture(scope="module")
def county_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("county")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data")
    reindex(settings, [corpus], embedder=HashEmbedder())
    s = HybridSearcher.open(settings.resolved_index_dir(), HashEmbedder())
    yield s
    s.close()


@pytest.mark.parametrize(
    ("filters", "docs"),
    [
        ({"jurisdiction": ["杭州"]}, {"chunan.txt", "hangzhou.txt"}),  # the city includes its counties
        ({"jurisdiction": ["浙江"]}, {"chunan.txt", "hangzhou.txt", "ningbo.txt"}),
        ({"jurisdiction": ["淳安"]}, {"chunan.txt"}),
        ({"jurisdiction": ["杭州市淳安"]}, {"chunan.txt"}),
        ({"county": ["淳安"]}, {"chunan.txt"}),
        ({"city": ["杭州"]}, {"chunan.txt", "hangzhou.txt"}),
        ({"level": ["县级"]}, {"chunan.txt"}),
        ({"date_from": "2024"}, {"chunan.txt", "hangzhou.txt"}),
        ({"date_to": "2023-03"}, {"ningbo.txt"}),
    ],
)
def test_filters_match_up_the_tree(county_index, filters, docs) -> None:
    got = county_index.search(SearchRequest(q="农村宅基地审批", top_k=10, **filters))
    assert {h.document.id for h in got.hits} == docs


def test_a_county_document_carries_its_county(county_index) -> None:
    info = county_index.document("chunan.txt").document
    assert (info.jurisdiction, info.county, info.level) == ("浙江省/杭州市/淳安县", "淳安县", "县级")


def test_no_message_template_carries_a_machine_code() -> None:
    """What the page and the CLI show is Chinese: the code travels beside it, in ``notice_codes``."""
    import string

    from search.messages import TEMPLATES, machine_codes, notice

    sample = {
        "chars": 600,
        "limit": 500,
        "q": "社會辦醫",
        "count": 2,
        "date_from": "2021-01-01",
        "date_to": "2020-01-01",
        "best": 0.12,
        "floor": 0.3,
        "names": "辽宁省",
        "id": "x",
        "waiting": 3,
        "place": "广州市",
        "words": "withdraw → 提取；rent → 房租",
    }
    for code, template in TEMPLATES.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        text = notice(code, **{f: sample[f] for f in fields})
        assert text.code == code and not machine_codes(text), (code, text)
