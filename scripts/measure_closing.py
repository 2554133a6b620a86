"""What follows a 落款 on real documents: how many of policy-dev's documents keep a 落款 or 附件说明 line inside a
clause, and how many name their 附件.

    python scripts/measure_closing.py [--show N]

Reads ../shared/corpora/policy-dev.jsonl.gz (1,000 real policy texts; the compiler's 【place】 title tag
stripped) through ``CorpusPipeline().process`` only, so ``PYTHONPATH=/path/to/other/checkout`` scores another
checkout (its "before"). Prints: documents with a 落款 (signature, date) or 附件说明 line inside a clause's text,
documents with ``attachments``, documents whose text ends with a "附件：…" line, and of those how many list it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

from corpus.layout import read_layout
from corpus.models import RawDocument
from corpus.pipeline import CorpusPipeline

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "policy-dev.jsonl.gz"
_LAST_ATTACHMENT = re.compile(r"(?:^|\n)附\s*件\s*[：:]\s*(\S[^\n]{0,40})\s*$")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file", type=Path, default=DEV)
    ap.add_argument(
        "--show", type=int, default=0, help="print this many documents with a 落款 line in a clause"
    )
    args = ap.parse_args(argv)
    if not args.file.exists():
        print(f"没有 {args.file}（../shared/ 不在这台机器上）", file=sys.stderr)
        return 2
    pipe = CorpusPipeline()
    docs = closing_in_clause = with_attachments = ends_listed = ends = 0
    shown = 0
    with gzip.open(args.file, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            title = re.sub(r"^【[^】]*】", "", r.get("title") or "").strip("《》 ")
            doc = pipe.process(
                RawDocument(id=r["id"], text=r["text"], source=r["id"], fields={"title": title})
            )
            docs += 1
            layout = read_layout(doc.text)
            closing = [
                ln.text
                for ln in layout.lines
                if ln.role in ("signature", "date", "attachment_list") and len(ln.text) >= 4
            ]
            inside = [t for t in closing if any(t in c.text.split("\n") for c in doc.clauses)]
            if inside:
                closing_in_clause += 1
                if shown < args.show:
                    shown += 1
                    print(f"  {r['id']}: {inside[:3]}")
            with_attachments += bool(doc.metadata.attachments)
            m = _LAST_ATTACHMENT.search(doc.text.rstrip())
            if m:
                ends += 1
                ends_listed += bool(doc.metadata.attachments)
    print(f"{docs} documents (policy-dev)")
    print("| measure | documents |")
    print("|---|---:|")
    print(f"| a 落款 or 附件说明 line inside a clause | {closing_in_clause} |")
    print(f"| with `attachments` | {with_attachments} |")
    print(f'| text ends with a "附件：…" line | {ends} |')
    print(f"| … and lists it in `attachments` | {ends_listed} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
