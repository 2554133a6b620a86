"""A corpus of any size from real documents, for scale benchmarks (``scripts/benchmark_million.py``).

Real clause texts with their metadata: the 3,316 laws and regulations of LawRefBook and the 1,000 policy
documents of policy-dev, chunked by the project's own pipeline. Past their ~180 k clauses, each document
is replicated with variations, so that BM25's statistics stay those of a real collection (its lengths,
term frequencies and document frequencies, its vocabulary growing with new names):

- a local document moves to a sibling division of the same province (a city to another city of it, a
  county to another county of its city, a province to another province), its place names rewritten in
  title, issuer, text and clauses (杭州市 → 宁波市, 杭州 → 宁波), so jurisdictions multiply as in a national
  library and filters keep selecting real shares;
- years in the text, the date and the 文号 move by the replica's number (2017 → 2019, 〔2017〕 → 〔2019〕),
  so a replica is a later version, never a near-duplicate (copies are only judged within one date);
- national documents stay 全国, as later versions.

Vectors are not embedded (two hours per 150 k clauses here): a few thousand real passages are embedded
once with the default engine, and each clause gets a stand-in made from them (:class:`StandInVectors`).
Benchmark only: ranking quality on such an index means nothing.
"""

from __future__ import annotations

import copy
import dataclasses
import gzip
import hashlib
import json
import pickle
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from corpus.gazetteer import Gazetteer, Place
from corpus.loader import load
from corpus.models import Document, SkippedFile
from corpus.pipeline import CorpusPipeline

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LAWREFBOOK = SHARED / "corpora" / "lawrefbook.jsonl.gz"
POLICY_DEV = SHARED / "corpora" / "policy-dev.jsonl.gz"
_TAG = re.compile(r"^【[^】]*】")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?=年|〕|\])")


def base_documents(work: Path) -> list[Document]:
    """LawRefBook and policy-dev as the pipeline makes them (cached in ``work/base.pkl``)."""
    cached = work / "base.pkl"
    if cached.exists():
        with cached.open("rb") as f:
            docs = pickle.load(f)
        for d in docs:  # pickled by an older version: the fields added since take their defaults
            for obj in (d, d.metadata, *d.clauses):
                _default_missing_fields(obj)
        return docs
    work.mkdir(parents=True, exist_ok=True)
    policy = work / "policy-dev.jsonl"  # the compiler's 【place】 tag is not part of a title
    with gzip.open(POLICY_DEV, "rt", encoding="utf-8") as src, policy.open("w", encoding="utf-8") as out:
        for line in src:
            rec = json.loads(line)
            rec["title"] = _TAG.sub("", rec.get("title") or "").strip("《》 ")
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    pipeline = CorpusPipeline()
    docs = [
        d
        for d in (
            pipeline.process_or_report(r)
            for r in load([LAWREFBOOK, policy])
            if not isinstance(r, SkippedFile)
        )
        if isinstance(d, Document) and d.clauses
    ]
    with cached.open("wb") as f:
        pickle.dump(docs, f, protocol=pickle.HIGHEST_PROTOCOL)
    return docs


def _default_missing_fields(obj: object) -> None:
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        if f.name not in obj.__dict__:
            if f.default_factory is not dataclasses.MISSING:
                obj.__dict__[f.name] = f.default_factory()
            elif f.default is not dataclasses.MISSING:
                obj.__dict__[f.name] = f.default


class Relocator:
    """Moves a document to a sibling division and rewrites its place names."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.g = gazetteer or Gazetteer.bundled()
        self.siblings: dict[tuple[str, str, str], list[Place]] = {}
        for p in self.g.places:
            parent = "" if p.level == "province" else p.province
            self.siblings.setdefault(
                (p.level, parent, p.prefecture if p.level == "county" else ""), []
            ).append(p)

    def place_of(self, jurisdiction: str | None) -> Place | None:
        if not jurisdiction or jurisdiction == "全国":
            return None
        parts = jurisdiction.split("/")
        county = parts[2] if len(parts) > 2 else ""
        prefecture = parts[1] if len(parts) > 1 else ""
        if len(parts) == 2 and parts[0] in ("北京市", "天津市", "上海市", "重庆市"):
            county, prefecture = parts[1], ""
        return self.g._chain(parts[0], prefecture, county)

    def sibling(self, place: Place, r: int) -> Place:
        parent = "" if place.level == "province" else place.province
        pool = self.siblings.get(
            (place.level, parent, place.prefecture if place.level == "county" else ""), []
        )
        pool = [p for p in pool if p.name != place.name] or [place]
        return pool[(int(hashlib.md5(place.name.encode()).hexdigest(), 16) + r) % len(pool)]


def _shift_years(text: str, r: int) -> str:
    return _YEAR.sub(lambda m: str(min(int(m.group(1)) + r, 2099)), text)


def replica(doc: Document, r: int, relocator: Relocator) -> Document:
    """Replica ``r`` (≥ 1) of ``doc``: a new key, a sibling jurisdiction, years moved by ``r``."""
    key = f"{doc.id}#r{r}"
    md = doc.metadata
    names: list[tuple[str, str]] = []
    place = relocator.place_of(md.jurisdiction)
    changes: dict = {}
    if place is not None:
        new = relocator.sibling(place, r)
        names = [(place.name, new.name)]
        if place.short and new.short and len(place.short) >= 2:
            names.append((place.short, new.short))
        changes = {
            "jurisdiction": new.jurisdiction,
            "province": new.province,
            "city": new.city,
            "county": new.county,
            "level": new.level_name,
        }

    def vary(s: str | None) -> str | None:
        if not s:
            return s
        for a, b in names:
            s = s.replace(a, b)
        return _shift_years(s, r)

    date = md.date
    if date and re.match(r"\d{4}-", date):
        y = min(int(date[:4]) + r, 2099)
        date = f"{y}{date[4:]}".replace("-02-29", "-02-28")
    meta = replace(
        md,
        title=vary(md.title),
        issuer=vary(md.issuer),
        doc_number=vary(md.doc_number),
        date=date,
        written_date=date if md.written_date else None,
        **changes,
    )
    clauses = []
    for c in doc.clauses:
        nc = copy.copy(c)
        nc.id = key + c.id[len(doc.id) :]
        nc.doc_id = key
        nc.text = vary(c.text) or c.text
        nc.heading_path = [vary(h) or h for h in c.heading_path]
        clauses.append(nc)
    return Document(
        id=key, source=doc.source + f"#r{r}", text=vary(doc.text) or "", metadata=meta, clauses=clauses
    )


def corpus(base: Sequence[Document], clauses: int, start: int = 0) -> Iterator[Document]:
    """Documents until ``clauses`` clauses: the originals, then replicas 1, 2, … of each in turn.
    ``start`` skips the first documents of that sequence (an incremental add takes the next ones)."""
    relocator = Relocator()
    order = np.random.default_rng(0).permutation(len(base))  # laws and policies mixed in any prefix
    base = [base[i] for i in order]
    total, n, r = 0, 0, 0
    while total < clauses:
        for doc in base:
            if total >= clauses:
                return
            made = doc if r == 0 else replica(doc, r, relocator)
            n += 1
            if n > start:
                total += len(made.clauses)
                yield made
        r += 1


def real_passages(base: Sequence[Document], k: int, seed: int = 0) -> list[str]:
    """``k`` clause passages drawn evenly from the base documents (what the stand-ins are made from)."""
    from index.passages import passage_text

    pairs = [(d, c) for d in base for c in d.clauses]
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(pairs), size=min(k, len(pairs)), replace=False)
    return [
        passage_text(
            pairs[i][0].metadata.title, pairs[i][1], "auto", law=bool(pairs[i][0].metadata.law_level)
        )
        for i in sorted(picked)
    ]


class StandInVectors:
    """A vector per passage text from ``real`` (unit vectors of real passages): the real vector a hash of
    the text picks, plus 0.35 of a second one, plus Gaussian noise, normalised. The same text always gets
    the same vector (a replica whose clause did not change keeps its vector, as it would); different texts
    spread over a continuum between the real ones rather than sitting on them."""

    def __init__(self, real: np.ndarray, mix: float = 0.35, noise: float = 0.02) -> None:
        self.real = np.ascontiguousarray(real, dtype=np.float32)
        self.mix, self.noise = mix, noise

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        n, dim = len(texts), self.real.shape[1]
        seeds = np.fromiter(
            (
                int.from_bytes(
                    hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
                )
                for t in texts
            ),
            dtype=np.uint64,
            count=n,
        )
        a = (seeds % np.uint64(len(self.real))).astype(np.int64)
        b = ((seeds >> np.uint64(20)) % np.uint64(len(self.real))).astype(np.int64)
        rng = np.random.default_rng(int(seeds.sum(dtype=np.uint64)) if n else 0)
        v = (
            self.real[a]
            + self.mix * self.real[b]
            + rng.normal(scale=self.noise, size=(n, dim)).astype(np.float32)
        )
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        return v.astype(np.float32)


class StandInEmbedder:
    """The default engine for queries, :class:`StandInVectors` for passages. Benchmark only."""

    def __init__(self, inner, vectors: StandInVectors) -> None:  # noqa: ANN001 - index.embedder.Embedder
        self.inner, self.vectors = inner, vectors
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.fingerprint = inner.fingerprint

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str], progress=None) -> np.ndarray:  # noqa: ANN001
        out = self.vectors(texts)
        if progress:
            progress(len(texts))
        return out

    def count_tokens(self, text: str) -> int:
        return len(text)  # the window warning reads it; stand-ins have no window

    def __getattr__(self, name: str):  # noqa: ANN204 - engine_name / engine_stats read the inner engine
        return getattr(self.inner, name)
