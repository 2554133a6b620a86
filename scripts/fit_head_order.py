"""Fit the learned head order (``search/head_order.py``) on the tune half of policy-dev's judged questions.

    python scripts/fit_head_order.py --index var/pd-index                   # prints the 5-fold CV, writes nothing
    python scripts/fit_head_order.py --index var/pd-index --write           # search/data/head_order.json
    python scripts/fit_head_order.py --index var/pd-index --features relevance,fused,log_chars

For each tune-half question the default's first 10 hits (head order off) are read with their features
(``search.head_order.head_features``); every pair of judged hits with different grades is a training pair
(the better one's features minus the other's → 1, and the reverse → 0), fitted by an L2-regularised logistic
regression on standardised differences. The score is only an order, so there is no bias. The seed questions of
round 1 (the built-in corpus's, on 社会办医) join the fit (``--no-seeds`` leaves them out): issue 29 asks for a
fit over several topics. The cross-validation (policy-dev questions in 5 folds, the seeds always in training) re-orders each held-out question's first 10 within their tier as the service does and
prints nDCG@10 against the fused order, with a paired bootstrap interval. The report half is not read: score it
with ``scripts/policy_dev_eval.py score --half report --systems "off:head_order=0;default"``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import policy_dev_eval as E  # noqa: E402
from calibrate_relevance import fit_logistic  # noqa: E402

from search.head_order import FEATURES, MODEL_FILE, HeadOrder, head_features  # noqa: E402
from search.models import SearchRequest  # noqa: E402

HEAD = 10


def collect(index: Path, half: str) -> dict[str, list[tuple[dict[str, float], bool, int | None]]]:
    """Per question: its first ``HEAD`` hits as (features, strong, grade or None)."""
    from dataclasses import replace

    s = E.open_index(index)
    s = s.variant(options=replace(s.options, head_order=0))
    qrels = E.Qrels()
    out = {}
    for q in E.load_questions():
        if q.half != half:
            continue
        res = s.search(SearchRequest(q=q.query, top_k=HEAD))
        rows = []
        for h in res.hits:
            c = s.store.clause(h.clause_id)
            rows.append(
                (
                    head_features(h.relevance, h.score, c),
                    h.strong,
                    qrels.grade(q.qid, h.clause_id, h.document.id, h.text),
                )
            )
        out[q.qid] = rows
    return out


def collect_seeds(round_: int = 1) -> dict[str, list[tuple[dict[str, float], bool, int | None]]]:
    """The built-in corpus's judged seed questions of ``round_`` (1: the round the rankers were tuned on; round
    2 stays held out), their first ``HEAD`` hits (head order off) graded by the seeds' phrase judgments
    (completed over the corpus, so an unmatched hit is a 0)."""
    from dataclasses import replace

    from index.cache import EmbeddingCache
    from index.tokenizer import ChineseTokenizer
    from policy_search import evaluate as ev

    questions, docs = ev.seed_set(ev.SEED_QUESTIONS, round_=round_)
    judge = ev.seed_judge(questions, ev.clause_texts(docs))
    embedder = ev.QueryCache(ev.make_embedder(ev.DEFAULT_ENGINE))
    work = Path(ev.Settings().data_dir) / "eval" / "head-order-seeds"
    cache = EmbeddingCache(Path(ev.Settings().data_dir) / "embeddings.sqlite")
    s = ev._open(docs, work, embedder, cache, ChineseTokenizer(), "auto", "contextual", "seeds")
    s = s.variant(options=replace(s.options, head_order=0))
    out = {}
    for qid, q in questions.items():
        hits = s.search(SearchRequest(q=q["query"], top_k=HEAD)).hits
        matches, _ = judge(qid, hits)
        out[f"seed:{qid}"] = [
            (
                head_features(h.relevance, h.score, s.store.clause(h.clause_id)),
                h.strong,
                max((j.grade for j in m), default=0),
            )
            for h, m in zip(hits, matches)
        ]
    return out


def pairs(data, qids, features):
    X, y = [], []
    for q in qids:
        rows = data[q]
        F = np.array([[r[0][f] for f in features] for r in rows], np.float64)
        for i, (_, _, gi) in enumerate(rows):
            for j, (_, _, gj) in enumerate(rows):
                if gi is None or gj is None or gi <= gj:
                    continue
                X += [F[i] - F[j], F[j] - F[i]]
                y += [1.0, 0.0]
    return np.array(X).reshape(-1, len(features)), np.array(y)


def fit(X: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """The relevance model's logistic regression (``calibrate_relevance.fit_logistic``) on standardised
    differences; weights on the raw scale. Each pair stands both ways round, so the bias it fits is 0."""
    scale = X.std(axis=0) + 1e-9
    weights, _ = fit_logistic(X / scale, y, np.ones(len(y)), l2)
    return weights / scale


def ndcg_of(rows, order, qid, qrels) -> float:
    return E.ndcg_at([rows[i][2] or 0 for i in order][:10], qrels.judged(qid), 10)


def reordered(rows, model: HeadOrder) -> list[int]:
    picked = [(k, r) for k, r in enumerate(rows)]
    new, _ = model.apply(picked, HEAD, lambda k, r: r[0], lambda k: rows[k][1])
    return [k for k, _ in new]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--features", default=",".join(FEATURES))
    ap.add_argument("--l2", type=float, default=100.0)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--no-seeds", dest="seeds", action="store_false", help="leave out the seed questions of round 1"
    )
    ap.add_argument(
        "--write", action="store_true", help=f"write {MODEL_FILE.relative_to(MODEL_FILE.parents[2])}"
    )
    args = ap.parse_args(argv)
    features = tuple(args.features.split(","))
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise SystemExit(f"unknown features {sorted(unknown)}; known: {', '.join(FEATURES)}")
    data = collect(args.index, "tune")
    qrels = E.Qrels()
    qids = sorted(data)
    seeds = collect_seeds(1) if args.seeds else {}
    data.update(seeds)
    rng = np.random.default_rng(args.seed)
    folds = np.array_split(rng.permutation(qids), args.folds)
    base, cv = {}, {}
    for k, fold in enumerate(folds):
        train = [q for j, f in enumerate(folds) if j != k for q in f] + list(seeds)
        model = HeadOrder(features, tuple(fit(*pairs(data, train, features), args.l2).tolist()))
        for q in fold:
            rows = data[q]
            base[q] = ndcg_of(rows, range(len(rows)), q, qrels)
            cv[q] = ndcg_of(rows, reordered(rows, model), q, qrels)
    diff = np.array([cv[q] - base[q] for q in qids])
    boot = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(5000)]
    lo, hi = np.percentile(boot, [2.5, 97.5])
    X, y = pairs(data, qids + list(seeds), features)
    w = fit(X, y, args.l2)
    print(
        f"tune half: {len(qids)} questions, seeds round 1: {len(seeds)}; {len(y) // 2} judged pairs; "
        f"features {', '.join(features)}"
    )
    print("weights: " + ", ".join(f"{f} {v:+.3f}" for f, v in zip(features, w)))
    print(
        f"{args.folds}-fold CV nDCG@10: fused order {np.mean(list(base.values())):.3f}, head order "
        f"{np.mean(list(cv.values())):.3f}, difference {diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]"
    )
    if args.write:
        model = HeadOrder(
            features,
            tuple(round(float(v), 4) for v in w),
            {
                "fitted_on": "policy-dev tune half (benchmarks/policy_dev) and seed questions of round 1, "
                "the default's first 10 hits, head order off",
                "questions": len(qids),
                "seed_questions": len(seeds),
                "pairs": len(y) // 2,
                "l2": args.l2,
                "cv_ndcg10": {
                    "fused": round(float(np.mean(list(base.values()))), 4),
                    "head_order": round(float(np.mean(list(cv.values()))), 4),
                    "difference": round(float(diff.mean()), 4),
                    "ci95": [round(float(lo), 4), round(float(hi), 4)],
                },
                "command": "python scripts/fit_head_order.py --index var/pd-index --write",
            },
        )
        MODEL_FILE.write_text(
            json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
