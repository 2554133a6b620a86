"""The local hybrid searcher over an index directory: BM25 + FAISS, fused, filtered, grouped."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus.models import Clause
from index.builder import LEXICAL_DIR, STORE_FILE, VECTORS_FILE
from index.dense import DenseIndex
from index.embedder import Embedder
from index.lexical import LexicalIndex
from index.manifest import IndexError_, Manifest
from index.store import ClauseStore
from index.tokenizer import ChineseTokenizer
from search.adapter import QueryAdapter
from search.expansion import QueryExpander
from search.filters import clause_mask
from search.fusion import fuse, ranks
from search.highlight import highlight
from search.models import (
    ClauseOut,
    ClauseView,
    DocumentInfo,
    DocumentView,
    Explanation,
    Group,
    NotFound,
    QueryError,
    SearchHit,
    SearchRequest,
    SearchResponse,
)


@dataclass
class RankingOptions:
    fusion: str = "weighted"
    dense_weight: float = 0.5
    law_dense_weight: float = 0.8  # for clauses of laws and regulations, where the query adapter applies
    candidate_depth: int = 200
    expansion_scale: float = 1.0  # multiplies each lexicon's own weight
    max_query_chars: int = 500
    query_adapter: bool = True  # the bundled adapter, where it was trained for this embedder


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _clause_out(c: Any) -> ClauseOut:
    return ClauseOut(
        clause_id=c.id,
        ordinal=c.ordinal,
        heading_path=c.heading_path,
        text=c.text,
        start=c.start,
        end=c.end,
        kind=c.kind,
        part=c.part,
        part_count=c.part_count,
        responsible_units=c.responsible_units,
        lead_unit=c.lead_unit,
    )


class HybridSearcher:
    def __init__(
        self,
        manifest: Manifest,
        store: ClauseStore,
        dense: DenseIndex,
        lexical: LexicalIndex,
        embedder: Embedder,
        tokenizer: ChineseTokenizer,
        expander: QueryExpander,
        options: RankingOptions | None = None,
        adapter: QueryAdapter | None = None,
    ) -> None:
        self.manifest = manifest
        self.store = store
        self.dense = dense
        self.lexical = lexical
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.expander = expander
        self.options = options or RankingOptions()
        self.adapter = adapter if self.options.query_adapter else None
        self._embed_lock = threading.Lock()  # the embedding engines are not safe for concurrent calls
        self._clause_doc = np.asarray(store.clause_doc, dtype=np.int64)
        # the adapter was learned on questions answered by statutes: it ranks law clauses only
        is_law = np.array([bool(m.get("law_level")) for m in store.doc_meta] + [False], dtype=bool)
        self._law = is_law[self._clause_doc] if len(self._clause_doc) else np.zeros(0, dtype=bool)
        if not self._law.any():
            self.adapter = None
        self._doc_info = [self._info(i) for i in range(len(store.doc_ids))]

    @classmethod
    def open(
        cls,
        index_dir: Path,
        embedder: Embedder,
        options: RankingOptions | None = None,
        tokenizer: ChineseTokenizer | None = None,
    ) -> HybridSearcher:
        index_dir = Path(index_dir)
        manifest = Manifest.load(index_dir)
        manifest.check_embedder(embedder.fingerprint, embedder.name)
        tokenizer = tokenizer or ChineseTokenizer()
        if tokenizer.fingerprint != manifest.tokenizer:
            raise IndexError_(
                f"the index was tokenized with {manifest.tokenizer}, this program uses {tokenizer.fingerprint}; "
                "rebuild it with `policy-search reindex`"
            )
        for name in (STORE_FILE, VECTORS_FILE, LEXICAL_DIR):
            if not (index_dir / name).exists():
                raise IndexError_(f"index at {index_dir} is incomplete: {name} is missing; rebuild it")
        store = ClauseStore(index_dir / STORE_FILE)
        dense = DenseIndex.load(index_dir / VECTORS_FILE)
        lexical = LexicalIndex.load(index_dir / LEXICAL_DIR, len(store))
        if dense.size != len(store) or manifest.clauses != len(store):
            raise IndexError_(
                f"index at {index_dir} is inconsistent: {dense.size} vectors, {len(store)} clauses"
            )
        adapter = QueryAdapter.for_embedder(embedder.fingerprint)
        return cls(
            manifest, store, dense, lexical, embedder, tokenizer, QueryExpander.bundled(), options, adapter
        )

    def close(self) -> None:
        self.store.close()

    def _embed_query(self, q: str) -> np.ndarray:
        with self._embed_lock:
            return self.embedder.encode_queries([q])[0]

    # -- search ---------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResponse:
        t0 = time.perf_counter()
        opts = self.options
        q = request.q
        if len(q) > opts.max_query_chars:
            raise QueryError(f"q is {len(q)} characters long; the limit is {opts.max_query_chars}")
        method = request.fusion or opts.fusion
        mask = clause_mask(request.filters(), self.store.doc_meta, self._clause_doc)
        tokens = self.tokenizer.tokenize(q)
        expansion = self.expander.expand(q)
        weights: dict[str, float] = {}
        for term in expansion.terms:
            for t in self.tokenizer.tokenize(term):
                if t not in tokens and t not in weights:
                    weights[t] = expansion.weights[term] * opts.expansion_scale
        lex = self.lexical.scores(tokens + list(weights), weights)
        if mask is not None:
            lex = np.where(mask, lex, 0.0)

        depth = max(opts.candidate_depth, request.top_k * 3)
        if request.group_by:
            depth = max(depth, 400)
        pos = np.flatnonzero(lex > 0)
        if len(pos) > depth:
            pos = pos[np.argpartition(-lex[pos], depth - 1)[:depth]]
        qvec = law_qvec = None
        if method != "lexical":
            qvec = self._embed_query(q)
            if self.adapter is not None:
                law_qvec = self.adapter.apply(qvec)
        cands = np.unique(
            np.concatenate([pos.astype(np.int64), *self._dense_rows(qvec, law_qvec, depth, mask)])
        )
        if len(cands) == 0:
            return SearchResponse(
                query=q, took_ms=_ms(t0), total=0, hits=[], groups=[] if request.group_by else None
            )
        lex_c = lex[cands]
        dense_c = np.zeros(len(cands), np.float32)
        weight: float | np.ndarray = opts.dense_weight
        if qvec is not None:
            dense_c = self.dense.scores_for(qvec, cands)
        if law_qvec is not None:
            law_c = self._law[cands]
            dense_c[law_c] = self.dense.scores_for(law_qvec, cands[law_c])
            weight = np.where(law_c, opts.law_dense_weight, opts.dense_weight)
        fused = fuse(lex_c, dense_c, method, weight)
        order = np.argsort(-fused, kind="stable")
        lex_rank = ranks(lex_c)
        dense_rank = ranks(dense_c) if qvec is not None else None

        want = request.top_k if not request.group_by else len(order)
        picked = self._dedupe(cands, order, want)
        terms = [t for t in tokens if len(t) > 1 or len(tokens) <= 2] + list(expansion.terms)
        hits = [
            self._hit(
                int(cands[i]),
                clause,
                float(fused[i]),
                method,
                terms,
                expansion.terms,
                lex_rank[i] if lex_c[i] > 0 else None,
                float(lex_c[i]),
                int(dense_rank[i]) if dense_rank is not None else None,
                float(dense_c[i]),
                law_qvec is not None and bool(self._law[cands[i]]),
            )
            for i, clause in picked
        ]
        groups = None
        if request.group_by:
            groups = _group(hits, request.per_group)
            hits = hits[: request.top_k]
        return SearchResponse(query=q, took_ms=_ms(t0), total=len(cands), hits=hits, groups=groups)

    def _dense_rows(
        self, qvec: np.ndarray | None, law_qvec: np.ndarray | None, depth: int, mask: np.ndarray | None
    ) -> list[np.ndarray]:
        """Nearest clauses: laws by the adapted query, everything else by the plain one."""
        if qvec is None:
            return []
        if law_qvec is None:
            return [self.dense.search(qvec, depth, mask)[1]]
        law = self._law if mask is None else self._law & mask
        other = ~self._law if mask is None else ~self._law & mask
        return [self.dense.search(vec, depth, m)[1] for vec, m in ((law_qvec, law), (qvec, other)) if m.any()]

    def _dedupe(self, cands: np.ndarray, order: np.ndarray, want: int) -> list[tuple[int, Clause]]:
        """Best part of each clause only; a clause nearly identical to a kept one of the same document is dropped."""
        picked: list[tuple[int, Clause]] = []
        seen_keys: set[tuple[int, str]] = set()
        kept: dict[int, list[str]] = {}
        grams_of: dict[str, set[str]] = {}  # bigrams only for documents with two or more picked clauses
        batch = want + 8  # fetch clause rows in ranked batches, not the whole pool
        for start in range(0, len(order), batch):
            chunk = [int(i) for i in order[start : start + batch]]
            for i, c in zip(chunk, self.store.clauses([int(cands[i]) for i in chunk])):
                doc = int(self._clause_doc[int(cands[i])])
                key = (doc, "›".join(c.heading_path) + f"#{c.kind}" if c.part_count > 1 else c.id)
                if key in seen_keys:
                    continue
                if doc in kept:
                    grams = _bigrams(c.text)
                    for t in kept[doc]:
                        if t not in grams_of:
                            grams_of[t] = _bigrams(t)
                    others = [grams_of[t] for t in kept[doc]]
                    if any(len(grams & g) / max(len(grams | g), 1) >= 0.9 for g in others):
                        continue
                seen_keys.add(key)
                kept.setdefault(doc, []).append(c.text)
                picked.append((i, c))
                if len(picked) >= want:
                    return picked
        return picked

    def _hit(
        self,
        row: int,
        c: Clause,
        score: float,
        method: str,
        terms: list[str],
        expansions: list[str],
        lex_rank: int | None,
        lex_score: float,
        dense_rank: int | None,
        dense_score: float,
        adapted: bool = False,
    ) -> SearchHit:
        marks = highlight(c.text, terms)
        return SearchHit(
            clause_id=c.id,
            text=c.text,
            heading_path=c.heading_path,
            kind=c.kind,
            part=c.part,
            part_count=c.part_count,
            responsible_units=c.responsible_units,
            score=round(score, 6),
            highlights=marks,
            explanation=Explanation(
                fusion=method,
                lexical_rank=lex_rank,
                lexical_score=round(lex_score, 4),
                dense_rank=dense_rank,
                dense_score=round(dense_score, 4),
                fused_score=round(score, 6),
                matched_terms=sorted({m.term for m in marks}),
                expansions=expansions,
                query_adapter=adapted,
            ),
            document=self._doc_info[self._clause_doc[row]],
        )

    # -- documents, clauses, stats ----------------------------------------------------------------
    def _info(self, doc_idx: int) -> DocumentInfo:
        m = self.store.doc_meta[doc_idx]
        return DocumentInfo(
            id=self.store.doc_ids[doc_idx],
            source=self.store.doc_sources[doc_idx],
            **{k: m.get(k) for k in DocumentInfo.model_fields if k not in ("id", "source")},
        )

    def document(self, doc_id: str) -> DocumentView:
        idx = self.store.doc_index(doc_id)
        if idx is None:
            raise NotFound(f"no document with id {doc_id!r}")
        clauses = self.store.clauses(self.store.document_rows(idx))
        return DocumentView(
            document=self._doc_info[idx],
            metadata=self.store.doc_meta[idx],
            text=self.store.document_text(idx),
            clauses=[_clause_out(c) for c in clauses],
        )

    def clause(self, clause_id: str) -> ClauseView:
        row = self.store.row_of(clause_id)
        if row is None:
            raise NotFound(f"no clause with id {clause_id!r}")
        c = self.store.clause(row)
        doc = int(self._clause_doc[row])
        prev = self.store.clause(row - 1) if row > 0 and self._clause_doc[row - 1] == doc else None
        nxt = (
            self.store.clause(row + 1)
            if row + 1 < len(self.store) and self._clause_doc[row + 1] == doc
            else None
        )
        return ClauseView(
            clause=_clause_out(c),
            document=self._doc_info[doc],
            previous=_clause_out(prev) if prev else None,
            next=_clause_out(nxt) if nxt else None,
        )

    def stats(self) -> dict[str, Any]:
        docs = Counter(m.get("jurisdiction") or "未知" for m in self.store.doc_meta)
        clauses = Counter(self.store.doc_meta[d].get("jurisdiction") or "未知" for d in self.store.clause_doc)
        types = Counter(m.get("doc_type") or "未知" for m in self.store.doc_meta)
        return {
            "documents": len(self.store.doc_ids),
            "clauses": len(self.store),
            "jurisdictions": [
                {"jurisdiction": j, "documents": n, "clauses": clauses[j]} for j, n in sorted(docs.items())
            ],
            "doc_types": dict(types),
            "manifest": self.manifest.__dict__,
        }


def _group(hits: list[SearchHit], per_group: int) -> list[Group]:
    groups: dict[str, Group] = {}
    for h in hits:
        jur = h.document.jurisdiction or "未知"
        g = groups.get(jur)
        if g is None:
            g = groups[jur] = Group(jurisdiction=jur, best_score=h.score, hits=[])
        if len(g.hits) < per_group:
            g.hits.append(h)
    return sorted(groups.values(), key=lambda g: -g.best_score)


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
