"""Same document, same result: one county 实施方案 as .txt, .docx, .pdf (typeset by reportlab, and printed
by headless Chromium with its own header and footer) and a saved 政府信息公开 page gives the same title,
文号, issuer, date and jurisdiction, the same clause ids and the same clause texts (up to whitespace).

The fixture (tests/policy_forms.py) was judged by hand: the PDF pages were rendered and looked at (wraps
inside words and numbers, a sentence across a page break, page numbers at the outer corners), and the
web page carries the nav, breadcrumb, info table, share bar, print/close links and the ICP footer that
county sites have.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from corpus.models import Document
from corpus.pipeline import process_paths

from . import policy_forms as forms

CHROMIUM = next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None
)


def _chinese_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (Chromium prints tofu without one)."""
    if shutil.which("fc-list") is None:
        return False
    done = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(done.stdout.strip())


def _read(path: Path) -> Document:
    report = process_paths([path])
    assert not report.skipped, report.skipped
    [doc] = report.documents
    return doc


@pytest.fixture(scope="module")
def forms_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("forms")
    forms.write_txt(d / "plan.txt")
    forms.write_docx(d / "plan.docx")
    forms.write_pdf(d / "plan.pdf")
    forms.write_html(d / "plan.html")
    return d


@pytest.fixture(scope="module")
def reference(forms_dir) -> Document:
    return _read(forms_dir / "plan.txt")


def _summary(doc: Document) -> dict:
    m = doc.metadata
    return {
        "title": m.title,
        "doc_number": m.doc_number,
        "issuer": m.issuer,
        "date": m.date,
        "jurisdiction": m.jurisdiction,
        "clauses": [(c.id.split(":", 1)[1], re.sub(r"\s+", "", c.text)) for c in doc.clauses],
    }


def test_the_text_form_reads_as_written(reference) -> None:
    """The reference itself is right, so that agreeing with it means something."""
    s = _summary(reference)
    assert (s["title"], s["doc_number"], s["issuer"], s["date"]) == (
        forms.TITLE, forms.DOC_NUMBER, forms.SIGNATURE, "2025-03-18"
    )  # fmt: skip
    ids = [cid for cid, _ in s["clauses"]]
    assert {"一/(一)", "二/(三)", "二/(四)", "三/(七)"} <= set(ids)
    assert ("二/(三)", re.sub(r"\s+", "", forms.BODY[5][1])) in s[
        "clauses"
    ]  # the clause whole, wraps and all


@pytest.mark.parametrize(
    ("name", "reader"), [("plan.docx", "docx"), ("plan.pdf", "pdf"), ("plan.html", "html")]
)
def test_each_form_gives_the_same_result(forms_dir, reference, name: str, reader: str) -> None:
    doc = _read(forms_dir / name)
    assert doc.metadata.reader == reader
    assert _summary(doc) == _summary(reference)


def test_the_web_page_adds_its_info_table(forms_dir) -> None:
    m = _read(forms_dir / "plan.html").metadata
    assert (m.index_number, m.subject, m.validity, m.published_date) == (
        forms.INFO["索引号"], forms.INFO["主题分类"], "有效", "2025-03-20"
    )  # fmt: skip


@pytest.mark.skipif(
    CHROMIUM is None or not _chinese_font(),
    reason="needs Debian's chromium and a Chinese font to print the page to PDF (.ci/run installs both: "
    "chromium, fonts-wqy-microhei)",
)
def test_a_pdf_printed_by_chromium_gives_the_same_result(tmp_path, reference) -> None:
    """A real embedded TrueType font (WenQuanYi) and the browser's header and footer (date, title, file
    URL, "2/4") on every page."""
    doc = _read(forms.write_chromium_pdf(tmp_path / "printed.pdf", CHROMIUM))
    assert _summary(doc) == _summary(reference)
    assert "file://" not in doc.text and "/4" not in doc.text
