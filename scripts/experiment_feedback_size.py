"""Experiment (issue 29): from what index size the dense feedback pays, on subsets of policy-dev.

    python scripts/experiment_feedback_size.py --docs 480 --seed 1 [--corpus var/policy-dev.jsonl] [--work var/feedback-size]

A subset of ``--docs`` documents: for a seeded draw of the Chinese questions, one document holding a grade-2
answer to each (up to half the subset), then documents drawn at random. It is reindexed (the embedding
cache of the data directory makes that quick) and every question whose answer document is in it is scored:
nDCG@10 with the ideal from the judged clauses inside the subset, feedback on (no size rule) against off,
with a paired bootstrap. Prints one JSON line. ``--corpus`` is ``policy_dev_eval.py corpus``'s output.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
from policy_dev_eval import QRELS, Qrels, bootstrap, load_questions, open_index

from search.evaluation import ndcg_at
from search.models import SearchRequest

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=Path, default=ROOT / "var" / "policy-dev.jsonl")
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "feedback-size")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    lines = {json.loads(x)["id"]: x.rstrip("\n") for x in args.corpus.open(encoding="utf-8") if x.strip()}
    rows = [json.loads(x) for x in QRELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    qrels = Qrels()
    questions = [q for q in load_questions() if q.kind != "english"]
    rng.shuffle(questions)
    chosen: list[str] = []
    asked = []
    for q in questions:
        if len(chosen) >= args.docs // 2:
            break
        answers = sorted(
            {r["doc_id"] for r in rows if r["qid"] == q.qid and r["grade"] == 2 and r["doc_id"] in lines}
        )
        if not answers:
            continue
        d = rng.choice(answers)
        if d not in chosen:
            chosen.append(d)
        asked.append(q)
    rest = [d for d in lines if d not in chosen]
    rng.shuffle(rest)
    chosen += rest[: args.docs - len(chosen)]
    work = args.work / f"{args.docs}-{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.jsonl"
    corpus.write_text("".join(lines[d] + "\n" for d in chosen), encoding="utf-8")
    index = work / "index"
    if not index.exists():
        cli = Path(sys.executable).parent / "policy-search"
        env = dict(os.environ, POLICY_SEARCH_INDEX_DIR=str(index))
        subprocess.run([str(cli), "reindex", str(corpus), "--full"], env=env, check=True, capture_output=True)
    searcher = open_index(index)
    inside = set(chosen)

    def scores(options) -> list[float]:  # noqa: ANN001
        s = searcher.variant(options=options)
        out = []
        for q in asked:
            hits = s.search(SearchRequest(q=q.query, top_k=10)).hits
            gains = [qrels.grade(q.qid, h.clause_id, h.document.id, h.text) or 0 for h in hits]
            ideal = [r["grade"] for r in rows if r["qid"] == q.qid and r["doc_id"] in inside]
            out.append(ndcg_at(gains, ideal, 10))
        return out

    base = searcher.options
    off = scores(dataclasses.replace(base, feedback_weight=0.0))
    on = scores(dataclasses.replace(base, feedback_weight=0.5, feedback_min_clauses=0))
    mean, lo, hi = bootstrap(on, off)
    print(
        json.dumps(
            {
                "docs": args.docs,
                "seed": args.seed,
                "clauses": searcher.generation.lexical.size,
                "questions": len(asked),
                "off": round(float(np.mean(off)), 3),
                "on": round(float(np.mean(on)), 3),
                "on_minus_off": [round(mean, 3), round(lo, 3), round(hi, 3)],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
