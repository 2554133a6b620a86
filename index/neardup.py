"""Near-identical wording across documents, sentence by sentence, keyed by clause id: MinHash (datasketch)
computed at reindex time and stored as LSH band keys, so that finding the sentences worded like a given
one costs a few array look-ups at query time.

Local documents copy the State Council's text and change a word or a number, one sentence at a time:
吉林's and 辽宁's clauses on 人力资源 differ, but both contain "医师个人以合同（协议）为依据，可在多个机构
执业". So the unit is the sentence (split at 。；！？), and two sentences are candidates when one of
``BANDS`` bands of their 3-gram MinHash signatures is equal: probability 1 − (1 − J⁴)¹⁶ for Jaccard
similarity J, 0.99 at J = 0.6, 0.64 at J = 0.4, 0.02 at J = 0.2. Candidates are confirmed on their text
by the caller. Band keys are stored (not pairs), so ``add`` and ``remove`` by clause id are as cheap as
for the other two indexes; the sorted band table is built once per open.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import xxhash
from datasketch import MinHash

from corpus.normalize import squash
from index.protocols import DocFilter
from index.rowmap import RowMap

NUM_PERM = 64
BANDS, BAND_ROWS = 16, 4
MIN_SENTENCE_CHARS = 8  # "（一）总体要求。" says nothing worth grouping
MAX_BUCKET = 256  # boilerplate ("本条例自公布之日起施行") fills huge buckets: read at most this much of one
KEYS_FILE = "bands.npy"
_NOT_TEXT = re.compile(r"[\W_]+")
_HEADING = re.compile(
    r"^[（(][一二三四五六七八九十百零〇\d]+[)）]|^[一二三四五六七八九十百]+、|^第[一二三四五六七八九十百零〇\d]+[章节条]"
)
_SENTENCE_END = re.compile(r"(?<=[。；！？;!?\n])")
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], np.uint64)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` long enough to compare; ends include the 。 or ；."""
    out, pos = [], 0
    for part in _SENTENCE_END.split(text):
        end = pos + len(part)
        core = part.strip()
        heading = bool(_HEADING.match(core)) and len(core) <= 24  # "（十三）加强人力资源保障。": a title
        if len(_NOT_TEXT.sub("", core)) >= MIN_SENTENCE_CHARS and not heading:
            lead = len(part) - len(part.lstrip())
            out.append((pos + lead, pos + lead + len(core)))
        pos = end
    return out


def comparable(text: str) -> str:
    """The form sentences are compared in: NFKC, no whitespace, no punctuation."""
    return _NOT_TEXT.sub("", squash(text))


def shingles(text: str) -> list[bytes]:
    """Character 3-grams of the comparable form ("（一）到2020年" → "一到2", "到20" …)."""
    t = comparable(text)
    if len(t) < 3:
        return [t.encode()]
    return [t[i : i + 3].encode() for i in range(len(t) - 2)]


def band_keys(texts: Sequence[str]) -> np.ndarray:
    """One uint64 per (text, band): the band's four MinHash values mixed with the band number."""
    if not texts:
        return np.zeros((0, BANDS), np.uint64)
    hashes = MinHash.bulk(
        [shingles(t) for t in texts], num_perm=NUM_PERM, hashfunc=xxhash.xxh32_intdigest, seed=1
    )
    s = np.vstack([m.hashvalues for m in hashes]).astype(np.uint64).reshape(len(texts), BANDS, BAND_ROWS)
    with np.errstate(over="ignore"):
        keys = (s * _MIX).sum(axis=2, dtype=np.uint64)
        return keys ^ (np.arange(BANDS, dtype=np.uint64) * np.uint64(0xFF51AFD7ED558CCD))


def sentence_id(clause_id: str, start: int, end: int) -> str:
    """``000_…txt:五/(十二)~2@41-69``: the clause and the sentence's character span in it."""
    return f"{clause_id}@{start}-{end}"


def split_sentence_id(sid: str) -> tuple[str, int, int]:
    clause_id, span = sid.rsplit("@", 1)
    start, end = span.split("-")
    return clause_id, int(start), int(end)


class WordingIndex:
    """Rows are sentences (id: :func:`sentence_id`), grouped by clause for ``remove``."""

    kind = "minhash-lsh"

    def __init__(self, keys: np.ndarray, rows: RowMap, clauses: int) -> None:
        if len(keys) != len(rows):
            raise ValueError(f"{len(keys)} band-key rows but {len(rows)} row ids")
        self._keys = keys
        self._rows = rows
        self._clauses = clauses  # how many clauses were added (some have no sentence worth comparing)
        self._table: tuple[np.ndarray, np.ndarray] | None = None
        self._by_clause: dict[str, list[str]] | None = None

    @classmethod
    def create(cls) -> WordingIndex:
        return cls(np.zeros((0, BANDS), np.uint64), RowMap(), 0)

    @property
    def size(self) -> int:
        """Clauses indexed (the same count as the other indexes)."""
        return self._clauses

    def _sentences_of(self) -> dict[str, list[str]]:
        if self._by_clause is None:
            by: dict[str, list[str]] = {}
            for sid in self._rows.ids:
                if sid is not None:
                    by.setdefault(split_sentence_id(sid)[0], []).append(sid)
            self._by_clause = by
        return self._by_clause

    def add(
        self,
        ids: Sequence[str],
        docs: Sequence[str],
        texts: Sequence[str],
        seen: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Each clause's sentences; a sentence text met before (in this call, or in ``seen``, which a
        build carries across its batches) reuses its band keys instead of another MinHash."""
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        sids, sdocs, stexts = [], [], []
        for cid, doc, text in zip(ids, docs, texts):
            for a, b in sentences(text):
                sids.append(sentence_id(cid, a, b))
                sdocs.append(doc)
                stexts.append(text[a:b])
        seen = {} if seen is None else seen
        new = list(dict.fromkeys(t for t in stexts if t not in seen))
        seen.update(zip(new, band_keys(new)))
        keys = np.vstack([seen[t] for t in stexts]) if stexts else np.zeros((0, BANDS), np.uint64)
        self._rows.add(sids, sdocs)
        self._keys = np.vstack([self._keys, keys])
        self._clauses += len(ids)
        self._table = self._by_clause = None

    def remove(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        if not ids:  # an add removes nothing: the sentence map of 2 million rows is not worth building
            return 0
        by = self._sentences_of()
        gone = [c for c in ids if c in by]
        unknown = [c for c in ids if c not in by]
        removed = self._rows.remove([sid for c in gone for sid in by[c]])
        if removed:
            rows, keep = self._rows.compacted()
            self._keys, self._rows = self._keys[keep], rows
        # a clause without comparable sentences has no row; it is still counted in ``size``
        self._clauses -= len(gone) + len(unknown)
        self._table = self._by_clause = None
        return len(gone) + len(unknown)

    def _lookup(self) -> tuple[np.ndarray, np.ndarray]:
        if self._table is None:
            keys = self._keys.ravel()
            order = np.argsort(keys, kind="stable")
            self._table = (keys[order], (order // BANDS).astype(np.int64))
        return self._table

    def candidates(
        self, clause_ids: Sequence[str], where: DocFilter | None = None, among_themselves: bool = False
    ) -> dict[str, list[str]]:
        """For each sentence of the given clauses, the sentences of other documents (in ``where``; with
        ``among_themselves``, of the given clauses only) that share a band with it: candidates for the same
        wording, to be confirmed on their text."""
        keys, rows_of = self._lookup()
        by = self._sentences_of()
        allowed = None if where is None else where.mask_for(self, self._rows.doc_mask)
        out: dict[str, list[str]] = {}
        mine = [sid for c in clause_ids for sid in by.get(c, [])]
        if not mine:
            return out
        rows = self._rows.rows(mine)
        if among_themselves:
            inside = np.zeros(len(self._rows), dtype=bool)
            inside[rows] = True
            allowed = inside if allowed is None else allowed & inside
        bands_all = self._keys[rows]
        los = np.searchsorted(keys, bands_all.ravel(), "left").reshape(bands_all.shape)
        his = np.minimum(
            np.searchsorted(keys, bands_all.ravel(), "right").reshape(bands_all.shape), los + MAX_BUCKET
        )
        for sid, row, lo, hi in zip(mine, rows, los, his):
            if not (hi - lo > 1).any():  # every bucket holds this sentence alone
                out[sid] = []
                continue
            cand = np.unique(np.concatenate([rows_of[a:b] for a, b in zip(lo, hi)]))
            doc = self._rows.docs[row]
            out[sid] = [
                self._rows.ids[r]  # type: ignore[misc]
                for r in cand
                if self._rows.docs[r] != doc and (allowed is None or allowed[r])
            ]
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / KEYS_FILE, self._keys, allow_pickle=False)
        self._rows.save(directory)
        (directory / "count.json").write_text(json.dumps({"clauses": self._clauses}), encoding="utf-8")

    @classmethod
    def open(cls, directory: Path) -> WordingIndex:
        keys = np.load(directory / KEYS_FILE, allow_pickle=False)
        if keys.ndim != 2 or keys.shape[1] != BANDS or keys.dtype != np.uint64:
            raise ValueError(f"{directory / KEYS_FILE}: {keys.shape} {keys.dtype}, not (n, {BANDS}) uint64")
        count = json.loads((directory / "count.json").read_text(encoding="utf-8"))["clauses"]
        return cls(keys, RowMap.load(directory), int(count))
