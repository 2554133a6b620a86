"""Scanned documents read by OCR (issue 31): the county 实施方案 of test_same_document, printed to PDF,
rendered to page images, stamped with a red seal, degraded (grey paper, noise, a 0.8° tilt, JPEG) and
written back as an image-only PDF, reads as its text-layer twin: title, 文号, issuer, date, jurisdiction
and clause tree. A page image and a multi-page TIFF read in page order; a second read of a page runs no
OCR (the cache); a page that reads badly is named with its number; OCR off gives the old refusal; the
worker bounds each page in time and memory and reports progress by page.

OCR costs seconds a page on 2 cores: the suite recognises the four pages of the scan and a few small
crops, once each (module fixtures, one cache per module). The scans were looked at by hand (the seal
over the 落款, the tilt, the noise). Rendering reportlab's STSong-Light needs a Chinese font on the
machine (``.ci/run`` installs fonts-wqy-microhei); without one, the tests that render skip.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from config.settings import Settings
from corpus.models import Document
from corpus.ocr import engine as ocr_engine
from corpus.ocr.cache import OcrCache
from corpus.ocr.engine import OcrBox
from corpus.ocr.fields import cited_doc_numbers, date_line, doc_number_line
from corpus.ocr.options import OFF, OcrOptions
from corpus.ocr.order import page_lines
from corpus.ocr.pages import PageImage, PageRecognizer, describe
from corpus.ocr.seals import red_mask, remove_seals
from corpus.pipeline import process_paths
from corpus.readers import ReadError, default_registry
from corpus.readers.image import ImageReader
from corpus.readers.pdf import PdfReader, join_lines
from corpus.readers.worker import Limits, ReaderPool, Request

from . import policy_forms as forms
from . import scans

FONT = scans.chinese_font()
needs_font = pytest.mark.skipif(
    FONT is None,
    reason="rendering the reportlab PDF needs a Chinese font (fonts-wqy-microhei; .ci/run installs it)",
)
DPI = 200
SEAL = ((1080, 1135), 330)  # over the 落款 of page 1 at 200 dpi: 42 mm, as official seals are


def _summary(doc: Document) -> dict:
    m = doc.metadata
    return {
        "title": m.title,
        "doc_number": m.doc_number,
        "issuer": m.issuer,
        "date": m.date,
        "jurisdiction": m.jurisdiction,
        "tree": [(c.id.split(":", 1)[1], c.heading_path) for c in doc.clauses],
    }


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _read(path: Path, options: OcrOptions) -> Document:
    report = process_paths([path], ocr=options)
    assert not report.skipped, report.skipped
    [doc] = report.documents
    return doc


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("ocr")
    forms.write_pdf(d / "plan.pdf")
    return d


@pytest.fixture(scope="module")
def options(work) -> OcrOptions:
    return OcrOptions(cache_path=work / "ocr.sqlite")


@pytest.fixture(scope="module")
def pages(work) -> list[Image.Image]:
    """The plan's four pages at 200 dpi, the first with the issuer's seal over its 落款."""
    if FONT is None:
        pytest.skip("needs a Chinese font")
    rendered = scans.render(work / "plan.pdf", DPI)
    rendered[0] = scans.stamp_seal(rendered[0], SEAL[0], SEAL[1], forms.SIGNATURE, FONT)
    return rendered


@pytest.fixture(scope="module")
def scan(work, pages) -> Path:
    degraded = [scans.degrade(p, noise=12, skew=0.8, seed=i) for i, p in enumerate(pages)]
    return scans.image_pdf(degraded, work / "scan.pdf", DPI)


@pytest.fixture(scope="module")
def scanned(scan, options) -> Document:
    return _read(scan, options)


@pytest.fixture(scope="module")
def twin(work) -> Document:
    return _read(work / "plan.pdf", OFF)


# -- same document, same result --------------------------------------------------------------------------
@needs_font
def test_the_scan_reads_as_its_text_layer_twin(scanned, twin) -> None:
    assert twin.metadata.reader == "pdf" and twin.metadata.ocr_pages == []
    assert scanned.metadata.reader == "pdf" and scanned.metadata.ocr_pages == [1, 2, 3, 4]
    assert _summary(scanned) == _summary(twin)
    assert _summary(twin)["doc_number"] == forms.DOC_NUMBER and _summary(twin)["date"] == "2025-03-18"
    for ocr, typed in zip(scanned.clauses, twin.clauses):  # each clause as typed, up to a stray misread
        assert Levenshtein.normalized_distance(_flat(ocr.text), _flat(typed.text)) <= 0.02, (ocr.id, ocr.text)


@needs_font
def test_the_seal_is_no_text_and_the_signature_reads(scanned) -> None:
    """The 落款 under the seal is the issuer and the date; no fragment of the seal's arc is in the text."""
    assert scanned.metadata.issuer == forms.SIGNATURE
    lines = scanned.text.splitlines()
    i = lines.index(forms.SIGNATURE)
    assert lines[i + 1] == forms.DATE and lines[i + 2] == forms.DISCLOSURE
    assert scanned.text.count(forms.SIGNATURE) == forms.as_text().count(forms.SIGNATURE)


@needs_font
def test_a_cited_doc_number_read_with_two_kinds_of_bracket_is_set_right(scanned, twin) -> None:
    assert "吉市政办发〔2018〕19号" in scanned.text and "吉市政办发〔2018〕19号" in twin.text


# -- page images -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page_image(work, pages) -> Path:
    """The notice's first page, from its 版头 to （此件公开发布）, photographed (a PNG)."""
    img = scans.degrade(pages[0].crop((150, 150, 1500, 1320)), noise=10, skew=-0.5, seed=7)
    img.save(work / "notice.png", dpi=(DPI, DPI))
    return work / "notice.png"


@needs_font
def test_a_page_image_reads_as_the_page(page_image, options) -> None:
    doc = _read(page_image, options)
    m = doc.metadata
    assert (m.reader, m.ocr_pages) == ("image", [1])
    assert (m.title, m.doc_number, m.issuer, m.date) == (
        forms.TITLE,
        forms.DOC_NUMBER,
        forms.SIGNATURE,
        "2025-03-18",
    )
    assert m.addressee == forms.ADDRESSEE.rstrip("：")
    assert _flat(forms.COVER) in _flat(doc.text)


@pytest.fixture(scope="module")
def tiff(work, pages) -> Path:
    """Three pages filed as one TIFF: 二、重点任务 with （三）, then （四） on a grey scanner, then a page too
    blurred to read."""
    clean = pages[1]
    first = scans.degrade(clean.crop((180, 715, 1480, 1150)), noise=8, seed=1)
    second = scans.degrade(clean.crop((180, 1200, 1480, 1505)), noise=8, seed=2).convert("L")
    ruined = scans.degrade(pages[2].crop((180, 395, 1480, 560)), noise=50, blur=3.5, seed=3)
    first.save(work / "first.png")
    return scans.tiff([first, second.convert("RGB"), ruined], work / "filed.tif", DPI)


@pytest.fixture(scope="module")
def filed(tiff, options) -> tuple[Document, list]:
    report = process_paths([tiff], ocr=options)
    assert not report.skipped, report.skipped
    return report.documents[0], report.warnings


@needs_font
def test_a_multi_page_tiff_is_one_document_in_page_order(filed) -> None:
    doc, _ = filed
    assert (doc.metadata.reader, doc.metadata.ocr_pages) == ("image", [1, 2, 3])
    text = _flat(doc.text)
    assert (
        text.index("二、重点任务") < text.index("（三）放宽准入条件") < text.index("（四）推进医师多点执业")
    )
    ids = [c.id.split(":", 1)[1] for c in doc.clauses]
    assert ids.index("二/(三)") < ids.index("二/(四)")


@needs_font
def test_a_page_that_reads_badly_is_named_with_its_number(filed) -> None:
    _, warnings = filed
    low = [w for w in warnings if w.code == "ocr_low_confidence"]
    assert len(low) == 1 and "第 3（" in low[0].reason
    assert "第 1" not in low[0].reason and "2（" not in low[0].reason


@needs_font
def test_a_signature_under_a_seal_with_a_chinese_numeral_date_reads(tmp_path) -> None:
    """The 落款 of a 委员会 notice, a seal stamped across its name and date (二〇二五年三月十八日): the seal
    taken off, the name and the date read (recognised with the seal on, they come out as "吉林" and
    "二0二")."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = tmp_path / "signature.pdf"
    c = canvas.Canvas(str(pdf), pagesize=(420, 260))
    c.setFont("STSong-Light", 16)
    body = "请各单位结合实际认真贯彻落实，执行中遇到的问题及时报告。"
    c.drawString(50, 230, body[:22])
    c.drawString(18, 201, body[22:])
    c.drawString(160, 170, "吉林市卫生健康委员会")
    c.drawString(172, 140, "二〇二五年三月十八日")
    c.showPage()
    c.save()
    img = scans.render(pdf, DPI)[0]
    img = scans.stamp_seal(img, (760, 400), 330, "吉林市卫生健康委员会", FONT)
    scans.degrade(img, noise=12, skew=0.6).save(tmp_path / "signature.png", dpi=(DPI, DPI))
    got = ImageReader(OcrOptions()).read((tmp_path / "signature.png").read_bytes(), "signature.png")
    assert got.text.splitlines() == [body, "吉林市卫生健康委员会", "二〇二五年三月十八日"]


@needs_font
def test_a_page_scanned_upside_down_reads_the_right_way_up(tmp_path, pages) -> None:
    crop = scans.degrade(pages[1].crop((180, 715, 1480, 960)), noise=8, seed=4).rotate(180)
    crop.save(tmp_path / "upside-down.png")
    got = ImageReader(OcrOptions()).read((tmp_path / "upside-down.png").read_bytes(), "upside-down.png")
    lines = got.text.splitlines()
    assert lines[0] == "二、重点任务" and lines[1].startswith("（三）放宽准入条件。社会力量举办医疗机构")


def test_one_line_taken_for_upside_down_turns_nothing() -> None:
    """The direction model alone takes a line of brackets and digits for upside down (seed 002, page 11
    at 200 dpi: "（2015—2020年）的通知》（辽政办发〔2015〕107号）的", recognised turned as "（））（一）");
    only most of a page's text turns it."""
    widths = [1195] * 10
    one = [["0", 0.99]] * 9 + [["180", 0.97]]
    assert not ocr_engine.upside_down(one, widths)
    assert ocr_engine.upside_down([["180", 0.99]] * 8 + [["0", 0.99]] * 2, widths)
    assert not ocr_engine.upside_down([["180", 0.6]] * 10, widths)  # not sure enough


# -- the cache -------------------------------------------------------------------------------------------
@needs_font
def test_a_page_read_again_is_taken_from_the_cache(tmp_path, pages, monkeypatch) -> None:
    """Counted in this process: the first read recognises the page, a second read (a fresh reader, as a
    new run has) recognises nothing and gives the same text."""
    path = tmp_path / "number.png"
    scans.degrade(pages[0].crop((540, 480, 1120, 590)), noise=8).save(path)
    calls: list[int] = []
    real = ocr_engine.OcrEngine.recognize

    def counted(self, image):  # noqa: ANN001, ANN202
        calls.append(1)
        return real(self, image)

    monkeypatch.setattr(ocr_engine.OcrEngine, "recognize", counted)
    options = OcrOptions(cache_path=tmp_path / "ocr.sqlite")
    first = ImageReader(options).read(path.read_bytes(), path.name)
    assert len(calls) == 1 and first.text.strip() == forms.DOC_NUMBER
    again = ImageReader(options).read(path.read_bytes(), "renamed.png")
    assert len(calls) == 1 and again.text == first.text
    other = ImageReader(OcrOptions(cache_path=tmp_path / "elsewhere.sqlite")).read(
        path.read_bytes(), path.name
    )
    assert len(calls) == 2 and other.text == first.text  # another cache has not seen it


class _FakeEngine:
    """Two boxes, whatever the image: for the cache's faults, without the cost of recognition."""

    calls = 0

    def __init__(self, threads: int = 0) -> None:
        pass

    def recognize(self, image: np.ndarray) -> list[OcrBox]:
        _FakeEngine.calls += 1
        return [
            OcrBox([(100, 100), (900, 100), (900, 140), (100, 140)], "永政办发〔2025】12号", 0.97),
            OcrBox([(100, 200), (900, 200), (900, 240), (100, 240)], "二O二五年三月十八目", 0.95),
        ]


def _recognise(cache: Path) -> tuple[list[str], list]:
    rec = PageRecognizer(OcrOptions(cache_path=cache), engine_factory=_FakeEngine)
    page = rec.read(PageImage(np.full((400, 1000, 3), 255, np.uint8), DPI, 1))
    return [ln.text for ln in page.lines], rec.notes()


def test_a_damaged_cache_is_moved_aside_and_the_page_still_reads(tmp_path) -> None:
    cache = tmp_path / "ocr.sqlite"
    cache.write_bytes(b"not a database, a file cut short by a full disk" * 100)
    _FakeEngine.calls = 0
    lines, notes = _recognise(cache)
    assert lines == [
        "永政办发〔2025〕12号",
        "二〇二五年三月十八日",
    ]  # the field lines as the metadata reads them
    assert [n.code for n in notes] == ["ocr_cache_corrupt"] and list(tmp_path.glob("ocr.sqlite.corrupt-*"))
    assert _recognise(cache)[0] == lines and _FakeEngine.calls == 1  # the new cache holds the page


def test_a_read_only_cache_is_read_and_not_written(tmp_path) -> None:
    cache = tmp_path / "ocr.sqlite"
    OcrCache(cache).close()
    cache.chmod(0o444)
    try:
        lines, notes = _recognise(cache)
    finally:
        cache.chmod(0o644)
    if not notes:
        pytest.skip("running as a user who may write read-only files (root)")
    assert lines and [n.code for n in notes] in (["ocr_cache_read_only"], ["ocr_cache_write_failed"])


# -- OCR off ---------------------------------------------------------------------------------------------
@needs_font
def test_ocr_off_gives_the_old_refusal(tmp_path, scan, page_image, monkeypatch, capsys) -> None:
    from policy_search.cli import main

    monkeypatch.setenv("POLICY_SEARCH_OCR", "off")
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    assert Settings().ocr is False
    assert main(["inspect", str(scan), str(page_image), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["documents"] == []
    codes = {Path(s["path"]).name: s["code"] for s in out["skipped"]}
    assert codes == {"scan.pdf": "pdf_no_text", "notice.png": "unsupported_format"}
    assert all("POLICY_SEARCH_OCR=off" in s["reason"] for s in out["skipped"])
    assert not (tmp_path / "data" / "ocr.sqlite").exists()


@pytest.mark.parametrize(
    ("name", "head"),
    [("scan.png", b"\x89PNG\r\n\x1a\n"), ("scan.jpg", b"\xff\xd8\xff\xe0"), ("scan.tif", b"II*\x00"),
     ("scan.tiff", b"MM\x00*"), ("photo.dat", b"\xff\xd8\xff\xe1")],
)  # fmt: skip
def test_page_images_go_to_the_image_reader_unless_ocr_is_off(name: str, head: bytes) -> None:
    reader, note = default_registry().pick(name, head)
    assert (reader.name, note) == ("image", None)
    reader, note = default_registry(OFF).pick(name, head)
    assert reader is None and note.code == "unsupported_format" and "POLICY_SEARCH_OCR=off" in note.reason


def test_a_damaged_or_enormous_image_is_named(tmp_path) -> None:
    reader = ImageReader(OcrOptions())
    with pytest.raises(ReadError) as exc:
        reader.read(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "cut.png")
    assert exc.value.code == "image_damaged"
    big = tmp_path / "big.png"
    Image.new("1", (12_000, 12_000)).save(big)  # 144 megapixels: refused before it is decoded
    with pytest.raises(ReadError) as exc:
        reader.read(big.read_bytes(), "big.png")
    assert exc.value.code == "image_too_large" and "第 1 页" in exc.value.reason


def test_without_the_engine_a_text_pdf_still_reads_and_an_image_is_named(tmp_path, monkeypatch) -> None:
    """rapidocr-onnxruntime missing (a plain ``pip install -e .``): a text PDF with a blank page reads as
    before OCR, the page named with the reason; a page image is refused saying how to install the engine."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    def missing(self, threads: int = 0, det_side: int = 0) -> None:  # noqa: ANN001
        raise ocr_engine.OcrUnavailable("ModuleNotFoundError: No module named 'rapidocr_onnxruntime'")

    monkeypatch.setattr(ocr_engine.OcrEngine, "__init__", missing)
    ocr_engine.shared_engine.cache_clear()
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "two.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 14)
    c.drawString(72, 700, "第一条 为支持社会力量举办医疗机构，制定本办法。")
    c.showPage()
    c.showPage()  # a blank page: recognised when the engine is there
    c.save()
    got = PdfReader(OcrOptions()).read(path.read_bytes(), path.name)
    assert "第一条" in got.text and got.ocr_pages == []
    assert [w.code for w in got.warnings] == ["pdf_pages_without_text"] and "rapidocr" in got.warnings[
        0
    ].reason
    png = tmp_path / "page.png"
    Image.new("RGB", (400, 300), "white").save(png)
    with pytest.raises(ReadError) as exc:
        ImageReader(OcrOptions()).read(png.read_bytes(), png.name)
    assert (
        exc.value.code == "ocr_unavailable"
        and "pip install --no-deps rapidocr-onnxruntime" in exc.value.reason
    )
    ocr_engine.shared_engine.cache_clear()


# -- a text layer the garbage check refuses --------------------------------------------------------------
@needs_font
def test_a_page_whose_text_layer_is_garbage_is_read_by_ocr(tmp_path, pages) -> None:
    """A scan with a broken text layer under it (invisible Latin-1 noise, as a bad OCR layer or a font
    without a Unicode map leaves): the page is recognised instead, and the warning says so."""
    import random

    from reportlab.lib.utils import ImageReader as RLImage
    from reportlab.pdfgen import canvas

    crop = scans.degrade(pages[1].crop((180, 715, 1480, 960)), noise=8, seed=5)
    path = tmp_path / "layered.pdf"
    c = canvas.Canvas(str(path), pagesize=(forms.PAGE_W, forms.PAGE_H))
    w = crop.width * 72 / DPI
    c.drawImage(RLImage(crop), 64, forms.PAGE_H - 300, width=w, height=crop.height * 72 / DPI)
    rng = random.Random(3)
    text = c.beginText(72, forms.PAGE_H - 200)
    text.setTextRenderMode(3)  # invisible, as OCR layers are
    text.setFont("Helvetica", 12)
    for _ in range(6):
        text.textLine(
            "".join(
                rng.choice("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ")
                for _ in range(40)
            )
        )
    c.drawText(text)
    c.showPage()
    c.save()
    report = process_paths([path], ocr=OcrOptions(cache_path=tmp_path / "ocr.sqlite"))
    [doc] = report.documents
    assert doc.metadata.ocr_pages == [1] and "二、重点任务" in doc.text and "Ã" not in doc.text
    assert [w.code for w in report.warnings] == ["pdf_text_layer_garbage"]
    off = process_paths([path], ocr=OFF)
    assert [s.code for s in off.skipped] == ["garbage_latin1"]  # as before: the whole file refused


# -- reading order ---------------------------------------------------------------------------------------
def _box(x0: float, y0: float, x1: float, y1: float, text: str, tilt: float = 0.0) -> OcrBox:
    """A box in pixels of a 1654 × 2339 page (A4 at 200 dpi), its right end lower by ``tilt`` pixels."""
    return OcrBox([(x0, y0), (x1, y0 + tilt), (x1, y1 + tilt), (x0, y1)], text, 0.99)


def _line(x0: float, y0: float, text: str, em: float = 44.0) -> OcrBox:
    """A line set in a font of ``em`` pixels (44: 16 pt at 200 dpi), its box as the detector draws it."""
    width = em * sum(0.5 if c.isascii() else 1.0 for c in text) + 0.16 * em
    return _box(x0, y0, x0 + width, y0 + 1.15 * em, text)


def _text(boxes: list[OcrBox]) -> list[str]:
    return join_lines([page_lines(boxes, 1654, 2339, DPI, 1)]).splitlines()


def test_two_columns_are_read_column_by_column() -> None:
    left = [
        "第一栏第一行文字内容较长",
        "第一栏第二行文字内容较长",
        "第一栏第三行文字内容较长",
        "第一栏第四行结束。",
    ]
    right = [
        "第二栏第一行文字内容较长",
        "第二栏第二行文字内容较长",
        "第二栏第三行文字内容较长",
        "第二栏第四行结束。",
    ]
    boxes = [_box(220, 200, 1400, 260, "关于两栏排版的说明")]  # a title across both columns
    for i, (a, b) in enumerate(zip(left, right)):
        y = 320 + 62 * i
        boxes += [_box(220, y, 220 + 44 * len(a), y + 50, a), _box(880, y, 880 + 44 * len(b), y + 50, b)]
    got = _text(boxes)
    assert got[0] == "关于两栏排版的说明"
    assert "".join(got[1:]) == "".join(left) + "".join(right)


def test_text_on_one_side_of_a_gutter_is_no_column_layout() -> None:
    """A block of running text in the left half with nothing to its right (a narrow paragraph, a table's
    wide first column): a gutter with nothing on one side is no column layout (found by the benchmark:
    it stopped on such a page)."""
    lines = [
        "社会力量举办医疗机构的，",
        "按照有关规定予以支持，",
        "不得设置床位规模等前置",
        "条件，县卫生健康局负责。",
    ]
    got = _text([_line(220, 300 + 62 * i, t) for i, t in enumerate(lines)])
    assert "".join(got) == "".join(lines)


def test_a_table_keeps_its_rows() -> None:
    rows = [
        ["序号", "重点任务", "牵头单位"],
        ["1", "放宽准入条件", "县卫生健康局"],
        ["2", "推进多点执业", "县卫生健康局"],
    ]
    boxes = []
    for i, row in enumerate(rows):
        y = 300 + 62 * i
        boxes += [_box(x, y, x + 40 * len(t) + 10, y + 50, t) for x, t in zip((220, 500, 1000), row)]
    assert _text(boxes) == ["\t".join(r) for r in rows]


def _tilted(boxes: list[OcrBox], degrees: float) -> list[OcrBox]:
    """The boxes as a page turned by ``degrees`` about its centre shows them."""
    a = np.radians(degrees)
    cx, cy = 1654 / 2, 2339 / 2

    def turn(x: float, y: float) -> tuple[float, float]:
        return cx + (x - cx) * np.cos(a) - (y - cy) * np.sin(a), cy + (x - cx) * np.sin(a) + (
            y - cy
        ) * np.cos(a)

    return [OcrBox([turn(x, y) for x, y in b.points], b.text, b.score) for b in boxes]


def test_a_tilted_page_keeps_its_indents_and_its_signature_lines() -> None:
    """2° of tilt moves the start of a line 1,500 pixels further down the page 52 pixels sideways, more
    than an indent: turned back, indents and the flush-right 落款 read as they were typed (wrapped lines
    joined to their paragraph, a new paragraph at its indent, the 落款 name and date on lines of their
    own)."""
    paragraph = [
        (308, "一、为支持社会力量举办医疗机构，结合本县实际情况，"),
        (220, "制定本方案，请各乡镇、各部门结合实际认真抓好落实，确保"),
        (220, "取得实效。"),
        (308, "二、各有关部门要按照职责分工，制定具体落实措施，于规"),
        (220, "定时间前报送。"),
    ]
    boxes = [_line(x, 300 + 62 * i, t) for i, (x, t) in enumerate(paragraph)]
    boxes += [
        _line(x, 1500 + 62 * i, t.replace("一、", "三、").replace("二、", "四、"))
        for i, (x, t) in enumerate(paragraph)
    ]
    boxes += [_line(830, 1900, "永吉县人民政府办公室"), _line(990, 1962, "2025年3月18日")]
    one = "为支持社会力量举办医疗机构，结合本县实际情况，制定本方案，请各乡镇、各部门结合实际认真抓好落实，确保取得实效。"
    two = "各有关部门要按照职责分工，制定具体落实措施，于规定时间前报送。"
    want = ["一、" + one, "二、" + two, "三、" + one, "四、" + two, "永吉县人民政府办公室", "2025年3月18日"]
    assert _text(boxes) == want
    assert _text(_tilted(boxes, 2.0)) == want
    assert _text(_tilted(boxes, -2.0)) == want


def test_a_centred_title_over_two_lines_is_one_line() -> None:
    """A 20 pt title over two centred lines, then 16 pt body: the title is one line, the body its own."""
    title = ["永吉县人民政府办公室关于印发永吉县促进社会办", "医持续健康规范发展实施方案的通知"]
    boxes = [_line(827 - 55 * len(t) / 2, 300 + 80 * i, t, em=55) for i, t in enumerate(title)]
    boxes += [
        _line(220, 480, "各乡镇人民政府，县政府各部门，各直属机构："),
        _line(308, 542, "现将方案印发给你们，请结合实际认真抓好落实，确保各"),
        _line(220, 604, "项任务按期完成。"),
    ]
    assert _text(boxes) == [
        "".join(title),
        "各乡镇人民政府，县政府各部门，各直属机构：",
        "现将方案印发给你们，请结合实际认真抓好落实，确保各项任务按期完成。",
    ]


# -- what OCR confuses in 文号 and dates -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("read", "meant"),
    [("永政办发〔2025】12号", "永政办发〔2025〕12号"), ("永政办发[2025]12号", "永政办发〔2025〕12号"),
     ("永政办发（2025）12号", "永政办发〔2025〕12号"), ("吉政发(２０１７)８号", "吉政发〔2017〕8号"),
     ("永政办发【2025〕012号 签发人：张三", "永政办发〔2025〕12号 签发人：张三"),
     ("关于印发方案的通知", "关于印发方案的通知")],
)  # fmt: skip
def test_doc_number_lines(read: str, meant: str) -> None:
    assert doc_number_line(read) == meant


@pytest.mark.parametrize(
    ("read", "meant"),
    [("二O二五年三月十八日", "二〇二五年三月十八日"), ("二0二五年三月十八日", "二〇二五年三月十八日"),
     ("二o二五年三月十八目", "二〇二五年三月十八日"), ("二○二五年十二月一日", "二〇二五年十二月一日"),
     ("２０２５年３月１８日", "2025年3月18日"), ("2025年3月18曰", "2025年3月18日"),
     ("2025年6月底前完成", "2025年6月底前完成"), ("O2年", "O2年")],
)  # fmt: skip
def test_date_lines(read: str, meant: str) -> None:
    assert date_line(read) == meant


def test_clause_text_stays_as_recognised_but_for_a_half_read_doc_number() -> None:
    assert cited_doc_numbers("（吉市政办发〔2018】19号）精神") == "（吉市政办发〔2018〕19号）精神"
    assert (
        cited_doc_numbers("（吉市政办发[2018]19号）精神") == "（吉市政办发[2018]19号）精神"
    )  # typed so, maybe
    assert cited_doc_numbers("到2025年O2月") == "到2025年O2月"


# -- seals -----------------------------------------------------------------------------------------------
@needs_font
def test_a_red_seal_is_taken_off_and_the_type_under_it_stays(pages) -> None:
    page = np.asarray(pages[0]).copy()
    head = (slice(150, 320), slice(300, 1350))  # the 版头 "永吉县人民政府办公室文件", printed red as 版头 are
    ink = page[head].max(axis=2) < 128
    page[head][ink] = (200, 20, 25)
    (cx, cy), d = SEAL
    clean, found = remove_seals(page, DPI / 25.4)
    region = (slice(cy - d // 2, cy + d // 2), slice(cx - d // 2, cx + d // 2))
    assert found == 1 and red_mask(page[region]).mean() > 0.05 and red_mask(clean[region]).mean() < 0.002
    dark = page[region].max(axis=2) < 90  # black type under the seal (the 落款)
    assert dark.sum() > 2000 and (clean[region][dark].max(axis=1) < 90).mean() > 0.99
    assert ink.sum() > 5000 and (clean[head] == page[head]).all()  # the red 版头 is text: it stays


# -- bounded by page, progress by page -------------------------------------------------------------------
@pytest.fixture
def pool():
    p = ReaderPool(Limits(timeout_s=20, memory_mb=768))
    yield p
    p.close()


def test_a_page_that_hangs_is_given_up_on_and_named(pool) -> None:
    heard = []
    t0 = time.monotonic()
    with pytest.raises(ReadError) as exc:
        pool.read(Request("tests.ocr_plugins:SlowPageReader", "scan.pages", data=b"x"), heard.append)
    assert exc.value.code == "ocr_timeout" and "第 2 页" in exc.value.reason
    assert time.monotonic() - t0 < 15  # the page's half second, not the file's 20 s nor the reader's 60
    assert [(p.page, p.pages) for p in heard] == [(1, 3), (2, 3)]


def test_a_page_that_hoards_memory_is_named(pool) -> None:
    with pytest.raises(ReadError) as exc:
        pool.read(Request("tests.ocr_plugins:GreedyPageReader", "scan.pages", data=b"x"))
    assert exc.value.code == "reader_memory" and "第 2 页" in exc.value.reason


def test_each_page_has_its_own_time_and_progress_is_heard_by_page(pool) -> None:
    heard = []
    got = pool.read(
        Request("tests.ocr_plugins:PagedEchoReader", "scan.pages", data="第一条".encode()), heard.append
    )
    assert got.text == "第一条" and got.ocr_pages == [1, 2, 3]
    assert [p.page for p in heard] == [1, 2, 3]


# -- inspect, reindex ------------------------------------------------------------------------------------
def test_pages_are_named_as_ranges() -> None:
    assert describe([1, 2, 3, 5, 7, 8]) == "1–3、5、7–8"


@needs_font
def test_inspect_says_which_pages_were_recognised(tmp_path, scan, work, monkeypatch, capsys) -> None:
    from policy_search.cli import main

    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POLICY_SEARCH_OCR_CACHE_PATH", str(work / "ocr.sqlite"))  # the module's: no OCR again
    assert main(["inspect", str(scan)]) == 0
    out = capsys.readouterr().out
    assert "读取器 pdf" in out and "文字识别（OCR）：第 1–4 页" in out and forms.DOC_NUMBER in out
    assert main(["inspect", str(work / "plan.pdf"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"][0]["ocr_pages"] == []


@needs_font
def test_reindex_indexes_the_scan_as_its_twin_with_progress_by_page(tmp_path, scan, twin, work) -> None:
    from index.generations import IndexLayout
    from index.store import STORE_FILE, read_documents
    from policy_search.factory import reindex

    from .test_index import HashEmbedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "scan.pdf").write_bytes(scan.read_bytes())
    settings = Settings(data_dir=tmp_path / "data", ocr_cache_path=work / "ocr.sqlite")
    heard = []
    result, report = reindex(settings, [corpus], embedder=HashEmbedder(), read_progress=heard.append)
    assert result.added == ["scan.pdf"] and not result.failed
    assert [(p.name, p.page, p.pages) for p in heard] == [("scan.pdf", n, 4) for n in (1, 2, 3, 4)]
    store = IndexLayout(settings.resolved_index_dir()).current() / STORE_FILE
    [doc] = read_documents(store, ["scan.pdf"])
    assert _summary(doc) == _summary(twin) and doc.metadata.ocr_pages == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("shape", "seen"),
    [
        ((165, 1300), (736, 1280)),  # a one-line strip: to 1280 wide, padded; not 736 × 5,800 (1 GB held)
        ((300, 400), (736, 981)),  # a small image: scaled up while its long side stays within 1280
        ((2339, 1654), (1280, 905)),  # a page at 200 dpi: scaled down to 1280 on its long side
    ],
)
def test_the_detector_sees_a_bounded_image(shape, seen) -> None:
    engine = ocr_engine.shared_engine(1)
    got: list[tuple[int, int]] = []
    real = engine._ocr.text_det

    def spy(img):  # noqa: ANN001, ANN202
        got.append(img.shape[:2])
        return real(img)

    engine._ocr.text_det = spy
    try:
        engine.recognize(np.full((*shape, 3), 255, dtype=np.uint8))
    finally:
        engine._ocr.text_det = real
    assert got == [seen]


@pytest.mark.parametrize("size", [(1, 30_000), (30_000, 1), (12, 40_000)])
def test_a_hairline_image_has_no_text_and_no_error(tmp_path, size) -> None:
    path = tmp_path / "line.png"
    Image.new("RGB", size, "white").save(path)
    report = process_paths([path], ocr=OcrOptions(cache_path=None))
    assert [s.code for s in report.skipped] == ["image_no_text"]


def test_a_16_bit_grey_scan_reads_as_its_8_bit_twin(tmp_path) -> None:
    from corpus.readers.image import _eight_bit

    grey = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (4, 1))
    page = _eight_bit(Image.fromarray(grey))
    assert page.mode == "L" and np.asarray(page)[0, [0, 128, 255]].tolist() == [0, 128, 255]
    assert Image.fromarray(grey).convert("RGB").getpixel((128, 0))[0] == 255  # Pillow's own: clipped


def test_a_truncated_image_is_named_in_chinese(tmp_path) -> None:
    import io as _io

    buf = _io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buf, "PNG")
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[:-200])
    report = process_paths([tmp_path], ocr=OcrOptions(cache_path=None))
    [bad] = report.skipped
    assert bad.code == "image_damaged" and "truncated" not in bad.reason and "截断" in bad.reason


@needs_font
@pytest.mark.parametrize("angle", [90, -90])
def test_a_page_scanned_a_quarter_turned_reads_as_the_upright_page(tmp_path, pages, angle: int) -> None:
    """A page photographed sideways: its lines stand upright, so it is turned a quarter and read (the
    other way round it lands upside down, which the direction model turns); the cache remembers the turn."""
    options = OcrOptions(cache_path=tmp_path / "ocr.sqlite")
    upright = PageRecognizer(options).read(PageImage(np.asarray(pages[1]), DPI, 2))
    turned_image = PageImage(np.asarray(pages[1].rotate(angle, expand=True)), DPI, 2)
    rec = PageRecognizer(options)
    first, again = rec.read(turned_image), rec.read(turned_image)
    want = "\n".join(ln.text for ln in upright.lines)
    for got in (first, again):
        text = "\n".join(ln.text for ln in got.lines)
        assert Levenshtein.normalized_distance(_flat(text), _flat(want)) < 0.05, text[:200]
        assert len(got.lines) >= len(upright.lines) - 1
    assert (first.cached, again.cached) == (False, True)
