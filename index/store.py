"""The clause store: documents and clauses in SQLite (row i of the vector and BM25 indexes = clause row i)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from corpus.models import Clause, Document

_SCHEMA = """
CREATE TABLE documents (
  idx INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT, metadata TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE clauses (
  row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, doc_idx INTEGER NOT NULL, ordinal INTEGER NOT NULL,
  heading_path TEXT NOT NULL, text TEXT NOT NULL, start INTEGER, end_ INTEGER, kind TEXT,
  part INTEGER, part_count INTEGER, responsible_units TEXT, lead_unit TEXT
);
CREATE INDEX clauses_doc ON clauses(doc_idx, ordinal);
"""


def write_store(path: Path, documents: Iterable[Document]) -> int:
    db = sqlite3.connect(str(path))
    try:
        db.executescript(_SCHEMA)
        row = 0
        for d_idx, doc in enumerate(documents):
            db.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?)",
                (d_idx, doc.id, doc.source, json.dumps(doc.metadata.to_dict(), ensure_ascii=False), doc.text),
            )
            db.executemany(
                "INSERT INTO clauses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        row + i,
                        c.id,
                        d_idx,
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
                    for i, c in enumerate(doc.clauses)
                ],
            )
            row += len(doc.clauses)
        db.commit()
        return row
    finally:
        db.close()


def _clause(r: sqlite3.Row, doc_id: str) -> Clause:
    return Clause(
        id=r["id"],
        doc_id=doc_id,
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
    """Read side, opened once per process; safe to read from several threads."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()  # one connection shared by the server's worker threads
        self.doc_ids: list[str] = []
        self.doc_meta: list[dict[str, Any]] = []
        self.doc_sources: list[str] = []
        for r in self._db.execute("SELECT idx, id, source, metadata FROM documents ORDER BY idx"):
            self.doc_ids.append(r["id"])
            self.doc_sources.append(r["source"])
            self.doc_meta.append(json.loads(r["metadata"]))
        self._doc_index = {d: i for i, d in enumerate(self.doc_ids)}
        self.clause_doc = [r[0] for r in self._db.execute("SELECT doc_idx FROM clauses ORDER BY row")]

    def __len__(self) -> int:
        return len(self.clause_doc)

    def close(self) -> None:
        self._db.close()

    def doc_index(self, doc_id: str) -> int | None:
        return self._doc_index.get(doc_id)

    def _all(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def clause(self, row: int) -> Clause:
        r = self._all("SELECT * FROM clauses WHERE row=?", (row,))[0]
        return _clause(r, self.doc_ids[r["doc_idx"]])

    def clauses(self, rows: list[int]) -> list[Clause]:
        found: dict[int, Clause] = {}
        for start in range(0, len(rows), 500):  # stay under SQLite's bound-parameter limit
            chunk = rows[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._all(f"SELECT * FROM clauses WHERE row IN ({marks})", chunk):
                found[r["row"]] = _clause(r, self.doc_ids[r["doc_idx"]])
        return [found[r] for r in rows]

    def row_of(self, clause_id: str) -> int | None:
        found = self._all("SELECT row FROM clauses WHERE id=?", (clause_id,))
        return int(found[0][0]) if found else None

    def document_text(self, doc_idx: int) -> str:
        return self._all("SELECT text FROM documents WHERE idx=?", (doc_idx,))[0][0]

    def document_rows(self, doc_idx: int) -> list[int]:
        return [
            r[0] for r in self._all("SELECT row FROM clauses WHERE doc_idx=? ORDER BY ordinal", (doc_idx,))
        ]
