"""The hybrid searcher over one opened index generation: retrieve (``search.retrieval``), fuse
(``search.fusion``), de-duplicate (``search.dedupe``), present hits; documents and clauses come from
``search.views``. It never sees row positions: candidates are clause ids.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from config.settings import default_of
from corpus.fold import to_simplified
from corpus.models import Clause
from index.backends import OpenedGeneration, open_generation
from index.embedder import Embedder, engine_stats
from index.generations import IndexLayout
from index.manifest import IndexError_
from index.passages import passage_text
from index.protocols import DocFilter, FieldCondition
from index.tokenizer import ChineseTokenizer
from search.adapter import QueryAdapter
from search.compare import Comparer
from search.compare_models import CompareRequest, CompareResponse
from search.dedupe import dedupe
from search.expansion import QueryExpander
from search.filters import doc_filter, undated_excluded
from search.fusion import fuse, ranks
from search.highlight import highlight
from search.jurisdictions import JurisdictionResolver
from search.models import (
    ClauseView,
    DocumentPage,
    DocumentView,
    Explanation,
    Filters,
    Group,
    QueryError,
    Question,
    SearchHit,
    SearchRequest,
    SearchResponse,
)
from search.query_encoder import QueryEncoder
from search.relevance import RelevanceModel
from search.reranker import LazyReranker, mixed_order
from search.retrieval import Candidates, Retriever
from search.views import Views

if TYPE_CHECKING:
    from index.milvus_backend import MilvusConfig


@dataclass
class Prepared:
    """One request made ready: the filters as read, the documents allowed, terms and query vectors."""

    q: str
    method: str
    filters: Filters
    where: DocFilter | None
    notices: list[str]
    excluded_undated: int = 0
    empty: str | None = None
    tokens: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    law_weights: dict[str, float] = field(default_factory=dict)  # terms for law clauses only
    concepts: list[list[str]] = field(default_factory=list)  # tokens that count once, at their best
    expansions: list[str] = field(default_factory=list)
    qvec: np.ndarray | None = None
    law_qvec: np.ndarray | None = None

    @property
    def matches_nothing(self) -> bool:
        """An empty date range, or filters that leave no document."""
        return bool(self.empty) or (self.where is not None and not self.where.keys)

    @property
    def marked_terms(self) -> list[str]:
        """What highlights mark: the query's words (single characters only in a one- or two-word query)
        and the expansions."""
        return [t for t in self.tokens if len(t) > 1 or len(self.tokens) <= 2] + self.expansions


@dataclass
class Scored:
    fused: np.ndarray
    relevance: np.ndarray
    features: dict[str, np.ndarray]
    floor: float


def _default(name: str) -> Any:
    return field(default_factory=lambda: default_of(name))


@dataclass
class RankingOptions:
    """Ranking knobs; every default comes from :class:`config.settings.Settings`."""

    fusion: str = _default("fusion")
    dense_weight: float = _default("dense_weight")
    law_dense_weight: float = _default("law_dense_weight")  # laws: the query adapter applies
    candidate_depth: int = _default("candidate_depth")
    expansion_scale: float = _default("expansion_scale")
    max_query_chars: int = _default("max_query_chars")
    query_adapter: bool = _default("query_adapter")
    variant_idf_cap: bool = _default("variant_idf_cap")
    concept_max: bool = _default("concept_max")
    rerank: bool = _default("rerank")
    rerank_depth: int = _default("rerank_depth")
    rerank_weight: float = _default("rerank_weight")
    rerank_laws_only: bool = _default("rerank_laws_only")


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
        reranker: LazyReranker | None = None,
    ) -> None:
        self.generation = generation
        self.reranker = reranker or LazyReranker()  # loaded on the first request that reranks
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
            laws = DocFilter(
                (k for k, law in zip(self.store.doc_ids, law_docs) if law),
                [FieldCondition("law_level", "ne", ("",))],
            )
            others = DocFilter(
                (k for k, law in zip(self.store.doc_ids, law_docs) if not law),
                [FieldCondition("law_level", "in", ("",))],
            )
        self._law_docs = law_docs
        self._has_laws, self._all_laws = any(law_docs), all(law_docs)
        self.relevance = RelevanceModel.bundled()
        self._comparer: Comparer | None = None
        self.resolver = JurisdictionResolver([m.get("jurisdiction") or "未知" for m in self.store.doc_meta])
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
        milvus: MilvusConfig | None = None,
        reranker: LazyReranker | None = None,
    ) -> HybridSearcher:
        """Open the current generation of ``index_dir`` (or ``generation_dir``), checked unless ``verify``
        is false."""
        gen_dir = generation_dir or IndexLayout(Path(index_dir)).current()
        tokenizer = tokenizer or ChineseTokenizer()
        generation = open_generation(gen_dir, verify=verify, milvus=milvus)
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
        return cls(
            generation, embedder, tokenizer, QueryExpander.bundled(), options, adapter, encoder, reranker
        )

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
        return HybridSearcher(
            self.generation, tokenizer=self.tokenizer, encoder=self.encoder, reranker=self.reranker, **parts
        )

    def close(self) -> None:
        self.generation.close()

    def is_law_clause(self, clause_id: str) -> bool:
        return self._law_docs[self.store.clause_doc[clause_id]]

    def _embed_query(self, q: str) -> np.ndarray:
        return self.encoder.encode(q)

    # -- search ---------------------------------------------------------------------------------
    def prepare(self, request: Question) -> Prepared:
        """Everything a search and a comparison share: the filters as read, the query terms and vectors."""
        opts = self.options
        q = to_simplified(request.q)  # the documents are simplified: both the lexical and relevance sides
        if len(q) > opts.max_query_chars:
            raise QueryError(f"q is {len(q)} characters long; the limit is {opts.max_query_chars}")
        filters = request.filters()
        notices: list[str] = []
        if q != request.q:
            notices.append(f"已将繁体字转为简体检索：{q}（traditional_folded）")
        if filters.jurisdiction:
            read = self.resolver.resolve(filters.jurisdiction)
            filters = filters.model_copy(update={"jurisdiction": read.prefixes})
            notices += read.notices
        if filters.province or filters.city or filters.county:
            filters = filters.model_copy(
                update={
                    "province": [self.resolver.province(p) for p in filters.province],
                    "city": [self.resolver.city(c) for c in filters.city],
                    "county": [self.resolver.county(c) for c in filters.county],
                }
            )
        empty = filters.empty_range()
        undated = undated_excluded(filters, self.store.doc_meta)
        if undated:
            notices.append(
                f"{undated} undated document{'s' if undated > 1 else ''} left out by the date filter "
                "(include_undated=true keeps them)"
            )
        prepared = Prepared(
            q=q,
            method=request.fusion or opts.fusion,
            filters=filters,
            where=None,
            notices=notices,
            excluded_undated=undated,
            empty=empty,
        )
        if empty:
            prepared.notices.insert(0, empty)
            return prepared
        prepared.where = doc_filter(filters, self.store.doc_ids, self.store.doc_meta)
        prepared.tokens = self.tokenizer.tokenize(q)
        expansion = self.expander.expand(q)
        for term in expansion.terms:
            law_only = term in expansion.law_only
            if law_only and not self._has_laws:
                continue  # a law-vocabulary term, and no law in this index to score
            if law_only and not self._all_laws:
                target = prepared.law_weights
            else:
                target = prepared.weights
            for t in self.tokenizer.tokenize(term):
                if t not in prepared.tokens and t not in prepared.weights and t not in prepared.law_weights:
                    target[t] = expansion.weights[term] * opts.expansion_scale
        prepared.expansions = [t for t in expansion.terms if self._has_laws or t not in expansion.law_only]
        if opts.variant_idf_cap and expansion.rewrites:
            self._cap_variants(prepared, expansion.rewrites)
        if opts.concept_max and expansion.rewrites and self.generation.lexical.per_term_queries:
            prepared.concepts = self._concepts(prepared, expansion.rewrites)
        if prepared.method != "lexical":
            prepared.qvec = self._embed_query(q)
            if self.adapter is not None:
                prepared.law_qvec = self.adapter.apply(prepared.qvec)
        return prepared

    def _cap_variants(self, p: Prepared, rewrites: dict[str, list[str]]) -> None:
        """A word the synonym lexicon rewrites scores at most what its official wording would.

        民营医院 occurs in one clause of the built-in corpus (辽宁 (十八) 住院医师规培), so its IDF is the
        highest of any query word and that clause outranked every clause on 社会办医 + 医保; capped at the IDF
        of 社会办医, the literal match counts as one more mention of the topic, not as the topic.
        """
        for trigger, terms in rewrites.items():
            canon = [t for term in terms for t in self.tokenizer.tokenize(term)]
            words = [t for t in self.tokenizer.tokenize(trigger) if t in p.tokens and t not in canon]
            if not canon or not words:
                continue
            idf = self.generation.lexical.idf(words + canon)
            ceiling = float(idf[len(words) :].max())
            for t, i in zip(words, idf[: len(words)]):
                if i > ceiling > 0:
                    p.weights[t] = min(p.weights.get(t, 1.0), ceiling / float(i))

    def _concepts(self, p: Prepared, rewrites: dict[str, list[str]]) -> list[list[str]]:
        """Each rewritten word with its official forms, as token groups; a token joins one group only."""
        seen: set[str] = set()
        out = []
        for trigger, terms in rewrites.items():
            forms = [t for t in self.tokenizer.tokenize(trigger) if t in p.tokens]
            forms += [t for term in terms for t in self.tokenizer.tokenize(term) if t in p.weights]
            group = [t for t in dict.fromkeys(forms) if t not in seen]
            seen.update(group)
            if len(group) > 1:
                out.append(group)
        return out

    def score(self, p: Prepared, cands: Candidates) -> Scored:
        """Fused scores (ranking) and relevance (the floor) of every candidate."""
        opts = self.options
        weight: float | np.ndarray = opts.dense_weight
        if p.law_qvec is not None:
            weight = np.where(cands.adapted, opts.law_dense_weight, opts.dense_weight)
        fused = fuse(cands.lexical, cands.dense, p.method, weight)
        coverage = self.generation.lexical.coverage(p.tokens, cands.ids)
        feats = RelevanceModel.features(cands.lexical, cands.dense, coverage)
        with_dense = p.qvec is not None
        relevance = self.relevance.score(feats, with_dense)
        return Scored(fused, relevance, feats, self.relevance.floor_for(with_dense))

    def search(self, request: SearchRequest) -> SearchResponse:
        t0 = time.perf_counter()
        p = self.prepare(request)
        base = {"query": p.q, "jurisdictions": p.filters.jurisdiction, "excluded_undated": p.excluded_undated}
        if p.matches_nothing:
            notices = p.notices or ["no document matches the filters"]
            return SearchResponse(
                **base,
                took_ms=_ms(t0),
                total=0,
                hits=[],
                groups=[] if request.group_by else None,
                notices=notices,
            )
        depth = max(self.options.candidate_depth, request.top_k * 3)
        if request.group_by:
            depth = max(depth, 400)
        cands = self.retriever.retrieve(
            p.tokens + list(p.weights),
            p.weights,
            p.qvec,
            p.law_qvec,
            depth,
            p.where,
            p.law_weights,
            p.concepts,
        )
        if not cands.ids:
            return SearchResponse(
                **base,
                took_ms=_ms(t0),
                total=0,
                hits=[],
                groups=[] if request.group_by else None,
                notices=p.notices,
            )
        sc = self.score(p, cands)
        order = np.argsort(-sc.fused, kind="stable")
        want = request.top_k if not request.group_by else len(order)
        rerank = self.options.rerank if request.rerank is None else request.rerank
        rdepth = request.rerank_depth or self.options.rerank_depth
        picked = dedupe([cands.ids[i] for i in order], self.store.clauses, max(want, rdepth if rerank else 0))
        reranked: dict[int, tuple[float, int]] = {}
        if rerank:
            picked, reranked = self._rerank(p.q, picked, order, rdepth)
        picked = picked[:want]
        terms = p.marked_terms
        lex_rank = ranks(cands.lexical)
        dense_rank = ranks(cands.dense) if p.qvec is not None else None
        hits = [
            self._hit(int(order[pos]), c, cands, sc, p.method, terms, p.expansions, lex_rank, dense_rank)
            for pos, c in picked
        ]
        for h, (pos, _) in zip(hits, picked):
            if pos in reranked:
                h.explanation.rerank_score, h.explanation.first_stage_rank = reranked[pos]
        strong = {cands.ids[i].split("~")[0] for i in np.flatnonzero(sc.relevance >= sc.floor)}
        notices = list(p.notices)
        if not strong:
            notices.append(
                f"no strong match: the best clause's relevance is {float(sc.relevance.max()):.2f}, under the "
                f"floor {sc.floor:.2f}; these are the nearest clauses, probably not on the topic"
            )
        groups = None
        if request.group_by:
            groups = _group(hits, request.per_group)
            hits = hits[: request.top_k]
        return SearchResponse(
            **base,
            took_ms=_ms(t0),
            total=len(strong),
            candidates=len(cands.ids),
            floor=sc.floor,
            hits=hits,
            groups=groups,
            notices=notices,
        )

    def _rerank(
        self, q: str, picked: list[tuple[int, Clause]], order: np.ndarray, depth: int
    ) -> tuple[list[tuple[int, Clause]], dict[int, tuple[float, int]]]:
        """The first ``depth`` hits re-ordered by the cross-encoder (question and clause read together),
        its ranks averaged with the first stage's by ``rerank_weight``; the rest keep their place after them.
        With ``rerank_laws_only`` (the default) only law clauses are read and moved, among the places law
        clauses hold: the model learned from statutes, and on policy clauses it ranks worse than the first
        stage (BENCHMARKS.md)."""
        if not self.reranker.available:
            raise QueryError("rerank=true, but this installation has no reranker (search/data/reranker.npz)")
        head, tail = picked[:depth], picked[depth:]
        law = self._law_docs
        slots = [
            k
            for k, (_, c) in enumerate(head)
            if not self.options.rerank_laws_only or law[self.store.clause_doc[c.id]]
        ]
        if not slots:
            return picked, {}
        passages = [
            passage_text(
                self.views.info_of_clause(c.id).title, c, "auto", law=law[self.store.clause_doc[c.id]]
            )
            for _, c in (head[k] for k in slots)
        ]
        scores = self.reranker.get().scores(q, passages)
        new = mixed_order(scores, self.options.rerank_weight)
        info = {head[k][0]: (round(float(scores[i]), 4), k + 1) for i, k in enumerate(slots)}
        out = list(head)
        for slot, i in zip(slots, new):
            out[slot] = head[slots[i]]
        return out + tail, info

    def _hit(
        self,
        i: int,
        c: Clause,
        cands: Candidates,
        sc: Scored,
        method: str,
        terms: list[str],
        expansions: list[str],
        lex_rank: np.ndarray,
        dense_rank: np.ndarray | None,
    ) -> SearchHit:
        marks = highlight(c.text, terms)
        score = float(sc.fused[i])
        cites, cited_by = self.views.related(c.id, wait=False)
        return SearchHit(
            cites=cites,
            cited_by=cited_by,
            clause_id=c.id,
            text=c.text,
            heading_path=c.heading_path,
            kind=c.kind,
            part=c.part,
            part_count=c.part_count,
            responsible_units=c.responsible_units,
            score=round(score, 6),
            relevance=round(float(sc.relevance[i]), 4),
            strong=bool(sc.relevance[i] >= sc.floor),
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
                lexical_share=round(float(sc.features["lexical_share"][i]), 4),
                dense_gap=round(float(sc.features["dense_gap"][i]), 4),
                coverage=round(float(sc.features["coverage"][i]), 4),
            ),
            document=self.views.info_of_clause(c.id),
        )

    def compare(self, request: CompareRequest) -> CompareResponse:
        if self._comparer is None:
            self._comparer = Comparer(self)
        return self._comparer.compare(request)

    # -- documents, clauses, stats ----------------------------------------------------------------
    def document(self, doc_id: str, page: DocumentPage | None = None) -> DocumentView:
        return self.views.document(doc_id, page)

    def clause(self, clause_id: str) -> ClauseView:
        return self.views.clause(clause_id)

    def stats(self) -> dict[str, Any]:
        return {
            **self.views.stats(),
            "query_encoder": self.encoder.stats(),
            "engine": engine_stats(self.embedder),
        }


def _group(hits: list[SearchHit], per_group: int) -> list[Group]:
    """Hits by jurisdiction, with how many strong matches each has; best groups first."""
    groups: dict[str, Group] = {}
    for h in hits:
        jur = h.document.jurisdiction or "未知"
        g = groups.get(jur)
        if g is None:
            g = groups[jur] = Group(jurisdiction=jur, best_score=h.score, count=0, hits=[])
        g.count += h.strong
        if len(g.hits) < per_group:
            g.hits.append(h)
    return sorted(groups.values(), key=lambda g: (-(g.count > 0), -g.best_score))


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


__all__ = ["HybridSearcher", "RankingOptions"]
