"""The hybrid searcher over one opened index generation. It orchestrates; each step is its own module:
prepare the request (``search.prepare``, ``search.lexical_query``), gather each jurisdiction's candidates
(``search.pool``, ``search.retrieval``), score them for order and relevance (``search.scoring``,
``search.relevance``), order strong before weak, de-duplicate (``search.dedupe``), rerank
(``search.reranker``), present hits and groups (``search.results``). A comparison takes the same steps
(``search.compare``); documents and clauses come from ``search.views``. It never sees row positions:
candidates are clause ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from config.settings import default_of
from corpus.gazetteer import Gazetteer
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
from search.english import RankedEntries, content_words, read_candidates
from search.expansion import QueryExpander
from search.feedback import DenseFeedback
from search.gloss_order import ChineseGlosses, fused_within_tiers
from search.head_order import HeadOrder, head_features
from search.jurisdictions import JurisdictionResolver
from search.lexical_query import LexicalQueryBuilder
from search.messages import notice
from search.models import (
    MAX_TOP_K,
    ClauseView,
    DocumentPage,
    DocumentView,
    QueryError,
    Question,
    SearchHit,
    SearchRequest,
    SearchResponse,
)
from search.pool import CandidatePool
from search.prepare import Prepared, Preparer
from search.query_encoder import QueryEncoder
from search.relevance import RelevanceModel, RelevanceScorer, english_share
from search.reranker import LazyReranker, rerank_head
from search.results import HitMaker, group_hits, strong_clauses
from search.retrieval import Candidates, Retriever
from search.scoring import PolicyClauseCounts, Scored, Scorer, tiered
from search.timeline import Timeliner
from search.timeline_models import TimelineRequest, TimelineResponse
from search.translation import EnglishSenses, FirstPageTranslator
from search.views import Views

if TYPE_CHECKING:
    from index.milvus_backend import MilvusConfig


def _default(name: str) -> Any:
    return field(default_factory=lambda: default_of(name))


@dataclass
class RankingOptions:
    """Ranking knobs; every default comes from :class:`config.settings.Settings`."""

    fusion: str = _default("fusion")
    dense_weight: float = _default("dense_weight")
    law_dense_weight: float = _default("law_dense_weight")  # laws: the query adapter applies
    english_dense_weight: float = _default("english_dense_weight")  # English questions (by their share)
    candidate_depth: int = _default("candidate_depth")
    expansion_scale: float = _default("expansion_scale")
    max_query_chars: int = _default("max_query_chars")
    query_adapter: bool = _default("query_adapter")
    variant_idf_cap: bool = _default("variant_idf_cap")
    concept_max: bool = _default("concept_max")
    feedback_weight: float = _default("feedback_weight")
    feedback_terms: int = _default("feedback_terms")
    feedback_docs: int = _default("feedback_docs")
    feedback_below: float = _default("feedback_below")  # only where the question's words are found weakly
    feedback_english: bool = _default("feedback_english")
    feedback_min_clauses: int = _default("feedback_min_clauses")  # a small index has no feedback
    place_preference: bool = _default("place_preference")
    place_above: float = _default("place_above")
    place_elsewhere: float = _default("place_elsewhere")
    rerank: bool = _default("rerank")
    rerank_depth: int = _default("rerank_depth")
    rerank_weight: float = _default("rerank_weight")
    rerank_laws_only: bool = _default("rerank_laws_only")
    head_order: int = _default("head_order")  # the first page re-ordered by the learned head order; 0 = off
    english_translation: int = _default("english_translation")  # first-page clauses that choose; 0 = off
    english_lexicon: str = _default("english_lexicon")  # "bundled" (english.tsv) or "index" (its own counts)
    english_gloss_order: int = _default("english_gloss_order")  # English first hits read in glosses; 0 = off
    ann_nprobe: int = _default("ann_nprobe")  # lists an IVF vector index reads per query
    candidate_budget: int = _default("candidate_budget")  # a large index's candidates per retriever
    parallel_retrieval: bool = _default("parallel_retrieval")  # the vector side on a second thread


class _EnglishByIndex:
    """The CC-CEDICT lexicon with each English key's words ranked by one lexical index's document frequency
    (``search.english.RankedEntries``, place names left out, per key on first use), and each expander with it,
    built once per expander (variants share them)."""

    def __init__(self, lexical: Any) -> None:
        self.lexical = lexical
        self._entries: RankedEntries | None = None
        self._expanders: dict[int, tuple[QueryExpander, QueryExpander]] = {}

    def entries(self) -> RankedEntries:
        if self._entries is None:
            places = Gazetteer.bundled()
            self._entries = RankedEntries(
                read_candidates(),
                self.lexical.idf,
                lambda: self.lexical.size,
                exclude=lambda w: places.get(w) is not None or bool(places.by_short(w)),
            )
        return self._entries

    def expander(self, base: QueryExpander) -> QueryExpander:
        """``base`` with the ranked words in place of its CC-CEDICT words (``QueryExpander.with_english``)."""
        got = self._expanders.get(id(base))
        if got is None or got[0] is not base:
            got = self._expanders[id(base)] = (base, base.with_english(self.entries()))
        return got[1]


def _tier_of(r: _Ranking) -> Callable[[int], tuple[bool, float]]:
    """Position in ``r.order`` → (strong or not, the place preference's factor: 1.0 where the question names
    no place): the class a later re-ordering keeps each clause within."""
    sc, order = r.scored, r.order
    place_at = sc.features.get("place")
    return lambda pos: (
        bool(sc.strong[order[pos]]),
        1.0 if place_at is None else float(place_at[order[pos]]),
    )


def _with_gloss(hit: SearchHit, score: float, rank: int) -> SearchHit:
    """A copy of ``hit`` whose explanation gives its gloss score and rank (``search.gloss_order``)."""
    explanation = hit.explanation.model_copy(update={"gloss_score": score, "gloss_rank": rank})
    return hit.model_copy(update={"explanation": explanation})


class HybridSearcher:
    """One opened generation, and the walk of a query through it: prepare (``search.prepare``), gather the
    candidates (``search.pool``), score them (``search.scoring``), order, de-duplicate, rerank, present
    (``search.results``). A comparison takes the same steps in ``search.compare``."""

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
        relevance: RelevanceModel | None = None,
        head_order: HeadOrder | None = None,
        english_by_index: _EnglishByIndex | None = None,
    ) -> None:
        if head_order is not None and not isinstance(head_order, HeadOrder):
            # variant(head_order=0) would otherwise leave the bundled order on; the depth is an option
            raise TypeError(
                f"head_order is a HeadOrder model, not {head_order!r}: turn the order off with "
                "options.head_order = 0"
            )
        self.generation = generation
        self.reranker = reranker or LazyReranker()  # loaded on the first request that reranks
        self.manifest = generation.manifest
        self.store = generation.store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.expander = expander
        self.options = options or RankingOptions()
        self.views = Views(self.store, self.manifest)
        if getattr(generation.vectors, "nprobe", 0):  # an IVF: how much of it a query reads is a setting
            generation.vectors.nprobe = self.options.ann_nprobe  # type: ignore[attr-defined]
        # one encoder per embedder (its lock, cache and queue), shared by the searchers of successive
        # generations; a variant with another embedder gets its own
        self.encoder = (
            encoder if encoder is not None and encoder.embedder is embedder else QueryEncoder(embedder)
        )
        # the adapter was learned on questions answered by statutes: it ranks law clauses only
        law_docs = [bool(m.get("law_level")) for m in self.store.doc_meta]
        self.adapter = adapter if self.options.query_adapter and any(law_docs) else None
        laws = others = None
        # split whenever the adapter applies, an index of laws alone included (its "others" is empty): with
        # no split the retriever reads every clause with the plain query and the adapter does nothing
        if self.adapter is not None:
            laws = DocFilter(
                (k for k, law in zip(self.store.doc_ids, law_docs) if law),
                [FieldCondition("law_level", "ne", ("",))],
            )
            others = DocFilter(
                (k for k, law in zip(self.store.doc_ids, law_docs) if not law),
                [FieldCondition("law_level", "in", ("",))],
            )
        self._law_docs = law_docs
        law_filter = laws or DocFilter(k for k, law in zip(self.store.doc_ids, law_docs) if law)
        in_filter = getattr(generation.lexical, "in_filter", None)
        self._law_clauses = LawClauses(
            law_docs,
            self.store.clause_doc,
            None if in_filter is None else lambda ids: in_filter(ids, law_filter),
        )
        self.relevance = relevance or RelevanceModel.bundled()
        self.head_order = head_order or HeadOrder.bundled()
        self.resolver = JurisdictionResolver([m.get("jurisdiction") or "未知" for m in self.store.doc_meta])
        self.retriever = Retriever(
            generation.lexical,
            generation.vectors,
            laws,
            others,
            self._law_clauses,
            law_filter,
            parallel=self.options.parallel_retrieval,
        )
        # the CC-CEDICT words ranked by this generation's counts: built once per generation, variants share it
        self._english_by_index = english_by_index or _EnglishByIndex(generation.lexical)
        if self.options.english_lexicon == "index":
            expander = self._english_by_index.expander(expander)
        lexical = LexicalQueryBuilder(
            tokenizer,
            expander,
            generation.lexical.idf,
            generation.lexical.per_term_queries,
            any(law_docs),
            all(law_docs),
        )
        self.preparer = Preparer(
            self.store.doc_ids,
            self.store.doc_meta,
            self.resolver,
            lexical,
            self.encoder,
            self.adapter,
            self.options,
        )
        self.pool = CandidatePool(self.retriever, self.store, self.options.candidate_budget)
        self.scorer = Scorer(
            RelevanceScorer(self.relevance, generation.lexical, self._law_clauses),
            self.options,
            self.pool.jurisdiction_of,
            DenseFeedback(
                generation.lexical,
                tokenizer,
                lambda c: self.store.clause(c).text,
                docs=self.options.feedback_docs,
                terms=self.options.feedback_terms,
            ),
            getattr(generation.lexical, "part_groups", None),
            PolicyClauseCounts(self.store.clause_doc, law_docs, self.store.doc_index),
        )
        self._comparer: Comparer | None = None
        self._timeliner: Timeliner | None = None
        self._translator: FirstPageTranslator | None = None

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
                    f"索引的分词器是 {generation.manifest.tokenizer}，本程序使用 {tokenizer.fingerprint}；"
                    "请用 `policy-search reindex --full` 重建索引"
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
        ``embedder``, ``expander``, ``options``, ``adapter``, ``relevance``, ``head_order``."""
        parts = {
            "embedder": self.embedder,
            "expander": self.expander,
            "options": self.options,
            "adapter": self.adapter,
            "relevance": self.relevance,
            "head_order": self.head_order,
        }
        parts.update(changes)
        return HybridSearcher(
            self.generation,
            tokenizer=self.tokenizer,
            encoder=self.encoder,
            reranker=self.reranker,
            english_by_index=self._english_by_index,
            **parts,
        )

    def close(self) -> None:
        self.retriever.close()
        self.generation.close()

    def is_law_clause(self, clause_id: str) -> bool:
        return self._law_clauses(clause_id)

    # -- search ---------------------------------------------------------------------------------
    def prepare(self, request: Question) -> Prepared:
        """Everything a search and a comparison share: the filters as read, the query terms and vectors."""
        return self.preparer.prepare(request)

    def depth(self) -> int:
        """Candidates per jurisdiction and retriever: one number for every request (whatever its top_k),
        so that counts and totals do not depend on how many hits were asked for."""
        return max(self.options.candidate_depth, MAX_TOP_K)

    def search(self, request: SearchRequest) -> SearchResponse:
        t0 = time.perf_counter()
        p = self.prepare(request)
        base = {"query": p.q, "jurisdictions": p.filters.jurisdiction, "excluded_undated": p.excluded_undated}
        empty = {"total": 0, "hits": [], "groups": [] if request.group_by else None}
        if p.matches_nothing:
            notices = p.notices or [notice("no_document_matches")]
            return SearchResponse(**base, **empty, took_ms=_ms(t0), notices=notices)
        cands = self.pool.candidates(p, self.depth())
        if not cands.ids:
            return SearchResponse(**base, **empty, took_ms=_ms(t0), notices=p.notices)
        # the learned order was fitted on the weighted fusion's lists: a request for another fusion (dense,
        # lexical, rrf: an expert's or an experiment's) gets that fusion's own order
        head = self.options.head_order if p.method == "weighted" else 0
        r = self._ranking(p, cands)
        if self._translates(p):
            p, r = self._translated(p, r, head)
        cands, sc, order, ranked = r.cands, r.scored, r.order, r.ranked
        rerank = self.options.rerank if request.rerank is None else request.rerank
        rdepth = request.rerank_depth or self.options.rerank_depth
        gloss = self._gloss_depth(p)
        picked = dedupe(ranked, self.store.clauses, max(request.top_k, rdepth if rerank else 0, head, gloss))
        head_ordered = partial(self._head_ordered, r)  # (first pairs, depth): this ranking's head order

        ordered: dict[int, tuple[float, int]] = {}
        if head:
            picked, ordered = head_ordered(picked, head)
        glossed: dict[int, tuple[float, int]] = {}
        if gloss:
            picked, glossed = self._gloss_ordered(p, r, picked, gloss)
        reranked: dict[int, tuple[float, int]] = {}
        if rerank:
            picked, reranked = self._rerank(p.q, picked, rdepth, sc.strong[order])
        maker = HitMaker(cands, sc, self.views, p.method, p.marked_terms, p.expansions, p.filters.as_of)
        made: dict[int, SearchHit] = {}

        def hit(pos: int, c: Clause) -> SearchHit:
            if pos not in made:
                made[pos] = h = maker.hit(int(order[pos]), c)
                if pos in ordered:
                    h.explanation.head_score, h.explanation.fused_rank = ordered[pos]
                if pos in reranked:
                    h.explanation.rerank_score, h.explanation.first_stage_rank = reranked[pos]
            return made[pos]

        hits = [hit(pos, c) for pos, c in picked[: request.top_k]]
        if glossed:  # the flat list's own order: a grouped search's hit of the same clause keeps its order
            hits = [
                _with_gloss(h, *glossed[pos]) if pos in glossed else h
                for h, (pos, _) in zip(hits, picked[: request.top_k])
            ]
        strong = strong_clauses(cands.ids, sc.strong)
        notices = list(p.notices)
        if not strong:
            notices.append(notice("no_strong_match", best=float(sc.relevance.max()), floor=sc.floor))
        groups = None
        if request.group_by:
            groups = group_hits(
                cands.ids,
                order,
                sc,
                request.per_group,
                self.pool.jurisdiction_of,
                self.store.clauses,
                hit,
                head_ordered if head else None,
            )
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

    def _ranking(self, p: Prepared, cands: Candidates) -> _Ranking:
        sc = self.scorer.score(p, cands)
        order = tiered(sc)  # strong clauses first, each tier by fused score
        return _Ranking(cands, sc, order, list(map(cands.ids.__getitem__, order.tolist())))

    def _head_ordered(
        self, r: _Ranking, first: list[tuple[int, Clause]], depth: int
    ) -> tuple[list[tuple[int, Clause]], dict[int, tuple[float, int]]]:
        """The first ``depth`` of ``first`` (positions in ``r.order``) in the learned head order."""
        sc, order = r.scored, r.order
        return self.head_order.apply(
            first,
            depth,
            lambda pos, c: head_features(sc.relevance[order[pos]], sc.fused[order[pos]], c),
            # a clause moves among the places of its own tier and place class: the learned order would
            # otherwise put a long clause of another city above the named city's (place ×0.3 weighs less
            # in it than in the fused score)
            _tier_of(r),
            # law clauses keep their places: on STARD's statutes (a short 第X条 often answers) the
            # order fitted on policy documents cost nDCG@10 0.445 → 0.358
            lambda c: not self._law_clauses(c.id),
        )

    def _gloss_depth(self, p: Prepared) -> int:
        """How many first hits the gloss order re-orders (``search.gloss_order``): the setting for an English
        question (half its letters Latin or more) ranked by the weighted fusion, over a lexical index that
        counts glosses; 0 otherwise."""
        depth = self.options.english_gloss_order
        if not depth or p.method != "weighted" or english_share(p.q) < 0.5:
            return 0
        return depth if hasattr(self.generation.lexical, "grouped_scores") else 0

    def _gloss_ordered(
        self, p: Prepared, r: _Ranking, picked: list[tuple[int, Clause]], depth: int
    ) -> tuple[list[tuple[int, Clause]], dict[int, tuple[float, int]]]:
        """The first ``depth`` of ``picked`` (positions in ``r.order``) re-ordered by reciprocal rank fusion of
        their place and their BM25 over the clauses' CC-CEDICT glosses, within their tier and place class (as
        the head order keeps them); with each position's (gloss score, gloss rank). The words read are the
        question's without the place it names ("talent housing subsidy in Hefei": the preference weighs
        Hefei). Nothing moves where no clause of the page scores."""
        glosses = ChineseGlosses.bundled()
        groups = glosses.groups(p.asked or p.q)
        first = picked[:depth]
        if not groups or len(first) < 2:
            return picked, {}
        scores = self.generation.lexical.grouped_scores(groups, [c.id for _, c in first], glosses.lengths)
        if not scores.any():
            return picked, {}
        tier = _tier_of(r)
        moved, ranks = fused_within_tiers(first, scores, lambda item: tier(item[0]))
        score_of = {pos: round(float(s), 4) for (pos, _), s in zip(first, scores)}
        return moved + picked[depth:], {pos: (score_of[pos], rank) for (pos, _), rank in zip(moved, ranks)}

    def _translates(self, p: Prepared) -> bool:
        """An English question (half its letters Latin or more) whose lexical side counts: its Chinese words
        are chosen by its first page (``search.translation``). Not a question that is only a place ("Jilin"):
        the place is the preference's to weigh, not a word to translate (as in "Jilin hospitals")."""
        only_place = p.place is not None and p.words == p.q
        return (
            self.options.english_translation > 0
            and p.method != "dense"
            and english_share(p.q) >= 0.5
            and not only_place
            and bool(content_words(p.words))
        )

    def _translated(self, p: Prepared, first: _Ranking, head: int) -> tuple[Prepared, _Ranking]:
        """The question ranked again with the Chinese words its first page chose for its English words;
        ``p`` and ``first`` as they were when the page bears none out."""
        depth = self.options.english_translation
        page = dedupe(first.ranked, self.store.clauses, max(depth, head))
        if head:
            page, _ = self._head_ordered(first, page, head)
        chosen = self.translator().choose(p.words, (c.text for _, c in page[:depth]))
        if not chosen:
            return p, first
        again = self.preparer.translated(p, chosen.chosen)
        # a longer phrase of a lexicon can take a chosen word's place ("hospital bed" → 病床 before "bed"): the
        # notice names what the ranking reads
        used = chosen.within({u.label for u in again.lexical.units})
        if not used:
            return p, first
        again.notices.append(notice("english_translated", words=used.describe()))
        cands = self.pool.candidates(again, self.depth())
        if not cands.ids:
            return p, first
        return again, self._ranking(again, cands)

    def translator(self) -> FirstPageTranslator:
        """The chooser of an English question's Chinese words over this generation (built on first use: the
        CC-CEDICT senses take ~0.5 s to read, once per process)."""
        if self._translator is None:
            lexical = self.generation.lexical
            self._translator = FirstPageTranslator(
                EnglishSenses.bundled(), self.tokenizer.tokenize, lexical.idf, lambda: lexical.size
            )
        return self._translator

    def _rerank(
        self, q: str, picked: list[tuple[int, Clause]], depth: int, strong: np.ndarray
    ) -> tuple[list[tuple[int, Clause]], dict[int, tuple[float, int]]]:
        """The first ``depth`` hits re-ordered by the cross-encoder, within their tier (strong, weak): a
        weak clause is not moved above a strong one."""
        if not self.reranker.available:
            raise QueryError(notice("no_reranker"), code="no_reranker")
        law = self._law_docs
        return rerank_head(
            self.reranker.get(),
            q,
            picked,
            depth,
            lambda c: law[self.store.clause_doc[c.id]],
            lambda c: passage_text(
                self.views.info_of_clause(c.id).title, c, "auto", law=law[self.store.clause_doc[c.id]]
            ),
            self.options.rerank_weight,
            self.options.rerank_laws_only,
            tier=lambda pos: bool(strong[pos]),
        )

    def compare(self, request: CompareRequest) -> CompareResponse:
        if self._comparer is None:
            self._comparer = Comparer(
                self.preparer,
                self.pool,
                self.scorer,
                self.store,
                self.views,
                self.generation.wording,
                self.depth,
                self.head_order if self.options.head_order else None,
                lambda c: not self._law_clauses(c.id),
            )
        return self._comparer.compare(request)

    def timeline(self, request: TimelineRequest) -> TimelineResponse:
        """Per jurisdiction, the matching clauses of each document in date order (search.timeline)."""
        if self._timeliner is None:
            self._timeliner = Timeliner(
                self.preparer, self.pool, self.scorer, self.store, self.views, self.depth
            )
        return self._timeliner.timeline(request)

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


@dataclass
class _Ranking:
    """One ranking of a request's candidates: their scores, the list order (positions in ``cands``) and the
    clause ids in that order."""

    cands: Candidates
    scored: Scored
    order: np.ndarray
    ranked: list[str]


class LawClauses:
    """Whether a clause belongs to a law, for one id or for many at once (``many``: one array look-up per
    candidate instead of a call; a search in a large index asks it of tens of thousands)."""

    def __init__(
        self,
        law_docs: list[bool],
        clause_doc: dict[str, int],
        in_laws: Callable[[Sequence[str]], np.ndarray] | None = None,
    ) -> None:
        """``in_laws``: the same answer for many ids from an index (the rows its candidates carry, no
        look-up per id), when the index can give it."""
        self._law = np.asarray(law_docs, dtype=bool)
        self._clause_doc = clause_doc
        self._in_laws = in_laws
        self._last: tuple[list[str], np.ndarray] | None = None

    def __call__(self, clause_id: str) -> bool:
        return bool(self._law[self._clause_doc[clause_id]])

    def many(self, ids: Sequence[str]) -> np.ndarray:
        """The last large list asked about is remembered (by identity, as ``RowMap.rows`` does): a search
        asks it of the same candidates for each score and feature (~90 ms a time at 10⁶ clauses)."""
        last = self._last
        if last is not None and last[0] is ids and len(ids) == len(last[1]):
            return last[1]
        if self._in_laws is not None:
            out = np.array(self._in_laws(ids), dtype=bool)
        else:
            docs = np.fromiter(map(self._clause_doc.__getitem__, ids), dtype=np.int64, count=len(ids))
            out = self._law[docs] if len(ids) else np.zeros(0, dtype=bool)
        out.flags.writeable = False
        if isinstance(ids, list) and len(ids) > 1000:
            self._last = (ids, out)
        return out


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


__all__ = ["HybridSearcher", "RankingOptions"]
