"""Clause id ↔ row position inside one index implementation (its private business), with tombstones."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

ROWS_FILE = "rows.json"


class RowMap:
    """Row i holds clause ``ids[i]`` of document ``docs[i]``; a removed row keeps its place as ``None``."""

    def __init__(self, ids: list[str | None] | None = None, docs: list[str | None] | None = None) -> None:
        self.ids: list[str | None] = ids or []
        self.docs: list[str | None] = docs or []
        self._row = {c: i for i, c in enumerate(self.ids) if c is not None}
        self._doc_codes: dict[str, int] | None = None
        self._row_doc: np.ndarray | None = None
        self._live: np.ndarray | None = None
        self._last: tuple[Sequence[str], np.ndarray] | None = None  # rows(): the last list and its rows

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self._row

    @property
    def live(self) -> int:
        return len(self._row)

    def _changed(self) -> None:
        self._doc_codes = self._row_doc = self._live = self._last = None

    def add(self, ids: Sequence[str], docs: Sequence[str]) -> None:
        clash = [c for c in ids if c in self._row]
        if clash or len(set(ids)) != len(ids):
            raise ValueError(f"clause ids added twice: {sorted(set(clash) or set(ids))[:3]}")
        start = len(self.ids)
        self.ids.extend(ids)
        self.docs.extend(docs)
        self._row.update({c: start + i for i, c in enumerate(ids)})
        self._changed()

    def remove(self, ids: Iterable[str]) -> list[int]:
        rows = []
        for c in ids:
            r = self._row.pop(c, None)
            if r is not None:
                self.ids[r] = self.docs[r] = None
                rows.append(r)
        self._changed()
        return rows

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        """Rows of known ids; an unknown id raises KeyError. The last list asked about is remembered (by
        identity): a search asks for its candidates' rows once per query term form and per feature."""
        last = self._last
        if last is not None and last[0] is ids and len(ids) == len(last[1]):
            return last[1]
        rows = np.fromiter(map(self._row.__getitem__, ids), dtype=np.int64, count=len(ids))
        rows.flags.writeable = False
        if isinstance(ids, list) and len(ids) > 1000:
            self._last = (ids, rows)
        return rows

    def live_mask(self) -> np.ndarray:
        """True on rows that hold a clause (computed once per change: searches with tombstones ask each time)."""
        if self._live is None:
            self._live = np.array([c is not None for c in self.ids], dtype=bool)
        return self._live

    def doc_mask(self, keys: frozenset[str]) -> np.ndarray:
        """True on the live rows of the given documents."""
        if self._doc_codes is None or self._row_doc is None:
            codes: dict[str, int] = {}
            row_doc = np.empty(len(self.docs), dtype=np.int64)
            for i, d in enumerate(self.docs):
                row_doc[i] = -1 if d is None else codes.setdefault(d, len(codes))
            self._doc_codes, self._row_doc = codes, row_doc
        allowed = np.zeros(len(self._doc_codes) + 1, dtype=bool)  # the last slot: removed rows (-1)
        for k in keys:
            code = self._doc_codes.get(k)
            if code is not None:
                allowed[code] = True
        return allowed[self._row_doc]

    def compacted(self) -> tuple[RowMap, np.ndarray]:
        """A map without tombstones, and the old rows it keeps (in order)."""
        keep = np.flatnonzero(self.live_mask())
        return RowMap([self.ids[i] for i in keep], [self.docs[i] for i in keep]), keep

    def save(self, directory: Path) -> None:
        (directory / ROWS_FILE).write_text(
            json.dumps({"ids": self.ids, "docs": self.docs}, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> RowMap:
        data = json.loads((directory / ROWS_FILE).read_text(encoding="utf-8"))
        if len(data["ids"]) != len(data["docs"]):
            raise ValueError(f"{directory / ROWS_FILE}: ids and docs differ in length")
        return cls(data["ids"], data["docs"])
