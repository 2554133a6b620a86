"""Choose the reranker's weight against the first stage (``rerank_weight``) on STARD train questions the
reranker did not learn from (ids ≡ 1 mod 5); the dev split is never read.

    python scripts/tune_rerank_mix.py --index var/eval-new/stard-250-lexical/clause-auto-contextual

Each held-out question's positive and its 7 hard negatives (as in training) are re-ordered by
``w × reranker rank + (1 − w) × first-stage rank``; the table gives the positive's MRR for each w
(w = 0 is the first stage's order, w = 1 the reranker's alone).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from index.tokenizer import ChineseTokenizer
from policy_search.evaluate import SHARED, NullEmbedder
from search.hybrid import HybridSearcher
from search.reranker import DELTA, CrossEncoder, mixed_order
from training.rerank_groups import first_stage_ranks, groups_for, train_and_held_out

WEIGHTS = (0.0, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--stard", default=str(SHARED / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--delta", type=Path, default=DELTA)
    ap.add_argument("--negatives", type=int, default=7)
    ap.add_argument("--depth", type=int, default=30)
    args = ap.parse_args(argv)
    items = [json.loads(x) for x in open(args.stard, encoding="utf-8") if x.strip()]
    _, held = train_and_held_out(items)
    searcher = HybridSearcher.open(args.index, NullEmbedder(), tokenizer=ChineseTokenizer())
    groups = groups_for(held, searcher, args.negatives, args.depth)
    ce = CrossEncoder(args.delta)
    scored = [(ce.scores(q, ps), first_stage_ranks(rank, args.negatives)) for q, ps, rank in groups]
    print(f"{len(groups)} held-out groups (positive + {args.negatives} hard negatives)\n")
    print("| rerank_weight | MRR of the positive |\n|---:|---:|")
    for w in WEIGHTS:
        rr = [1 / (1 + int(np.flatnonzero(mixed_order(s, w, first) == 0)[0])) for s, first in scored]
        print(f"| {w:.2f} | {np.mean(rr):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
