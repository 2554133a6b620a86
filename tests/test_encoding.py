"""Loading text in any common Chinese encoding; unreadable files are reported and skipped, never fatal."""

from __future__ import annotations

import codecs
import json

import pytest

from corpus.encoding import UndecodableError, decode_bytes
from corpus.loader import load
from corpus.models import RawDocument, SkippedFile
from corpus.pipeline import process_paths

SAMPLE = "辽宁省人民政府办公厅关于支持社会力量提供多层次多样化医疗服务的实施意见\n一、总体要求\n（一）指导思想。全面贯彻医疗服务领域改革，支持社会办医。"
TRADITIONAL = "臺灣醫師多點執業，支持社會力量提供多層次多樣化醫療服務，健全醫療保險制度。"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("gb18030"), "gb18030"),
        (SAMPLE.encode("gbk"), "gb18030"),
        (SAMPLE.encode("utf-16"), "utf-16"),  # with BOM
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16"),
        (TRADITIONAL.encode("big5"), "big5"),
    ],
)
def test_decodes_chinese_encodings(data: bytes, encoding: str) -> None:
    text, found = decode_bytes(data)
    assert found == encoding
    assert text.lstrip("\ufeff") in (SAMPLE, TRADITIONAL)


@pytest.mark.parametrize(
    ("data", "code", "reason"),
    [
        (b"", "empty", "空文件"),
        (b"  \n\t \n", "empty", "空文件"),
        (bytes(range(256)) * 8, "binary", "二进制"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary", "NUL"),
        (bytes(range(0x80, 0x100)) * 6, "undecodable", "无法可靠解码"),
    ],
)
def test_rejects_unreadable_bytes(data: bytes, code: str, reason: str) -> None:
    with pytest.raises(UndecodableError, match=reason) as exc:
        decode_bytes(data)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("declared", "data", "found"),
    [
        ("gb2312", SAMPLE.encode("gb18030"), "gb18030"),  # a page's declared charset is tried first
        ("GBK", SAMPLE.encode("gbk"), "gb18030"),
        ("utf-8", SAMPLE.encode("gb18030"), "gb18030"),  # a page that lies: detection decides
        ("x-unknown", SAMPLE.encode("utf-8"), "utf-8"),  # a name Python does not know: detection
        ("big5", TRADITIONAL.encode("big5"), "big5"),
    ],
)
def test_declared_charset_comes_first_then_detection(declared: str, data: bytes, found: str) -> None:
    text, encoding = decode_bytes(data, declared)
    assert encoding == found and text in (SAMPLE, TRADITIONAL)


def test_bad_files_are_skipped_with_reason_and_the_run_goes_on(tmp_path) -> None:
    (tmp_path / "good_gb.txt").write_bytes(SAMPLE.encode("gb18030"))
    (tmp_path / "good_u16.txt").write_bytes(SAMPLE.replace("辽宁省", "舟山市").encode("utf-16"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "garbage.txt").write_bytes(bytes(range(0x80, 0x100)) * 6)
    report = process_paths([tmp_path])
    assert len(report.documents) == 2
    codes = {s.path.rsplit("/", 1)[-1]: s.code for s in report.skipped}
    # a PNG header is read as an image whatever the suffix (and said so); this one does not decode
    assert codes == {"empty.txt": "empty", "image.txt": "image_damaged", "garbage.txt": "undecodable"}
    assert any(s.code == "format_mismatch" for s in report.warnings)
    assert report.summary() == f"2 份文件，{report.clause_count} 条条款，跳过 3 个文件"


def test_same_file_twice_gets_same_id(tmp_path) -> None:
    p = tmp_path / "a.txt"
    p.write_text(SAMPLE, encoding="utf-8")
    ids = [item.id for item in load([p, p]) if isinstance(item, RawDocument)]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_sidecar_overrides_extracted_fields(tmp_path) -> None:
    (tmp_path / "doc.txt").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "doc.meta.json").write_text(
        json.dumps({"doc_number": "辽政办发(2017)99号", "date": "2017-10-01", "issuer": "辽宁省卫生计生委"}),
        encoding="utf-8",
    )
    [doc] = process_paths([tmp_path]).documents
    assert doc.metadata.doc_number == "辽政办发〔2017〕99号"
    assert doc.metadata.date == "2017-10-01"
    assert doc.metadata.issuer == "辽宁省卫生计生委"
    assert doc.metadata.province == "辽宁省"


def test_jsonl_records_and_bad_lines(tmp_path) -> None:
    path = tmp_path / "recs.jsonl"
    good = {
        "id": "r1",
        "title": "测试条例",
        "jurisdiction": "山东省/青岛市",
        "level": "地方性法规",
        "text": "# 测试条例\n\n<!-- INFO END -->\n\n第一条 为了测试，制定本条例。\n\n第二条 本条例自公布之日起施行。",
    }
    path.write_text(
        json.dumps(good, ensure_ascii=False) + "\n{not json\n" + json.dumps({"id": "x"}) + "\n",
        encoding="utf-8",
    )
    items = list(load([path]))
    assert [type(i) for i in items] == [RawDocument, SkippedFile, SkippedFile]
    assert "line 2" not in items[1].reason and items[1].path.endswith(":2")
    report = process_paths([path])
    [doc] = report.documents
    assert (doc.id, doc.metadata.province, doc.metadata.city, doc.metadata.level) == (
        "r1",
        "山东省",
        "青岛市",
        "地市级",
    )
    assert [c.heading_path for c in doc.clauses] == [["第一条"], ["第二条"]]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ('{"id": "deep", "text": "x", "e": ' + "[" * 5000 + "]" * 5000 + "}", "json_too_deep"),
        ('{"id": "big", "text": "第一条 x", "n": ' + "9" * 10_000 + "}", "json_number_too_long"),
        ('{"id": "cut", "text": "第一条', "invalid_json"),
    ],
)
def test_a_bad_record_is_named_in_chinese_and_the_rest_read(tmp_path, line: str, code: str) -> None:
    good = {"id": "ok", "text": "第一条 杭州市住房公积金贷款最高额度为50万元。"}
    (tmp_path / "r.jsonl").write_text(
        json.dumps(good, ensure_ascii=False) + "\n" + line + "\n", encoding="utf-8"
    )
    report = process_paths([tmp_path])
    assert [d.id for d in report.documents] == ["ok"]
    [bad] = report.skipped
    assert bad.code == code and bad.path.endswith(":2")
    assert "sys." not in bad.reason and any("\u4e00" <= ch <= "\u9fff" for ch in bad.reason)


def test_a_sidecar_nested_too_deep_is_named(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("第一条 杭州市住房公积金贷款最高额度为50万元。", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text('{"title": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    report = process_paths([tmp_path])
    assert [s.code for s in report.skipped] == ["bad_sidecar"]
    assert "嵌套过深" in report.skipped[0].reason
