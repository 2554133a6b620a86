"""Query latency at LawRefBook scale (all 3,316 documents, ~155 k clauses) beside one query embedding.

    python scripts/benchmark_scale.py [--lawrefbook PATH] [--index-dir var/scale] [--queries 200]

Embedding every clause takes over two hours here, so the dense side uses the real cached embedding where
the cache has one (the national laws, from `policy-search evaluate stard`) and a stand-in for the rest: a
cached vector of another clause plus Gaussian noise, normalised. The lexical side, the clause store, the
FAISS index type (HNSW above 100 k vectors) and the query path are the real ones, so latency is what a
fully embedded index would show; ranking quality on this index means nothing and is not reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from benchmark import QUERIES  # noqa: E402  (same directory: the policy queries of the HTTP benchmark)

from corpus.chunker import ChunkOptions
from corpus.models import Document
from corpus.pipeline import CorpusPipeline
from index.builder import BuildOptions, build_index
from index.cache import EmbeddingCache, text_key
from index.embedder import Embedder, make_embedder
from policy_search.evaluate import ROOT, SHARED
from search.hybrid import HybridSearcher
from search.models import SearchRequest


class StandInEmbedder:
    """Cached vectors where there are some; a noisy copy of a cached vector elsewhere. Benchmark only."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache, seed: int = 0) -> None:
        self.inner, self.cache = inner, cache
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.fingerprint = inner.fingerprint
        self.rng = np.random.default_rng(seed)
        self.real = self.stand_ins = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str], progress=None) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        have = self.cache.get_many(self.fingerprint, list(dict.fromkeys(keys)))
        pool = np.vstack(list(have.values())) if have else self.rng.normal(size=(1, self.dim))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            if k in have:
                out[i] = have[k]
                self.real += 1
            else:
                v = pool[self.rng.integers(len(pool))] + self.rng.normal(scale=0.03, size=self.dim)
                out[i] = v / np.linalg.norm(v)
                self.stand_ins += 1
        return out

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def percentile(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p))


def time_queries(
    searcher: HybridSearcher, embedder: Embedder, queries: list[str]
) -> tuple[list[float], list[float]]:
    """Per query: one embedding alone, then the whole search (top 10), alternating so both see the same load."""
    for q in queries[:5]:
        searcher.search(SearchRequest(q=q))
    embed_ms, search_ms = [], []
    for q in queries:
        t0 = time.perf_counter()
        embedder.encode_queries([q])
        embed_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        searcher.search(SearchRequest(q=q, top_k=10))
        search_ms.append((time.perf_counter() - t0) * 1000)
    return embed_ms, search_ms


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lawrefbook", default=str(SHARED / "corpora" / "lawrefbook.jsonl.gz"))
    ap.add_argument("--cache", default=str(ROOT / "var" / "embeddings.sqlite"))
    ap.add_argument("--index-dir", default=str(ROOT / "var" / "scale"))
    ap.add_argument("--stard", default=str(SHARED / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args(argv)
    embedder = make_embedder()
    out = Path(args.index_dir)
    if not (out / "manifest.json").exists():
        t0 = time.perf_counter()
        docs = [
            d
            for d in CorpusPipeline(ChunkOptions()).iter_documents([Path(args.lawrefbook)])
            if isinstance(d, Document)
        ]
        cache = EmbeddingCache(Path(args.cache))
        stand_in = StandInEmbedder(embedder, cache)
        build_index(docs, out, stand_in, options=BuildOptions(), extra={"stand_in_vectors": True})
        cache.close()
        print(
            f"built {out} in {time.perf_counter() - t0:.0f}s: {stand_in.real} cached vectors, "
            f"{stand_in.stand_ins} stand-ins"
        )
    searcher = HybridSearcher.open(out, embedder)
    print(f"index: {searcher.manifest.clauses} clauses, {searcher.manifest.build.get('vector_structure')}")
    stard = [json.loads(x)["query"] for x in open(args.stard, encoding="utf-8") if x.strip()]
    print("\n| queries | one query embedding p50 ms | whole search p50 ms | p95 ms | p99 ms | p50 ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, queries in (
        (f"{args.queries} STARD questions", stard[: args.queries]),
        (f"{len(QUERIES)} policy queries ×4", QUERIES * 4),
    ):
        embed_ms, search_ms = time_queries(searcher, embedder, queries)
        e50, s50 = statistics.median(embed_ms), statistics.median(search_ms)
        print(
            f"| {label} | {e50:.1f} | {s50:.1f} | {percentile(search_ms, 95):.1f} | "
            f"{percentile(search_ms, 99):.1f} | {s50 / e50:.2f} |"
        )
    searcher.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
