"""Clause segmentation: heading paths, laws, size bounds, responsible units."""

from __future__ import annotations

import pytest

from corpus.chunker import Chunker, ChunkOptions, split_span
from corpus.headings import parse_heading
from corpus.models import DocumentMetadata, RawDocument
from corpus.pipeline import CorpusPipeline

from .conftest import seed_doc


def _find(doc, fragment: str):
    return next(c for c in doc.clauses if fragment in c.text)


@pytest.mark.parametrize(
    ("prefix", "fragment", "path"),
    [
        ("000", "推动建立适应医师多点执业", ["五、加大政策支持", "（十二）加强人力资源保障"]),
        ("000", "深入贯彻党的十九大精神", ["一、指导思想和基本原则", "（一）总体要求"]),
        ("000", "每千人口不低于1.3张床位", ["二、目标任务"]),
        ("003", "鼓励社会力量针对老年人健康养老需求", ["二、重点任务", "（二）支持开展医养结合服务"]),
        ("003", "将符合条件的社办医疗机构纳入医保定点范围", ["三、政策支持", "（三）完善保险"]),
        ("002", "全面实行医师执业区域注册", ["三、优化社会办医发展环境", "（十三）加强人力资源保障"]),
        ("004", "多机构执业医师可以按实际执业情况", ["四、优化运营管理服务", "（九）优化校验服务"]),
        ("001", "为贯彻落实《河北省人民政府办公厅", ["序言"]),
        ("003", "各地各部门要充分认识", ["结语"]),
        ("004", "各盟市卫生健康委要高度重视", ["结语"]),
    ],
)
def test_heading_paths(builtin_report, prefix: str, fragment: str, path: list[str]) -> None:
    assert _find(seed_doc(builtin_report, prefix), fragment).heading_path == path


def test_lead_phrase_clause_keeps_its_text_and_second_paragraph(builtin_report) -> None:
    doc = seed_doc(builtin_report, "000")
    parts = [c for c in doc.clauses if c.heading_path[-1:] == ["（十二）加强人力资源保障"]]
    text = "".join(c.text for c in parts)
    assert text.startswith("（十二）加强人力资源保障。适应健康服务产业发展")
    assert "切实落实社会办医疗机构在科研" in text  # the second paragraph of (十二) stays in the clause
    assert [c.part for c in parts] == list(range(1, len(parts) + 1))
    assert all(c.responsible_units == ["市教育局", "卫生计生委", "人社局"] for c in parts)


def test_cover_notice_preamble_and_trailer(builtin_report) -> None:
    doc = seed_doc(builtin_report, "000")
    assert doc.clauses[0].heading_path == ["印发通知"]
    assert doc.clauses[1].heading_path == ["序言"]
    texts = " ".join(c.text for c in doc.clauses)
    assert "抄送" not in texts and "发文机关" not in texts and "印发" not in doc.clauses[-1].text[-6:]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_clause_spans_point_into_the_document(builtin_report, prefix: str) -> None:
    doc = seed_doc(builtin_report, prefix)
    for c in doc.clauses:
        assert doc.text[c.start : c.end] == c.text
        assert 0 < len(c.text) <= 250
    assert [c.ordinal for c in doc.clauses] == list(range(len(doc.clauses)))
    assert len({c.id for c in doc.clauses}) == len(doc.clauses)


def test_responsible_units_and_lead_rule_carries_on(builtin_report) -> None:
    doc = seed_doc(builtin_report, "003")
    first = _find(doc, "支持社会力量举办营利性医疗机构")
    assert first.responsible_units == ["市卫生健康委", "市医疗保障局"]
    assert first.lead_unit == "市卫生健康委"
    later = _find(doc, "将符合条件的社办医疗机构纳入医保定点范围")
    assert later.responsible_units[0] == "市医疗保障局" and later.lead_unit == "市医疗保障局"  # 下同
    liaoning = _find(seed_doc(builtin_report, "002"), "（四）鼓励发展全科医疗服务")
    assert (
        liaoning.responsible_units == ["省卫生计生委", "辽宁保监局"] and liaoning.lead_unit == "省卫生计生委"
    )


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("（十二）加强人力资源保障。切实落实社会办医疗机构", "（十二）加强人力资源保障"),
        ("(十二)加强人力资源保障。切实落实", "（十二）加强人力资源保障"),
        ("五、加大政策支持", "五、加大政策支持"),
        ("1.完善医师多点执业", "1.完善医师多点执业"),
        ("（3）床位", "（3）床位"),
        ("第五十四条 自然人从事工商业经营", "第五十四条"),
        ("## 第一章 总则", "第一章 总则"),
    ],
)
def test_heading_labels(line: str, label: str) -> None:
    h = parse_heading(line)
    assert h is not None and h.label == label


@pytest.mark.parametrize(
    "line", ["第十二条规定的情形除外。", "（三）项规定的期限内", "1.5亿元用于建设", "2020年要达到"]
)
def test_cross_references_are_not_headings(line: str) -> None:
    assert parse_heading(line) is None


LAW = """# 测试医疗条例

2020年1月1日 测试省人民代表大会常务委员会通过

<!-- INFO END -->

## 第一章 总则

第一条 为了规范医疗机构执业，制定本条例。

第二条 下列机构属于医疗机构：

（一）医院；

（二）诊所。

依照第一条规定设立的机构，适用本条例。

## 第二章 设置

### 第一节 审批

第三条 设置医疗机构应当经审批。
"""


def test_law_record_articles_and_items() -> None:
    raw = RawDocument(
        id="law1",
        text=LAW,
        source="t",
        text_format="markdown",
        fields={"title": "测试医疗条例", "jurisdiction": "全国", "level": "行政法规"},
    )
    doc = CorpusPipeline().process(raw)
    assert [c.heading_path for c in doc.clauses] == [
        ["第一章 总则", "第一条"],
        ["第一章 总则", "第二条"],
        ["第二章 设置", "第一节 审批", "第三条"],
    ]
    assert "（二）诊所。" in doc.clauses[1].text and "依照第一条规定" in doc.clauses[1].text
    assert (doc.metadata.jurisdiction, doc.metadata.level, doc.metadata.law_level) == (
        "全国",
        "国家",
        "行政法规",
    )
    assert doc.metadata.date == "2020-01-01" and doc.metadata.doc_type == "条例"


def test_long_clause_splits_at_sentence_ends_and_keeps_path() -> None:
    body = "（一）加强保障。" + "".join(
        f"第{i}句话讲的是社会办医疗机构的一项具体政策要求；" for i in range(40)
    )
    text = f"一、总体要求\n{body}\n二、其他\n（二）其他事项。很短。"
    clauses = Chunker(ChunkOptions(max_chars=200, min_chars=20)).chunk("d", text, DocumentMetadata())
    parts = [c for c in clauses if c.heading_path == ["一、总体要求", "（一）加强保障"]]
    assert len(parts) > 1 and all(len(c.text) <= 200 for c in parts)
    assert [c.part for c in parts] == list(range(1, len(parts) + 1)) and all(
        c.part_count == len(parts) for c in parts
    )
    assert all(c.text.endswith("；") for c in parts)  # cut at sentence ends
    assert "".join(c.text for c in parts) == body


def test_sentence_without_punctuation_is_hard_split() -> None:
    text = "很长" * 500
    spans = split_span(text, 0, len(text), 300, 20)
    assert all(e - s <= 300 for s, e in spans) and spans[0][0] == 0 and spans[-1][1] == len(text)


def test_small_trailing_fragment_merges() -> None:
    text = "甲" * 250 + "。" + "乙" * 200 + "。丙。"
    spans = split_span(text, 0, len(text), 300, 20)
    assert len(spans) == 2 and spans[-1][1] == len(text)


def test_attachment_has_its_own_path() -> None:
    text = "一、总则\n（一）要求。内容一。\n附件：医疗机构名单\n1.某某医院（二级）\n2.某某诊所"
    clauses = Chunker().chunk("d", text, DocumentMetadata())
    assert clauses[-1].heading_path[0] == "附件：医疗机构名单"
    assert clauses[-1].kind == "attachment"
