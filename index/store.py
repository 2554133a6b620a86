"""The clause store: documents (key, content hash, metadata, text) and clauses (by id) in SQLite.

A generation's store is written once: a full build writes it fresh, an incremental one copies the
previous generation's file and deletes/inserts only the documents that changed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from corpus.models import Clause, Document, DocumentMetadata
from index.copies import Copy, Signature, signature_from_row
from index.repeals import read_repealed_by

STORE_FILE = "clauses.sqlite"

_SCHEMA = """
CREATE TABLE documents (
  key TEXT PRIMARY KEY, content_hash TEXT NOT NULL, source TEXT, metadata TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE clauses (
  id TEXT PRIMARY KEY, doc_key TEXT NOT NULL, ordinal INTEGER NOT NULL,
  heading_path TEXT NOT NULL, text TEXT NOT NULL, start INTEGER, end_ INTEGER, kind TEXT,
  part INTEGER, part_count INTEGER, responsible_units TEXT, lead_unit TEXT
);
CREATE INDEX clauses_doc ON clauses(doc_key, ordinal);
"""
# near-duplicate documents (index.copies): the body signature of each indexed document, and the documents
# recorded as copies of one (not indexed; their content hash decides whether a reindex looks at them again)
_COPIES_SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (
  key TEXT PRIMARY KEY, doc_number TEXT, date TEXT, jurisdiction TEXT, title TEXT, minhash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS copies (
  key TEXT PRIMARY KEY, of_key TEXT NOT NULL, reason TEXT, similarity REAL, content_hash TEXT NOT NULL
);
"""


class StoreError(RuntimeError):
    """The clause store cannot be read (damaged file)."""


def _insert(db: sqlite3.Connection, documents: Iterable[Document]) -> None:
    for doc in documents:
        db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?)",
            (
                doc.id,
                doc.content_hash,
                doc.source,
                json.dumps(doc.metadata.to_dict(), ensure_ascii=False),
                doc.text,
            ),
        )
        db.executemany(
            "INSERT INTO clauses VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    c.id,
                    doc.id,
                    c.ordinal,
                    json.dumps(c.heading_path, ensure_ascii=False),
                    c.text,
                    c.start,
                    c.end,
                    c.kind,
                    c.part,
                    c.part_count,
                    json.dumps(c.responsible_units, ensure_ascii=False),
                    c.lead_unit,
                )
                for c in doc.clauses
            ],
        )


def write_store(
    path: Path,
    documents: Sequence[Document],
    base: Path | None = None,
    remove: Iterable[str] = (),
    signatures: Sequence[Signature] = (),
    copies: Sequence[Copy] = (),
) -> list[str]:
    """Write the store at ``path``: a copy of ``base`` less the ``remove``d documents (and copies), plus
    ``documents``, the body ``signatures`` (of the new documents and of the new copies) and the new
    ``copies``.

    Returns the ids of the clauses that were removed.
    """
    if base is not None:
        shutil.copyfile(base, path)
    db = sqlite3.connect(str(path))
    try:
        if base is None:
            db.executescript(_SCHEMA)
        db.executescript(_COPIES_SCHEMA)
        gone: list[str] = []
        keys = list(remove)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            gone += [r[0] for r in db.execute(f"SELECT id FROM clauses WHERE doc_key IN ({marks})", chunk)]
            db.execute(f"DELETE FROM clauses WHERE doc_key IN ({marks})", chunk)
            db.execute(f"DELETE FROM documents WHERE key IN ({marks})", chunk)
            db.execute(f"DELETE FROM signatures WHERE key IN ({marks})", chunk)
            db.execute(f"DELETE FROM copies WHERE key IN ({marks})", chunk)
        _insert(db, documents)
        db.executemany("INSERT INTO signatures VALUES (?,?,?,?,?,?)", [s.to_row() for s in signatures])
        db.executemany(
            "INSERT INTO copies VALUES (?,?,?,?,?)",
            [(c.key, c.of, c.reason, c.similarity, c.content_hash) for c in copies],
        )
        db.commit()
        return gone
    finally:
        db.close()


def document_hashes(path: Path) -> dict[str, str]:
    """``{document key: content hash}`` of a store: what an incremental reindex compares against."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT key, content_hash FROM documents"))
    finally:
        db.close()


def _has_copies(db: sqlite3.Connection) -> bool:
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='copies'").fetchone())


def copy_records(path: Path) -> dict[str, Copy]:
    """``{key: Copy}``: the documents a generation recorded as copies of an indexed one."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if not _has_copies(db):
            return {}
        return {
            r[0]: Copy(r[0], r[1], r[2], r[3], r[4])
            for r in db.execute("SELECT key, of_key, reason, similarity, content_hash FROM copies")
        }
    finally:
        db.close()


def stored_signatures(
    path: Path, leave_out: Iterable[str] = ()
) -> tuple[list[Signature], dict[str, Signature]]:
    """The body signatures of a generation's indexed documents (less ``leave_out``), and those of the
    documents it recorded as copies, by key."""
    gone = set(leave_out)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if not _has_copies(db):
            return [], {}
        copies = {r[0] for r in db.execute("SELECT key FROM copies")}
        rows = db.execute("SELECT key, doc_number, date, jurisdiction, title, minhash FROM signatures")
        indexed: list[Signature] = []
        of_copies: dict[str, Signature] = {}
        for r in rows:
            if r[0] in copies:
                of_copies[r[0]] = signature_from_row(*r)
            elif r[0] not in gone:
                indexed.append(signature_from_row(*r))
        return indexed, of_copies
    finally:
        db.close()


def document_count(path: Path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM documents").fetchone()[0])
    finally:
        db.close()


def read_documents(path: Path, keys: Sequence[str]) -> list[Document]:
    """The documents ``keys`` of a store, with their clauses, as they were indexed (a full build carries
    over the documents whose source could not be read)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    known = set(DocumentMetadata.__dataclass_fields__)
    out = []
    try:
        for key in keys:
            r = db.execute("SELECT * FROM documents WHERE key=?", (key,)).fetchone()
            if r is None:
                continue
            meta = {k: v for k, v in json.loads(r["metadata"]).items() if k in known}
            clauses = db.execute("SELECT * FROM clauses WHERE doc_key=? ORDER BY ordinal", (key,))
            out.append(
                Document(
                    id=r["key"],
                    source=r["source"],
                    text=r["text"],
                    metadata=DocumentMetadata(**meta),
                    clauses=[_clause(c) for c in clauses],
                    content_hash=r["content_hash"],
                )
            )
    finally:
        db.close()
    return out


def _clause(r: sqlite3.Row) -> Clause:
    return Clause(
        id=r["id"],
        doc_id=r["doc_key"],
        ordinal=r["ordinal"],
        heading_path=json.loads(r["heading_path"]),
        text=r["text"],
        start=r["start"],
        end=r["end_"],
        kind=r["kind"],
        part=r["part"],
        part_count=r["part_count"],
        responsible_units=json.loads(r["responsible_units"] or "[]"),
        lead_unit=r["lead_unit"],
    )


class ClauseStore:
    """Read side, opened once per generation; safe to read from several threads.

    Holds the document table and which document each clause belongs to in memory (filters and
    de-duplication need them per query); clause texts are read from SQLite on demand.
    """

    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._lock = threading.Lock()  # one connection shared by the server's worker threads
            self.doc_ids: list[str] = []
            self.doc_meta: list[dict[str, Any]] = []
            self.doc_sources: list[str] = []
            for r in self._db.execute("SELECT key, source, metadata FROM documents ORDER BY key"):
                self.doc_ids.append(r["key"])
                self.doc_sources.append(r["source"])
                self.doc_meta.append(json.loads(r["metadata"]))
            self._doc_index = {d: i for i, d in enumerate(self.doc_ids)}
            for key, link in read_repealed_by(self._db).items():  # issue 30: resolved at index time
                if key in self._doc_index:
                    self.doc_meta[self._doc_index[key]]["repealed_by"] = link
            plain = self._db.cursor()
            plain.row_factory = None  # tuples: at 10⁶ clauses, sqlite3.Row cost ~0.5 s of the open
            doc_of = self._doc_index
            self.clause_doc: dict[str, int] = {
                cid: doc_of[key] for cid, key in plain.execute("SELECT id, doc_key FROM clauses")
            }
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: {exc}") from exc

    def __len__(self) -> int:
        return len(self.clause_doc)

    def close(self) -> None:
        self._db.close()

    def doc_index(self, doc_id: str) -> int | None:
        return self._doc_index.get(doc_id)

    def _all(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the clause store cannot be read: {exc}") from exc

    def clauses(self, ids: Sequence[str]) -> list[Clause]:
        found: dict[str, Clause] = {}
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for r in self._all(f"SELECT * FROM clauses WHERE id IN ({marks})", chunk):
                found[r["id"]] = _clause(r)
        return [found[c] for c in ids]

    def clause(self, clause_id: str) -> Clause | None:
        rows = self._all("SELECT * FROM clauses WHERE id=?", (clause_id,))
        return _clause(rows[0]) if rows else None

    def neighbour(self, c: Clause, step: int) -> Clause | None:
        """The clause ``step`` places before (−1) or after (+1) ``c`` in its document."""
        rows = self._all("SELECT * FROM clauses WHERE doc_key=? AND ordinal=?", (c.doc_id, c.ordinal + step))
        return _clause(rows[0]) if rows else None

    def document_text(self, doc_idx: int) -> str:
        return self._all("SELECT text FROM documents WHERE key=?", (self.doc_ids[doc_idx],))[0][0]

    def document_clauses(self, doc_idx: int, offset: int = 0, limit: int = -1) -> list[Clause]:
        """The document's clauses in order; ``offset``/``limit`` page them (-1: no limit)."""
        rows = self._all(
            "SELECT * FROM clauses WHERE doc_key=? ORDER BY ordinal LIMIT ? OFFSET ?",
            (self.doc_ids[doc_idx], limit, offset),
        )
        return [_clause(r) for r in rows]

    def clause_count(self, doc_idx: int) -> int:
        return int(self._all("SELECT COUNT(*) FROM clauses WHERE doc_key=?", (self.doc_ids[doc_idx],))[0][0])

    def text_length(self, doc_idx: int) -> int:
        return int(
            self._all("SELECT length(text) FROM documents WHERE key=?", (self.doc_ids[doc_idx],))[0][0]
        )

    def text_slice(self, doc_idx: int, start: int, end: int) -> str:
        """Characters ``start`` … ``end`` of the document's text, read without loading all of it."""
        rows = self._all(
            "SELECT substr(text, ?, ?) FROM documents WHERE key=?",
            (start + 1, max(0, end - start), self.doc_ids[doc_idx]),
        )
        return rows[0][0] or ""
