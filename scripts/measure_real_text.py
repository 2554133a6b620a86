"""Score the clause tree and metadata on the hand-judged policy documents (tests/fixtures/policy_documents.txt).

    python scripts/measure_real_text.py [--show]

Prints, over the judged documents: how often each metadata field is exactly right (jurisdiction to the lowest
level the document names, level, issuer, 文号, date, status, 主送, 附件 titles), how often issuer and 文号 come
out empty although the document states them, headings lost and spurious, and documents with a clause that holds
a 落款, 抄送/印发 or 附件-list line. It uses only ``CorpusPipeline().process``, so the same script scores any
checkout: ``PYTHONPATH=/path/to/other/checkout python scripts/measure_real_text.py`` gives its "before".
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from corpus.models import RawDocument
from corpus.pipeline import CorpusPipeline

ROOT = Path(__file__).resolve().parent.parent


def _fixtures():  # noqa: ANN202 - the module; read by path, so that PYTHONPATH alone picks the code scored
    spec = importlib.util.spec_from_file_location("policy_fixtures", ROOT / "tests" / "policy_fixtures.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["policy_fixtures"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


FIELDS, load_judged, score = (lambda m: (m.FIELDS, m.load_judged, m.score))(_fixtures())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--show", action="store_true", help="print every miss")
    ap.add_argument(
        "--file", type=Path, help="another judged set (default: tests/fixtures/policy_documents.txt)"
    )
    args = ap.parse_args(argv)
    judged = load_judged(args.file) if args.file else load_judged()
    pipeline = CorpusPipeline()
    n = len(judged)
    right = dict.fromkeys(FIELDS, 0)
    attach = lost = spurious = exact = leaked = 0
    empty = {"issuer": 0, "doc_number": 0}
    stated = {"issuer": 0, "doc_number": 0}
    expected_headings = 0
    for j in judged:
        doc = pipeline.process(RawDocument(id=j.id, text=j.text, source=j.id))
        s = score(j, doc)
        for k in FIELDS:
            right[k] += s["fields"][k]
            if not s["fields"][k] and args.show:
                print(f"{j.id}: {k} = {s['got'][k]!r}, judged {j.expected[k]!r}")
        for k in empty:
            if j.expected[k]:
                stated[k] += 1
                empty[k] += not s["got"][k]
        attach += s["attachments"]
        if not s["attachments"] and args.show:
            print(f"{j.id}: attachments = {doc.metadata.attachments!r}, judged {j.attachments!r}")
        expected_headings += len(j.headings)
        lost += len(s["lost"])
        spurious += len(s["spurious"])
        exact += s["headings_exact"]
        leaked += bool(s["leaks"])
        if args.show and (s["lost"] or s["spurious"] or s["leaks"]):
            print(f"{j.id}: lost {s['lost']} spurious {s['spurious']} leaks {s['leaks']}")
    print(f"{n} judged documents")
    print("| measure | value |\n|---|---:|")
    for k in FIELDS:
        print(f"| {k} exact | {right[k] / n:.3f} ({right[k]}/{n}) |")
    print(f"| attachments (附件 titles) exact | {attach / n:.3f} ({attach}/{n}) |")
    for k in empty:
        print(f"| {k} empty although stated | {empty[k]}/{stated[k]} |")
    print(f"| headings lost | {lost}/{expected_headings} |")
    print(f"| headings spurious | {spurious} |")
    print(f"| documents with every heading exact | {exact}/{n} |")
    print(f"| documents with a 落款/抄送/附件 line in a clause | {leaked}/{n} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
