"""Document keys and clause places: the parts of a stable clause id."""

from __future__ import annotations

import json

import pytest

from corpus.loader import load
from corpus.models import RawDocument, SkippedFile
from corpus.places import clause_places, heading_marker


@pytest.mark.parametrize(
    ("label", "marker"),
    [
        ("第一章 总则", "第一章"),
        ("第五十四条", "第五十四条"),
        ("第三条之一", "第三条之一"),
        ("五、加大政策支持", "五"),
        ("（十二）加强人力资源保障", "(十二)"),
        ("(十二)加强人力资源保障", "(十二)"),  # half-width brackets give the same place
        ("1．完善医师多点执业", "1"),
        ("（1）床位", "(1)"),
        ("附件1：医疗机构名单", "附件1"),
        ("序言", "序言"),
        ("印发 通知/说明", "印发_通知_说明"),  # separators never leak into an id
    ],
)
def test_heading_marker(label: str, marker: str) -> None:
    assert heading_marker(label) == marker


def test_places_are_unique_and_part_aware() -> None:
    paths = [
        ["序言"],
        ["一、总则", "（一）总体要求"],
        ["一、总则", "（一）总体要求"],
        ["一、总则", "（二）原则"],
        ["一、总则", "（一）总体要求"],
    ]
    parts = [1, 1, 2, 1, 1]
    assert clause_places(paths, parts) == ["序言", "一/(一)", "一/(一)~2", "一/(二)", "一/(一)@2"]


def test_record_keys(tmp_path) -> None:
    p = tmp_path / "laws.jsonl"
    rows = [
        {"id": "law-1", "text": "第一条 甲。"},
        {"id": 7, "text": "第一条 乙。"},
        {"text": "第一条 丙。"},
        {"id": {"a": 1}, "text": "第一条 丁。"},
        {"id": "bad\nkey", "text": "第一条 戊。"},
    ]
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    items = list(load([p]))
    keys = [i.id for i in items if isinstance(i, RawDocument)]
    assert keys == ["law-1", "7", "laws.jsonl#3"]
    skipped = [i for i in items if isinstance(i, SkippedFile)]
    assert [i.code for i in skipped] == ["bad_key", "bad_key"]
    assert "dict" in skipped[0].reason and "控制字符" in skipped[1].reason
    assert all(len(i.content_hash) == 32 for i in items if isinstance(i, RawDocument))


def test_file_keys_are_paths_under_the_root(tmp_path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.txt").write_text(
        "某市关于某事的通知\n一、总则\n（一）支持社会办医，纳入医保定点。\n", encoding="utf-8"
    )
    (tmp_path / "a" / "y.txt").write_text(
        "某市关于某事的通知\n一、总则\n（一）支持社会办医，纳入医保定点。\n", encoding="utf-8"
    )
    (tmp_path / "a" / "y.meta.json").write_text('{"id": "custom-key"}', encoding="utf-8")
    keys = sorted(i.id for i in load([tmp_path / "a"]))
    assert keys == ["b/x.txt", "custom-key"]
    assert [i.id for i in load([tmp_path / "a" / "b" / "x.txt"])] == ["x.txt"]
