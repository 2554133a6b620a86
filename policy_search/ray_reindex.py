"""A distributed batch reindex on Ray Data: load → clean → chunk → embed → Parquet shards → bulk load.

    policy-search reindex PATH… --ray            # a local Ray: 2 CPUs, loopback only, no dashboard
    policy-search reindex PATH… --ray ray://head:10001   # or an existing cluster

1. The driver loads the sources and asks the current generation which documents are new or changed
   (content hashes), exactly as the single-process reindex does; unchanged ones are never sent out.
2. Ray tasks clean and chunk the new and changed documents.
3. The driver turns their clauses into passage texts and looks each one up in the embedding cache; only
   the misses go to an actor pool that embeds them, each actor loading the model once. The vectors are
   written as Parquet shards (text hash, vector).
4. The driver loads the shards into the embedding cache and runs the ordinary builder with the processed
   documents: every vector comes from the cache, and the generation goes into FAISS or Milvus as set.

So the result is the single-process reindex's (same clause ids and texts, vectors of the same model) and
a re-run embeds only what changed. Imported only by ``reindex --ray``: the service never needs Ray.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from config.settings import Settings
from corpus.chunker import ChunkOptions
from corpus.models import Document, RawDocument, SkippedFile
from index.builder import BuildResult, clause_texts, reindex_into, source_hash
from index.cache import EmbeddingCache, text_key
from index.embedder import ENGINES, Embedder, engine_name
from index.generations import IndexLayout
from index.manifest import IndexError_
from index.store import STORE_FILE, copy_records, document_hashes
from policy_search.factory import (
    SourceReport,
    build_options_from,
    chunk_options_from,
    embedder_from,
    held_patterns,
    load_sources,
    tokenizer_from,
)


@dataclass
class RayRunStats:
    """What each stage did and how long it took (rates in BENCHMARKS.md come from these)."""

    processed: int = 0  # documents cleaned and chunked on Ray
    clauses: int = 0
    passages_to_embed: int = 0  # cache misses sent to the actors
    embedded: int = 0
    shards: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {**self.__dict__, "seconds": {k: round(v, 2) for k, v in self.seconds.items()}}


def start_ray(address: str | None, num_cpus: int) -> None:
    """Join ``address``, or start a local Ray that listens on loopback only, with usage stats and the
    dashboard off."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not address:
        # Local only: Ray reads this when it is imported (its workers do, from this environment); if the
        # caller imported ray before us, the constant it was read into is set too, or the GCS and raylet
        # would listen on every interface (tests/test_ray_reindex.py checks with ss)
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    import ray

    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
        return
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False
    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")


def _process_batch(batch: dict[str, np.ndarray], chunk: ChunkOptions) -> dict[str, list]:
    from corpus.pipeline import CorpusPipeline

    pipeline = CorpusPipeline(chunk)
    return {"doc": [pickle.dumps(pipeline.process_or_report(pickle.loads(b))) for b in batch["raw"]]}


class _EmbedActor:
    """Loads the embedder once (the int8 engine from the driver's engine directory, built there before
    the actors start); embeds batches of passage texts with ``threads`` threads."""

    def __init__(
        self,
        embedder: str,
        query_prefix: str,
        passage_prefix: str,
        batch_size: int,
        engine_dir: str = "",
        threads: int = 0,
    ) -> None:
        from index.embedder import make_embedder

        self.embedder = make_embedder(
            embedder,
            query_prefix,
            passage_prefix,
            batch_size,
            engine_dir=Path(engine_dir) if engine_dir else None,
            threads=threads,
        )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vecs = self.embedder.encode_passages([str(t) for t in batch["text"]])
        return {
            "key": batch["key"],
            "model": np.array([self.embedder.fingerprint] * len(vecs)),
            "vector": np.asarray(vecs, np.float32),
        }


def _to_process(
    settings: Settings, sources: Sequence[RawDocument | Document], full: bool
) -> list[RawDocument]:
    """The raw documents the builder would process: new or changed keys (all of them with ``full``)."""
    layout = IndexLayout(settings.resolved_index_dir())
    old: dict[str, str] = {}
    if not full and layout.exists():
        try:
            store = layout.current() / STORE_FILE
            old = document_hashes(store) | {k: c.content_hash for k, c in copy_records(store).items()}
        except (IndexError_, OSError):
            old = {}
    seen: set[str] = set()
    out = []
    for s in sources:
        if s.id in seen:
            continue  # a duplicate key: the builder keeps the first and names the second
        seen.add(s.id)
        if isinstance(s, RawDocument) and old.get(s.id) != source_hash(s):
            out.append(s)
    return out


def ray_reindex(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    address: str | None = None,
    actors: int = 2,
    num_cpus: int = 2,
    batch_size: int = 64,
    shards_dir: Path | None = None,
    embedder: Embedder | None = None,
    jurisdiction: str | None = None,
    full: bool = False,
    allow_removals: bool = False,
) -> tuple[BuildResult, SourceReport, RayRunStats]:
    import ray
    import ray.data

    stats = RayRunStats()
    t = time.perf_counter()
    report, pipeline = load_sources(paths, settings, jurisdiction)
    embedder = embedder or embedder_from(settings)
    stats.seconds["load"] = time.perf_counter() - t

    start_ray(address, num_cpus)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False

    # -- clean + chunk on Ray ---------------------------------------------------------------------
    t = time.perf_counter()
    raws = _to_process(settings, report.sources, full)
    processed: dict[str, Document | SkippedFile] = {}
    if raws:
        ds = ray.data.from_items([{"raw": pickle.dumps(r)} for r in raws]).map_batches(
            _process_batch, batch_size=16, fn_kwargs={"chunk": chunk_options_from(settings)}
        )
        for raw, row in zip(raws, ds.take_all()):  # take_all keeps the input order
            processed[raw.id] = pickle.loads(row["doc"])
    stats.processed = len(processed)
    stats.seconds["clean_chunk"] = time.perf_counter() - t

    # -- embed the cache misses on an actor pool, into Parquet shards --------------------------------
    t = time.perf_counter()
    docs = [d for d in processed.values() if isinstance(d, Document)]
    options = build_options_from(settings)
    _, dense_texts, _ = clause_texts(docs, options)
    stats.clauses = len(dense_texts)
    cache = EmbeddingCache(settings.resolved_cache_path())
    try:
        keys = [text_key(x) for x in dense_texts]
        have = cache.get_many(embedder.fingerprint, list(dict.fromkeys(keys)), dim=embedder.dim)
        todo = {k: x for k, x in zip(keys, dense_texts) if k not in have}
        stats.passages_to_embed = len(todo)
        engine = engine_name(embedder)
        if todo:
            own_dir = shards_dir is None
            out = Path(shards_dir or tempfile.mkdtemp(prefix="policy-search-shards-"))
            try:
                ds = ray.data.from_items([{"key": k, "text": x} for k, x in todo.items()])
                ds.map_batches(
                    _EmbedActor,
                    batch_size=batch_size,
                    compute=ray.data.ActorPoolStrategy(size=actors),
                    fn_constructor_kwargs={
                        # the driver's engine: the vectors go into its cache under its fingerprint
                        "embedder": engine if engine in ENGINES else settings.embedder,
                        "query_prefix": settings.query_prefix,
                        "passage_prefix": settings.passage_prefix,
                        "batch_size": settings.batch_size,
                        "engine_dir": str(settings.resolved_engine_dir()),
                        # the cores shared among the actors, unless the settings name a count
                        "threads": settings.engine_threads
                        or max(1, (num_cpus or os.cpu_count() or 1) // max(1, actors)),
                    },
                ).write_parquet(str(out))
                stats.seconds["embed"] = time.perf_counter() - t
                t = time.perf_counter()
                stats.shards, stats.embedded = _load_shards(out, cache, embedder)
            finally:
                if own_dir:
                    shutil.rmtree(out, ignore_errors=True)
            stats.seconds["shards_to_cache"] = time.perf_counter() - t

        # -- bulk load: the ordinary builder, every vector from the cache ----------------------------
        t = time.perf_counter()
        sources = [processed.get(s.id, s) for s in report.sources]
        failed = [s for s in sources if isinstance(s, SkippedFile)]
        sources = [s for s in sources if not isinstance(s, SkippedFile)]
        result = reindex_into(
            settings.resolved_index_dir(),
            sources,
            embedder,
            process=pipeline.process_or_report,
            cache=cache,
            options=options,
            tokenizer=tokenizer_from(settings),
            full=full,
            holds=held_patterns([*report.skipped, *failed]),  # a failed change keeps its old version
            allow_removals=allow_removals,
            extra={
                "ray": True,
                "skipped_files": len(report.skipped),
                "sources": [str(p) for p in paths or []],
            },
        )
        result.failed = failed + result.failed
        stats.seconds["bulk_load"] = time.perf_counter() - t
    finally:
        cache.close()
    return result, report, stats


def _load_shards(directory: Path, cache: EmbeddingCache, embedder: Embedder) -> tuple[int, int]:
    """Put the shards' vectors into the cache; refuse vectors of another model than the driver's."""
    import pyarrow.parquet as pq

    files = sorted(directory.glob("*.parquet"))
    n = 0
    for f in files:
        table = pq.read_table(f)
        models = set(table.column("model").to_pylist())
        if models - {embedder.fingerprint}:
            raise IndexError_(
                f"the Ray actors embedded with {sorted(models)}, the driver uses {embedder.fingerprint}; "
                "give both the same --embedder"
            )
        keys = table.column("key").to_pylist()
        vecs = np.asarray(table.column("vector").to_numpy(zero_copy_only=False).tolist(), np.float32)
        vecs = vecs.reshape(len(keys), -1)
        cache.put_many(embedder.fingerprint, list(zip(keys, vecs)))
        n += len(keys)
    return len(files), n
