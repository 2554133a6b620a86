"""The Milvus backend against the embedded one, and the rates behind the scale-out estimate.

    python scripts/benchmark_milvus.py seeds [--uri var/bench-milvus/milvus.db]
        judged seed questions: nDCG@10 / MRR / R@10 of the embedded backend, Milvus with the project's
        fusion, and Milvus's own RRF hybrid search (dense + BM25 sparse); overlap@10 with the embedded one
    python scripts/benchmark_milvus.py rates [--rows 50000] [--source var/compare-all]
        Milvus insert rows/s and query latency (dense, BM25, hybrid) over clauses of an existing index;
        clean+chunk clauses/s and passages/s per core of the default engine (onnx-int8)

Embeddings come from the cache (``--cache``, default var/embeddings.sqlite).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from corpus.chunker import ChunkOptions
from corpus.models import Document
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir
from index.builder import BuildOptions, build_index
from index.cache import EmbeddingCache
from index.embedder import make_embedder
from index.milvus_backend import MilvusConfig
from policy_search.evaluate import SEED_QUESTIONS, clause_texts, complete_judgments, seed_judge
from search.evaluation import mean_metrics, score_ranking
from search.hybrid import HybridSearcher
from search.models import SearchRequest

ROOT = Path(__file__).resolve().parent.parent


def _hits(searcher: HybridSearcher, ids: list[str]) -> list:
    """Hit-shaped records for the judge, from clause ids (Milvus RRF returns ids only)."""
    out = []
    for c in searcher.store.clauses(ids):
        out.append(
            SimpleNamespace(
                clause_id=c.id,
                text=c.text,
                heading_path=c.heading_path,
                part_count=c.part_count,
                document=searcher.views.info_of_clause(c.id),
            )
        )
    return out


def milvus_rrf(searcher: HybridSearcher, q: str, k: int = 100) -> list[str]:
    """Milvus's own hybrid search: dense HNSW + BM25 sparse, fused by its RRFRanker (k=60)."""
    from pymilvus import AnnSearchRequest, RRFRanker

    coll = searcher.generation.vectors.coll
    p = searcher.prepare(SearchRequest(q=q))
    words = searcher.generation.lexical.query(p.tokens, p.weights).text
    dense = {"metric_type": "IP", "params": {"ef": 128}}
    reqs = [AnnSearchRequest([p.qvec.tolist()], "vec", dense, limit=k, expr=coll.visible)]
    if words:
        reqs.append(AnnSearchRequest([words], "sparse", {"metric_type": "BM25"}, limit=k, expr=coll.visible))
    res = coll.client.hybrid_search(coll.name, reqs, RRFRanker(60), limit=k, output_fields=["id"])
    return [h["entity"]["id"] for h in res[0]]


def seeds(args: argparse.Namespace) -> None:
    questions = {q["id"]: q for q in map(json.loads, SEED_QUESTIONS.read_text(encoding="utf-8").splitlines())}
    docs = [
        d
        for d in CorpusPipeline(ChunkOptions()).iter_documents([builtin_corpus_dir()])
        if isinstance(d, Document)
    ]
    questions = complete_judgments(questions, docs)
    judge = seed_judge(questions, clause_texts(docs))
    emb = make_embedder()
    cache = EmbeddingCache(Path(args.cache))
    work = Path(args.work) / "seeds"
    shutil.rmtree(work, ignore_errors=True)
    config = MilvusConfig(uri=args.uri or str(work / "milvus.db"), prefix="ps_bench")
    t = time.perf_counter()
    build_index(docs, work / "embedded", emb, cache=cache)
    t_emb = time.perf_counter() - t
    t = time.perf_counter()
    build_index(
        docs, work / "milvus", emb, cache=cache, options=BuildOptions(backend="milvus", milvus=config)
    )
    t_mil = time.perf_counter() - t
    cache.close()
    print(
        f"build from cache: embedded {t_emb:.2f}s, milvus {t_mil:.2f}s ({sum(len(d.clauses) for d in docs)} clauses)"
    )
    embedded = HybridSearcher.open(work / "embedded", emb)
    milvus = HybridSearcher.open(work / "milvus", emb, milvus=config)
    runs = {
        "embedded (FAISS + BM25), project fusion": lambda q: (
            embedded.search(SearchRequest(q=q, top_k=100)).hits
        ),
        "milvus, project fusion": lambda q: milvus.search(SearchRequest(q=q, top_k=100)).hits,
        "milvus, Milvus RRF hybrid_search": lambda q: _hits(milvus, milvus_rrf(milvus, q)),
    }
    for q in list(questions.values())[:3]:  # warm both (query cache, collection load)
        for run in runs.values():
            run(q["query"])
    tops: dict[str, dict[str, list[str]]] = {}
    print(f"\nSeeds ({len(questions)} judged questions, built-in corpus)")
    print("| backend / fusion | nDCG@10 | MRR@10 | R@10 | overlap@10 with embedded | ms/query |")
    print("|---|---|---|---|---|---|")
    for name, run in runs.items():
        rows, times, top = [], [], {}
        for qid, q in questions.items():
            t = time.perf_counter()
            hits = run(q["query"])
            times.append((time.perf_counter() - t) * 1000)
            matches, judgments = judge(qid, hits)
            rows.append(score_ranking(matches, judgments))
            top[qid] = [h.clause_id for h in hits[:10]]
        tops[name] = top
        base = tops[next(iter(runs))]
        overlap = statistics.mean(len(set(top[k]) & set(base[k])) / max(len(base[k]), 1) for k in top)
        m = mean_metrics(rows)
        print(
            f"| {name} | {m['ndcg@10']:.3f} | {m['mrr@10']:.3f} | {m['recall@10']:.3f} | {overlap:.2f} | "
            f"{statistics.median(times):.1f} |"
        )
    embedded.close()
    milvus.close()


def rates(args: argparse.Namespace) -> None:
    from index.backends import open_generation
    from index.generations import IndexLayout
    from index.milvus_backend import create_indexes
    from index.tokenizer import ChineseTokenizer

    cores = os.cpu_count() or 1
    gen = open_generation(IndexLayout(Path(args.source)).current(), verify=False)
    ids = sorted(gen.store.clause_doc)[: args.rows]
    clauses = gen.store.clauses(ids)
    tok = ChineseTokenizer()
    t = time.perf_counter()
    tokens = tok.tokenize_many([c.text for c in clauses])
    t_tok = time.perf_counter() - t
    vectors = gen.vectors.vectors_for(ids)
    work = Path(args.work) / "rates"
    shutil.rmtree(work, ignore_errors=True)
    (work / "gen").mkdir(parents=True)
    shutil.copy(gen.directory / "clauses.sqlite", work / "gen" / "clauses.sqlite")
    config = MilvusConfig(uri=args.uri or str(work / "milvus.db"), prefix="ps_rates")
    vec, lex = create_indexes(config, gen.vectors.dim)
    docs = [gen.store.doc_ids[gen.store.clause_doc[c]] for c in ids]
    vec.add(ids, docs, vectors)
    lex.add(ids, docs, tokens)
    t = time.perf_counter()
    vec.save(work / "gen" / "vectors")
    t_ins = time.perf_counter() - t
    lex.save(work / "gen" / "lexical")
    print(f"tokenize: {len(ids) / t_tok:.0f} clauses/s on 1 core")
    print(
        f"Milvus Lite insert (upsert + flush + index): {len(ids)} rows in {t_ins:.1f}s = {len(ids) / t_ins:.0f} rows/s"
    )
    from index.milvus_backend import open_indexes

    (work / "next").mkdir()
    shutil.copy(work / "gen" / "clauses.sqlite", work / "next" / "clauses.sqlite")
    nvec, nlex = open_indexes(work / "gen" / "vectors", work / "gen" / "lexical", config)
    nvec.remove(ids[:10])
    t = time.perf_counter()
    nvec.save(work / "next" / "vectors")
    t_copy = time.perf_counter() - t
    print(f"Milvus Lite incremental generation, in place (10 of {len(ids)} clauses removed): {t_copy:.1f}s")
    rng = np.random.default_rng(0)
    sample = rng.choice(len(ids), 50, replace=False)
    for name, fn in (
        ("dense top-100", lambda i: vec.search(vectors[i], 100)),
        ("BM25 top-100", lambda i: lex.query(tokens[i][:8]).top(100)),
        ("dense top-100, filter 1 doc-prefix", lambda i: vec.search(vectors[i], 100, None)),
    ):
        times = []
        for i in sample:
            t = time.perf_counter()
            fn(int(i))
            times.append((time.perf_counter() - t) * 1000)
        print(
            f"Milvus Lite {name}: p50 {statistics.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms"
        )
    gen.close()

    pipeline = CorpusPipeline(ChunkOptions())
    from corpus.loader import load

    t = time.perf_counter()
    n_docs = n_clauses = 0
    for raw in load([Path(args.lawrefbook)]):
        doc = pipeline.process_or_report(raw)
        if isinstance(doc, Document):
            n_docs += 1
            n_clauses += len(doc.clauses)
        if n_docs >= args.docs:
            break
    t_proc = time.perf_counter() - t
    print(
        f"load + clean + chunk: {n_docs} documents, {n_clauses} clauses in {t_proc:.1f}s = {n_clauses / t_proc:.0f} clauses/s on 1 core"
    )
    emb = make_embedder()
    texts = [c.text for c in clauses[:256]]
    t = time.perf_counter()
    emb.encode_passages(texts)
    t_emb = time.perf_counter() - t
    print(
        f"{emb.name}: {len(texts) / t_emb:.1f} passages/s on {cores} cores "
        f"({len(texts) / t_emb / cores:.1f} per core; mean {statistics.mean(map(len, texts)):.0f} chars)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["seeds", "rates"])
    ap.add_argument("--uri", help="Milvus URI (default: a Milvus Lite folder under --work)")
    ap.add_argument("--work", default=str(ROOT / "var" / "bench-milvus"))
    ap.add_argument("--cache", default=str(ROOT / "var" / "embeddings.sqlite"))
    ap.add_argument(
        "--source", default=str(ROOT / "var" / "compare-all" / "index"), help="an index to take clauses from"
    )
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--docs", type=int, default=300, help="LawRefBook documents for the pipeline rate")
    ap.add_argument("--lawrefbook", default=str(ROOT.parent / "shared" / "corpora" / "lawrefbook.jsonl.gz"))
    args = ap.parse_args()
    {"seeds": seeds, "rates": rates}[args.what](args)


if __name__ == "__main__":
    main()
