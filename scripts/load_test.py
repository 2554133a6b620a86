"""Load test on loopback: N concurrent clients for D seconds against a `policy-search serve` it starts.

    python scripts/load_test.py --concurrency 16 --duration 600                    # ordinary queries
    python scripts/load_test.py --concurrency 16 --duration 600 --long-fraction 0.1  # 10 % at the length limit
    python scripts/load_test.py --concurrency 4 --duration 60 --warmup 0 --baseline 0  # a service just started

Every query is distinct (a seed question plus a number), so none is answered from the query-embedding
cache: the worst case for the encoder. Before the load, the same kind of queries run one at a time for
the unloaded p99. Reports requests, errors (503s apart: refused by the bounded encoder queue, with
Retry-After), throughput, p50/p95/p99 of ordinary and long queries, and the server's RSS at start and end.
Only 127.0.0.1 is contacted; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [json.loads(x)["query"] for x in open(ROOT / "benchmarks" / "seed_questions.jsonl", encoding="utf-8")]
LONG_BASE = (
    "我们是一家民营医院，想了解社会办医疗机构纳入医保定点需要满足哪些条件、审批流程要多长时间、"
    "医师能不能在多个机构执业、用地和税收方面有什么优惠政策，以及各地的床位规划和人才培养要求有什么不同，"
)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def long_query(i: int, limit: int) -> str:
    text = f"{i} " + LONG_BASE * (limit // len(LONG_BASE) + 1)
    return text[:limit]


async def run(url: str, concurrency: int, duration: float, long_fraction: float, limit: int) -> dict:
    stats: dict[str, list] = {"ordinary": [], "long": [], "codes": [], "shed_at": []}
    counter = [0]
    rng = random.Random(7)
    start = time.monotonic()
    stop = start + duration

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop:
            counter[0] += 1
            n = counter[0]
            is_long = rng.random() < long_fraction
            q = long_query(n, limit) if is_long else f"{SEEDS[n % len(SEEDS)]} {n}"
            t0 = time.perf_counter()
            try:
                r = await client.get("/api/search", params={"q": q, "top_k": 10})
                code = r.status_code
            except httpx.HTTPError as exc:
                code = type(exc).__name__
            ms = (time.perf_counter() - t0) * 1000
            stats["codes"].append(code)
            if code == 200:
                stats["long" if is_long else "ordinary"].append(ms)
            elif code == 503:
                stats["shed_at"].append(round(time.monotonic() - start, 2))
                await asyncio.sleep(float(r.headers.get("retry-after", 1)))  # a polite client backs off

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, help="default: the built-in corpus, built into a temporary dir")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--long-fraction", type=float, default=0.0)
    ap.add_argument("--baseline", type=int, default=100, help="queries one at a time before the load")
    ap.add_argument(
        "--warmup",
        type=int,
        default=10,
        help="queries before the baseline (0: the load meets a service just started)",
    )
    ap.add_argument(
        "--checkout",
        type=Path,
        default=ROOT,
        help="the checkout whose service is measured (an unpacked git archive)",
    )
    ap.add_argument("--env", action="append", default=[], help="extra POLICY_SEARCH_X=Y for the server")
    args = ap.parse_args(argv)
    work = ROOT / "var" / "load"
    env = {**os.environ, "POLICY_SEARCH_DATA_DIR": str(work)}
    env.setdefault("POLICY_SEARCH_CACHE_PATH", str(ROOT / "var" / "embeddings.sqlite"))
    env.update(dict(e.split("=", 1) for e in args.env))
    index_dir = args.index_dir or work / "index"
    env["POLICY_SEARCH_INDEX_DIR"] = str(index_dir)
    cli = [sys.executable, "-m", "policy_search.cli"]
    if not args.index_dir:
        subprocess.run(
            [*cli, "reindex", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL, cwd=args.checkout
        )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=args.checkout,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(url + "/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.3)
        max_chars = int(env.get("POLICY_SEARCH_MAX_QUERY_CHARS", 500))  # long queries sit at the limit
        base = []
        with httpx.Client(base_url=url, timeout=60) as c:
            for i in range(args.warmup):  # lazy loads (tokenizer dictionary) are not part of the baseline
                c.get("/api/search", params={"q": f"{SEEDS[i]} w{i}"})
            rss_start = rss_mb(server.pid)
            for i in range(args.baseline):
                t0 = time.perf_counter()
                c.get("/api/search", params={"q": f"{SEEDS[i % len(SEEDS)]} b{i}", "top_k": 10})
                base.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        stats = asyncio.run(run(url, args.concurrency, args.duration, args.long_fraction, max_chars))
        wall = time.perf_counter() - t0
        rss_end = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    codes = stats["codes"]
    counted = {str(k): codes.count(k) for k in sorted(set(codes), key=str)}
    ok = counted.get("200", 0)
    ordinary, long_ = stats["ordinary"], stats["long"]
    out = {
        "concurrency": args.concurrency,
        "duration_s": round(wall, 1),
        "long_fraction": args.long_fraction,
        "requests": len(codes),
        "answers_by_status": counted,
        "errors_other_than_503": sum(v for k, v in counted.items() if k not in ("200", "503")),
        "throughput_rps": round(ok / wall, 1),
        "unloaded_p50_ms": round(pct(base, 50), 1) if base else None,
        "unloaded_p99_ms": round(pct(base, 99), 1) if base else None,
        "ordinary_p50_ms": round(pct(ordinary, 50), 1),
        "ordinary_p95_ms": round(pct(ordinary, 95), 1),
        "ordinary_p99_ms": round(pct(ordinary, 99), 1),
        "ordinary_max_ms": round(max(ordinary), 1) if ordinary else None,
        "ordinary_p99_over_unloaded_p99": round(pct(ordinary, 99) / pct(base, 99), 2) if base else None,
        "long_p50_ms": round(pct(long_, 50), 1) if long_ else None,
        "long_p99_ms": round(pct(long_, 99), 1) if long_ else None,
        "server_rss_start_mb": round(rss_start, 1),
        "server_rss_end_mb": round(rss_end, 1),
        "mean_ordinary_ms": round(statistics.mean(ordinary), 1) if ordinary else None,
        "first_503_at_s": stats["shed_at"][:10],  # seconds into the load
    }
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
