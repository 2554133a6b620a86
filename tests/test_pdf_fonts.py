"""PDFs whose Chinese font is not embedded (STSong-Light, as reportlab and many generators write it), read on
a machine with no Chinese font (issue 28).

There PDFium gives the glyphs boxes of almost no height (0.02 pt for 16 pt text) but keeps their text. The
reader takes each run's height from the font's ascent and descent instead, and reads the document as it
does where the font is installed. The machine without a font is made for one subprocess: the font folders
are hidden in a private mount namespace (needs root and ``unshare``; skipped otherwise). The geometry is
also tested without PDFium, on boxes of no height.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.readers.pdf import Line, PdfReader, join_lines, layout_of, page_lines, with_heights

from . import policy_forms as forms

ROOT = Path(__file__).resolve().parent.parent
FONT_DIRS = [d for d in ("/usr/share/fonts", "/usr/local/share/fonts") if Path(d).is_dir()]

# read a PDF in a fresh interpreter: the text, and the lowest run PDFium gave (proof that no font drew it)
READ = """
import json, sys
import pypdfium2 as pdfium
from corpus.readers.pdf import PdfReader
data = open(sys.argv[1], "rb").read()
tp = pdfium.PdfDocument(data)[0].get_textpage()
low = min(r[3] - r[1] for r in (tp.get_rect(k) for k in range(tp.count_rects())))
print(json.dumps({"text": PdfReader().read(data, "a.pdf").text, "lowest_run": low}))
"""


def _can_hide_fonts() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or not FONT_DIRS:
        return False
    done = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return done.returncode == 0


def _read_without_fonts(pdf: Path, empty: Path) -> dict:
    mounts = " && ".join(f"mount --bind {empty} {d}" for d in FONT_DIRS)
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{mounts} && exec "$0" -c "$1" "$2"', sys.executable, READ, str(pdf)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(
    not _can_hide_fonts(), reason="hiding the fonts needs root and unshare (a mount namespace)"
)
def test_a_pdf_with_a_non_embedded_cid_font_reads_on_a_machine_without_chinese_fonts(tmp_path) -> None:
    pdf = forms.write_pdf(tmp_path / "plan.pdf")  # STSong-Light, named but not embedded
    (tmp_path / "empty").mkdir()
    got = _read_without_fonts(pdf, tmp_path / "empty")
    assert got["lowest_run"] < 1.0  # no font drew the glyphs: the condition under test holds
    assert got["text"].split() == forms.as_text().split()  # every line, wrapped or paged, back in one piece
    # as with the font, up to whitespace: the attachment table's columns stand 0.86 em apart, a cell gap
    # where the font draws its glyphs (tighter than their advance) and a space where it does not
    assert got["text"].split() == PdfReader().read(pdf.read_bytes(), "plan.pdf").text.split()


# -- the geometry, without PDFium ---------------------------------------------------------------------------
def _flat(x0: float, x1: float, baseline: float) -> tuple[float, float, float, float]:
    return (x0, baseline, x1, baseline + 0.02)  # what PDFium gives a glyph no font draws


def test_flat_runs_take_the_height_of_their_font() -> None:
    # two 16 pt lines and a 文号 line whose digits a stand-in font drew (12 pt high) but its characters not
    boxes = [_flat(80, 510, 700), _flat(80, 300, 671), (222, 640, 378, 651.7)]
    loose = {80: (80, 696, 96, 712.1), 222: (222, 636.1, 238, 652.2)}
    fixed = with_heights(
        boxes, lambda b: (b[0], b[1] - 4, b[0] + 16, b[1] + 12.1) if b[0] == 80 else loose[222]
    )
    assert [round(b[3] - b[1], 1) for b in fixed] == [16.1, 16.1, 16.1]
    # a page whose fonts all draw is left as it is
    drawn = [(80, 698, 510, 714), (80, 669, 300, 685)]
    assert with_heights(drawn, lambda b: None) == drawn
    # a lone flat glyph among drawn ones ("一" of a Chromium print) takes its own loose box, the rest stay
    lone = [*drawn, (300, 676, 316, 676.6)]
    fixed = with_heights(lone, lambda b: (b[0], 665, b[2], 681))
    assert fixed[:2] == drawn and fixed[2] == (300, 665, 316, 681)


def test_lines_of_no_height_still_read() -> None:
    """Without the repair (a PDF whose glyphs have no box at all), the text is read, not a crash."""
    texts = {
        _flat(80, 510, 700): "诊所设置实行备案管理，申请人应",
        _flat(80, 250, 671): "取得相应的执业资格。",
    }
    lines = page_lines(list(texts), lambda b: next(t for k, t in texts.items() if abs(k[1] - b[1]) < 1), 1)
    assert [ln.text for ln in lines] == list(texts.values())
    assert layout_of(lines) is not None
    assert "".join(join_lines([lines]).split()) == "".join(texts.values())  # all of it, in order


def test_zero_size_lines_have_a_layout() -> None:
    lines = [
        Line("永吉县人民政府办公室", 80, 300, 700.0, 700.0, 0.0, 1),
        Line("二〇二五年三月十八日", 90, 300, 670, 670, 0.0, 1),
    ]
    assert join_lines([lines]).split() == ["永吉县人民政府办公室", "二〇二五年三月十八日"]
