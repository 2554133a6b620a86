"""STARD on a subset of the national laws: the laws that hold the dev split's gold articles, and others drawn
at random up to ``--clauses``, so that two rankings can be compared where embedding all 66,793 national
clauses is out of reach. Both rankings run on the same index; the figures are not those of the full corpus.

    python scripts/stard_subset.py --clauses 12000 [--relevance A.json,B.json] [--work DIR]

Prints recall@10, recall@100 and nDCG@10 of the default ranking with each relevance model named.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from index.cache import EmbeddingCache
from index.embedder import make_embedder
from policy_search.evaluate import SHARED, Config, load_national, run_configs, stard_judge, stard_split
from search.relevance import RelevanceModel

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clauses", type=int, default=12000)
    ap.add_argument("--relevance", default="", help="relevance.json files to compare (comma-separated)")
    ap.add_argument("--work", default=str(ROOT / "var" / "stard-subset"))
    ap.add_argument("--cache", default=str(ROOT / "var" / "embeddings.sqlite"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    items = [
        json.loads(x) for x in (SHARED / "benchmarks" / "stard" / "train.jsonl").read_text().splitlines() if x
    ]
    items = [q for q in items if stard_split(int(q["query_id"])) == "dev"]
    docs = load_national(SHARED / "corpora" / "lawrefbook.jsonl.gz")
    gold_laws = {
        re.sub(r"第[一二三四五六七八九十百千零〇]+条.*$", "", g["name"]) for q in items for g in q["gold"]
    }
    keep = [d for d in docs if (d.metadata.title or "") in gold_laws]
    rest = [d for d in docs if d not in keep]
    random.Random(args.seed).shuffle(rest)
    n = sum(len(d.clauses) for d in keep)
    for d in rest:
        if n >= args.clauses:
            break
        keep.append(d)
        n += len(d.clauses)
    print(f"{len(items)} dev questions; {len(keep)} laws ({len(gold_laws)} hold gold articles), {n} clauses")
    embedder = make_embedder()
    cache = EmbeddingCache(Path(args.cache))
    judge = stard_judge(items)
    queries = [(str(q["query_id"]), q["query"]) for q in items]
    models = [m for m in args.relevance.split(",") if m] or [""]
    import search.hybrid as hybrid

    for m in models:
        if m:
            model = RelevanceModel.from_dict(json.loads(Path(m).read_text(encoding="utf-8")))
            hybrid.RelevanceModel.bundled = classmethod(lambda cls, model=model: model)  # type: ignore[method-assign]
        print(f"relevance: {m or 'bundled'}")
        run_configs([Config("default")], keep, queries, judge, Path(args.work), embedder, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
