"""The document readers, one format at a time: PDF layout, Word, legacy .doc, web pages, the registry."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from corpus.ocr.options import OFF as OCR_OFF
from corpus.readers import Reader, ReadError, default_registry
from corpus.readers.doc import OLE2, DocReader
from corpus.readers.docx import DocxReader
from corpus.readers.html import HtmlReader, html_to_text, looks_like_html
from corpus.readers.pdf import Line, PdfReader, drop_furniture, join_lines

from . import policy_forms as forms

# -- PDF: lines wrapped by the page width, page furniture ---------------------------------------------------
L, R, S = 80.0, 510.0, 16.0  # left margin, where full lines end, body size


def line(
    text: str, x0: float = L, x1: float | None = None, y: float = 700, size: float = S, page: int = 1
) -> Line:
    """A line of ``text`` starting at ``x0``; full width unless ``x1`` says where it ends."""
    return Line(text, x0, R if x1 is None else x1, y + size, y, size, page)


def page_of(*lines: Line) -> list[Line]:
    """Lines stacked down the page, 29 pt apart."""
    return [
        Line(ln.text, ln.x0, ln.x1, 760 - 29 * i + ln.size, 760 - 29 * i, ln.size, ln.page)
        for i, ln in enumerate(lines)
    ]


# a few full-width lines starting indented, so the document is known to indent its paragraphs
INDENTED = [
    line("（一）指导思想。坚持以人民健康为中心，坚持政府主导与市场", x0=L + 2 * S),
    line("机制相结合。", x1=200),
]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([line("诊所设置实行备案管理，申请人应"), line("取得相应的执业资格。", x1=250)], ["诊所设置实行备案管理，申请人应取得相应的执业资格。"]),
        ([line("全县社会办医疗机构床位数到20"), line("27年底达到30%以上。", x1=250)], ["全县社会办医疗机构床位数到2027年底达到30%以上。"]),
        ([line("private hospitals and multi-site health"), line("care providers.", x1=200)], ["private hospitals and multi-site health care providers."]),
        ([line("一、总体要求", x0=L + 2 * S, x1=200), line("（一）指导思想。")], ["一、总体要求", "（一）指导思想。"]),
        ([*INDENTED, line("纳入绩效考核。县卫生健康局负责联席会议日常工作，每年"), line("开展联合检查。", x0=L + 2 * S, x1=250)],
         ["（一）指导思想。坚持以人民健康为中心，坚持政府主导与市场机制相结合。", "纳入绩效考核。县卫生健康局负责联席会议日常工作，每年", "开展联合检查。"]),
        ([line("各有关部门要按照职责分工，制定具体落实措施。"), line("二、重点任务", x1=200)], ["各有关部门要按照职责分工，制定具体落实措施。", "二、重点任务"]),
        ([*INDENTED, line("结果向社会公开，并与医保定点、评优评先挂钩。检查结果"), line("纳入信用档案。", x1=250)],
         ["（一）指导思想。坚持以人民健康为中心，坚持政府主导与市场机制相结合。", "结果向社会公开，并与医保定点、评优评先挂钩。检查结果纳入信用档案。"]),
        ([line("永吉县人民政府办公室关于印发永吉县促进社会办", x0=90, x1=500, size=22), line("医持续健康规范发展实施方案的通知", x0=130, x1=460, size=22), line("各乡镇人民政府：", x1=220), *INDENTED],
         ["永吉县人民政府办公室关于印发永吉县促进社会办医持续健康规范发展实施方案的通知", "各乡镇人民政府：",
          "（一）指导思想。坚持以人民健康为中心，坚持政府主导与市场机制相结合。"]),
        ([line("序号\t重点任务\t牵头单位"), line("1\t放宽准入条件\t县卫生健康局")], ["序号\t重点任务\t牵头单位", "1\t放宽准入条件\t县卫生健康局"]),
    ],
    ids=["cjk-wrap 应|取得", "digit-wrap 20|27", "latin-wrap keeps a space", "short line ends a paragraph",
         "indented line starts one", "heading after a sentence end", "sentence end inside an indented paragraph",
         "centred title over two lines", "table rows stay rows"],
)  # fmt: skip
def test_join_lines(lines: list[Line], expected: list[str]) -> None:
    assert join_lines([page_of(*lines)]).splitlines() == expected


def test_two_columns_come_out_as_rows_of_left_and_right() -> None:
    """A documented limit: cells and columns set apart on one line are joined by a tab, row by row."""
    from corpus.readers.pdf import page_lines

    boxes = {(80.0, 700.0, 280.0, 716.0): "左栏第一行", (320.0, 700.0, 510.0, 716.0): "右栏第一行",
             (80.0, 671.0, 280.0, 687.0): "左栏第二行", (320.0, 671.0, 510.0, 687.0): "右栏第二行"}  # fmt: skip
    lines = page_lines(
        list(boxes), lambda box: next(t for b, t in boxes.items() if b[0] == box[0] and b[1] == box[1]), 1
    )
    assert [ln.text for ln in lines] == ["左栏第一行\t右栏第一行", "左栏第二行\t右栏第二行"]


def test_a_sentence_runs_on_across_a_page_break() -> None:
    p1 = page_of(*INDENTED, line("县卫生健康局在收到备案材料之日起15个工作日内完成审"))
    p2 = page_of(line("核。", x1=120, page=2), line("（四）推进医师多点执业。", x0=L + 2 * S, x1=300, page=2))
    assert join_lines([p1, p2]).splitlines()[1:] == [
        "县卫生健康局在收到备案材料之日起15个工作日内完成审核。",
        "（四）推进医师多点执业。",
    ]


@pytest.mark.parametrize(
    "number", ["— 3 —", "-3-", "- 3 -", "3", "第3页 共9页", "第 3 页", "共9页 第3页", "3/9", "Page 3 of 9"]
)
def test_page_numbers_are_dropped(number: str) -> None:
    body = [line("县卫生健康局负责联席会议日常工作。", y=700 - 29 * i, x1=400) for i in range(6)]
    foot = Line(number, 280, 320, 60, 48, 14, 1)
    [kept] = drop_furniture([[*body, foot]], [842.0])
    assert [ln.text for ln in kept] == [ln.text for ln in body]


def test_running_headers_go_but_a_signature_date_at_the_page_foot_stays() -> None:
    pages = []
    for n in range(1, 4):
        head = Line("永吉县人民政府办公室行政规范性文件", 200, 400, 800, 786, 12, n)
        body = [
            line("各有关部门要按照职责分工，制定具体落实措施。", y=700 - 29 * i, x1=400, page=n)
            for i in range(6)
        ]
        pages.append([head, *body])
    pages[-1].append(Line("2025年3月18日", 380, 480, 98, 84, 16, 3))  # the 落款 date, low on the last page
    kept = drop_furniture(pages, [842.0] * 3)
    assert all(ln.text != "永吉县人民政府办公室行政规范性文件" for page in kept for ln in page)
    assert kept[-1][-1].text == "2025年3月18日"


def _pdf(path: Path, draw) -> Path:  # noqa: ANN001
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), **({"encrypt": "secret"} if "encrypted" in path.name else {}))
    draw(c)
    c.save()
    return path


def _scan_page(c) -> None:  # noqa: ANN001 - a page of shapes only, as a scanner's image has no text either
    for i in range(40):
        c.rect(72, 72 + 15 * i, 400, 10, fill=1)
    c.showPage()


def _text_page(c) -> None:  # noqa: ANN001
    c.setFont("STSong-Light", 14)
    c.drawString(72, 700, "第一条 为支持社会力量举办医疗机构，制定本办法。")
    c.showPage()


def test_pdf_without_a_text_layer_is_reported_as_a_scan(tmp_path) -> None:
    """With OCR off (POLICY_SEARCH_OCR=off); with OCR on, tests/test_ocr.py."""
    path = _pdf(tmp_path / "scan.pdf", lambda c: [_scan_page(c), _scan_page(c)])
    with pytest.raises(ReadError) as exc:
        PdfReader(OCR_OFF).read(path.read_bytes(), path.name)
    assert exc.value.code == "pdf_no_text" and "扫描件" in exc.value.reason and "OCR" in exc.value.reason


def test_scanned_pages_inside_a_text_pdf_are_named(tmp_path) -> None:
    path = _pdf(tmp_path / "mixed.pdf", lambda c: [_text_page(c), _scan_page(c), _text_page(c)])
    got = PdfReader(OCR_OFF).read(path.read_bytes(), path.name)
    assert got.units == 3 and "第一条" in got.text
    assert [(w.code, "第 2 页" in w.reason) for w in got.warnings] == [("pdf_pages_without_text", True)]


@pytest.mark.parametrize(
    ("name", "code"), [("encrypted.pdf", "pdf_encrypted"), ("damaged.pdf", "pdf_damaged")]
)
def test_pdf_that_cannot_be_opened(tmp_path, name: str, code: str) -> None:
    path = _pdf(tmp_path / name, _text_page)
    data = path.read_bytes() if code == "pdf_encrypted" else path.read_bytes()[:300]
    with pytest.raises(ReadError) as exc:
        PdfReader().read(data, name)
    assert exc.value.code == code


def test_generated_pdf_reads_back_as_the_typed_text(tmp_path) -> None:
    got = PdfReader().read(forms.write_pdf(tmp_path / "a.pdf").read_bytes(), "a.pdf")
    assert got.units == 4 and "— 1 —" not in got.text
    assert got.text.split() == forms.as_text().split()  # every line, wrapped or paged, back in one piece


# -- Word -----------------------------------------------------------------------------------------------
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _numbered_docx() -> bytes:
    """Headings numbered by Word itself (一、 / （一）), a table with a merged cell between paragraphs."""
    from docx import Document
    from docx.oxml import parse_xml

    doc = Document()
    numbering = doc.part.numbering_part.element
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering.append(
        parse_xml(
            f'<w:abstractNum {ns} w:abstractNumId="90">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
            "</w:abstractNum>"
        )
    )
    numbering.append(parse_xml(f'<w:num {ns} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text: str, level: int) -> None:
        p = doc.add_paragraph(text)
        p._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {ns}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
        )

    doc.add_paragraph("某县社会办医实施方案")
    numbered("总体要求", 0)
    numbered("指导思想。坚持以人民健康为中心。", 1)
    numbered("工作目标。到2027年底床位达到1.6张。", 1)
    numbered("重点任务", 0)
    numbered("放宽准入条件。诊所设置实行备案管理。", 1)
    table = doc.add_table(rows=2, cols=3)
    for cell, value in zip(table.rows[0].cells, ["序号", "重点任务", "牵头单位"]):
        cell.text = value
    merged = table.rows[1].cells[1].merge(table.rows[1].cells[2])
    table.rows[1].cells[0].text = "1"
    merged.text = "县卫生健康局牵头"
    doc.add_paragraph("本方案自印发之日起施行。")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_docx_keeps_body_order_numbering_and_table_rows() -> None:
    got = DocxReader().read(_numbered_docx(), "a.docx")
    assert got.text.splitlines() == [
        "某县社会办医实施方案",
        "一、总体要求",
        "（一）指导思想。坚持以人民健康为中心。",
        "（二）工作目标。到2027年底床位达到1.6张。",
        "二、重点任务",
        "（一）放宽准入条件。诊所设置实行备案管理。",  # a new 一、 restarts the level below it
        "序号\t重点任务\t牵头单位",
        "1\t县卫生健康局牵头",  # the merged cell once
        "本方案自印发之日起施行。",
    ]


def test_docx_that_is_not_word(tmp_path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ReadError) as exc:
        DocxReader().read(buf.getvalue(), "sheet.docx")
    assert exc.value.code == "not_docx"
    with pytest.raises(ReadError) as exc:
        DocxReader().read(_numbered_docx()[:2000], "cut.docx")
    assert exc.value.code == "docx_damaged"


# -- legacy .doc ----------------------------------------------------------------------------------------
WORD_OLE2 = OLE2 + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 64


def test_doc_without_a_converter_says_how_to_enable_one(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ReadError) as exc:
        DocReader().read(WORD_OLE2, "a.doc")
    assert exc.value.code == "doc_converter_missing" and "apt-get install antiword" in exc.value.reason


def test_ole2_that_is_not_word() -> None:
    with pytest.raises(ReadError) as exc:
        DocReader().read(OLE2 + b"\x00" * 504 + "Workbook".encode("utf-16-le"), "sheet.doc")
    assert exc.value.code == "not_doc"


def test_doc_goes_through_antiword_with_tables_as_rows(tmp_path, monkeypatch) -> None:
    """The converter's output contract (antiword -w 0: a paragraph a line, |cell|cell| rows), through a
    stand-in antiword on PATH; the project ships no real .doc (none can be generated without Word)."""
    fake = tmp_path / "bin" / "antiword"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\nprintf "某县社会办医实施方案\\n\\n一、总体要求\\n\\n|序号 |重点任务 |\\n|1 |放宽准入 |\\n[pic]\\n"\n',
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(fake.parent))
    got = DocReader().read(WORD_OLE2, "a.doc")
    assert got.text.splitlines() == ["某县社会办医实施方案", "一、总体要求", "序号\t重点任务", "1\t放宽准入"]
    assert got.fields == {"converter": "antiword"}


def test_doc_goes_through_libreoffice_when_it_is_the_converter_there_is(tmp_path, monkeypatch) -> None:
    """LibreOffice writes its text beside the input (--outdir); a stand-in soffice keeps to that contract."""
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\nfor a; do last="${a%.doc}"; done\nwhile [ "$1" != "--outdir" ]; do shift; done\n'
        'printf "\\357\\273\\277某县社会办医实施方案\\n一、总体要求\\n" > "$2/${last##*/}.txt"\n',
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(fake.parent))
    got = DocReader().read(WORD_OLE2, "a.doc")
    assert got.text.splitlines() == ["某县社会办医实施方案", "一、总体要求"] and got.fields == {
        "converter": "soffice"
    }


# -- web pages ------------------------------------------------------------------------------------------
FURNITURE = ["首页", "办事服务", "当前位置", "浏览次数", "字体", "分享到", "微博", "打印本页", "关闭窗口", "相关文件",
             "主办单位", "ICP备", "公网安备", "版权所有", "网站标识码", "统计代码", "请输入关键字", "索引号", "主题分类"]  # fmt: skip


def test_government_page_gives_the_document_and_its_info_table() -> None:
    got = HtmlReader().read(forms.as_html().encode("gb2312"), "page.html")
    assert got.fields == {
        "index_number": forms.INFO["索引号"],
        "subject": forms.INFO["主题分类"],
        "issuer": forms.INFO["发文机关"],
        "written_date": forms.INFO["成文日期"],
        "title": forms.TITLE,
        "doc_number": forms.DOC_NUMBER,
        "published_date": forms.INFO["发布日期"],
        "validity": "有效",
        "encoding": "gb18030",
    }
    assert not [w for w in FURNITURE if w in got.text]
    assert got.text.splitlines()[:2] == [forms.DOC_NUMBER, forms.TITLE]
    assert "1\t放宽准入条件\t县卫生健康局\t2025年6月" in got.text.splitlines()


def test_page_without_info_table_takes_its_title_from_title() -> None:
    page = """<html><head><meta charset="utf-8"><title>某市卫生健康委员会关于开展社会办医专项检查的通知 - 某市人民政府</title></head>
    <body><div class="header"><h1 class="logo">某市人民政府</h1></div><div class="crumb">首页 &gt; 通知公告</div>
    <div class="main"><p>各县（市）区卫生健康局：</p><p>为规范社会办医疗机构执业行为，决定开展专项检查。</p>
    <p>一、检查范围</p><p>全市社会办医疗机构。</p></div><div class="footer">版权所有 某市人民政府</div></body></html>"""
    got = html_to_text(page)
    assert got.fields == {"title": "某市卫生健康委员会关于开展社会办医专项检查的通知"}
    assert got.text.splitlines() == [
        "某市卫生健康委员会关于开展社会办医专项检查的通知",
        "各县（市）区卫生健康局：",
        "为规范社会办医疗机构执业行为，决定开展专项检查。",
        "一、检查范围",
        "全市社会办医疗机构。",
    ]


@pytest.mark.parametrize("links", ["相关链接：", "相关文件：", "友情链接:"])
def test_a_link_list_at_the_end_of_the_body_is_no_clause(links: str) -> None:
    page = f"""<html><head><meta charset="utf-8"><title>某县卫生健康局关于医师多点执业的通知</title></head>
    <body><div class="content"><p>一、总体要求</p><p>支持医师多点执业。</p><p>二、主执业机构应当支持医师多点执业</p>
    <p>主执业机构不得以任何理由阻挠。</p><div>{links}<a href="/a">某市卫生健康委员会</a><a href="/b">某省卫生健康委员会</a></div>
    </div></body></html>"""
    lines = html_to_text(page).text.splitlines()
    assert lines[-1] == "主执业机构不得以任何理由阻挠。" and not any("链接" in ln for ln in lines)


def test_old_page_laid_out_with_tables_keeps_its_paragraphs() -> None:
    page = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>办法</title></head><body>
    <table width="100%"><tr><td class="nav"><a href="/">首页</a> <a href="/x">政务公开</a></td></tr>
    <tr><td><table><tr><td><p>某县医疗机构管理办法</p><p>第一条 为加强医疗机构管理，制定本办法。</p>
    <p>第二条 本办法适用于本县行政区域内的医疗机构，包括社会力量举办的医疗机构和公立医疗机构。</p>
    <p>第三条 县卫生健康局负责本办法的组织实施，县市场监督管理局等部门按职责做好相关工作。</p></td></tr></table></td></tr>
    <tr><td class="bottom">吉ICP备05002145号</td></tr></table></body></html>"""
    got = HtmlReader().read(page.encode("gbk"), "old.htm")
    assert got.text.splitlines()[-3:] == [
        "第一条 为加强医疗机构管理，制定本办法。",
        "第二条 本办法适用于本县行政区域内的医疗机构，包括社会力量举办的医疗机构和公立医疗机构。",
        "第三条 县卫生健康局负责本办法的组织实施，县市场监督管理局等部门按职责做好相关工作。",
    ]
    assert got.fields["encoding"] == "gb18030" and "首页" not in got.text and "ICP" not in got.text


@pytest.mark.parametrize(
    ("text", "html"),
    [("<!DOCTYPE html><html><body><p>正文</p></body></html>", True), ("<div class='x'>正文</div>", True),
     ("第一条 本法所称<医疗机构>，是指……", False), ("一、总体要求\n<p>", False)],
)  # fmt: skip
def test_looks_like_html(text: str, html: bool) -> None:
    assert looks_like_html(text) is html


# -- the registry ---------------------------------------------------------------------------------------
def test_every_reader_meets_the_protocol() -> None:
    reg = default_registry()
    names = [r.name for r in [*reg.readers, reg.fallback]]
    assert names == ["pdf", "image", "docx", "doc", "html", "text"]
    assert all(isinstance(r, Reader) for r in [*reg.readers, reg.fallback])


@pytest.mark.parametrize(
    ("name", "head", "reader", "note"),
    [
        ("a.pdf", b"%PDF-1.7\n", "pdf", None),
        ("attachment.doc", b"%PDF-1.4\n", "pdf", "format_mismatch"),  # sites rename files; content wins
        (
            "a.doc",
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml",
            "docx",
            "format_mismatch",
        ),
        ("a.docx", b"PK\x03\x04" + b"\x00" * 40, "docx", None),  # no word/ in the head: the name decides
        ("a.doc", OLE2, "doc", None),
        ("a.txt", b"<!DOCTYPE html><html>", "html", "format_mismatch"),
        ("a.htm", b"\xef\xbb\xbf  <html lang=zh>", "html", None),
        ("a.txt", "第一条".encode(), "text", None),
        ("README", b"plain", "text", None),
        ("scan.jpg", b"\xff\xd8\xff\xe0", None, "unsupported_format"),
        ("a.txt", b"\x89PNG\r\n\x1a\n", None, "unsupported_format"),
        ("a.zip", b"PK\x03\x04\x14\x00", None, "unsupported_format"),
        ("a.rtf", b"{\\rtf1\\ansi", None, "unsupported_format"),
        ("page.mht", b"MIME-Version: 1.0\r\nContent-Type: multipart/related", None, "unsupported_format"),
        ("notice.ofd", b"PK\x03\x04\x14\x00", None, "unsupported_format"),
        ("a.wps", b"\x00\x01 anything", None, "unsupported_format"),
    ],
)
def test_registry_picks_by_content_then_suffix(
    name: str, head: bytes, reader: str | None, note: str | None
) -> None:
    got, why = default_registry(OCR_OFF).pick(name, head)  # OCR on: tests/test_ocr.py
    assert (got.name if got else None, why.code if why else None) == (reader, note)


def test_inspect_names_the_reader_of_each_file(tmp_path, capsys, monkeypatch) -> None:
    from policy_search.cli import main

    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    docs = tmp_path / "docs"
    docs.mkdir()
    forms.write_txt(docs / "a.txt")
    forms.write_docx(docs / "b.docx")
    forms.write_html(docs / "c.html")
    (docs / "d.jsonl").write_text(
        json.dumps({"id": "rec", "text": forms.as_text()}, ensure_ascii=False), encoding="utf-8"
    )
    assert main(["inspect", str(docs), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {d["id"]: d["reader"] for d in out["documents"]} == {
        "a.txt": "text",
        "b.docx": "docx",
        "c.html": "html",
        "rec": "jsonl",
    }
    assert main(["inspect", str(docs / "b.docx")]) == 0
    assert "docx" in capsys.readouterr().out


def test_html_inside_a_record_is_read_as_a_page(tmp_path) -> None:
    from corpus.pipeline import process_paths

    rec = {
        "id": "page-1",
        "text": forms.as_html(),
        "source": "https://example.gov.cn/a.html",
        "jurisdiction": "吉林省/吉林市",
    }
    (tmp_path / "pages.jsonl").write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    report = process_paths([tmp_path])
    [doc] = report.documents
    m = doc.metadata
    assert (m.reader, m.title, m.index_number, m.subject, m.jurisdiction) == (
        "html", forms.TITLE, forms.INFO["索引号"], forms.INFO["主题分类"], "吉林省/吉林市"
    )  # fmt: skip
    assert "分享到" not in doc.text and "<p" not in doc.text


def test_sidecar_fields_win_over_what_a_reader_found(tmp_path) -> None:
    from corpus.pipeline import process_paths

    forms.write_html(tmp_path / "page.html")
    (tmp_path / "page.meta.json").write_text(
        json.dumps({"subject": "医疗卫生"}, ensure_ascii=False), encoding="utf-8"
    )
    [doc] = process_paths([tmp_path]).documents
    assert (doc.metadata.subject, doc.metadata.index_number) == ("医疗卫生", forms.INFO["索引号"])


def test_hits_carry_the_info_table_and_subject_filters(tmp_path) -> None:
    """索引号 and 主题分类 reach the hit's document; 主题分类 is a filter (the stats list its values)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from config.settings import Settings
    from corpus.pipeline import builtin_corpus_dir
    from policy_search.factory import reindex
    from search.hybrid import HybridSearcher

    from .conftest import LOCAL
    from .test_index import HashEmbedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    forms.write_html(corpus / "plan.html")
    (corpus / "seed.txt").write_bytes(next(builtin_corpus_dir().glob("000_*.txt")).read_bytes())
    settings = Settings(data_dir=tmp_path / "data")
    reindex(settings, [corpus], embedder=HashEmbedder())
    searcher = HybridSearcher.open(settings.resolved_index_dir(), HashEmbedder())
    with TestClient(create_app(settings, searcher_factory=lambda: searcher), base_url=LOCAL) as client:
        assert client.get("/api/stats").json()["subjects"] == {forms.INFO["主题分类"]: 1}
        everything = client.get("/api/search", params={"q": "医师多点执业", "top_k": 20}).json()["hits"]
        assert {h["document"]["id"] for h in everything} == {"plan.html", "seed.txt"}
        only = client.get(
            "/api/search", params={"q": "医师多点执业", "top_k": 20, "subject": forms.INFO["主题分类"]}
        ).json()["hits"]
        assert only and {h["document"]["id"] for h in only} == {"plan.html"}
        doc = only[0]["document"]
        assert (doc["index_number"], doc["subject"], doc["validity"]) == (
            forms.INFO["索引号"], forms.INFO["主题分类"], "有效"
        )  # fmt: skip


def test_milvus_filters_subject_by_document_keys() -> None:
    """Milvus stores no 主题分类 field: a filter on it selects by the documents' keys instead."""
    pytest.importorskip("pymilvus")
    from index.milvus_backend import filter_expr
    from index.protocols import DocFilter, FieldCondition

    by_subject = DocFilter({"plan.html"}, [FieldCondition("subject", "in", ("卫生、体育\\卫生",))])
    assert filter_expr(by_subject) == 'doc in ["plan.html"]'
    by_province = DocFilter({"x"}, [FieldCondition("province", "in", ("吉林省",))])
    assert filter_expr(by_province) == 'province in ["吉林省"]'


STATE_COUNCIL_PAGE = """<html><head><title>某部门关于规范医疗机构执业登记的通知_政策_某政府网</title>
<meta name="ArticleTitle" content="某部门关于规范医疗机构执业登记的通知"></head><body>
<div class="header"><ul><li>首页</li><li>政策</li></ul></div><div class="BreadcrumbNav">首页 &gt; 政策 &gt; 部门文件</div>
<div class="article"><table class="bd1"><tbody>
<tr><td><b>索　引　号：</b></td><td>000014349/2024-00071</td><td><b>主题分类：</b></td><td>卫生、体育\\卫生</td></tr>
<tr><td><b>发文机关：</b></td><td>某部门</td><td><b>成文日期：</b></td><td>2024年06月10日</td></tr>
<tr><td><b>标　　题：</b></td><td colspan="3">某部门关于规范医疗机构执业登记的通知</td></tr>
<tr><td><b>发文字号：</b></td><td>某发〔2024〕42号</td><td><b>发布日期：</b></td><td>2024年06月12日</td></tr>
<tr><td><b>时 效 性：</b></td><td>失效</td></tr></tbody></table>
<div class="pages_content" id="UCAP-CONTENT"><p style="text-align:center">某发〔2024〕42号</p>
<p>各省、自治区、直辖市卫生健康委：</p><p>　　为规范医疗机构执业登记，现就有关事项通知如下。</p>
<p>　　一、简化登记材料<br>　　（一）诊所实行备案管理。</p><p style="text-align:right">某部门<br>2024年6月10日</p></div>
<div class="editor">【我要纠错】 责任编辑：张三</div><div class="share">分享到： 微信 微博</div></div>
<div class="footer">主办单位：某部门 网站标识码bm01000001 京ICP备05070218号 京公网安备11010202000001号</div></body></html>"""


def test_labels_spaced_out_in_bold_cells_and_a_body_of_br_lines() -> None:
    got = html_to_text(STATE_COUNCIL_PAGE)
    assert (got.fields["index_number"], got.fields["validity"], got.fields["doc_number"]) == (
        "000014349/2024-00071", "失效", "某发〔2024〕42号"
    )  # fmt: skip
    assert got.text.splitlines() == [
        "某部门关于规范医疗机构执业登记的通知",  # from the table, written first: the body opens with the 文号
        "某发〔2024〕42号",
        "各省、自治区、直辖市卫生健康委：",
        "\u3000\u3000为规范医疗机构执业登记，现就有关事项通知如下。",
        "\u3000\u3000一、简化登记材料",
        "\u3000\u3000（一）诊所实行备案管理。",
        "某部门",
        "2024年6月10日",
    ]
