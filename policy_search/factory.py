"""Factories: settings → embedder, searcher, a reindex run. Everything heavy is made here, once, on demand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from corpus.chunker import ChunkOptions
from corpus.models import LoadReport
from corpus.pipeline import builtin_corpus_dir, process_paths
from index.builder import BuildOptions, build_index
from index.cache import EmbeddingCache
from index.embedder import Embedder, make_embedder
from index.manifest import Manifest
from policy_search.settings import Settings
from search.hybrid import HybridSearcher, RankingOptions


def embedder_from(settings: Settings) -> Embedder:
    return make_embedder(
        settings.embedder, settings.query_prefix, settings.passage_prefix, settings.batch_size
    )


def ranking_from(settings: Settings) -> RankingOptions:
    return RankingOptions(
        fusion=settings.fusion,
        dense_weight=settings.dense_weight,
        law_dense_weight=settings.law_dense_weight,
        query_adapter=settings.query_adapter,
        candidate_depth=settings.candidate_depth,
        max_query_chars=settings.max_query_chars,
    )


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> HybridSearcher:
    return HybridSearcher.open(
        settings.resolved_index_dir(), embedder or embedder_from(settings), ranking_from(settings)
    )


def load_corpus(
    paths: Sequence[Path] | None, settings: Settings, jurisdiction: str | None = None
) -> LoadReport:
    """Load and chunk; ``jurisdiction`` keeps documents whose jurisdiction starts with it ("全国", "山东省")."""
    options = ChunkOptions(max_chars=settings.max_clause_chars, min_chars=settings.min_clause_chars)
    report = process_paths(list(paths) if paths else [builtin_corpus_dir()], options)
    if jurisdiction:
        report.documents = [
            d
            for d in report.documents
            if d.metadata.jurisdiction == jurisdiction
            or (d.metadata.jurisdiction or "").startswith(jurisdiction + "/")
        ]
    return report


def reindex(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[int], None] | None = None,
    report: LoadReport | None = None,
) -> tuple[Manifest, LoadReport]:
    """Load, clean, chunk, embed (through the cache) and write the index directory atomically."""
    report = report or load_corpus(paths, settings)
    cache = EmbeddingCache(settings.resolved_cache_path())
    try:
        manifest = build_index(
            report.documents,
            settings.resolved_index_dir(),
            embedder or embedder_from(settings),
            cache=cache,
            options=BuildOptions(
                settings.passage_template, settings.passage_template, settings.max_clause_chars
            ),
            progress=progress,
            extra={
                "skipped_files": len(report.skipped),
                "sources": [str(p) for p in paths] if paths else ["builtin"],
            },
        )
    finally:
        cache.close()
    return manifest, report
