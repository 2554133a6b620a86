"""Clause id ↔ row position inside one index implementation (its private business), with tombstones."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np


def unique_rows(*parts: np.ndarray) -> np.ndarray:
    """The rows of ``parts`` once each, ascending (int64). A sort and one pass over neighbours: numpy 2's
    ``np.unique`` took 8 ms for 60,000 rows where this takes 0.7, and a search at 10⁶ clauses merges
    that many several times."""
    rows = np.concatenate([np.asarray(p, np.int64) for p in parts]) if parts else np.zeros(0, np.int64)
    if len(rows) < 2:
        return rows
    rows.sort()
    keep = np.empty(len(rows), dtype=bool)
    keep[0] = True
    np.not_equal(rows[1:], rows[:-1], out=keep[1:])
    return rows[keep]


ROWS_FILE = "rows.json"  # the old form (and the form for ids a line cannot hold): {"ids": […], "docs": […]}
IDS_FILE = "rows.ids.txt"  # one id a line, an empty line for a removed row
DOCS_FILE = "rows.docs.json"  # the distinct document keys, in order of first row
DOC_CODES_FILE = "rows.doc.npy"  # each row's document as its place in DOCS_FILE (int32, -1: removed)


class RowIds(list):
    """Clause ids as an index found them, with their rows in its row map (``space``, see
    :attr:`RowMap.space`). Every other index whose row map has that space (a copy of the same map, read
    once for both) reads the rows instead of looking each id up: at 10⁶ clauses a search's ~30,000
    candidates cost ~15 ms a look-up. To everything else it is a list of ids; it cannot be changed in
    place (its rows would no longer say where its ids are)."""

    __slots__ = ("rows", "space")

    def __init__(self, ids: Iterable[str], rows: np.ndarray, space: object) -> None:
        super().__init__(ids)
        if len(self) != len(rows):
            raise ValueError(f"{len(self)} ids for {len(rows)} rows")
        rows.flags.writeable = False
        self.rows = rows
        self.space = space

    def take(self, mask: np.ndarray) -> RowIds:
        """The ids where ``mask`` (a bool array as long as this list) is true, with their rows."""
        picked = np.flatnonzero(mask)
        return RowIds(map(self.__getitem__, picked.tolist()), self.rows[picked], self.space)

    def __reduce__(self) -> tuple[type, tuple[list[str]]]:
        """A copy or a pickle is a plain list: rows mean nothing outside the process that read them."""
        return list, (list(self),)

    def _frozen(self, *args: object, **kwargs: object) -> None:
        raise TypeError("RowIds cannot be changed in place: make a list of it")

    append = extend = insert = remove = pop = clear = sort = reverse = _frozen  # type: ignore[assignment]
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _frozen  # type: ignore[assignment]


class RowSet(Sequence[str]):
    """Clause ids an index found, held as its rows until read: what a candidate pool merges (one list per
    retriever of every jurisdiction's best, ~10,000–20,000 at 10⁶ clauses) is merged as rows and its ids
    are never made. Read as ids, it reads them from its row map, which must not have changed since."""

    __slots__ = ("_map", "rows", "space")

    def __init__(self, rows: np.ndarray, owner: RowMap) -> None:
        rows.flags.writeable = False
        self.rows, self._map, self.space = rows, owner, owner.space

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):  # noqa: ANN001, ANN204 - an index or a slice, as a list takes
        return self._ids()[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids())

    def _ids(self) -> list[str]:
        if self._map.space is not self.space:
            raise RuntimeError("the row map changed after these rows were found")
        return list(map(self._map.ids.__getitem__, self.rows.tolist()))  # type: ignore[arg-type]


class SplitClauses:
    """A long clause is stored as parts "x", "x~2", "x~3" … (``corpus.places.clause_places``).

    ``group``: each row's clause as a number its parts share, by the id before "~" (-1: not split);
    ``indptr``/``members``: each clause's first part and its parts ~2, ~3 … up to the first one missing
    (CSR), the rows a candidate pool adds when it holds any of them; ``in_run``: the rows so listed. The
    same rules by id: ``search.scoring.best_of_parts`` and ``search.pool.CandidatePool.with_parts``."""

    def __init__(self, group: np.ndarray, indptr: np.ndarray, members: np.ndarray) -> None:
        self.group, self.indptr, self.members = group, indptr, members
        self.in_run = np.zeros(len(group), bool)
        self.in_run[members] = True

    @classmethod
    def of(cls, ids: Sequence[str | None], row_of: Mapping[str, int]) -> SplitClauses:
        group = np.full(len(ids), -1, np.int64)
        number: dict[str, int] = {}
        parts: list[dict[int, int]] = []  # per clause: part number → row
        for r, c in enumerate(ids):
            if c is not None and "~" in c:
                g = number.setdefault(c.partition("~")[0], len(number))
                if g == len(parts):
                    parts.append({})
                group[r] = g
                n = c.rsplit("~", 1)[1]
                if n.isdigit():
                    parts[g][int(n)] = r
        runs: list[list[int]] = []
        for key, g in number.items():
            first = row_of.get(key)
            if first is not None:
                group[first] = g
            run, k = [] if first is None else [first], 2
            while k in parts[g]:
                run.append(parts[g][k])
                k += 1
            runs.append(run)
        indptr = np.zeros(len(runs) + 1, np.int64)
        indptr[1:] = np.cumsum([len(r) for r in runs])
        members = np.fromiter((r for run in runs for r in run), np.int64, int(indptr[-1]))
        return cls(group, indptr, members)

    def parts_of(self, rows: np.ndarray) -> np.ndarray:
        """The rows of every clause whose first part or run of parts is among ``rows``: that first part
        and that run."""
        touched = unique_rows(self.group[rows[self.in_run[rows]]])
        if not len(touched):
            return np.zeros(0, np.int64)
        starts, lengths = self.indptr[touched], np.diff(self.indptr)[touched]
        at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        return self.members[at]


class RowMap:
    """Row i holds clause ``ids[i]`` of document ``docs[i]``; a removed row keeps its place as ``None``.

    ``space`` names the map's present rows: it is shared by an unchanged copy and replaced by every
    change, so two maps with the same ``space`` hold the same ids at the same rows (:class:`RowIds`)."""

    def __init__(self, ids: list[str | None] | None = None, docs: list[str | None] | None = None) -> None:
        self.ids: list[str | None] = ids or []
        self.docs: list[str | None] = docs or []
        self._row = dict(zip(self.ids, range(len(self.ids))))  # ~3× faster than a comprehension at 10⁶
        self._row.pop(None, None)  # type: ignore[call-overload]  # removed rows are no id
        self._doc_codes: dict[str, int] | None = None
        self._row_doc: np.ndarray | None = None
        self._live: np.ndarray | None = None
        self._last: tuple[Sequence[str], np.ndarray] | None = None  # rows(): the last list and its rows
        self.space = object()
        self._splits: SplitClauses | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self._row

    @property
    def live(self) -> int:
        return len(self._row)

    def _changed(self) -> None:
        self._doc_codes = self._row_doc = self._live = self._last = None
        self._splits = None
        self.space = object()

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
        """Rows of known ids; an unknown id raises KeyError. :class:`RowIds` of this map's space carry
        theirs; the last other list asked about is remembered (by identity): a search asks for its
        candidates' rows once per query term form and per feature."""
        if isinstance(ids, RowIds | RowSet) and ids.space is self.space:
            return ids.rows
        last = self._last
        if last is not None and last[0] is ids and len(ids) == len(last[1]):
            return last[1]
        rows = np.fromiter(map(self._row.__getitem__, ids), dtype=np.int64, count=len(ids))
        rows.flags.writeable = False
        if isinstance(ids, list) and len(ids) > 1000:
            self._last = (ids, rows)
        return rows

    def ids_at(self, rows: np.ndarray) -> RowIds:
        """The ids of the given (live) rows, in that order, carrying the rows."""
        rows = np.asarray(rows, dtype=np.int64)
        return RowIds(map(self.ids.__getitem__, rows.tolist()), rows, self.space)  # type: ignore[arg-type]

    def held(self, rows: np.ndarray) -> RowSet:
        """The given (live) rows as a :class:`RowSet`: ids for another index to merge, not to read."""
        return RowSet(np.asarray(rows, dtype=np.int64), self)

    def union(self, lists: Iterable[Sequence[str]]) -> RowIds:
        """Every id of ``lists`` once, in row order (one fixed order, whatever order they came in). Lists
        of this map's space are merged as rows; the ids of others are looked up (an unknown one raises
        KeyError)."""
        rows = [self.rows(got) for got in lists]
        return self.ids_at(unique_rows(*rows))

    def splits(self) -> SplitClauses:
        """The clauses split into parts, read from the ids once per change (~0.5 s at 10⁶ rows)."""
        if self._splits is None:
            self._splits = SplitClauses.of(self.ids, self._row)
        return self._splits

    def part_groups(self, ids: Sequence[str]) -> np.ndarray:
        """Each id's split clause as a number shared by its parts (-1: a clause not split)."""
        return self.splits().group[self.rows(ids)]

    def with_parts(self, ids: Sequence[str]) -> RowIds:
        """``ids`` and the other parts of the split clauses among them, each once, in row order."""
        rows = self.rows(ids)
        more = self.splits().parts_of(rows)
        return self.ids_at(unique_rows(rows, more))

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

    def copy(self) -> RowMap:
        """An independent copy (another index's rows when both hold the same clauses in the same order):
        ~0.1 s at 10⁶ rows, where reading the files again takes ~2.5 s."""
        out = RowMap()
        out.ids, out.docs, out._row = list(self.ids), list(self.docs), dict(self._row)
        out.space = self.space  # the same ids at the same rows, until either changes
        out._doc_codes, out._row_doc = self._doc_codes, self._row_doc  # replaced on a change, never edited
        return out

    @staticmethod
    def same_files(files: dict[str, dict], one: str, other: str) -> bool:
        """Whether a manifest's file list (relative path → size and checksum) gives the row maps saved
        under the folders ``one`` and ``other`` the same content."""
        names = (IDS_FILE, DOCS_FILE, DOC_CODES_FILE)
        return all(
            files.get(f"{one}/{n}") is not None and files.get(f"{one}/{n}") == files.get(f"{other}/{n}")
            for n in names
        )

    def compacted(self) -> tuple[RowMap, np.ndarray]:
        """A map without tombstones, and the old rows it keeps (in order)."""
        keep = np.flatnonzero(self.live_mask())
        return RowMap([self.ids[i] for i in keep], [self.docs[i] for i in keep]), keep

    def save(self, directory: Path) -> None:
        """Three files: the ids one a line, the distinct documents, each row's document as a number
        (at 10⁶ rows, read in ~0.5 s where the JSON form took ~2.5 s). Ids a line cannot hold (a line
        break, an empty id) are written in the JSON form instead."""
        if any(c is not None and (not c or "\n" in c or "\r" in c) for c in self.ids):
            for name in (IDS_FILE, DOCS_FILE, DOC_CODES_FILE):
                (directory / name).unlink(missing_ok=True)
            (directory / ROWS_FILE).write_text(
                json.dumps({"ids": self.ids, "docs": self.docs}, ensure_ascii=False), encoding="utf-8"
            )
            return
        codes: dict[str, int] = {}
        row_doc = np.fromiter(
            (-1 if d is None else codes.setdefault(d, len(codes)) for d in self.docs),
            dtype=np.int32,
            count=len(self.docs),
        )
        (directory / ROWS_FILE).unlink(missing_ok=True)
        (directory / IDS_FILE).write_text("\n".join(c or "" for c in self.ids), encoding="utf-8", newline="")
        (directory / DOCS_FILE).write_text(json.dumps(list(codes), ensure_ascii=False), encoding="utf-8")
        np.save(directory / DOC_CODES_FILE, row_doc, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> RowMap:
        """The saved map (either form). Raises ValueError (or OSError) when its files disagree."""
        if not (directory / IDS_FILE).exists() and (directory / ROWS_FILE).exists():
            data = json.loads((directory / ROWS_FILE).read_text(encoding="utf-8"))
            if len(data["ids"]) != len(data["docs"]):
                raise ValueError(f"{directory / ROWS_FILE}: ids and docs differ in length")
            return cls(data["ids"], data["docs"])
        text = (directory / IDS_FILE).read_text(encoding="utf-8")
        ids: list[str | None] = text.split("\n") if text else []
        if "" in ids:
            ids = [c or None for c in ids]
        keys = json.loads((directory / DOCS_FILE).read_text(encoding="utf-8"))
        row_doc = np.load(directory / DOC_CODES_FILE, allow_pickle=False)
        if row_doc.ndim != 1 or len(row_doc) != len(ids) or row_doc.dtype != np.int32:
            raise ValueError(
                f"{directory / DOC_CODES_FILE}: {row_doc.shape} {row_doc.dtype} for {len(ids)} ids"
            )
        if len(row_doc) and (row_doc.min() < -1 or row_doc.max() >= len(keys)):
            raise ValueError(f"{directory / DOC_CODES_FILE}: a document number outside {len(keys)} documents")
        if (len(row_doc) and row_doc.min() < 0) or None in ids:
            removed = np.fromiter((c is None for c in ids), dtype=bool, count=len(ids))
            if not np.array_equal(removed, row_doc < 0):
                raise ValueError(f"{directory}: removed rows differ between {IDS_FILE} and {DOC_CODES_FILE}")
        named: list[str | None] = [*keys, None]  # -1 reads the last: a removed row
        out = cls(ids, [named[d] for d in row_doc.tolist()])
        # the document numbers doc_mask would compute, already read
        out._doc_codes = {k: i for i, k in enumerate(keys)}
        out._row_doc = row_doc.astype(np.int64)
        return out
