"""Fit the relevance model and its floor (``search/relevance.py``) on half of the judged questions, and
report both on the other half beside the model it replaces.

    python scripts/calibrate_relevance.py                # report only
    python scripts/calibrate_relevance.py --write        # also write search/data/relevance.json

Questions: the 85 judged seed questions (benchmarks/seed_questions.jsonl, English ones included) and 20
off-topic questions (benchmarks/offtopic_questions.jsonl: nothing in the built-in corpus answers them).
Fitting half: seed questions with an odd number and off-topic questions with an even one; report half: the
others.

Examples: every candidate of a question (on the built-in corpus, every clause), one per clause part,
relevant when the part contains a judged phrase. Off-topic examples weigh ``--offtopic-weight``. The floor
is the grid value (0.05 steps) with the best F1 of the per-clause verdict (a clause at or above the floor
is "strong": it is counted, listed first and shown in compare) on the fitting half. The report gives, on the report half and for the new and the old model: a reliability table
(predicted against observed, per clause), precision and recall at the floor per clause and per
(question, jurisdiction) decision, and the same for the English questions alone.

The old model (pool-relative features: BM25 over the pool's best, cosine minus the pool's best) is read
from ``--old`` (default: the model as it was before issue 24, in git) and scored on the same candidates.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus.chunker import ChunkOptions  # noqa: E402
from corpus.models import Document  # noqa: E402
from corpus.normalize import squash  # noqa: E402
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.cache import EmbeddingCache  # noqa: E402
from index.embedder import make_embedder  # noqa: E402
from index.generations import IndexLayout  # noqa: E402
from policy_search.evaluate import complete_judgments  # noqa: E402
from search.hybrid import HybridSearcher  # noqa: E402
from search.models import SearchRequest  # noqa: E402
from search.relevance import FEATURES, LEXICAL_FEATURES, MODEL_FILE, Logistic, features  # noqa: E402
from search.scoring import clause_key  # noqa: E402

OLD_COMMIT = "ad0f8da"  # the last commit with the pool-relative model


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 0.1) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by Newton's method (IRLS)."""
    X = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(X.shape[1])
    reg = l2 * np.eye(X.shape[1])
    reg[-1, -1] = 0
    for _ in range(100):
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


def collect(searcher: HybridSearcher, questions: dict, docs: list[Document], fusion: str) -> list[dict]:
    """One row per candidate (clause part): its features (new and old), its label, its clause and region."""
    prefix = {d.id: Path(d.source or "").name[:3] for d in docs}
    rows = []
    for qid, q in questions.items():
        p = searcher.prepare(SearchRequest(q=q["query"], fusion=fusion))
        cands = searcher.pool.candidates(p, searcher.depth())
        if not cands.ids:
            continue
        law = np.array([searcher.is_law_clause(c) for c in cands.ids])
        new = features(
            p.lexical,
            p.q,
            cands.ids,
            cands.lexical,
            cands.dense,
            law,
            searcher.generation.lexical,
            searcher.scorer.relevance.containers,
        )
        lex, den = cands.lexical.astype(np.float64), cands.dense.astype(np.float64)
        old = {
            "lexical_share": lex / lex.max() if lex.max() > 0 else np.zeros_like(lex),
            "dense_gap": den - den.max(),
            "coverage": searcher.generation.lexical.coverage(p.tokens, cands.ids).astype(np.float64),
            "dense": den,
        }
        phrases = [(r["doc"], squash(r["phrase"])) for r in q["relevant"]]
        for i, (cid, c) in enumerate(zip(cands.ids, searcher.store.clauses(cands.ids))):
            text = squash(c.text)
            rows.append(
                {
                    "q": qid,
                    "english": q.get("style") == "english" or q["query"].isascii(),
                    "clause": clause_key(cid),
                    "jur": searcher.pool.jurisdiction_of(cid),
                    "rel": any(d == prefix[c.doc_id] and ph in text for d, ph in phrases),
                    "new": {k: float(v[i]) for k, v in new.items()},
                    "old": {k: float(v[i]) for k, v in old.items()},
                }
            )
    return rows


def collect_policy_dev(searcher: HybridSearcher, fusion: str) -> list[dict]:
    """Rows for the judged policy-dev questions (benchmarks/policy_dev): every candidate a judge graded, its
    features, its grade (``target`` = grade / 2, a soft label: 1 answers only in part) and ``rel`` (grade 2).
    Question ids get a "pd-" prefix; the tune half (odd numbers) fits, the report half reports."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from policy_dev_eval import Qrels, load_questions

    qrels = Qrels()
    rows = []
    for q in load_questions():
        p = searcher.prepare(SearchRequest(q=q.query, fusion=fusion))
        cands = searcher.pool.candidates(p, searcher.depth())
        if not cands.ids:
            continue
        law = np.array([searcher.is_law_clause(c) for c in cands.ids])
        new = features(
            p.lexical,
            p.q,
            cands.ids,
            cands.lexical,
            cands.dense,
            law,
            searcher.generation.lexical,
            searcher.scorer.relevance.containers,
        )
        factors = searcher.scorer.place_factors(p, cands.ids)
        for i, (cid, c) in enumerate(zip(cands.ids, searcher.store.clauses(cands.ids))):
            g = qrels.grade(q.qid, cid, c.doc_id, c.text)
            if g is None:
                continue
            rows.append(
                {
                    "q": f"pd-{q.qid}",
                    "half": q.half,
                    "english": q.kind == "english",
                    "clause": clause_key(cid),
                    "jur": searcher.pool.jurisdiction_of(cid),
                    "rel": g == 2,
                    "target": g / 2,
                    "place": float(factors[i]) if factors is not None else 1.0,
                    "new": {k: float(v[i]) for k, v in new.items()},
                    "old": {},
                }
            )
    return rows


def per_clause(rows: list[dict], prob: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """(predicted, observed, first row) per (question, clause): the best part, relevant if any part is."""
    best: dict[tuple[str, str], list] = {}
    for r, p in zip(rows, prob):
        k = (r["q"], r["clause"])
        b = best.setdefault(k, [0.0, False, r])
        b[0], b[1] = max(b[0], float(p)), b[1] or r["rel"]
    vals = list(best.values())
    return np.array([v[0] for v in vals]), np.array([v[1] for v in vals]), [v[2] for v in vals]


def decisions(rows: list[dict], prob: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per (question, jurisdiction): the best probability, whether it has a relevant clause, the question."""
    best: dict[tuple[str, str], list] = defaultdict(lambda: [0.0, False])
    for r, p in zip(rows, prob):
        b = best[(r["q"], r["jur"])]
        b[0] = max(b[0], float(p))
        b[1] = b[1] or r["rel"]
    keys = list(best)
    return np.array([best[k][0] for k in keys]), np.array([best[k][1] for k in keys]), [k[0] for k in keys]


def pr(pred: np.ndarray, y: np.ndarray) -> dict:
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "precision": round(float(y[pred].mean()), 3) if pred.any() else None,
        "recall": round(float(pred[y].mean()), 3) if y.any() else None,
        "accuracy": round(float((pred == y).mean()), 3),
    }


def f1(pred: np.ndarray, y: np.ndarray) -> float:
    tp = float((pred & y).sum())
    return 2 * tp / max(float(pred.sum() + y.sum()), 1.0)


def reliability(
    p: np.ndarray, y: np.ndarray, edges=(0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0001)
) -> list[dict]:
    out = []
    for lo, hi in zip(edges, edges[1:]):
        m = (p >= lo) & (p < hi)
        if m.any():
            out.append(
                {
                    "bin": f"{lo:.2f}–{min(hi, 1):.2f}",
                    "clauses": int(m.sum()),
                    "predicted": round(float(p[m].mean()), 3),
                    "observed": round(float(y[m].mean()), 3),
                }
            )
    return out


def report(rows: list[dict], prob: np.ndarray, floor: float) -> dict:
    pc, yc, first = per_clause(rows, prob)
    pd_, yd, qd = decisions(rows, prob)
    off = {q for q in qd if q.startswith("o")}
    eng = np.array([r["english"] for r in first])
    out = {
        "clauses": pr(pc >= floor, yc),
        "english_clauses": pr(pc[eng] >= floor, yc[eng]),
        "decisions": pr(pd_ >= floor, yd),
        "offtopic_questions_with_a_strong_match": f"{len({q for q, s in zip(qd, pd_ >= floor) if s and q in off})}"
        f"/{len(off)}",
        "brier": round(float(((pc - yc) ** 2).mean()), 4),
        "reliability": reliability(pc, yc),
    }
    return out


def paired_bootstrap(
    rows: list[dict], p_new: np.ndarray, p_old: np.ndarray, floor_new: float, floor_old: float, n: int = 2000
) -> dict:
    """95% intervals, resampling questions, of the new model's gain over the old in clause F1 and in
    decision accuracy at their floors."""
    qids = sorted({r["q"] for r in rows})
    by_q: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_q[r["q"]].append(i)
    rng = np.random.default_rng(0)
    gains: dict[str, list[float]] = {"clause_f1": [], "decision_accuracy": []}
    for _ in range(n):
        pick = rng.choice(len(qids), len(qids))
        # a question drawn twice counts twice: its rows get a new question id per draw
        idx, sample = [], []
        for k, qi in enumerate(pick):
            for i in by_q[qids[qi]]:
                idx.append(i)
                sample.append({**rows[i], "q": f"{rows[i]['q']}#{k}"})
        idx_a = np.array(idx)
        for key, metric in (("clause_f1", "f1"), ("decision_accuracy", "acc")):
            vals = []
            for prob, floor in ((p_new[idx_a], floor_new), (p_old[idx_a], floor_old)):
                if metric == "f1":
                    pc, yc, _ = per_clause(sample, prob)
                    vals.append(f1(pc >= floor, yc))
                else:
                    pd_, yd, _ = decisions(sample, prob)
                    vals.append(float(((pd_ >= floor) == yd).mean()))
            gains[key].append(vals[0] - vals[1])
    return {
        k: {
            "mean": round(float(np.mean(v)), 3),
            "ci95": [round(float(np.percentile(v, q)), 3) for q in (2.5, 97.5)],
        }
        for k, v in gains.items()
    }


def logistic_of(model: dict) -> Logistic:
    return Logistic(tuple(model["features"]), tuple(model["weights"]), float(model["bias"]))


def old_model(path: str | None) -> dict:
    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else subprocess.run(
            ["git", "show", f"{OLD_COMMIT}:search/data/relevance.json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return json.loads(text)


def print_table(title: str, rep: dict) -> None:
    print(f"  {title}: clauses {rep['clauses']}  English {rep['english_clauses']}")
    print(
        f"    decisions {rep['decisions']}  off-topic strong {rep['offtopic_questions_with_a_strong_match']}"
    )
    print(
        f"    brier {rep['brier']}  reliability "
        + "; ".join(
            f"{b['bin']}: {b['clauses']} pred {b['predicted']} obs {b['observed']}"
            for b in rep["reliability"]
        )
    )


def fit_topics(args: argparse.Namespace, searcher: HybridSearcher, seed_rows: dict[str, list[dict]]) -> int:
    """The model fitted on several topics: the seeds' fitting half (社会办医) and the policy-dev tune half
    (住房, 公积金: graded 0/1/2, a soft label), reported per topic on the other halves beside the bundled
    model it would replace, with the floor chosen on the fitting rows."""
    pd_index = Path(args.policy_dev)
    pd_searcher = HybridSearcher.open(pd_index, searcher.embedder)
    current = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    model: dict = {"source": {}}
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for key, fusion, feats in (("hybrid", "weighted", FEATURES), ("lexical", "lexical", LEXICAL_FEATURES)):
        pd_rows = [r for r in collect_policy_dev(pd_searcher, fusion) if r["place"] == 1.0]
        seeds = seed_rows[key]
        fit = [r for r in seeds if fitting_half(r["q"])] + [r for r in pd_rows if r["half"] == "tune"]
        topics = {
            "seeds": [r for r in seeds if not fitting_half(r["q"])],
            "policy-dev": [r for r in pd_rows if r["half"] == "report"],
        }
        x_fit = np.array([[r["new"][f] for f in feats] for r in fit])
        y = np.array([r.get("target", float(r["rel"])) for r in fit], float)
        n_seed = sum(1 for r in fit if not r["q"].startswith("pd-"))
        n_pd = len(fit) - n_seed
        # each topic weighs as much as the other, off-topic seed questions as before
        w = np.array(
            [
                (args.offtopic_weight if r["q"].startswith("o") else 1.0)
                * (len(fit) / (2 * n_pd) if r["q"].startswith("pd-") else len(fit) / (2 * n_seed))
                for r in fit
            ]
        )
        coef, bias = fit_logistic(x_fit, y, w, args.l2)
        p_fit = sig(x_fit @ coef + bias)
        pc_fit, yc_fit, _ = per_clause(fit, p_fit)
        grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
        floor = float(max(grid, key=lambda t: f1(pc_fit >= t, yc_fit)))
        if key == "hybrid" and args.floor is not None:
            floor = args.floor  # chosen elsewhere (the tune half's nDCG@10: the floor sets the tiers)
        print(
            f"{key} ({fusion}): weights {dict(zip(feats, np.round(coef, 3)))}, bias {bias:.3f}, floor {floor}"
        )
        cur = logistic_of(current[key])
        cur_floor = current["floor" if key == "hybrid" else "lexical_floor"]
        model[key] = {
            "features": list(feats),
            "weights": [round(float(c), 4) for c in coef],
            "bias": round(bias, 4),
        }
        model["floor" if key == "hybrid" else "lexical_floor"] = floor
        model["source"][key] = {}
        for topic, rows in topics.items():
            x = np.array([[r["new"][f] for f in feats] for r in rows])
            p_new = sig(x @ coef + bias)
            p_cur = cur({f: np.array([r["new"][f] for r in rows]) for f in cur.features})
            new_rep, cur_rep = report(rows, p_new, floor), report(rows, p_cur, cur_floor)
            print_table(f"{topic}, report half, new (floor {floor})", new_rep)
            print_table(f"{topic}, report half, bundled (floor {cur_floor})", cur_rep)
            gain = paired_bootstrap(rows, p_new, p_cur, floor, cur_floor, n=args.bootstrap)
            print(f"  {topic}: gain over the bundled model (95% interval, questions resampled): {gain}")
            new_rep["gain_over_bundled"] = gain
            model["source"][key][topic] = {k: v for k, v in new_rep.items() if k != "reliability"}
            model["source"][key][topic]["reliability"] = new_rep["reliability"]
    model["source"]["how"] = (
        "scripts/calibrate_relevance.py --policy-dev INDEX (fitting: odd seed ids, even off-topic ids, the "
        "policy-dev tune half graded 0/1/2 as 0, 0.5, 1; each topic weighing as much as the other; reported "
        "per topic on the other halves)"
    )
    out = Path(args.out) if args.out else MODEL_FILE
    if args.write or args.out:
        out.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default=str(ROOT / "var" / "calibrate"))
    ap.add_argument("--cache", default=str(ROOT / "var" / "embeddings.sqlite"))
    ap.add_argument("--offtopic-weight", type=float, default=5.0)
    ap.add_argument("--l2", type=float, default=0.1)
    ap.add_argument("--old", help="the old model's JSON (default: from git)")
    ap.add_argument("--json", help="write the report here as JSON")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--bootstrap", type=int, default=1000, help="resamples of the paired bootstrap")
    ap.add_argument(
        "--floor", type=float, help="the hybrid model's floor (default: best clause F1 when fitting)"
    )
    ap.add_argument(
        "--out", help="write the model here (with --policy-dev) instead of search/data/relevance.json"
    )
    ap.add_argument("--sweep", action="store_true", help="print the fitting half's numbers at every floor")
    ap.add_argument(
        "--policy-dev",
        help="an index of ../shared/corpora/policy-dev.jsonl.gz: fit on the seeds and the judged policy-dev "
        "questions together (benchmarks/policy_dev), report per topic",
    )
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
    embedder = make_embedder()
    index_dir = Path(args.work) / "index"
    if not IndexLayout(index_dir).exists():
        build_index(docs, index_dir, embedder, cache=EmbeddingCache(Path(args.cache)))
    searcher = HybridSearcher.open(index_dir, embedder)
    if args.policy_dev:
        return fit_topics(
            args,
            searcher,
            {
                k: collect(searcher, questions, docs, f)
                for k, f in (("hybrid", "weighted"), ("lexical", "lexical"))
            },
        )
    old = old_model(args.old)

    model: dict = {"source": {}}
    full: dict = {}
    for key, fusion, feats, old_key, old_floor in (
        ("hybrid", "weighted", FEATURES, "hybrid", old["floor"]),
        ("lexical", "lexical", LEXICAL_FEATURES, "lexical", old["lexical_floor"]),
    ):
        rows = collect(searcher, questions, docs, fusion)
        fit = [r for r in rows if fitting_half(r["q"])]
        rest = [r for r in rows if not fitting_half(r["q"])]
        x_fit, x_rest = (np.array([[r["new"][f] for f in feats] for r in rs]) for rs in (fit, rest))
        y = np.array([r["rel"] for r in fit], float)
        w = np.array([args.offtopic_weight if r["q"].startswith("o") else 1.0 for r in fit])
        coef, bias = fit_logistic(x_fit, y, w, args.l2)
        sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
        p_fit = sig(x_fit @ coef + bias)
        pd_, yd, _ = decisions(fit, p_fit)
        grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
        pc_fit, yc_fit, _ = per_clause(fit, p_fit)
        floor = float(max(grid, key=lambda t: f1(pc_fit >= t, yc_fit)))
        if args.sweep:
            pc, yc, _ = per_clause(fit, p_fit)
            for t in grid:
                d, c = pr(pd_ >= t, yd), pr(pc >= t, yc)
                off = len({q for q, s in zip(decisions(fit, p_fit)[2], pd_ >= t) if s and q.startswith("o")})
                print(f"  floor {t:.2f}: decisions {d}  clauses {c}  off-topic strong {off}")
        print(
            f"{key} ({fusion}): weights {dict(zip(feats, np.round(coef, 3)))}, bias {bias:.3f}, floor {floor}"
        )
        p_rest = sig(x_rest @ coef + bias)
        old_lg = logistic_of(old[old_key])
        p_old_fit = old_lg({f: np.array([r["old"][f] for r in fit]) for f in old_lg.features})
        p_old_rest = old_lg({f: np.array([r["old"][f] for r in rest]) for f in old_lg.features})
        reps = {
            "new_fitting": report(fit, p_fit, floor),
            "new_report": report(rest, p_rest, floor),
            "old_fitting": report(fit, p_old_fit, old_floor),
            "old_report": report(rest, p_old_rest, old_floor),
        }
        for name, rep in reps.items():
            print_table(f"{name} (floor {floor if name.startswith('new') else old_floor})", rep)
        reps["gain_on_report_half"] = paired_bootstrap(rest, p_rest, p_old_rest, floor, old_floor)
        print(f"  gain on the report half (95% interval, questions resampled): {reps['gain_on_report_half']}")
        full[key] = {"floor": floor, "old_floor": old_floor, **reps}
        model[key] = {
            "features": list(feats),
            "weights": [round(float(c), 4) for c in coef],
            "bias": round(bias, 4),
        }
        model["floor" if key == "hybrid" else "lexical_floor"] = floor
        model["source"][key] = {
            "fitting_half": {k: v for k, v in reps["new_fitting"].items() if k != "reliability"},
            "report_half": {k: v for k, v in reps["new_report"].items() if k != "reliability"},
        }
    model["source"]["how"] = (
        "scripts/calibrate_relevance.py (fitting half: odd seed ids, even off-topic ids; features from "
        "the question and the clause alone)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(full, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.write:
        MODEL_FILE.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
