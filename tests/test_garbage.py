"""Garbage is reported, never indexed; mojibake that decodes back exactly is repaired, with a warning.

Each kind is given twice: as a file's text and as a JSONL record's text (where binaries scraped as text
arrive), and both deliveries must end the same way.
"""

from __future__ import annotations

import base64
import json
import random

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, the codec real mojibake came through)
import pytest

from corpus.garbage import GarbageError, check_text
from corpus.loader import load
from corpus.models import RawDocument, SkippedFile
from corpus.pipeline import process_paths
from corpus.readers import ReadError, resolve

GOOD = (
    "某县卫生健康局关于推进医师多点执业的实施意见\n一、总体要求\n"
    "（一）支持社会办医疗机构发展，鼓励医师到基层多点执业，落实医保定点政策。\n"
    "（二）县卫生健康局负责组织实施，各乡镇人民政府配合做好相关工作。\n"
)
# lines whose UTF-8 bytes happen to decode as GB18030 without an error: the exact, repairable case
GBK_CLEAN = "推进医师多点执业\n支持社会办医疗机构发展鼓励医师到基层多点执业落实医保定点政策\n"
_rng = random.Random(20)
# A 公报 page as PDF.js and pdfminer read it when the body's font has no Unicode map: the masthead is in a
# font that has one, the body is each glyph's number from "!" on (the first glyph seen is "!", the next '"' …)
POLICY_BODY = (
    "为进一步促进房地产市场平稳健康发展，更好满足居民刚性和改善性住房需求，经市政府同意，现就有关事项通知如下：\n"
    "一、调整住房公积金贷款政策。缴存职工家庭购买首套自住住房的，住房公积金贷款最高额度提高至80万元。\n"
    "二、优化购房补贴。在本市购买新建商品住房的，按照契税实缴金额的50%给予补贴。\n"
    "三、本通知自印发之日起施行，有效期至2025年12月31日。\n"
)


def _glyph_numbers(text: str) -> str:
    """Every distinct character replaced by its glyph number in a subset font: "!" + k, then Latin-1."""
    codes: dict[str, str] = {}
    out = []
    for ch in text:
        if ch.isspace():
            out.append(ch)
            continue
        if ch not in codes:
            k = 0x21 + len(codes)
            codes[ch] = chr(k if k <= 0x7E else 0xA1 + k - 0x7F)
        out.append(codes[ch])
    return "".join(out)


FONT_MAP = "北京市人民政府公报\n2024年第12期\n" + _glyph_numbers(POLICY_BODY * 2)


def _word_binary_as_text() -> str:
    """A .doc's bytes decoded as Latin-1 by a scraper that dropped the NUL bytes."""
    raw = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(_rng.randrange(1, 32) for _ in range(400))
    raw += b"bjbj\x01\x02Microsoft Word 97-2003\x03\x04" + "医师多点执业".encode("utf-16-le").replace(
        b"\x00", b""
    )
    return raw.decode("latin-1")


def _pdf_source() -> str:
    return (
        "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Length 900 >>\nstream\n"
        + (bytes(_rng.randrange(32, 256) for _ in range(900)).decode("latin-1") + "\nendstream\nendobj\n")
    )


def _zip_as_text() -> str:
    return "PK\x03\x04\x14\x00\x06\x00[Content_Types].xml" + bytes(
        _rng.randrange(1, 256) for _ in range(600)
    ).decode("latin-1").replace("\x00", "")


# (kind, text, outcome: the refusal's or the warning's code, or "ok")
KINDS = [
    ("clean Chinese", GOOD, "ok"),
    (
        "English prose",
        "The county health bureau supports private hospitals and multi-site practice.\n" * 3,
        "ok",
    ),
    (
        "traditional Chinese",
        "臺灣醫師多點執業，支持社會力量提供多層次多樣化醫療服務，健全醫療保險制度。\n",
        "ok",
    ),
    (
        "two stray U+FFFD in a long text",
        GOOD.replace("发展", "发\ufffd", 1).replace("实施", "实\ufffd", 1),
        "ok",
    ),
    (
        "a web address and a Markdown table beside the text",
        GOOD
        + "原文链接：https://www.gov.cn/zhengce/content/202401/content_6924.htm\n| 项目 | 额度 |\n|-----|-----|\n",
        "ok",
    ),
    (
        "a short LawRefBook record: a Markdown comment is no font map",
        "# 测试条例\n\n<!-- INFO END -->\n\n第一条 为了测试，制定本条例。\n\n第二条 本条例自公布之日起施行。",
        "ok",
    ),
    ("a short text with one odd code run", "第一条 编号 A1!B2#C3$D4 的设备。", "ok"),
    ("PDF font without a Unicode map", FONT_MAP, "garbage_font_map"),
    (
        "only a web address",
        "http://www.gov.cn/zhengce/content/2023-01/05/content_5735068.htm\n",
        "garbage_url_only",
    ),
    (
        "only a web address, labelled",
        "原文链接： https://www.mohurd.gov.cn/xinwen/gzdt/202303/20230301_770578.html",
        "garbage_url_only",
    ),
    ("only a file name", "关于印发《郑州市住房公积金管理办法》的通知.pdf\n", "garbage_file_name_only"),
    ("only an attachment's file name", "附件：2.申请表.docx", "garbage_file_name_only"),
    ("Word binary read as text", _word_binary_as_text(), "garbage_word_binary"),
    ("PDF source read as text", _pdf_source(), "garbage_pdf_source"),
    ("DOCX (ZIP) read as text", _zip_as_text(), "garbage_zip"),
    ("mostly control characters", "\x01\x02\x03\x04\x05正文" * 40, "garbage_control"),
    ("GBK bytes read as UTF-8", GOOD.encode("gbk").decode("utf-8", errors="replace"), "garbage_gbk_as_utf8"),
    (
        "replacement characters throughout",
        "".join(ch if i % 6 else "\ufffd" for i, ch in enumerate(GOOD)),
        "garbage_replacement",
    ),
    ("锟斤拷", "锟斤拷锟斤拷锟斤拷" * 10 + GOOD, "garbage_kunjinkao"),
    (
        "private-use characters",
        "".join(chr(0xE000 + _rng.randrange(2000)) for _ in range(300)) + "第一条",
        "garbage_private_use",
    ),
    (
        "Base64 of an attachment",
        base64.b64encode(bytes(_rng.randrange(256) for _ in range(1500))).decode(),
        "garbage_base64",
    ),
    (
        "random bytes read as Latin-1",
        bytes(_rng.randrange(0xA1, 0x100) for _ in range(800)).decode("latin-1"),
        "garbage_latin1",
    ),
    (
        "UTF-8 read as GBK, bytes lost",
        GOOD.encode("utf-8").decode("gb18030", errors="ignore"),
        "garbage_utf8_as_gbk",
    ),
    (
        "UTF-8 read as cp1252 (ftfy repairs)",
        GOOD.encode("utf-8").decode("sloppy-windows-1252"),
        "repaired_utf8_as_latin1",
    ),
    ("GBK read as Latin-1 (repaired)", GOOD.encode("gbk").decode("latin-1"), "repaired_gbk_as_latin1"),
    ("UTF-8 read as GBK (repaired)", GBK_CLEAN.encode("utf-8").decode("gb18030"), "repaired_utf8_as_gbk"),
]
REFUSED = [k for k in KINDS if k[2].startswith("garbage_")]
# as a file, content that opens like a PDF or a ZIP goes to those readers first, which name it so
AS_FILE = {"garbage_pdf_source": "pdf_damaged", "garbage_zip": "unsupported_format"}
REPAIRED = {
    "repaired_utf8_as_latin1": GOOD,
    "repaired_gbk_as_latin1": GOOD,
    "repaired_utf8_as_gbk": GBK_CLEAN,
}


def load_now(item: RawDocument | SkippedFile) -> RawDocument | SkippedFile:
    """A deferred file read now, as the pipeline reads it."""
    if isinstance(item, RawDocument) and item.pending is not None:
        try:
            return resolve(item)
        except ReadError as exc:
            return SkippedFile(item.origin, exc.reason, exc.code)
    return item


def test_at_least_ten_kinds_are_refused() -> None:
    assert len({code for _, _, code in REFUSED}) >= 10


@pytest.mark.parametrize(("kind", "text", "outcome"), KINDS, ids=[k[0] for k in KINDS])
def test_check_text(kind: str, text: str, outcome: str) -> None:
    if outcome.startswith("garbage_"):
        with pytest.raises(GarbageError) as exc:
            check_text(text)
        assert exc.value.code == outcome, (kind, exc.value.code, exc.value.reason)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.reason)  # said in Chinese
    elif outcome == "ok":
        got = check_text(text)
        assert got.text == text and not got.warnings
    else:
        got = check_text(text)
        assert got.codes == [outcome] and got.text == REPAIRED[outcome] and "修复" in got.warnings[0]


@pytest.mark.parametrize("delivery", ["file", "record"])
@pytest.mark.parametrize(("kind", "text", "outcome"), KINDS, ids=[k[0] for k in KINDS])
def test_files_and_records_alike(tmp_path, delivery: str, kind: str, text: str, outcome: str) -> None:
    if delivery == "file":
        path = tmp_path / "doc.txt"
        path.write_text(text, encoding="utf-8")
    else:
        path = tmp_path / "docs.jsonl"
        path.write_text(json.dumps({"id": "r1", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    [item] = list(load([path]))
    if delivery == "file" and outcome in AS_FILE:
        item = load_now(item)
        outcome = AS_FILE[outcome]
    if outcome.startswith("garbage_") or outcome in AS_FILE.values():
        assert isinstance(item, SkippedFile) and item.code == outcome, item
        assert item.path.startswith(str(path))  # the file (and line) is named
    else:
        assert isinstance(item, RawDocument), item
        assert [w.code for w in item.warnings] == ([] if outcome == "ok" else [outcome])
        assert item.text == (text if outcome == "ok" else REPAIRED[outcome])


def test_a_corpus_with_every_kind_indexes_the_good_and_names_the_rest(tmp_path) -> None:
    for i, (_, text, _) in enumerate(KINDS):
        (tmp_path / f"{i:02d}.txt").write_text(text, encoding="utf-8")
    records = [{"id": f"r{i:02d}", "text": text} for i, (_, text, _) in enumerate(KINDS)]
    (tmp_path / "scraped.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
    )
    report = process_paths([tmp_path])
    skipped = {s.path.rsplit("/", 1)[-1]: s.code for s in report.skipped}
    for i, (kind, _, outcome) in enumerate(KINDS):
        if outcome.startswith("garbage_"):
            assert skipped.get(f"{i:02d}.txt") == AS_FILE.get(outcome, outcome), kind
            assert skipped.get(f"scraped.jsonl:{i + 1}") == outcome, kind
    kept = {d.id for d in report.documents}
    assert {f"{i:02d}.txt" for i, k in enumerate(KINDS) if not k[2].startswith("garbage_")} <= kept
    warned = sorted(w.code for w in report.warnings if w.code != "format_mismatch")  # the PDF named .txt
    assert warned == sorted(2 * [k[2] for k in KINDS if k[2].startswith("repaired_")])
