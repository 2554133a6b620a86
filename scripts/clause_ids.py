"""Dump the clause ids a checkout makes of a corpus, or compare two dumps (which ids moved, and where).

    python scripts/clause_ids.py dump ../shared/corpora/lawrefbook.jsonl.gz --out var/ids-new.json
    PYTHONPATH=/path/to/main python scripts/clause_ids.py dump … --out var/ids-old.json
    python scripts/clause_ids.py diff var/ids-old.json var/ids-new.json [--show 20]

``dump`` uses only the loader and ``CorpusPipeline.process``, so PYTHONPATH picks the code that chunks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from corpus.loader import load
from corpus.models import SkippedFile
from corpus.pipeline import CorpusPipeline


def dump(paths: list[Path], out: Path) -> None:
    pipeline = CorpusPipeline()
    ids: dict[str, list[list]] = {}
    for raw in load(paths):
        if isinstance(raw, SkippedFile):
            continue
        doc = pipeline.process(raw)
        ids[doc.id] = [[c.id, c.heading_path[-1] if c.heading_path else "", len(c.text)] for c in doc.clauses]
    out.write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
    print(f"{len(ids)} documents, {sum(map(len, ids.values()))} clauses → {out}", file=sys.stderr)


def diff(old_path: Path, new_path: Path, show: int) -> None:
    old = json.loads(old_path.read_text(encoding="utf-8"))
    new = json.loads(new_path.read_text(encoding="utf-8"))
    moved_docs = 0
    gone: Counter[str] = Counter()
    came: Counter[str] = Counter()
    shown = 0
    for key in sorted(set(old) | set(new)):
        a = {c[0] for c in old.get(key, [])}
        b = {c[0] for c in new.get(key, [])}
        if a == b:
            continue
        moved_docs += 1
        gone[key] = len(a - b)
        came[key] = len(b - a)
        if shown < show:
            shown += 1
            print(f"{key}: -{sorted(a - b)[:6]} +{sorted(b - a)[:6]}")
    total_old = sum(map(len, old.values()))
    print(
        f"{len(old)} documents, {total_old} clause ids before, {sum(map(len, new.values()))} after; "
        f"{moved_docs} documents with an id gone or new: {sum(gone.values())} ids gone, {sum(came.values())} new"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("paths", nargs="+", type=Path)
    d.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("diff")
    f.add_argument("old", type=Path)
    f.add_argument("new", type=Path)
    f.add_argument("--show", type=int, default=20)
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        dump(args.paths, args.out)
    else:
        diff(args.old, args.new, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
