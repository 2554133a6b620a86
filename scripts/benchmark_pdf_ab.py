"""The PDF reader of this checkout against another's (main, say), on the same files, interleaved: on a
shared machine, best-of-rounds taken turn about is the fair comparison (two separate runs of
``benchmark_readers.py`` differ by 2× with the load).

    python scripts/benchmark_pdf_ab.py OTHER_CHECKOUT [--work var/bench-readers] [--rounds 5]

Reads the PDFs ``scripts/benchmark_readers.py`` wrote under ``--work`` (its ``pdf`` and ``pdf-chromium``
folders: run it first) with each checkout's ``corpus/readers/pdf.py``, in this process, and prints pages/s.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _reader(checkout: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, checkout / "corpus" / "readers" / "pdf.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("other", type=Path, help="the other checkout (its corpus/readers/pdf.py is read)")
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench-readers")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    readers = {"other": _reader(args.other, "pdf_other"), "this": _reader(ROOT, "pdf_this")}
    print("| PDFs | files | pages | other pages/s | this pages/s |")
    print("|---|---:|---:|---:|---:|")
    for form in ("pdf", "pdf-chromium"):
        datas = [p.read_bytes() for p in sorted((args.work / form).glob("*.pdf"))]
        if not datas:
            continue
        best = dict.fromkeys(readers, float("inf"))
        pages = 0
        for _ in range(args.rounds):
            for name, module in readers.items():
                start = time.perf_counter()
                pages = sum(module.PdfReader().read(d, "a.pdf").units for d in datas)
                best[name] = min(best[name], time.perf_counter() - start)
        print(
            f"| {form} | {len(datas)} | {pages} | {pages / best['other']:.0f} | {pages / best['this']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
