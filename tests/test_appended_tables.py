"""附件 tables after a notice's 落款, in Word, text, web pages and Chromium-printed PDF (issue 28).

The fixture (tests/appended_forms.py) is a county notice whose task table follows its 落款 directly, as
offices send them. What it must give, in every form:
- the last clause ends with the notice's own last sentence: the 附件说明, 署名 and date are no clause's text;
- the table is the attachment the 附件说明 names (its own section), and ``attachments`` lists it, also when
  the single "附件：…任务分解表" line stands right above the table with no 落款 between;
- a cell merged down several rows is given to each row it spans (Word and web pages alike);
- a narrow table printed by Chromium keeps its cells apart, as Word and the web page do.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.models import Document
from corpus.pipeline import process_paths

from . import appended_forms as forms
from .test_same_document import CHROMIUM, _chinese_font

WRITERS = {
    "txt": lambda d, signed: forms.write_txt(d / "notice.txt", signed),
    "docx": lambda d, signed: forms.write_docx(d / "notice.docx", signed),
}


def _read(path: Path) -> Document:
    report = process_paths([path])
    assert not report.skipped, report.skipped
    [doc] = report.documents
    return doc


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("form", list(WRITERS))
def test_the_signature_and_the_attachment_note_are_no_clause_text(tmp_path, form: str) -> None:
    doc = _read(WRITERS[form](tmp_path, True))
    m = doc.metadata
    assert (m.issuer, m.date, m.attachments) == (forms.SIGNATURE, "2024-04-15", [forms.ATTACHMENT])
    body = [c for c in doc.clauses if c.kind != "attachment"]
    assert _squeeze(body[-1].text).endswith(_squeeze(forms.CLOSING))
    for c in doc.clauses:
        assert forms.DATE not in c.text and "附件：" not in c.text and forms.SIGNATURE not in c.text, c.text


@pytest.mark.parametrize("form", list(WRITERS))
@pytest.mark.parametrize("signed", [True, False], ids=["after-the-signature", "under-its-label"])
def test_the_table_is_the_attachment_it_names(tmp_path, form: str, signed: bool) -> None:
    doc = _read(WRITERS[form](tmp_path, signed))
    assert doc.metadata.attachments == [forms.ATTACHMENT]
    table = [c for c in doc.clauses if "\t" in c.text]
    assert table and all(c.heading_path == [f"附件：{forms.ATTACHMENT}"] for c in table)
    assert all(c.kind == "attachment" for c in table)
    assert "完成时限" in table[0].text and not any(forms.CLOSING in c.text for c in table)


@pytest.mark.parametrize("form", ["docx", "html"])
def test_a_cell_merged_down_is_given_to_each_row_it_spans(tmp_path, form: str) -> None:
    path = forms.write_docx(tmp_path / "n.docx") if form == "docx" else forms.write_html(tmp_path / "n.html")
    text = _read(path).text
    rows = [ln for ln in text.splitlines() if "\t" in ln]
    assert rows == forms.TABLE_ROWS


@pytest.mark.skipif(
    CHROMIUM is None or not _chinese_font(),
    reason="needs Debian's chromium and a Chinese font to print the page to PDF (.ci/run installs both)",
)
def test_narrow_cells_printed_by_chromium_stay_apart(tmp_path) -> None:
    """Cells 6 pt apart (3 pt of padding each side of a 1 px border): the border, not the gap, parts them."""
    expected = ["\t".join(row) for row in forms.INDICATORS]
    for path in (
        forms.write_indicators_docx(tmp_path / "i.docx"),
        forms.write_indicators_html(tmp_path / "i.html"),
        forms.write_indicators_chromium_pdf(tmp_path / "i.pdf", CHROMIUM),
    ):
        rows = [
            ln
            for ln in _read(path).text.splitlines()
            if ln.split("\t")[0] in {r[0] for r in forms.INDICATORS}
        ]
        assert rows == expected, path.name


# -- no clause spans a line that is no clause's text ------------------------------------------------------
UNSIGNED = """郴州市住房公积金管理中心关于开展提取住房公积金支付购房首付款业务的通知
各县（市、区）管理部，各有关单位：
为减轻职工购房资金压力，现就提取住房公积金支付购房首付款有关事项通知如下：
一、职工购买本市新建商品住房的，可提取本人及配偶住房公积金支付首付款。
二、各商业银行要积极配合做好相关工作，在商品房买卖合同注销环节，核查是否为住房公积金支付的首付款。
此项业务试行时间为2024年5月1日至2025年4月30日。
附件：1.提取住房公积金支付购房首付款业务流程
2.购房职工提取住房公积金支付首付款承诺书
郴州市住房公积金管理中心
"""


def test_no_clause_holds_a_list_of_attachments_or_an_undated_signature(tmp_path) -> None:
    """A 落款 whose date the copy lost ("附件：1.…" / "2.…" / the office): the last clause ends with its own
    sentence, and the office's name is no clause."""
    path = tmp_path / "notice.txt"
    path.write_text(UNSIGNED, encoding="utf-8")
    doc = _read(path)
    assert doc.metadata.attachments == [
        "提取住房公积金支付购房首付款业务流程",
        "购房职工提取住房公积金支付首付款承诺书",
    ]
    assert doc.clauses[-1].text.endswith("此项业务试行时间为2024年5月1日至2025年4月30日。")
    assert not any("附件：" in c.text or c.text.strip() == "郴州市住房公积金管理中心" for c in doc.clauses)
