"""OCR of scans (issue 31): character error rate against the text layer, pages per second, clause ids.

Documents: the test suite's county 实施方案 (tests/policy_forms.py, 4 pages) and the five seeds
(../shared/seeds), each typeset to PDF with reportlab as the suite's PDF is (16 pt STSong-Light, 28
characters a line, 2-character indents, page numbers "— n —"). Their text layer is the reference.

1. **CER.** ``--pages`` pages (the plan's 4, then the seeds' first pages in turn) are rendered with
   pypdfium2 at 150, 200 and 300 dpi, clean and degraded (grey paper, noise σ 12, a Gaussian blur of
   0.8 px at 200 dpi scaled with the resolution, a 1° tilt, JPEG at quality 85), and recognised as the
   reader does (seals, cache off, reading order, field lines). CER = Levenshtein distance / reference
   length over the page's characters with whitespace removed; ``folded`` also folds full- and
   half-width forms (NFKC), so that "，" read as "," does not count. Seconds per page (rendering and
   recognition, wall and CPU; not the degrading, which stands for the scanner) and the load average are
   printed with it, and the lowest page confidence (the warning's threshold is 0.85).
2. **Speed.** The same pages at ``--dpi``, clean, rendered and recognised with 1 and with 2 ONNX Runtime
   threads per model, twice each, alternating.
3. **Clause ids.** Every document, scanned at ``--dpi`` clean and degraded into an image-only PDF, read
   through ``process_paths`` (worker, OCR at ``--dpi``) and compared with its text-layer twin: clause ids
   equal (share of the twin's ids the scan has, and whether the lists are identical), title, 文号, date.
   Pages per second of the whole read (worker and pipeline included).

    python scripts/benchmark_ocr.py [--pages 14] [--dpi 200] [--work var/bench-ocr]
                                    [--skip-cer] [--skip-speed] [--skip-ids]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import shutil
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from corpus.ocr.engine import OcrEngine  # noqa: E402
from corpus.ocr.options import OFF, OcrOptions  # noqa: E402
from corpus.ocr.pages import PageImage, PageRecognizer  # noqa: E402
from corpus.pipeline import process_paths  # noqa: E402
from corpus.readers.worker import close_pools  # noqa: E402
from tests import policy_forms as forms  # noqa: E402
from tests import scans  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"


def typeset(text: str, path: Path) -> Path:
    """A text as the suite's PDF sets a document: the first line a centred 20 pt title, every other line a
    16 pt paragraph with a 2-character indent, wrapped at the width, page numbers at the outer corners."""
    lines = [re.sub(r"[\t ]+", "　", ln.strip()) for ln in text.splitlines() if ln.strip()]
    saved = forms.paragraphs
    forms.paragraphs = lambda printed=True: [("title", lines[0])] + [("p", ln) for ln in lines[1:]]  # type: ignore[assignment]
    try:
        return forms.write_pdf(path)
    finally:
        forms.paragraphs = saved  # type: ignore[assignment]


def page_texts(pdf: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def jpeg(img: Image.Image, quality: int = 85) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def scanned(img: Image.Image, dpi: int, degraded: bool, seed: int) -> Image.Image:
    if not degraded:
        return img
    return jpeg(scans.degrade(img, noise=12, blur=0.8 * dpi / 200, skew=1.0, seed=seed))


def flat(text: str, fold: bool = False) -> str:
    text = re.sub(r"\s+", "", text)
    return unicodedata.normalize("NFKC", text) if fold else text


def cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def documents(work: Path) -> list[tuple[str, Path]]:
    out = [("plan", forms.write_pdf(work / "plan.pdf"))]
    for seed in sorted(SEEDS.glob("*.txt")):
        out.append(
            (seed.stem[:3], typeset(seed.read_text(encoding="utf-8"), work / f"seed-{seed.stem[:3]}.pdf"))
        )
    return out


def cer_table(docs: list[tuple[str, Path]], n_pages: int) -> None:
    chosen: list[tuple[str, Path, int]] = []
    texts = {name: page_texts(pdf) for name, pdf in docs}
    k = 0
    while len(chosen) < n_pages:  # the plan's pages, then the seeds' pages in turn
        added = False
        for name, pdf in docs:
            pages = range(1, len(texts[name]) + 1) if name == "plan" else [k + 1]
            for p in pages:
                if p <= len(texts[name]) and len(chosen) < n_pages and (name, pdf, p) not in chosen:
                    chosen.append((name, pdf, p))
                    added = True
        k += 1
        if not added:
            break
    print(f"CER over {len(chosen)} pages: {', '.join(f'{n}:{p}' for n, _, p in chosen)}")
    rec = PageRecognizer(OcrOptions(cache_path=None))
    rec.engine()  # load the models before timing
    print(f"{'dpi':>4} {'scan':<9}{'chars':>7}{'CER':>8}{'folded':>8}{'worst page':>12}{'min conf':>10}{'s/page':>8}"
          f"{'CPU s/page':>11}{'pages/s':>9}  load avg")  # fmt: skip
    for dpi in (150, 200, 300):
        for degraded in (False, True):
            errors = errors_folded = chars = 0
            worst = 0.0
            wall = cpu = 0.0
            conf = 1.0
            for i, (name, pdf, p) in enumerate(chosen):
                ref = flat(texts[name][p - 1])
                t0, c0 = time.perf_counter(), cpu_seconds()
                img = scans.render(pdf, dpi, [p])[0]
                wall += time.perf_counter() - t0
                cpu += cpu_seconds() - c0
                img = scanned(img, dpi, degraded, seed=i)  # the scanner's work: not timed
                t0, c0 = time.perf_counter(), cpu_seconds()
                page = rec.read(PageImage(np.asarray(img), dpi, p))
                wall += time.perf_counter() - t0
                cpu += cpu_seconds() - c0
                got = "".join(ln.text for ln in page.lines)
                e = Levenshtein.distance(flat(got), ref)
                errors += e
                errors_folded += Levenshtein.distance(flat(got, True), flat(ref, True))
                chars += len(ref)
                worst = max(worst, e / max(1, len(ref)))
                conf = min(conf, page.confidence or 0.0)
            n = len(chosen)
            print(
                f"{dpi:>4} {'degraded' if degraded else 'clean':<9}{chars:>7}{errors / chars:>8.2%}"
                f"{errors_folded / chars:>8.2%}{worst:>12.2%}{conf:>10.3f}{wall / n:>8.2f}{cpu / n:>11.2f}{n / wall:>9.3f}"
                f"  {os.getloadavg()[0]:.1f}",
                flush=True,
            )


def speed_table(docs: list[tuple[str, Path]], n_pages: int, dpi: int) -> None:
    """Pages per second of rendering and recognition at ``dpi``, clean, with 1 and 2 ONNX Runtime threads
    per model (the same pages as the CER table)."""
    pages = [(pdf, p) for name, pdf in docs for p in range(1, 3 if name != "plan" else 5)][:n_pages]
    print(f"\nSpeed at {dpi} dpi over {len(pages)} clean pages (render + recognise, one process)")
    print(f"{'threads':>8}{'s/page':>8}{'CPU s/page':>11}{'pages/s':>9}  load avg")
    for threads in (1, 2, 1, 2):  # twice each, alternating: the machine's load moves
        rec = PageRecognizer(OcrOptions(cache_path=None, threads=threads), engine_factory=OcrEngine)
        rec.engine()
        t0, c0 = time.perf_counter(), cpu_seconds()
        for pdf, p in pages:
            rec.read(PageImage(np.asarray(scans.render(pdf, dpi, [p])[0]), dpi, p))
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        n = len(pages)
        print(
            f"{threads:>8}{wall / n:>8.2f}{cpu / n:>11.2f}{n / wall:>9.3f}  {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def ids_table(docs: list[tuple[str, Path]], dpi: int, work: Path) -> None:
    print(f"\nClause ids, scanned at {dpi} dpi and read by OCR at {dpi} dpi, against the text-layer twin")
    print(f"{'doc':<6}{'scan':<10}{'pages':>6}{'ids':>6}{'equal':>7}{'same list':>10}{'title':>7}{'文号':>5}{'date':>6}"
          f"{'pages/s':>9}  load avg")  # fmt: skip
    total = {False: [0, 0, 0], True: [0, 0, 0]}  # ids of the twins, ids equal, pages; per condition
    seconds = {False: 0.0, True: 0.0}
    for name, pdf in docs:
        [twin] = process_paths([pdf], ocr=OFF).documents
        images = scans.render(pdf, dpi)
        for degraded in (False, True):
            d = work / f"scan-{name}-{'degraded' if degraded else 'clean'}"
            d.mkdir(parents=True, exist_ok=True)
            scan = scans.image_pdf(
                [scanned(im, dpi, degraded, seed=i) for i, im in enumerate(images)], d / "scan.pdf", dpi
            )
            close_pools()
            t0 = time.perf_counter()
            report = process_paths([scan], ocr=OcrOptions(cache_path=None, dpi=dpi))
            took = time.perf_counter() - t0
            [doc] = report.documents
            want = [c.id.split(":", 1)[1] for c in twin.clauses]
            got = [c.id.split(":", 1)[1] for c in doc.clauses]
            equal = len(set(want) & set(got))
            m, t = doc.metadata, twin.metadata
            total[degraded][0] += len(want)
            total[degraded][1] += equal
            total[degraded][2] += len(images)
            seconds[degraded] += took
            print(
                f"{name:<6}{'degraded' if degraded else 'clean':<10}{len(images):>6}{len(want):>6}{equal:>7}"
                f"{'yes' if got == want else 'no':>10}{'=' if m.title == t.title else '≠':>7}"
                f"{'=' if m.doc_number == t.doc_number else '≠':>5}{'=' if m.date == t.date else '≠':>6}"
                f"{len(images) / took:>9.3f}  {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for degraded in (False, True):
        ids, equal, pages = total[degraded]
        print(
            f"all   {'degraded' if degraded else 'clean':<10}{pages:>6}{ids:>6}{equal:>7}  {equal / ids:.1%} of clause ids "
            f"equal; {pages / seconds[degraded]:.3f} pages/s"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=14, help="pages for the CER table")
    ap.add_argument("--dpi", type=int, default=200, help="resolution of the clause-id comparison")
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench-ocr")
    ap.add_argument("--skip-cer", action="store_true")
    ap.add_argument("--skip-ids", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    args = ap.parse_args()
    if scans.chinese_font() is None:
        print("needs a Chinese font to render the PDFs (apt-get install fonts-wqy-microhei)")
        return 2
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    docs = documents(args.work)
    if not args.skip_cer:
        cer_table(docs, args.pages)
    if not args.skip_speed:
        speed_table(docs, args.pages, args.dpi)
    if not args.skip_ids:
        ids_table(docs, args.dpi, args.work)
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
