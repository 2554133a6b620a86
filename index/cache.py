"""Embedding cache keyed by (embedder fingerprint, text hash), in SQLite.

Each batch is committed as it is embedded, so an interrupted build resumes where it stopped, and ranking
experiments re-use vectors instead of re-embedding.

The cache is only a cache: nothing in it can cost a build (issue 23).

- Every vector read is checked: its dimension, finite values, a non-zero norm. One that fails is
  re-embedded and overwritten, and a warning names the file and how many there were.
- A file SQLite cannot read (corrupt, truncated, not a database) is moved aside as
  ``NAME.corrupt-YYYYmmdd-HHMMSS`` with a warning naming both paths, and a new cache is started.
- A locked file (another process holds it) is not waited on for long (``busy_seconds``): what cannot be
  read is embedded again, what cannot be written is not cached, with one warning.
- A read-only file or directory: what is there is read, nothing is written, with one warning.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.embedder import Embedder

log = logging.getLogger(__name__)
BUSY_SECONDS = 2.0  # how long a statement waits for another process's lock before the cache steps aside
_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))"


def text_key(text: str) -> str:
    # surrogatepass: a lone surrogate must not crash a build here (the loader reports such records)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def usable(vec: np.ndarray, dim: int) -> bool:
    """A vector a build can use: ``dim`` values, all finite, not all zero."""
    return vec.shape == (dim,) and bool(np.isfinite(vec).all()) and float(vec @ vec) > 0.0


def _locked(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def _read_only(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return isinstance(exc, sqlite3.OperationalError) and ("readonly" in text or "unable to open" in text)


def _corrupt(exc: sqlite3.Error) -> bool:
    """A damaged file, as opposed to a lock, permissions or a full disk (OperationalError)."""
    return not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc)


class EmbeddingCache:
    def __init__(self, path: Path, busy_seconds: float = BUSY_SECONDS) -> None:
        self.path = Path(path)
        self.busy_seconds = busy_seconds
        self.writable = True
        self.rejected = 0  # vectors read that failed the check (re-embedded)
        self.moved_aside: Path | None = None
        self._warned: set[str] = set()
        self._db: sqlite3.Connection | None = None
        self._open()

    # -- opening ----------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect(f"file:{self.path}", uri=True)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
            return
        except sqlite3.Error as exc:
            self._close_quietly()
            if _locked(exc):
                self._warn(
                    "locked", f"正被其他进程锁定（{exc}）：读不到的向量重新计算，新向量不写入（cache_locked）"
                )
                self._db = self._connect(f"file:{self.path}", uri=True)
                self.writable = False
                return
            if _read_only(exc) and self.path.exists():
                self._open_read_only()
                return
            if _corrupt(exc):
                self._move_aside(exc)
                return
            self._warn("unusable", f"无法打开（{exc}）：本次不使用缓存，所有向量重新计算（cache_unusable）")
        except OSError as exc:
            self._warn("unusable", f"无法打开（{exc}）：本次不使用缓存，所有向量重新计算（cache_unusable）")

    def _connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        return sqlite3.connect(target, uri=uri, timeout=self.busy_seconds)

    def _open_read_only(self) -> None:
        self.writable = False
        for mode in ("mode=ro", "mode=ro&immutable=1"):  # immutable: a WAL file without a writable -shm
            try:
                db = self._connect(f"file:{self.path}?{mode}", uri=True)
                db.execute("SELECT COUNT(*) FROM vectors LIMIT 1").fetchone()
            except sqlite3.Error as exc:
                last = exc
                continue
            self._db = db
            self._warn("read-only", "只读：读取已有向量，新向量不写入（cache_read_only）")
            return
        self._warn("unusable", f"只读且无法读取（{last}）：本次不使用缓存（cache_unusable）")

    def _move_aside(self, exc: sqlite3.Error) -> None:
        """A damaged file: keep it for inspection under another name and start an empty cache."""
        self._close_quietly()
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            self.path.rename(aside)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    side.rename(aside.with_name(aside.name + suffix))
        except OSError as err:
            self._warn("unusable", f"已损坏（{exc}），且无法移开（{err}）：本次不使用缓存（cache_corrupt）")
            return
        self.moved_aside = aside
        log.warning(
            "嵌入缓存 %s 已损坏（%s）：已移到 %s，新建缓存，向量重新计算（cache_corrupt）",
            self.path,
            exc,
            aside,
        )
        self._open()

    def _close_quietly(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def _warn(self, kind: str, what: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("嵌入缓存 %s %s", self.path, what)

    def close(self) -> None:
        self._close_quietly()

    # -- reading and writing ----------------------------------------------------------------------
    def get_many(self, model: str, keys: Sequence[str], dim: int | None = None) -> dict[str, np.ndarray]:
        """The cached vectors of ``keys``; with ``dim``, only those that pass :func:`usable` (the others
        are counted in ``rejected`` and named in one warning). What cannot be read is simply missing."""
        found: dict[str, np.ndarray] = {}
        bad = 0
        for i in range(0, len(keys), 500):
            if self._db is None:
                break
            chunk = list(keys[i : i + 500])
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE model=? AND key IN ({marks})", [model, *chunk]
                ).fetchall()
            except sqlite3.Error as exc:
                if _locked(exc):
                    self._warn("locked", f"正被其他进程锁定（{exc}）：读不到的向量重新计算（cache_locked）")
                    break
                if _corrupt(exc):
                    self._move_aside(exc)
                    return {}
                self._warn("unusable", f"读取失败（{exc}）：读不到的向量重新计算（cache_unusable）")
                break
            for key, blob in rows:
                try:
                    vec = np.frombuffer(blob, dtype=np.float32)
                except (TypeError, ValueError):
                    bad += 1
                    continue
                if dim is not None and not usable(vec, dim):
                    bad += 1
                    continue
                found[key] = vec
        if bad:
            self.rejected += bad
            log.warning(
                "嵌入缓存 %s 中有 %d 个向量无效（维度不是 %s、含 NaN/无穷或全为零）：已重新计算并覆盖（cache_invalid_vectors）",
                self.path,
                bad,
                dim,
            )
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        """Store vectors; a cache that cannot be written (locked, read-only, disk full) is skipped with
        one warning: the build goes on with the vectors it has."""
        if self._db is None or not self.writable or not items:
            return
        rows = [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items]
        try:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            self._db.commit()
        except sqlite3.Error as exc:
            try:
                self._db.rollback()
            except sqlite3.Error:
                pass
            if _corrupt(exc):
                self._move_aside(exc)
                return
            self.writable = False
            kind = "locked" if _locked(exc) else "read-only" if _read_only(exc) else "write"
            code = {"locked": "cache_locked", "read-only": "cache_read_only"}.get(kind, "cache_write_failed")
            self._warn(kind, f"写入失败（{exc}）：本次构建继续，新向量不再写入缓存（{code}）")

    def count(self, model: str) -> int:
        if self._db is None:
            return 0
        return int(self._db.execute("SELECT COUNT(*) FROM vectors WHERE model=?", [model]).fetchone()[0])


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    progress: Callable[[int], None] | None = None,
    commit_every: int = 256,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (row i ↔ text i) and how many were freshly embedded. A cached vector that
    fails the check (dimension, finite, non-zero) is embedded again and overwritten."""
    keys = [text_key(t) for t in texts]
    model = embedder.fingerprint
    have = cache.get_many(model, list(dict.fromkeys(keys)), dim=embedder.dim) if cache else {}
    if progress and have:
        progress(sum(1 for k in keys if k in have))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    todo: dict[str, list[int]] = {}  # each text to embed once, and the rows that take its vector
    first: dict[str, str] = {}
    for i, (k, t) in enumerate(zip(keys, texts)):
        if k in have:
            out[i] = have[k]
        else:
            todo.setdefault(k, []).append(i)
            first.setdefault(k, t)
    del have  # the rows hold them now: a large build keeps one copy of its vectors, not two
    todo_items = list(todo.items())
    for i in range(0, len(todo_items), commit_every):
        chunk = todo_items[i : i + commit_every]
        vecs = embedder.encode_passages([first[k] for k, _ in chunk], progress=progress)
        if cache:
            cache.put_many(model, [(k, v) for (k, _), v in zip(chunk, vecs)])
        for (_, rows), v in zip(chunk, vecs):
            out[rows] = v
    return out, len(todo_items)
