"""Scale: build, open, search and grow an index of 10⁵–10⁶ clauses on one machine (numbers for BENCHMARKS.md).

    python scripts/benchmark_million.py prepare                     # base documents + 3,000 real vectors, once
    python scripts/benchmark_million.py build --clauses 1000000     # the index (embedding excluded)
    python scripts/benchmark_million.py measure --clauses 1000000   # open, RSS, p50/p99 at c1 and c8, recall
    python scripts/benchmark_million.py add --clauses 1000000       # incremental add of 1,000 documents
    python scripts/benchmark_million.py one --clauses 100000 --backend milvus   # one search, calls timed
    python scripts/benchmark_million.py one --clauses 1000000 --backend milvus --open-only   # open alone
    python scripts/benchmark_million.py all --sizes 100000 300000 1000000   # all of it, one table

The corpus is real clause texts with their metadata, replicated with variations past LawRefBook and
policy-dev (``scripts/synthetic_corpus.py``); the vectors are stand-ins made from 3,000 real ones, the
queries real (STARD questions and the seed questions, embedded by the default engine at query time).
Each step runs in its own process, so its peak RSS is its own. Artefacts go under ``--work``
(default ``$POLICY_SEARCH_DATA_DIR/scale``), never into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_corpus import (  # noqa: E402
    StandInEmbedder,
    StandInVectors,
    base_documents,
    corpus,
    real_passages,
)

from config.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STARD = ROOT.parent / "shared" / "benchmarks" / "stard" / "train.jsonl"
SEEDS = ROOT / "benchmarks" / "seed_questions.jsonl"
REAL_VECTORS = "real_vectors.npy"


def peak_rss_mb() -> float:
    """The process's peak resident set (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process and its finished children so far (user + system; a build tokenises
    in worker processes): on a shared machine, wall time is the load's."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def index_dir(work: Path, clauses: int, backend: str = "embedded") -> Path:
    return work / (f"index-{clauses}" if backend == "embedded" else f"index-{clauses}-{backend}")


def questions() -> list[str]:
    stard = [json.loads(x)["query"] for x in STARD.read_text(encoding="utf-8").splitlines() if x.strip()]
    seeds = [json.loads(x)["query"] for x in SEEDS.read_text(encoding="utf-8").splitlines() if x.strip()]
    return seeds + stard


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p)) if xs else float("nan")


def embedder(work: Path) -> StandInEmbedder:
    from index.embedder import make_embedder

    real = np.load(work / REAL_VECTORS)
    return StandInEmbedder(make_embedder(Settings().embedder), StandInVectors(real))


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings as the service reads them, with --backend; a Milvus backend's collections in a Milvus
    Lite file of the work folder unless POLICY_SEARCH_MILVUS_URI names a server."""
    settings = Settings()
    changes: dict = {"backend": args.backend}
    if args.backend == "milvus" and not settings.milvus_uri:
        changes["milvus_uri"] = str(args.work / f"milvus-{args.clauses}.db")
    return settings.model_copy(update=changes)


def build_options(args: argparse.Namespace):  # noqa: ANN201 - index.builder.BuildOptions
    """The build options of the settings (POLICY_SEARCH_ANN_THRESHOLD …), with --backend."""
    from policy_search.factory import build_options_from

    return build_options_from(settings_for(args))


# -- steps (each in its own process) --------------------------------------------------------------------
def step_prepare(work: Path, args: argparse.Namespace) -> dict:
    from index.embedder import make_embedder

    t0 = time.perf_counter()
    base = base_documents(work)
    chunk_s = time.perf_counter() - t0
    out = {"documents": len(base), "clauses": sum(len(d.clauses) for d in base), "load_chunk_s": chunk_s}
    if not (work / REAL_VECTORS).exists():
        texts = real_passages(base, args.real)
        t1 = time.perf_counter()
        vecs = make_embedder(Settings().embedder).encode_passages(texts)
        out["embed_s"], out["embedded"] = time.perf_counter() - t1, len(texts)
        np.save(work / REAL_VECTORS, vecs)
    return out


def step_build(work: Path, args: argparse.Namespace) -> dict:
    from index.builder import reindex_into

    base = base_documents(work)
    docs = list(corpus(base, args.clauses))
    del base
    out_dir = index_dir(work, args.clauses, args.backend)
    shutil.rmtree(out_dir, ignore_errors=True)
    emb = embedder(work)
    rss0 = rss_mb()
    t0, c0 = time.perf_counter(), cpu_s()
    res = reindex_into(out_dir, docs, emb, full=True, options=build_options(args))
    seconds, cpu = time.perf_counter() - t0, cpu_s() - c0
    build = res.manifest.build
    return {
        "documents": res.manifest.documents,
        "clauses": res.manifest.clauses,
        "jurisdictions": len({d.metadata.jurisdiction for d in docs}),
        "build_s": seconds,
        "build_cpu_s": cpu,
        "load_avg": os.getloadavg(),
        "stand_in_vectors_s": build.get("embed_seconds", 0.0),
        "build_without_embedding_s": seconds - build.get("embed_seconds", 0.0),
        "vector_structure": build.get("vector_structure"),
        "rss_before_mb": rss0,
        "peak_rss_mb": peak_rss_mb(),
        "disk_mb": disk_mb(out_dir),
    }


def _open(work: Path, clauses: int, verify: bool = True, backend: str = "embedded"):  # noqa: ANN202 - (searcher, seconds)
    from policy_search.factory import limit_search_threads, ranking_from
    from search.hybrid import HybridSearcher

    limit_search_threads(Settings())  # as the service does
    emb = embedder(work)
    emb.encode_queries(["预热"])  # the engine's load is not the index's open
    t0, c0 = time.perf_counter(), cpu_s()
    # the ranking settings as the service reads them (POLICY_SEARCH_ANN_NPROBE=192 …)
    s = HybridSearcher.open(index_dir(work, clauses, backend), emb, ranking_from(Settings()), verify=verify)
    s.generation.timings["open_cpu_s"] = cpu_s() - c0
    s.generation.timings["load_avg"] = os.getloadavg()[0]
    return s, time.perf_counter() - t0


def _timed(call, items: list, concurrency: int) -> tuple[list[float], list[float], float]:  # noqa: ANN001
    """Per-item latency and CPU time of the calling thread (ms; the encoder's own threads not counted)
    with ``concurrency`` closed-loop clients, and the wall time."""
    lat: list[float] = []
    cpu: list[float] = []
    lock = threading.Lock()

    def one(x) -> None:  # noqa: ANN001
        t, c = time.perf_counter(), time.thread_time()
        call(x)
        ms, cpu_ms = (time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000
        with lock:
            lat.append(ms)
            cpu.append(cpu_ms)

    t0 = time.perf_counter()
    if concurrency == 1:
        for x in items:
            one(x)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, items))
    return lat, cpu, time.perf_counter() - t0


def step_measure(work: Path, args: argparse.Namespace) -> dict:
    from search.compare_models import CompareRequest
    from search.models import SearchRequest

    s, open_s = _open(work, args.clauses, backend=args.backend)
    out: dict = {"open_s": open_s, "open_timings": s.generation.timings, "rss_after_open_mb": rss_mb()}
    qs = questions()
    n = args.queries
    # distinct questions per run: the query-embedding cache must not serve a later run
    runs = [
        ("hybrid", lambda q: s.search(SearchRequest(q=q, top_k=10)), n),
        ("grouped", lambda q: s.search(SearchRequest(q=q, top_k=10, group_by="jurisdiction")), n),
        ("compare", lambda q: s.compare(CompareRequest(q=q)), max(n // 4, 10)),
    ]
    for q in qs[-5:]:
        s.search(SearchRequest(q=q))
    embed = []  # one query embedding alone (questions no run asks): the floor under any search
    for q in qs[-45:-5]:
        t = time.perf_counter()
        s.embedder.encode_queries([q])
        embed.append((time.perf_counter() - t) * 1000)
    out["embed_p50_ms"], out["embed_p99_ms"] = pct(embed, 50), pct(embed, 99)
    # the BM25 side alone: every clause scored, then each jurisdiction's best (the pool's lexical half)
    lex, groups, bm25 = s.generation.lexical, list(s.pool.filters.values()), []
    for q in qs[-85:-45]:
        tokens = s.tokenizer.tokenize(q)
        t = time.perf_counter()
        lex.query(tokens).top_groups(s.pool.depth_for(s.depth(), s.options.candidate_budget)[0], groups)
        bm25.append((time.perf_counter() - t) * 1000)
    out["bm25_p50_ms"], out["bm25_p99_ms"] = pct(bm25, 50), pct(bm25, 99)
    out["jurisdictions"], out["clauses"] = len(groups), s.manifest.clauses
    pos = 0
    for conc in (1, 8):
        for name, call, count in runs:
            items = qs[pos : pos + count]
            pos += count
            lat, cpu, wall = _timed(call, items, conc)
            out[f"{name}_c{conc}"] = {
                "n": len(lat),
                "p50_ms": pct(lat, 50),
                "p99_ms": pct(lat, 99),
                "cpu_p50_ms": pct(cpu, 50),
                "per_s": len(lat) / wall,
                "load": os.getloadavg()[0],
            }
            print(name, conc, out[f"{name}_c{conc}"], file=sys.stderr, flush=True)
    if args.recall_queries:
        out["recall"] = _recall(s, qs[pos : pos + args.recall_queries], args.k, qs[-60:-45])
    out["peak_rss_mb"] = peak_rss_mb()
    s.close()
    return out


def step_one(work: Path, args: argparse.Namespace) -> dict:
    """Open, then one hybrid search, with the Milvus collection's calls counted and timed (a Milvus Lite
    search at 10⁵ takes minutes: ``measure`` would take hours)."""
    from collections import defaultdict

    from search.models import SearchRequest

    calls: dict[str, list[float]] = defaultdict(list)
    if args.backend == "milvus":
        from index.milvus_backend import MilvusCollection

        def timed(name: str, method):  # noqa: ANN001, ANN202 - a method wrapped
            def call(self, *a, **k):  # noqa: ANN001, ANN202
                t = time.perf_counter()
                try:
                    return method(self, *a, **k)
                finally:
                    label = f"{name} {a[1]}" if name == "search" else name  # search: its field
                    calls[label].append(time.perf_counter() - t)

            return call

        for name in ("search", "get"):
            setattr(MilvusCollection, name, timed(name, getattr(MilvusCollection, name)))
    s, open_s = _open(work, args.clauses, backend=args.backend)
    out: dict = {"open_s": open_s, "rss_after_open_mb": rss_mb(), "clauses": s.manifest.clauses}
    out["jurisdictions"] = len(s.pool.filters)
    if not args.open_only:
        t0 = time.perf_counter()
        res = s.search(SearchRequest(q=questions()[0], top_k=10))
        out["search_s"], out["hits"] = time.perf_counter() - t0, len(res.hits)
    out["calls"] = {k: {"n": len(v), "mean_ms": 1000 * sum(v) / len(v)} for k, v in calls.items()}
    out["peak_rss_mb"] = peak_rss_mb()
    s.close()
    return out


def _recall(s, qs: list[str], k: int, searches: list[str]) -> dict:  # noqa: ANN001 - HybridSearcher
    """recall@k of the vector index's search and of its per-jurisdiction lists against exact search (an
    IVF read whole), and what reaches the user: top-10 overlap and totals of whole searches."""
    from search.models import SearchRequest

    vec = s.generation.vectors
    if not getattr(vec, "nprobe", 0):
        return {"structure": getattr(vec, "structure", vec.kind), "exact": True}
    probe = vec.nprobe
    qv = s.embedder.encode_queries(qs)
    groups = list(s.pool.filters.values())

    def run(nprobe: int) -> tuple[list, list[float]]:
        vec.nprobe = nprobe
        got, ms = [], []
        for q in qv:
            t = time.perf_counter()
            top = vec.search(q, k)[0]
            ms.append((time.perf_counter() - t) * 1000)
            got.append((set(top), [set(g) for g in vec.search_groups(q, 20, groups)]))
        return got, ms

    exact, exact_ms = run(10**9)
    sweep = {}
    for nprobe in sorted({16, 32, 64, 128, 256, 512, probe}):
        ann, ann_ms = run(nprobe)
        sweep[nprobe] = {
            f"recall@{k}": sum(len(a[0] & e[0]) for a, e in zip(ann, exact))
            / max(sum(len(e[0]) for e in exact), 1),
            "per_jurisdiction_recall@20": sum(
                len(x & y) for a, e in zip(ann, exact) for x, y in zip(a[1], e[1])
            )
            / max(sum(len(y) for e in exact for y in e[1]), 1),
            "search_ms_p50": pct(ann_ms, 50),
        }
    overlap, totals = [], []
    for q in searches:
        vec.nprobe = probe
        a = s.search(SearchRequest(q=q, top_k=10))
        vec.nprobe = 10**9
        e = s.search(SearchRequest(q=q, top_k=10))
        want = {h.clause_id for h in e.hits}
        overlap.append(len(want & {h.clause_id for h in a.hits}) / max(len(want), 1))
        totals.append((a.total, e.total))
    vec.nprobe = probe
    return {
        "structure": vec.structure,
        "queries": len(qv),
        "by_nprobe": sweep,
        "exact_search_ms_p50": pct(exact_ms, 50),
        "top10_overlap_mean": statistics.mean(overlap) if overlap else None,
        "totals_ann_vs_exact": totals,
    }


def step_add(work: Path, args: argparse.Namespace) -> dict:
    from index.builder import reindex_into

    base = base_documents(work)
    docs = list(corpus(base, args.clauses))
    more = []
    for d in corpus(base, 10**12, start=len(docs)):
        more.append(d)
        if len(more) == args.docs:
            break
    del base
    from index.builder import document_hash

    for d in docs + more:  # what the loader gives a real reindex with each document: its hash
        d.content_hash = d.content_hash or document_hash(d)
    from index.generations import IndexLayout
    from index.manifest import Manifest

    emb = embedder(work)
    layout = IndexLayout(index_dir(work, args.clauses, args.backend))
    before = Manifest.load(layout.current()).clauses if layout.exists() else 0
    t0, c0 = time.perf_counter(), cpu_s()
    res = reindex_into(layout.root, docs + more, emb, options=build_options(args))
    seconds, cpu = time.perf_counter() - t0, cpu_s() - c0
    return {
        "mode": res.mode,
        "added_documents": len(res.added),
        "added_clauses": res.manifest.clauses - before,  # --docs past the indexed ones: those are new
        "seconds": seconds,
        "cpu_s": cpu,
        "load_avg": os.getloadavg(),
        "stand_in_vectors_s": res.manifest.build.get("embed_seconds", 0.0),
        "without_embedding_s": seconds - res.manifest.build.get("embed_seconds", 0.0),
        "clauses_after": res.manifest.clauses,
        "peak_rss_mb": peak_rss_mb(),
    }


STEPS = {
    "prepare": step_prepare,
    "build": step_build,
    "measure": step_measure,
    "add": step_add,
    "one": step_one,
}


def run_step(name: str, argv: list[str]) -> dict:
    """One step in a child process (its own peak RSS), at low priority; its JSON result."""
    cmd = ["nice", "-n", "5", sys.executable, __file__, "_" + name, *argv]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=[*STEPS, "all", *("_" + s for s in STEPS)])
    ap.add_argument("--work", type=Path, default=Settings().data_dir / "scale")
    ap.add_argument("--clauses", type=int, default=1_000_000)
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=200, help="questions per run of measure")
    ap.add_argument(
        "--docs",
        type=int,
        default=1000,
        help="documents after the corpus an add passes (those the index already holds stay unchanged)",
    )
    ap.add_argument("--real", type=int, default=3000, help="real passages embedded for the stand-ins")
    ap.add_argument("--recall-queries", type=int, default=200, help="questions for recall@k (0: none)")
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--backend", default="embedded", choices=["embedded", "milvus"])
    ap.add_argument("--open-only", action="store_true", help="one: open and stop (no search)")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.step.startswith("_"):
        print(json.dumps(STEPS[args.step[1:]](args.work, args), ensure_ascii=False, default=float))
        return 0
    if args.step != "all":
        print(json.dumps(run_step(args.step, sys.argv[2:]), ensure_ascii=False, indent=1, default=float))
        return 0
    rest = [a for a in sys.argv[2:] if not a.startswith("--sizes") and not a.isdigit()]
    results = {"prepare": run_step("prepare", rest)}
    for n in args.sizes:
        sized = [*rest, "--clauses", str(n)]
        results[n] = {k: run_step(k, sized) for k in ("build", "measure", "add")}
        print(json.dumps({n: results[n]}, ensure_ascii=False, default=float), flush=True)
    (args.work / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
