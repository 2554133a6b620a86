"""Near-duplicate documents at reindex: one notice saved twice (clean, and scraped with the page's menus) is
indexed once; the others are recorded as copies of it.

Two documents are copies when they carry the same 文号, or when the MinHash estimate of the Jaccard similarity
of their bodies (character 5-grams of the text without spaces and punctuation, 128 permutations, datasketch)
is at least ``THRESHOLD``, unless their dates, jurisdictions or titles differ. The threshold is measured by
``scripts/measure_copies.py`` (numbers in BENCHMARKS.md): a notice and a harshly scraped copy of it score
0.68–0.99 (median 0.79), distinct documents written from one template (the five seed implementation
opinions) at most 0.27, and LawRefBook's local regulations have no distinct pair over it once dates,
jurisdictions and titles are compared.

The document kept is the one already indexed, else the one with more metadata found (title, issuer, 文号,
date), else the shorter text (fewer page leftovers), else the first key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash
from datasketch import MinHash

from corpus.models import Document
from corpus.normalize import squash

THRESHOLD = 0.7
NUM_PERM = 128
SHINGLE = 5
_NOT_TEXT = re.compile(r"[\W_]+")


@dataclass
class Copy:
    key: str  # the document not indexed
    of: str  # the document indexed in its place
    reason: str  # "文号" | "minhash"
    similarity: float  # estimated Jaccard similarity of the bodies (1.0 for a shared 文号 alone)
    content_hash: str = ""  # of the copy as loaded: an unchanged copy is not processed again

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "of": self.of,
            "reason": self.reason,
            "similarity": round(self.similarity, 3),
        }


@dataclass
class Signature:
    key: str
    doc_number: str  # "" when none
    date: str  # "" when none
    jurisdiction: str  # "" when none
    title: str  # "" when none
    hashes: np.ndarray  # uint64, NUM_PERM
    quality: tuple  # higher is kept

    def to_row(self) -> tuple[str, str, str, str, str, bytes]:
        return (self.key, self.doc_number, self.date, self.jurisdiction, self.title, self.hashes.tobytes())


def body_of(doc: Document) -> str:
    """What two copies share: the cleaned text (the cleaner already dropped the page's edges). Measured
    against the clause text alone, which a scraped page's run-together lines chunk differently (see
    scripts/measure_copies.py)."""
    return doc.text


def _shingles(text: str) -> list[bytes]:
    t = _NOT_TEXT.sub("", squash(text))
    if len(t) < SHINGLE:
        return [t.encode()]
    return [t[i : i + SHINGLE].encode() for i in range(len(t) - SHINGLE + 1)]


def signatures(docs: Sequence[Document]) -> list[Signature]:
    if not docs:
        return []
    hashes = MinHash.bulk(
        [_shingles(body_of(d)) for d in docs], num_perm=NUM_PERM, hashfunc=xxhash.xxh32_intdigest, seed=7
    )
    out = []
    for d, h in zip(docs, hashes):
        md = d.metadata
        found = sum(bool(x) for x in (md.title, md.issuer, md.doc_number, md.date))
        out.append(
            Signature(
                d.id,
                md.doc_number or "",
                md.date or "",
                md.jurisdiction or "",
                md.title or "",
                np.asarray(h.hashvalues, np.uint64),
                (found, -len(d.text)),
            )
        )
    return out


def signature_from_row(
    key: str, doc_number: str, date: str, jurisdiction: str, title: str, blob: bytes
) -> Signature:
    return Signature(
        key,
        doc_number or "",
        date or "",
        jurisdiction or "",
        title or "",
        np.frombuffer(blob, np.uint64).copy(),
        (99,),
    )


def _apart(a: Signature, b: Signature) -> bool:
    """Known to be different documents whatever their wording: another date (a notice re-issued), another
    jurisdiction (one template adopted by two cities) or another title (a law's versions: 区县 → 区). A copy
    that loses its title to a scraper is then indexed twice, which loses nothing; the reverse would."""
    return any(
        x and y and x != y
        for x, y in ((a.date, b.date), (a.jurisdiction, b.jurisdiction), (a.title, b.title))
    )


def similarity(a: Signature, b: Signature) -> float:
    return float(np.mean(a.hashes == b.hashes))


BANDS, ROWS = (
    32,
    4,
)  # candidates share a band: probability 1 − (1 − J⁴)³² (0.9998 at J = 0.7, 0.03 at J = 0.3)


def _bands(s: Signature) -> list[bytes]:
    return [bytes([b]) + s.hashes[b * ROWS : (b + 1) * ROWS].tobytes() for b in range(BANDS)]


def find_copies(
    new: Sequence[Signature], kept: Iterable[Signature], threshold: float = THRESHOLD
) -> list[Copy]:
    """Which of the ``new`` documents are copies, and of what: of a ``kept`` (already indexed) document, or of
    another new one that wins by quality. Each copy points at an indexed document, never at another copy.
    Candidates come from LSH bands of the signatures, so a large corpus is not compared pair by pair."""
    by_number: dict[str, Signature] = {}
    buckets: dict[bytes, list[Signature]] = {}

    def admit(s: Signature) -> None:
        if s.doc_number:
            by_number.setdefault(s.doc_number, s)
        for band in _bands(s):
            buckets.setdefault(band, []).append(s)

    for s in kept:
        admit(s)
    out: list[Copy] = []
    # the new documents, best first: the best of a group is indexed, the rest are its copies
    for s in sorted(new, key=lambda s: (tuple(-x for x in s.quality), s.key)):
        match: tuple[Signature, str, float] | None = None
        if s.doc_number and s.doc_number in by_number:
            other = by_number[s.doc_number]
            match = (other, "文号", similarity(s, other))
        else:
            seen: set[str] = set()
            for band in _bands(s):
                for other in buckets.get(band, ()):
                    if other.key in seen:
                        continue
                    seen.add(other.key)
                    if _apart(s, other):
                        continue
                    sim = similarity(s, other)
                    if sim >= threshold and (match is None or sim > match[2]):
                        match = (other, "minhash", sim)
        if match:
            out.append(Copy(s.key, match[0].key, match[1], match[2]))
        else:
            admit(s)
    return sorted(out, key=lambda c: c.key)


def still_a_copy(copy: Signature, original: Signature, threshold: float = THRESHOLD) -> Copy | None:
    """Whether a recorded copy is still one after its original changed (judged on the stored signatures,
    without reading the copy again)."""
    sim = similarity(copy, original)
    if copy.doc_number and copy.doc_number == original.doc_number:
        return Copy(copy.key, original.key, "文号", sim)
    if not _apart(copy, original) and sim >= threshold:
        return Copy(copy.key, original.key, "minhash", sim)
    return None
