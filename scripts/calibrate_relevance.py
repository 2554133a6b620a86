"""Fit the relevance model and its floor (``search/relevance.py``) on judged questions, and report both on
questions they were not fitted on.

    python scripts/calibrate_relevance.py                # report only
    python scripts/calibrate_relevance.py --write        # also write search/data/relevance.json

Questions: the 46 judged seed questions (benchmarks/seed_questions.jsonl) and 20 off-topic questions
(benchmarks/offtopic_questions.jsonl: nothing in the built-in corpus answers them). Fitting half: seed
questions with an odd number and off-topic questions with an even one; report half: the others.

Each of the top 100 hits of a question is one example (relevant: it contains a judged phrase). Off-topic
examples weigh ``--offtopic-weight`` (5): they are few, and saying "nothing on it" to an off-topic
question is half of what the floor is for. The floor is the value that makes the most correct
"this jurisdiction has something on it" decisions (a jurisdiction's best hit at or above the floor) on the
fitting half. Both the hybrid model and the lexical-only one are fitted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus.chunker import ChunkOptions  # noqa: E402
from corpus.models import Document  # noqa: E402
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.cache import EmbeddingCache  # noqa: E402
from index.embedder import make_embedder  # noqa: E402
from index.generations import IndexLayout  # noqa: E402
from policy_search.evaluate import clause_texts, complete_judgments, seed_judge  # noqa: E402
from search.hybrid import HybridSearcher  # noqa: E402
from search.models import SearchRequest  # noqa: E402
from search.relevance import FEATURES, LEXICAL_FEATURES, MODEL_FILE  # noqa: E402


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 0.1) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by Newton's method (IRLS)."""
    X = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(X.shape[1])
    reg = l2 * np.eye(X.shape[1])
    reg[-1, -1] = 0
    for _ in range(50):
        p = 1 / (1 + np.exp(-X @ beta))
        grad = X.T @ (w * (p - y)) + reg @ beta
        hess = (X * (w * p * (1 - p))[:, None]).T @ X + reg
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def fitting_half(qid: str) -> bool:
    n = int(qid[1:])
    return n % 2 == 1 if qid.startswith("s") else n % 2 == 0


def collect(searcher: HybridSearcher, questions: dict, judge, fusion: str) -> list[dict]:
    rows = []
    for qid, q in questions.items():
        hits = searcher.search(SearchRequest(q=q["query"], top_k=100, fusion=fusion)).hits
        matches, _ = judge(qid, hits) if q["relevant"] else ([[] for _ in hits], [])
        for h, m in zip(hits, matches):
            e = h.explanation
            rows.append(
                {
                    "q": qid,
                    "jur": h.document.jurisdiction,
                    "rel": bool(m),
                    "lexical_share": e.lexical_share,
                    "dense_gap": e.dense_gap,
                    "coverage": e.coverage,
                    "dense": e.dense_score,
                }
            )
    return rows


def decisions(rows: list[dict], prob: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per (question, jurisdiction): the best probability, whether it has a relevant clause, the question."""
    best: dict[tuple[str, str], list] = defaultdict(lambda: [0.0, False])
    for r, p in zip(rows, prob):
        b = best[(r["q"], r["jur"])]
        b[0] = max(b[0], float(p))
        b[1] = b[1] or r["rel"]
    keys = list(best)
    return np.array([best[k][0] for k in keys]), np.array([best[k][1] for k in keys]), [k[0] for k in keys]


def report(name: str, p: np.ndarray, y: np.ndarray, qids: list[str], floor: float) -> dict:
    pred = p >= floor
    off = np.array([q.startswith("o") for q in qids])
    out = {
        "decisions": int(len(y)),
        "accuracy": round(float((pred == y).mean()), 3),
        "recall": round(float(pred[y].mean()), 3) if y.any() else None,
        "precision": round(float(y[pred].mean()), 3) if pred.any() else None,
        "offtopic_questions_with_a_strong_match": f"{len({q for q, s in zip(qids, pred) if s and q.startswith('o')})}"
        f"/{len({q for q in qids if q.startswith('o')})}",
        "ontopic_nothing_judged_said_strong": round(float(pred[~y & ~off].mean()), 3)
        if (~y & ~off).any()
        else None,
    }
    print(f"  {name}: {json.dumps(out, ensure_ascii=False)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default=str(ROOT / "var" / "calibrate"))
    ap.add_argument("--cache", default=str(ROOT / "var" / "embeddings.sqlite"))
    ap.add_argument("--offtopic-weight", type=float, default=5.0)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)

    load = lambda p: {q["id"]: q for q in map(json.loads, p.read_text(encoding="utf-8").splitlines())}  # noqa: E731
    seeds = load(ROOT / "benchmarks" / "seed_questions.jsonl")
    offtopic = load(ROOT / "benchmarks" / "offtopic_questions.jsonl")
    docs = [
        d
        for d in CorpusPipeline(ChunkOptions()).iter_documents([builtin_corpus_dir()])
        if isinstance(d, Document)
    ]
    questions = {**complete_judgments(seeds, docs), **offtopic}
    judge = seed_judge(questions, clause_texts(docs))
    embedder = make_embedder()
    index_dir = Path(args.work) / "index"
    if not IndexLayout(index_dir).exists():
        build_index(docs, index_dir, embedder, cache=EmbeddingCache(Path(args.cache)))
    searcher = HybridSearcher.open(index_dir, embedder)

    model: dict = {"source": {}}
    for key, fusion, feats in (("hybrid", "weighted", FEATURES), ("lexical", "lexical", LEXICAL_FEATURES)):
        rows = collect(searcher, questions, judge, fusion)
        fit = [r for r in rows if fitting_half(r["q"])]
        rest = [r for r in rows if not fitting_half(r["q"])]
        x_fit, x_rest = (np.array([[r[f] for f in feats] for r in rs]) for rs in (fit, rest))
        y = np.array([r["rel"] for r in fit], float)
        w = np.array([args.offtopic_weight if r["q"].startswith("o") else 1.0 for r in fit])
        coef, bias = fit_logistic(x_fit, y, w)
        p_fit, y_fit, q_fit = decisions(fit, 1 / (1 + np.exp(-(x_fit @ coef + bias))))
        grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
        floor = float(max(grid, key=lambda t: ((p_fit >= t) == y_fit).mean()))
        print(
            f"{key} ({fusion}): weights {dict(zip(feats, np.round(coef, 3)))}, bias {bias:.3f}, floor {floor}"
        )
        fit_report = report("fitting half", p_fit, y_fit, q_fit, floor)
        p_rest, y_rest, q_rest = decisions(rest, 1 / (1 + np.exp(-(x_rest @ coef + bias))))
        rest_report = report("report half ", p_rest, y_rest, q_rest, floor)
        model[key] = {
            "features": list(feats),
            "weights": [round(float(c), 4) for c in coef],
            "bias": round(bias, 4),
        }
        model["floor" if key == "hybrid" else "lexical_floor"] = floor
        model["source"][key] = {"fitting_half": fit_report, "report_half": rest_report}
    model["source"]["how"] = "scripts/calibrate_relevance.py (fitting half: odd seed ids, even off-topic ids)"
    if args.write:
        MODEL_FILE.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
