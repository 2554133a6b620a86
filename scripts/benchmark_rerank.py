"""What the reranking stage costs per query, on each forward pass in one run: search latency at rerank
depth 20 / 50 / 100 beside no reranking and one query embedding, over an index (default: the built-in
corpus's evaluation index of the default engine).

    python scripts/benchmark_rerank.py [--index var/eval/seeds-250-onnx-int8/clause-auto-contextual] [--queries 20]

Forward passes: ``numpy`` (the float32 reference, what served before issue 22), ``onnx-float32`` (served
now) and ``onnx-int8`` (the encoder's recipe; not served: its scores drift, see BENCHMARKS.md). Every
question is searched once without reranking first, so its query embedding is cached and the numbers are
the reranker's own cost plus the first stage. Depths are interleaved across the passes, so a loaded
machine slows them alike; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from config.settings import Settings
from index.embedder import make_embedder
from index.tokenizer import ChineseTokenizer
from policy_search.evaluate import SEED_QUESTIONS
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest
from search.reranker import CrossEncoder, OnnxCrossEncoder


class Fixed:
    """A reranker slot holding one loaded model."""

    available = True

    def __init__(self, model) -> None:  # noqa: ANN001
        self.model = model

    def get(self):  # noqa: ANN201
        return self.model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=Path("var/eval/seeds-250-onnx-int8/clause-auto-contextual"))
    ap.add_argument("--questions", type=Path, default=SEED_QUESTIONS)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--depths", default="20,50,100")
    ap.add_argument("--passes", default="numpy,onnx-float32,onnx-int8")
    args = ap.parse_args(argv)
    qs = [json.loads(x)["query"] for x in args.questions.read_text(encoding="utf-8").splitlines()][
        : args.queries
    ]
    threads = Settings().engine_threads
    models = {
        "numpy": lambda: CrossEncoder(),
        "onnx-float32": lambda: OnnxCrossEncoder(threads=threads),
        "onnx-int8": lambda: OnnxCrossEncoder(threads=threads, precision="int8"),
    }
    passes = {name: models[name]() for name in args.passes.split(",")}  # built and loaded before timing
    from index.generations import IndexLayout
    from index.manifest import Manifest

    emb = make_embedder(Manifest.load(IndexLayout(args.index).current()).engine_name)  # the index's engine
    # the built-in corpus has no law clauses, which are all the reranker reads by default: here it reads
    # every clause, so the numbers are the cost of reading ``depth`` clauses of ~180 characters
    base = HybridSearcher.open(args.index, emb, tokenizer=ChineseTokenizer())
    base = base.variant(options=RankingOptions(rerank_laws_only=False))
    print(f"load average at start: {os.getloadavg()[0]:.2f}; engine {emb.name}")
    print("| query path | " + " | ".join(passes) + " |")
    print("|---|" + "---:|" * len(passes))
    t = []
    for q in qs:  # one query embedding, uncached
        t0 = time.perf_counter()
        emb.encode_queries([q])
        t.append((time.perf_counter() - t0) * 1000)
    print(
        f"| one query embedding ({emb.name.split('-')[0]}) | "
        + " | ".join(f"{statistics.median(t):.0f}" for _ in passes)
        + " |"
    )
    for depth in [0, *map(int, args.depths.split(","))]:
        times: dict[str, list[float]] = {name: [] for name in passes}
        for q in qs:
            for name, model in passes.items():
                s = base.variant()
                s.reranker = Fixed(model)
                t0 = time.perf_counter()
                s.search(SearchRequest(q=q, top_k=10, rerank=depth > 0, rerank_depth=depth or None))
                times[name].append((time.perf_counter() - t0) * 1000)
        label = "search, no rerank" if depth == 0 else f"search + rerank, depth {depth}"
        print(
            f"| {label} | " + " | ".join(f"{statistics.median(v):,.0f}" for v in times.values()) + " |",
            flush=True,
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
