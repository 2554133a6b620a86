"""The Ray Data batch reindex equals the single-process one (ids, vectors, top 10) and re-uses the cache."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from config.settings import Settings
from index.backends import open_generation
from index.generations import IndexLayout
from policy_search.ray_reindex import ray_reindex
from search.hybrid import HybridSearcher
from search.models import SearchRequest

from .test_milvus import SEED_QUESTIONS


@pytest.fixture(scope="module")
def ray_local():
    import ray

    from policy_search.ray_reindex import start_ray

    start_ray(None, num_cpus=2)
    yield
    ray.shutdown()


def test_ray_reindex_equals_the_single_process_one(tmp_path, ray_local, builtin_index, embedder) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # its own, empty embedding cache: the actors embed
    result, report, stats = ray_reindex(settings, embedder=embedder, batch_size=32)
    assert not report.skipped and stats.processed == 5
    assert stats.passages_to_embed == stats.embedded == stats.clauses == result.manifest.clauses
    assert result.embedded_now == 0  # the builder took every vector from the shards, via the cache

    single = open_generation(IndexLayout(builtin_index).current())
    ray_gen = open_generation(IndexLayout(settings.resolved_index_dir()).current())
    try:
        ids = sorted(single.store.clause_doc)
        assert sorted(ray_gen.store.clause_doc) == ids
        a, b = single.vectors.vectors_for(ids), ray_gen.vectors.vectors_for(ids)
        # onnx-int8 quantizes activations per batch tensor, so a vector moves a little with its batch-mates
        # (the actors batch differently from the single process): the same vectors up to that
        assert ((a * b).sum(axis=1) > 0.995).all()
        assert [c.text for c in single.store.clauses(ids)] == [c.text for c in ray_gen.store.clauses(ids)]
    finally:
        single.close()
        ray_gen.close()

    # rankings are not compared one by one: with onnx-int8 the batch effect above moves near-ties in the
    # top 10 (measured: a different top hit on 1 of the seed questions, 7 of 10 shared at worst)
    s1 = HybridSearcher.open(builtin_index, embedder)
    s2 = HybridSearcher.open(settings.resolved_index_dir(), embedder)
    try:
        shared = []
        for q in SEED_QUESTIONS:
            top1 = [h.clause_id for h in s1.search(SearchRequest(q=q, top_k=10)).hits]
            top2 = [h.clause_id for h in s2.search(SearchRequest(q=q, top_k=10)).hits]
            shared.append(len(set(top1) & set(top2)))
        assert min(shared) >= 5 and sum(shared) >= 0.8 * 10 * len(shared), shared
    finally:
        s1.close()
        s2.close()

    again, _, stats2 = ray_reindex(settings, embedder=embedder, full=True)
    assert stats2.passages_to_embed == 0 and stats2.shards == 0  # a re-run embeds nothing it has seen
    assert again.wrote_generation and again.manifest.clauses == result.manifest.clauses


def test_ray_reindex_sends_only_changed_documents(tmp_path, ray_local, builtin_cache, embedder) -> None:
    import shutil

    from corpus.pipeline import builtin_corpus_dir

    corpus = tmp_path / "corpus"
    shutil.copytree(builtin_corpus_dir(), corpus)
    settings = Settings(data_dir=tmp_path / "data", cache_path=builtin_cache)
    first, _, stats = ray_reindex(settings, [corpus], embedder=embedder)
    assert stats.processed == 5 and stats.passages_to_embed == 0  # all in the shared cache already
    p = corpus / "002_bd0cc3b5400c87ce.txt"
    p.write_text(
        p.read_text(encoding="utf-8") + "\n七、其他\n（一）本意见由省卫生健康委员会负责解释，试行两年。\n",
        encoding="utf-8",
    )
    (corpus / "004_0c0d47d2832825d7.txt").unlink()
    second, _, stats = ray_reindex(settings, [corpus], embedder=embedder)
    assert stats.processed == 1 and second.mode == "incremental"
    assert second.changed == ["002_bd0cc3b5400c87ce.txt"] and second.removed == ["004_0c0d47d2832825d7.txt"]
    assert 1 <= stats.passages_to_embed <= 3  # the new clause (and a neighbour whose text it changed)


def test_ray_reindex_bulk_loads_into_milvus(
    tmp_path, ray_local, builtin_cache, builtin_index, embedder
) -> None:
    from policy_search.factory import milvus_from

    settings = Settings(
        data_dir=tmp_path / "data",
        cache_path=builtin_cache,
        backend="milvus",
        milvus_collection_prefix="ps_r",
    )
    result, _, stats = ray_reindex(settings, embedder=embedder)
    assert result.manifest.vector_backend == "milvus" and stats.passages_to_embed == 0
    s = HybridSearcher.open(settings.resolved_index_dir(), embedder, milvus=milvus_from(settings))
    ref = HybridSearcher.open(builtin_index, embedder)
    try:
        assert s.generation.vectors.size == ref.generation.vectors.size
        ids = sorted(ref.store.clause_doc)[:20]
        assert (
            np.abs(s.generation.vectors.vectors_for(ids) - ref.generation.vectors.vectors_for(ids)).max()
            < 1e-6
        )
        q = "医师多点执业政策"
        # the retrieval and fusion agree; the learned head order (off here) reads the relevance, on which
        # Milvus's BM25 scale differs a little, and may order close clauses differently
        off = {"options": dataclasses.replace(ref.options, head_order=0)}
        assert (
            s.variant(**off).search(SearchRequest(q=q)).hits[0].clause_id
            == ref.variant(**off).search(SearchRequest(q=q)).hits[0].clause_id
        )
    finally:
        s.close()
        ref.close()


def _ray_pids(session: str) -> set[int]:
    """This Ray's processes: those started with its session in their arguments, and their children."""
    import subprocess

    rows = [
        ln.split(None, 2)
        for ln in subprocess.check_output(["ps", "-ww", "-eo", "pid,ppid,args"], text=True).splitlines()[1:]
    ]
    pids = {int(r[0]) for r in rows if len(r) == 3 and session in r[2]}
    grown = True
    while grown:
        more = {int(r[0]) for r in rows if int(r[1]) in pids} - pids
        pids |= more
        grown = bool(more)
    return pids


def test_local_ray_listens_on_loopback_only(ray_local) -> None:
    """The local Ray (GCS, raylet, agents, workers) accepts connections from this machine only, even though
    ``ray`` was imported before ``start_ray`` ran (the fixture imports it first)."""
    import re
    import shutil
    import subprocess

    import ray

    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is not installed")
    pids = _ray_pids(ray._private.worker._global_node.session_name)
    out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True, check=True).stdout
    mine = [ln for ln in out.splitlines() if {int(p) for p in re.findall(r"pid=(\d+)", ln)} & pids]
    assert any("gcs_server" in ln for ln in mine) and any("raylet" in ln for ln in mine)
    for ln in mine:
        local = ln.split()[3]
        assert local.startswith(("127.0.0.1:", "[::ffff:127.0.0.1]:", "[::1]:")), ln
