"""Reading rates per format: pages/s for PDF, documents/s for .docx and web pages, against .txt of the
same documents.

The documents are the test suite's county 实施方案 (tests/policy_forms.py) at three lengths (its body
once, twice, three times: 4 to 9 PDF pages), written ``--copies`` times in each form: .txt, .docx, .pdf
typeset by reportlab (a CID font), .pdf printed by headless Chromium (an embedded TrueType font, as real
PDFs have; skipped without chromium), and the saved 政府信息公开 page. Two rates per form:

- ``reader``: the reader alone, in this process (bytes → text, no worker), its library imported first;
- ``load+process``: what ``inspect`` does (loader, worker process started for the run, garbage check,
  cleaning, metadata, chunking), one process_paths over the directory.

    python scripts/benchmark_readers.py [--copies 30] [--work var/bench-readers]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus.pipeline import process_paths  # noqa: E402
from corpus.readers import default_registry  # noqa: E402
from corpus.readers.worker import close_pools  # noqa: E402
from tests import policy_forms as forms  # noqa: E402


def _variants(work: Path, chromium: str | None) -> dict[str, list[Path]]:
    """Three lengths of the document in every form, written once."""
    base = list(forms.BODY)
    out: dict[str, list[Path]] = {}
    for k in (1, 2, 3):
        forms.BODY[:] = base * k
        d = work / "src" / str(k)
        d.mkdir(parents=True, exist_ok=True)
        made = {
            "txt": forms.write_txt(d / "plan.txt"),
            "docx": forms.write_docx(d / "plan.docx"),
            "pdf": forms.write_pdf(d / "plan.pdf"),
            "html": forms.write_html(d / "plan.html"),
        }
        if chromium:
            made["pdf-chromium"] = forms.write_chromium_pdf(d / "plan-chromium.pdf", chromium)
        for name, path in made.items():
            out.setdefault(name, []).append(path)
    forms.BODY[:] = base
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=30, help="files per form (spread over the three lengths)")
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench-readers")
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    chromium = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
    variants = _variants(args.work, chromium)
    registry = default_registry()
    rows = []
    for form, sources in variants.items():
        d = args.work / form
        d.mkdir(parents=True)
        files = []
        for i in range(args.copies):
            src = sources[i % len(sources)]
            files.append(d / f"{i:03d}{src.suffix}")
            shutil.copyfile(src, files[-1])
        first = files[0].read_bytes()
        registry.pick(files[0].name, first)[0].read(first, files[0].name)  # imports and caches warm
        pages = 0
        t0 = time.perf_counter()
        for f in files:
            data = f.read_bytes()
            reader, _ = registry.pick(f.name, data[:8192])
            pages += reader.read(data, f.name).units
        reader_s = time.perf_counter() - t0
        close_pools()
        t0 = time.perf_counter()
        report = process_paths([d])
        pipeline_s = time.perf_counter() - t0
        assert len(report.documents) == len(files), report.skipped
        rows.append((form, len(files), pages, reader_s, pipeline_s, report.clause_count))
    txt = next(r for r in rows if r[0] == "txt")
    print(f"{'form':<14}{'files':>6}{'pages':>7}{'reader docs/s':>15}{'pages/s':>9}{'load+process docs/s':>21}"
          f"{'pages/s':>9}{'vs .txt':>9}{'clauses':>9}")  # fmt: skip
    for form, n, pages, reader_s, pipeline_s, clauses in rows:
        per_page = form.startswith("pdf")
        print(
            f"{form:<14}{n:>6}{pages if per_page else '-':>7}{n / reader_s:>15.1f}"
            f"{(f'{pages / reader_s:.1f}' if per_page else '-'):>9}{n / pipeline_s:>21.1f}"
            f"{(f'{pages / pipeline_s:.1f}' if per_page else '-'):>9}"
            f"{(n / pipeline_s) / (txt[1] / txt[4]):>8.2f}x{clauses:>9}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
