"""Recognised pages in SQLite, keyed by a hash of the page image and the engine: a scan is read once.

The key is blake2b over the engine's fingerprint (package version, model files, pipeline settings) and
the page image as it goes to the engine (size and RGB pixels), so the same page in another file, under
another name or after a ``reindex --full`` is not recognised again, and a new engine never reads an old
result. The value is the engine's boxes (corners, text, confidence) as JSON; reading order is worked out
again each time, so a change there needs no new recognition.

Like the embedding cache, it is only a cache: nothing in it can cost a read. A file SQLite cannot read
is moved aside (``NAME.corrupt-…``) and a new one started; a locked, read-only or full one is read
where it can be and not written; each such problem is reported once, as a note on the file being read.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

import numpy as np

from corpus.models import Note
from corpus.ocr.engine import OcrBox

_SCHEMA = "CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, boxes TEXT NOT NULL)"
BUSY_SECONDS = 2.0


def page_key(image: np.ndarray, engine: str) -> str:
    """Hash of the engine's fingerprint and the page image (shape and pixels)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(engine.encode())
    h.update(repr(image.shape).encode())
    h.update(np.ascontiguousarray(image).data)
    return h.hexdigest()


class OcrCache:
    """``get`` / ``put`` the boxes of a page by its key. ``notes`` collects what went wrong (taken by
    :meth:`take_notes`, to be reported with the file being read)."""

    def __init__(self, path: Path, busy_seconds: float = BUSY_SECONDS) -> None:
        self.path = Path(path)
        self.busy_seconds = busy_seconds
        self.writable = True
        self._db: sqlite3.Connection | None = None
        self._notes: list[Note] = []
        self._said: set[str] = set()
        self._open()

    def _say(self, code: str, what: str) -> None:
        if code not in self._said:
            self._said.add(code)
            self._notes.append(Note(f"文字识别缓存 {self.path} {what}（{code}）", code))

    def take_notes(self) -> list[Note]:
        notes, self._notes = self._notes, []
        return notes

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(f"file:{self.path}", uri=True, timeout=self.busy_seconds)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                db.commit()
                db.execute("SELECT key FROM pages LIMIT 1").fetchone()
            except sqlite3.Error:
                db.close()
                raise
            self._db = db
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
                self._read_only(exc)
            else:
                self._move_aside(exc)
        except OSError as exc:
            self._say("ocr_cache_unusable", f"无法打开（{exc}）：本次不使用缓存")

    def _read_only(self, exc: sqlite3.Error) -> None:
        """Locked or not writable: read what is there, write nothing."""
        self.writable = False
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.busy_seconds)
            db.execute("SELECT key FROM pages LIMIT 1").fetchone()
            self._db = db
            self._say("ocr_cache_read_only", f"无法写入（{exc}）：只读取已有结果")
        except sqlite3.Error as err:
            self._say("ocr_cache_unusable", f"无法打开（{err}）：本次不使用缓存")

    def _move_aside(self, exc: BaseException) -> None:
        """A damaged file: kept for inspection under another name; a new cache is started."""
        self.close()
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            self.path.rename(aside)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    side.rename(aside.with_name(aside.name + suffix))
        except OSError as err:
            self._say("ocr_cache_unusable", f"已损坏（{exc}），且无法移开（{err}）：本次不使用缓存")
            return
        self._say("ocr_cache_corrupt", f"已损坏（{exc}）：已移到 {aside}，新建缓存")
        self._open()

    def get(self, key: str) -> list[OcrBox] | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT boxes FROM pages WHERE key=?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            self._say("ocr_cache_unusable", f"读取失败（{exc}）：该页重新识别")
            return None
        if row is None:
            return None
        try:
            return [
                OcrBox([(float(x), float(y)) for x, y in p], str(t), float(s))
                for p, t, s in json.loads(row[0])
            ]
        except (ValueError, TypeError):
            return None  # an entry that does not read back is recognised again and overwritten

    def put(self, key: str, boxes: list[OcrBox]) -> None:
        if self._db is None or not self.writable:
            return
        blob = json.dumps([[b.points, b.text, b.score] for b in boxes], ensure_ascii=False)
        try:
            self._db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?)", (key, blob))
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            try:
                self._db.rollback()
            except sqlite3.Error:
                pass
            self.writable = False
            self._say("ocr_cache_write_failed", f"写入失败（{exc}）：识别结果不再写入缓存")

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None
