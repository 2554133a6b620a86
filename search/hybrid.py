"""The hybrid searcher over one opened index generation: retrieve (``search.retrieval``), fuse
(``search.fusion``), de-duplicate (``search.dedupe``), present hits; documents and clauses come from
``search.views``. It never sees row positions: candidates are clause ids.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.models import Clause
from index.backends import OpenedGeneration, open_generation
from index.embedder import Embedder
from index.generations import IndexLayout
from index.manifest import IndexError_
from index.protocols import DocFilter
from index.tokenizer import ChineseTokenizer
from policy_search.settings import default_of
from search.adapter import QueryAdapter
from search.dedupe import dedupe
from search.expansion import QueryExpander
from search.filters import doc_filter
from search.fusion import fuse, ranks
from search.highlight import highlight
from search.models import (
    ClauseView,
    DocumentView,
    Explanation,
    Group,
    QueryError,
    SearchHit,
    SearchRequest,
    SearchResponse,
)
from search.query_encoder import QueryEncoder
from search.retrieval import Candidates, Retriever
from search.views import Views


def _default(name: str) -> Any:
    return field(default_factory=lambda: default_of(name))


@dataclass
class RankingOptions:
    """Ranking knobs; every default comes from :class:`policy_search.settings.Settings`."""

    fusion: str = _default("fusion")
    dense_weight: float = _default("dense_weight")
    law_dense_weight: float = _default("law_dense_weight")  # laws: the query adapter applies
    candidate_depth: int = _default("candidate_depth")
    expansion_scale: float = _default("expansion_scale")
    max_query_chars: int = _default("max_query_chars")
    query_adapter: bool = _default("query_adapter")


class HybridSearcher:
    def __init__(
        self,
        generation: OpenedGeneration,
        embedder: Embedder,
        tokenizer: ChineseTokenizer,
        expander: QueryExpander,
        options: RankingOptions | None = None,
        adapter: QueryAdapter | None = None,
        encoder: QueryEncoder | None = None,
    ) -> None:
        self.generation = generation
        self.manifest = generation.manifest
        self.store = generation.store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.expander = expander
        self.options = options or RankingOptions()
        self.views = Views(self.store, self.manifest)
        # one encoder per embedder (its lock, cache and queue), shared by the searchers of successive
        # generations; a variant with another embedder gets its own
        self.encoder = (
            encoder if encoder is not None and encoder.embedder is embedder else QueryEncoder(embedder)
        )
        # the adapter was learned on questions answered by statutes: it ranks law clauses only
        law_docs = [bool(m.get("law_level")) for m in self.store.doc_meta]
        self.adapter = adapter if self.options.query_adapter and any(law_docs) else None
        laws = others = None
        if self.adapter is not None and not all(law_docs):
            laws = DocFilter(k for k, law in zip(self.store.doc_ids, law_docs) if law)
            others = DocFilter(k for k, law in zip(self.store.doc_ids, law_docs) if not law)
        self._law_docs = law_docs
        self.retriever = Retriever(generation.lexical, generation.vectors, laws, others, self.is_law_clause)

    @classmethod
    def open(
        cls,
        index_dir: Path,
        embedder: Embedder,
        options: RankingOptions | None = None,
        tokenizer: ChineseTokenizer | None = None,
        verify: bool = True,
        generation_dir: Path | None = None,
        encoder: QueryEncoder | None = None,
    ) -> HybridSearcher:
        """Open the current generation of ``index_dir`` (or ``generation_dir``), checked unless ``verify``
        is false."""
        gen_dir = generation_dir or IndexLayout(Path(index_dir)).current()
        tokenizer = tokenizer or ChineseTokenizer()
        generation = open_generation(gen_dir, verify=verify)
        try:
            generation.manifest.check_embedder(embedder.fingerprint, embedder.name)
            if tokenizer.fingerprint != generation.manifest.tokenizer:
                raise IndexError_(
                    f"the index was tokenized with {generation.manifest.tokenizer}, this program uses "
                    f"{tokenizer.fingerprint}; rebuild it with `policy-search reindex --full`"
                )
        except IndexError_:
            generation.close()
            raise
        adapter = QueryAdapter.for_embedder(embedder.fingerprint)
        return cls(generation, embedder, tokenizer, QueryExpander.bundled(), options, adapter, encoder)

    def variant(self, **changes: Any) -> HybridSearcher:
        """The same opened generation with other ranking parts (evaluation sweeps, experiments):
        ``embedder``, ``expander``, ``options``, ``adapter``."""
        parts = {
            "embedder": self.embedder,
            "expander": self.expander,
            "options": self.options,
            "adapter": self.adapter,
        }
        parts.update(changes)
        return HybridSearcher(self.generation, tokenizer=self.tokenizer, encoder=self.encoder, **parts)

    def close(self) -> None:
        self.generation.close()

    def is_law_clause(self, clause_id: str) -> bool:
        return self._law_docs[self.store.clause_doc[clause_id]]

    def _embed_query(self, q: str) -> np.ndarray:
        return self.encoder.encode(q)

    # -- search ---------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResponse:
        t0 = time.perf_counter()
        opts = self.options
        q = request.q
        if len(q) > opts.max_query_chars:
            raise QueryError(f"q is {len(q)} characters long; the limit is {opts.max_query_chars}")
        method = request.fusion or opts.fusion
        empty = request.empty_range()
        if empty:
            return SearchResponse(
                query=q,
                took_ms=_ms(t0),
                total=0,
                hits=[],
                groups=[] if request.group_by else None,
                notices=[empty],
            )
        where = doc_filter(request.filters(), self.store.doc_ids, self.store.doc_meta)
        tokens = self.tokenizer.tokenize(q)
        expansion = self.expander.expand(q)
        weights: dict[str, float] = {}
        for term in expansion.terms:
            for t in self.tokenizer.tokenize(term):
                if t not in tokens and t not in weights:
                    weights[t] = expansion.weights[term] * opts.expansion_scale

        depth = max(opts.candidate_depth, request.top_k * 3)
        if request.group_by:
            depth = max(depth, 400)
        qvec = law_qvec = None
        if method != "lexical":
            qvec = self._embed_query(q)
            if self.adapter is not None:
                law_qvec = self.adapter.apply(qvec)
        cands = self.retriever.retrieve(tokens + list(weights), weights, qvec, law_qvec, depth, where)
        if not cands.ids:
            return SearchResponse(
                query=q, took_ms=_ms(t0), total=0, hits=[], groups=[] if request.group_by else None
            )
        weight: float | np.ndarray = opts.dense_weight
        if law_qvec is not None:
            weight = np.where(cands.adapted, opts.law_dense_weight, opts.dense_weight)
        fused = fuse(cands.lexical, cands.dense, method, weight)
        order = np.argsort(-fused, kind="stable")
        want = request.top_k if not request.group_by else len(order)
        picked = dedupe([cands.ids[i] for i in order], self.store.clauses, want)
        terms = [t for t in tokens if len(t) > 1 or len(tokens) <= 2] + list(expansion.terms)
        lex_rank = ranks(cands.lexical)
        dense_rank = ranks(cands.dense) if qvec is not None else None
        hits = [
            self._hit(int(order[pos]), c, cands, fused, method, terms, expansion.terms, lex_rank, dense_rank)
            for pos, c in picked
        ]
        groups = None
        if request.group_by:
            groups = _group(hits, request.per_group)
            hits = hits[: request.top_k]
        return SearchResponse(query=q, took_ms=_ms(t0), total=len(cands.ids), hits=hits, groups=groups)

    def _hit(
        self,
        i: int,
        c: Clause,
        cands: Candidates,
        fused: np.ndarray,
        method: str,
        terms: list[str],
        expansions: list[str],
        lex_rank: np.ndarray,
        dense_rank: np.ndarray | None,
    ) -> SearchHit:
        marks = highlight(c.text, terms)
        score = float(fused[i])
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
                lexical_rank=int(lex_rank[i]) if cands.lexical[i] > 0 else None,
                lexical_score=round(float(cands.lexical[i]), 4),
                dense_rank=int(dense_rank[i]) if dense_rank is not None else None,
                dense_score=round(float(cands.dense[i]), 4),
                fused_score=round(score, 6),
                matched_terms=sorted({m.term for m in marks}),
                expansions=expansions,
                query_adapter=bool(cands.adapted[i]),
            ),
            document=self.views.info_of_clause(c.id),
        )

    # -- documents, clauses, stats ----------------------------------------------------------------
    def document(self, doc_id: str) -> DocumentView:
        return self.views.document(doc_id)

    def clause(self, clause_id: str) -> ClauseView:
        return self.views.clause(clause_id)

    def stats(self) -> dict[str, Any]:
        return {**self.views.stats(), "query_encoder": self.encoder.stats()}


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


__all__ = ["HybridSearcher", "RankingOptions"]
