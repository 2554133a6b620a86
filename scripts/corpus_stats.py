"""Run the corpus pipeline over a corpus and print what came out.

    python scripts/corpus_stats.py ../shared/corpora/lawrefbook.jsonl.gz

Prints documents, clauses, skipped files, the share of clauses with a 第X条 path and with any heading path,
clause length (max / mean / p99), the share over the limit, and seconds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from config.settings import default_of
from corpus.chunker import ChunkOptions
from corpus.pipeline import CorpusPipeline

_ARTICLE = re.compile(r"^第[一二三四五六七八九十百千零〇两\d]+条")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--max-chars", type=int, default=default_of("max_clause_chars"))
    ap.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    pipeline = CorpusPipeline(ChunkOptions(max_chars=args.max_chars))
    docs = clauses = with_article = with_heading = over = 0
    lengths: list[int] = []
    kinds: Counter[str] = Counter()
    skipped: list[str] = []
    for item in pipeline.iter_documents(args.paths):
        if not hasattr(item, "clauses"):
            skipped.append(f"{item.path}: {item.reason}")
            continue
        docs += 1
        for c in item.clauses:
            clauses += 1
            lengths.append(len(c.text))
            kinds[c.kind] += 1
            over += len(c.text) > args.max_chars
            with_article += any(_ARTICLE.match(p) for p in c.heading_path)
            with_heading += bool(c.heading_path) and c.heading_path != ["序言"]
    lengths.sort()
    out = {
        "documents": docs,
        "clauses": clauses,
        "skipped": len(skipped),
        "share_article_path": round(with_article / max(clauses, 1), 4),
        "share_heading_path": round(with_heading / max(clauses, 1), 4),
        "max_chars": lengths[-1] if lengths else 0,
        "mean_chars": round(sum(lengths) / max(len(lengths), 1), 1),
        "p99_chars": lengths[int(len(lengths) * 0.99)] if lengths else 0,
        "over_limit": over,
        "kinds": dict(kinds),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for k, v in out.items():
            print(f"{k:>20}: {v}")
        for s in skipped[:20]:
            print("skipped:", s, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
