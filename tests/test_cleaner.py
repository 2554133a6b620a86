"""Cleaning: web junk, PDF-broken lines, stray spaces, widths; the offset map points back into the raw text."""

from __future__ import annotations

import unicodedata

import pytest

from corpus.cleaner import clean
from corpus.pipeline import builtin_corpus_dir

from .conftest import seed_doc


def _raw(prefix: str) -> str:
    path = next(p for p in builtin_corpus_dir().glob("*.txt") if p.name.startswith(prefix))
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("prefix", "joined"),
    [
        ("000", "推动建立适应医师多点执业的人员聘用管理机制"),
        ("000", "加快探索社会办医疗机构以其收益权"),
        ("000", "做到“应保尽保”"),
        ("003", "在非基本医疗服务领域市场要有活力，支持社会力量"),
        ("003", "建立完善社会办医疗机构与养老机构合作机制"),
    ],
)
def test_pdf_broken_sentences_are_rejoined(builtin_report, prefix: str, joined: str) -> None:
    assert joined in seed_doc(builtin_report, prefix).text


def test_headings_are_not_glued_to_text(builtin_report) -> None:
    text = seed_doc(builtin_report, "000").text
    assert "\n五、加大政策支持\n（十二）加强人力资源保障。" in text
    assert "\n二、目标任务\n" in text


def test_stray_spaces_inside_chinese_removed_latin_spaces_kept() -> None:
    out = clean(
        "关于印发吉林市支持社会力量 提供多层次多样化医疗服务实施方案的 通知\n到 2020 年, 床位 28%以上\nHello world 测试"
    ).text
    assert "吉林市支持社会力量提供多层次多样化医疗服务实施方案的通知" in out
    assert "到2020年，床位28%以上" in out
    assert "Hello world测试" in out


def test_web_junk_at_top_removed_and_title_not_repeated(builtin_report) -> None:
    text = seed_doc(builtin_report, "001").text
    assert "加盟电话" not in text and "精确检索" not in text and "开始检索" not in text
    assert text.count("衡水市人民政府办公室关于支持社会力量提供多层次多样化医疗服务的实施意见") == 1


def test_ideographic_indentation_and_brackets(builtin_report) -> None:
    text = seed_doc(builtin_report, "002").text
    assert "\u3000" not in text
    assert "\n一、总体要求\n（一）指导思想。" in text
    assert "(十二)" not in seed_doc(builtin_report, "000").text


def test_full_width_alphanumerics_become_half_width() -> None:
    assert clean("ＡＢＣ医院２０２０年（一）").text == "ABC医院2020年（一）"


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_offset_map_points_at_the_raw_characters(prefix: str) -> None:
    raw = _raw(prefix)
    c = clean(raw)
    assert len(c.offsets) == len(c.text)
    assert c.offsets == sorted(c.offsets)
    for i, ch in enumerate(c.text):
        if ch == "\n":
            continue
        src = raw[c.offsets[i]]
        assert (
            ch == src
            or unicodedata.normalize("NFKC", ch) == unicodedata.normalize("NFKC", src)
            or src.isspace()
        )


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        # 孝感 (policy-dev): a page break inside a figure, its number on a line of its own
        (
            "（一）贷款额度。借款申请人第一次申请使用公积金贷款在孝感市购买自住住房的，贷款最高额度可为50万元，其他情形最高额度为40万\n-1-\n元。",
            "（一）贷款额度。借款申请人第一次申请使用公积金贷款在孝感市购买自住住房的，贷款最高额度可为50万元，其他情形最高额度为40万元。",
        ),
        # 南充 (policy-dev): an em-dash page number between two halves of a word
        ("实行弹性上\n—2—\n下班、居家办公等灵活工作方式。", "实行弹性上\n下班、居家办公等灵活工作方式。"),
        ("一、总体要求\n第 3 页 共 12 页\n（一）指导思想。", "一、总体要求\n（一）指导思想。"),
        # a number that says something stays: a heading, an amount, a range
        ("1.贷款额度\n-30%-\n3-5", "1.贷款额度\n-30%-\n3-5"),
    ],
)
def test_page_numbers_are_dropped(raw: str, cleaned: str) -> None:
    out = clean(raw)
    assert out.text == cleaned
    assert all(raw[o] == ch for o, ch in zip(out.offsets, out.text) if ch != "\n")
