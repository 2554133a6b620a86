"""Metadata of the built-in corpus, tested exactly, plus the rules behind it."""

from __future__ import annotations

import pytest

from corpus.gazetteer import Gazetteer
from corpus.metadata import doc_type_of, iso_date, normalize_doc_number

from .conftest import seed_doc

EXPECTED = {
    "000": dict(
        province="吉林省",
        city="吉林市",
        level="地市级",
        issuer="吉林市人民政府办公厅",
        doc_number="吉市政办发〔2018〕19号",
        date="2018-04-28",
        doc_type="实施方案",
        issued_with="通知",
        status="final",
        jurisdiction_inferred=False,
    ),
    "001": dict(
        province="河北省",
        city="衡水市",
        level="地市级",
        issuer="衡水市人民政府办公室",
        doc_number="衡政办字〔2018〕44号",
        date=None,
        doc_type="实施意见",
        status="final",
        jurisdiction_inferred=False,
    ),
    "002": dict(
        province="辽宁省",
        city=None,
        level="省级",
        issuer="辽宁省人民政府办公厅",
        doc_number=None,
        date="2017-09-15",
        doc_type="实施意见",
        status="final",
        jurisdiction_inferred=False,
    ),
    "003": dict(
        province="浙江省",
        city="舟山市",
        level="地市级",
        issuer="舟山市人民政府办公室",
        doc_number="舟政办发〔2019〕37号",
        date="2019-04-01",
        written_date="2019-04-01",
        published_date="2019-04-11",
        effective_date="2019-04-12",
        doc_type="实施意见",
        status="final",
    ),
    "004": dict(
        province="内蒙古自治区",
        city=None,
        jurisdiction="内蒙古自治区",
        jurisdiction_inferred=True,
        doc_number=None,
        date=None,
        doc_type="工作方案",
        status="draft",
    ),
}


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_builtin_metadata_table(builtin_report, prefix: str) -> None:
    md = seed_doc(builtin_report, prefix).metadata.to_dict()
    for key, value in EXPECTED[prefix].items():
        assert md[key] == value, f"{prefix}.{key}: {md[key]!r} != {value!r}"


def test_inner_mongolia_issuer_is_not_guessed(builtin_report) -> None:
    md = seed_doc(builtin_report, "004").metadata
    assert md.issuer in (None, "自治区卫生健康委")


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003"])
def test_cited_numbers_are_never_the_documents_own(builtin_report, prefix: str) -> None:
    md = seed_doc(builtin_report, prefix).metadata
    assert md.doc_number not in md.citations
    assert all(c.endswith("号") and "〔" in c for c in md.citations)


def test_citations_found(builtin_report) -> None:
    assert "吉政办发〔2017〕84号" in seed_doc(builtin_report, "000").metadata.citations
    assert "国办发〔2017〕44号" in seed_doc(builtin_report, "002").metadata.citations


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("吉市政办发(2018)19号", "吉市政办发〔2018〕19号"),
        ("衡政办字〔2018〕44号", "衡政办字〔2018〕44号"),
        ("国办发[2017]44号", "国办发〔2017〕44号"),
        ("浙政办发（2018）111号", "浙政办发〔2018〕111号"),
        ("舟政办发 〔 2019 〕 037 号", "舟政办发〔2019〕37号"),
        ("没有文号", None),
    ],
)
def test_doc_number_normalized(raw: str, normal: str | None) -> None:
    assert normalize_doc_number(raw) == normal


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "吉林市人民政府办公厅关于印发吉林市支持社会力量提供多层次多样化医疗服务实施方案的通知",
            ("实施方案", "通知"),
        ),
        ("辽宁省人民政府办公厅关于支持社会力量提供多层次多样化医疗服务的实施意见", ("实施意见", None)),
        ("进一步促进全区社会办医持续健康规范发展工作方案（征求意见稿）", ("工作方案", None)),
        ("上海口岸服务条例", ("条例", None)),
        ("医疗机构管理办法（试行）", ("管理办法", None)),
        ("某市诊所备案办法", ("办法", None)),
        ("中华人民共和国民法典", ("法", None)),
    ],
)
def test_doc_type(title: str, expected) -> None:
    assert doc_type_of(title) == expected


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2019 年 4 月 1 日", "2019-04-01"),
        ("2018年04月28日", "2018-04-28"),
        ("2017-9-5", "2017-09-05"),
        ("2017年13月1日", None),
        ("无", None),
    ],
)
def test_iso_date(text: str, iso: str | None) -> None:
    assert iso_date(text) == iso


@pytest.mark.parametrize(
    ("city", "province"),
    [
        ("吉林市", "吉林省"),
        ("衡水市", "河北省"),
        ("舟山市", "浙江省"),
        ("青岛市", "山东省"),
        ("锡林郭勒盟", "内蒙古自治区"),
        ("喀什地区", "新疆维吾尔自治区"),
    ],
)
def test_gazetteer_maps_city_to_province(city: str, province: str) -> None:
    place = Gazetteer.bundled().get(city)
    assert place is not None and place.province == province and place.city == city


def test_gazetteer_is_complete() -> None:
    g = Gazetteer.bundled()
    assert len(g.provinces) == 34
    assert sum(1 for p in g.places if p.level == "prefecture") >= 330


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("各盟市要……自治区卫生健康委", "内蒙古自治区"),
        ("全区各地……自治区人民政府", None),
        ("各市县要加强", None),
    ],
)
def test_inference_needs_distinctive_evidence(text: str, province: str | None) -> None:
    assert Gazetteer.bundled().infer(text) == province
