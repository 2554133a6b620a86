"""Embedding cache keyed by (embedder fingerprint, text hash), in SQLite.

Each batch is committed as it is embedded, so an interrupted build resumes where it stopped, and ranking
experiments re-use vectors instead of re-embedding.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.embedder import Embedder


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))"
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE model=? AND key IN ({marks})", [model, *chunk]
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
            [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items],
        )
        self._db.commit()

    def count(self, model: str) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors WHERE model=?", [model]).fetchone()[0])


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    progress: Callable[[int], None] | None = None,
    commit_every: int = 256,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (row i ↔ text i) and how many were freshly embedded."""
    keys = [text_key(t) for t in texts]
    model = embedder.fingerprint
    have = cache.get_many(model, list(dict.fromkeys(keys))) if cache else {}
    if progress and have:
        progress(sum(1 for k in keys if k in have))
    todo: dict[str, str] = {}
    for k, t in zip(keys, texts):
        if k not in have and k not in todo:
            todo[k] = t
    todo_items = list(todo.items())
    for i in range(0, len(todo_items), commit_every):
        chunk = todo_items[i : i + commit_every]
        vecs = embedder.encode_passages([t for _, t in chunk], progress=progress)
        batch = [(k, v) for (k, _), v in zip(chunk, vecs)]
        if cache:
            cache.put_many(model, batch)
        have.update(batch)
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = have[k]
    return out, len(todo_items)
