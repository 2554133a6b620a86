"""Every candidate's two numbers: the fused score that orders a list, and the relevance that says whether
the clause answers the question at all (``search.relevance``). Search and compare both score here.

Relevance is a clause's: a clause split into parts (``~2``, ``~3``) gets the best of its parts', so it has
one verdict whichever part a list shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, count
from typing import Any

import numpy as np

from index.protocols import DocFilter
from search.feedback import DenseFeedback
from search.fusion import fuse
from search.pool import UNKNOWN, clause_key
from search.prepare import Prepared
from search.query_place import PlacePreference
from search.relevance import RelevanceScorer, english_share
from search.retrieval import Candidates, law_mask


@dataclass
class Scored:
    fused: np.ndarray  # ranking: min–max normalised over the candidates, so only an order
    relevance: np.ndarray  # probability the clause answers the question, from (question, clause) alone
    features: dict[str, np.ndarray]
    floor: float
    feedback: np.ndarray | None = None  # what the dense feedback added to each lexical score (× its weight)
    feedback_terms: tuple[str, ...] = ()  # the feedback query's words

    @cached_property
    def strong(self) -> np.ndarray:
        """Whether each candidate is at or above the floor; computed once (searches, groups, compare and
        timeline read it per clause)."""
        return self.relevance >= self.floor


def best_in_groups(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each entry replaced by the maximum over the entries of its group (-1: a group of its own)."""
    out = np.array(values, np.float64)
    pos = np.flatnonzero(groups >= 0)
    if len(pos):
        _, group = np.unique(groups[pos], return_inverse=True)
        best = np.full(group.max() + 1, -np.inf)
        np.maximum.at(best, group, out[pos])
        out[pos] = best[group]
    return out


def best_of_parts(ids: Sequence[str], values: np.ndarray) -> np.ndarray:
    """Each entry replaced by the maximum over the entries of the same clause (its parts). Only the parts
    of split clauses and their first parts are looked at: every other entry is its own clause. The passes
    over all ids are one loop and one set look-up in C: a search at 10⁶ clauses holds ~30,000 candidates
    and thousands of split clauses."""
    out = np.array(values, np.float64)
    n = len(ids)
    later = np.array(
        [i for i, c in enumerate(ids) if "~" in c], np.int64
    )  # faster than map(str.__contains__)
    if not len(later):
        return out
    keys = list(map(clause_key, map(ids.__getitem__, later.tolist())))
    bases = set(keys)
    firsts = np.flatnonzero(np.fromiter(map(bases.__contains__, ids), bool, n))
    code: dict[str, int] = {}
    every = chain(keys, map(ids.__getitem__, firsts.tolist()))
    group = np.fromiter(map(code.setdefault, every, count()), np.int64, len(later) + len(firsts))
    rows = np.concatenate([later, firsts])
    best = np.full(len(group), -np.inf)
    np.maximum.at(best, group, out[rows])
    out[rows] = best[group]
    return out


class PolicyClauseCounts:
    """How many policy clauses (laws apart) a request can reach: the whole index's, or those of the documents
    its filters allow. The per-document counts are made on first use, in one pass over the clause table the
    store holds in memory.

    ``clause_doc``: clause id → document index; ``law_docs``: per document index, whether it is a law;
    ``doc_index``: document key → index (None when unknown)."""

    def __init__(
        self,
        clause_doc: Mapping[str, int],
        law_docs: Sequence[bool],
        doc_index: Callable[[str], int | None],
    ) -> None:
        self._clause_doc, self._law, self._doc_index = clause_doc, np.asarray(law_docs, bool), doc_index
        self._counted: tuple[np.ndarray, int] | None = None  # (per document, all), made on first use

    def __call__(self, where: DocFilter | None) -> int:
        if self._counted is None:  # a race makes the same counts twice: harmless
            docs = np.fromiter(self._clause_doc.values(), np.int64, len(self._clause_doc))
            per_doc = np.where(self._law, 0, np.bincount(docs, minlength=len(self._law))[: len(self._law)])
            self._counted = (per_doc, int(per_doc.sum()))
        per_doc, total = self._counted
        if where is None:
            return total
        rows = [i for k in where.keys if (i := self._doc_index(k)) is not None]
        return int(per_doc[rows].sum()) if rows else 0


class Scorer:
    def __init__(
        self,
        relevance: RelevanceScorer,
        options: Any,
        jurisdiction_of: Callable[[str], str] | None = None,
        feedback: DenseFeedback | None = None,
        part_groups: Callable[[Sequence[str]], np.ndarray] | None = None,
        policy_clauses: Callable[[DocFilter | None], int] | None = None,
    ) -> None:
        """``options``: :class:`search.hybrid.RankingOptions` (its dense weights, the place factors, the
        feedback weight); ``jurisdiction_of``: a clause id's document jurisdiction ("未知" when it has none);
        ``feedback``: the dense side's pseudo-relevance feedback (``search.feedback``); ``part_groups``:
        the index's numbers of split clauses per id (``BM25Index.part_groups``), which say what
        :func:`best_of_parts` reads from the ids, without a pass over them; ``policy_clauses``: how many
        policy clauses a filter lets a request reach (:class:`PolicyClauseCounts`; default: the whole
        lexical index)."""
        self.relevance = relevance
        self.options = options
        self.jurisdiction_of = jurisdiction_of
        self.feedback = feedback
        self.part_groups = part_groups
        self.policy_clauses = policy_clauses

    def place_factors(self, p: Prepared, ids: Sequence[str]) -> np.ndarray | None:
        """Where the question names a place: 1 for the clauses of its documents (and those below it),
        ``place_above`` for 全国, a province above a named city and documents with no jurisdiction,
        ``place_elsewhere`` for the rest (``search.query_place``)."""
        if p.place is None or self.jurisdiction_of is None:
            return None
        pref = PlacePreference(
            above=self.options.place_above,
            unknown=self.options.place_above,
            elsewhere=self.options.place_elsewhere,
        )
        jur = [self.jurisdiction_of(c) for c in ids]
        return np.array([pref.factor(p.place.relation(None if j == UNKNOWN else j)) for j in jur], np.float64)

    def wants_feedback(self, p: Prepared, english: float) -> bool:
        """Whether this request may have the dense side's feedback on its lexical side: on, a weighted fusion
        with a query vector, a Chinese question (or ``feedback_english``), and at least
        ``feedback_min_clauses`` policy clauses within its filters. English questions are left out: their
        nearest clauses are often off the topic. Fewer clauses, none: feedback pays where many documents say
        the same thing, so that the nearest clauses share the answer's words (on policy-dev subsets it lost
        up to 5,857 clauses and gained from 6,998; on the built-in corpus's 147, −0.018)."""
        opts = self.options
        if float(getattr(opts, "feedback_weight", 0.0)) <= 0 or self.feedback is None:
            return False
        if p.qvec is None or p.method != "weighted":
            return False
        if english >= 0.5 and not getattr(opts, "feedback_english", False):
            return False
        reach = (
            self.policy_clauses(p.where) if self.policy_clauses is not None else self.feedback.lexical.size
        )
        return reach >= int(getattr(opts, "feedback_min_clauses", 0))

    def _feedback(
        self, p: Prepared, cands: Candidates, lexical_share: np.ndarray
    ) -> tuple[np.ndarray, tuple[str, ...]] | None:
        """(what the feedback adds to each candidate's lexical score, its words), or None. Policy clauses
        only (laws keep their query adapter and term model: on STARD's law clauses feedback cost recall@100
        0.696 → 0.691), and only where the question's own words are found, yet no policy clause holds
        ``feedback_below`` of the BM25 they could attain (``lexical_share``: the relevance feature
        ``lexical``). On policy-dev the best share is 0.2–0.4 for everyday wording ("新房买了几年才能卖": the
        answer says 限售, 满2年, 上市交易), 0.6–0.8 for official wording, up to 0.85 for a place and a topic.
        Where the question's words match nothing ("嗯嗯啊啊咋整") there is no lexical side to add to: fed
        back, the feedback would be all of it whatever its weight."""
        assert self.feedback is not None
        policy = ~law_mask(self.relevance.is_law, cands.ids)
        if not policy.any() or float(np.max(cands.lexical[policy])) <= 0:
            return None
        if float(np.max(lexical_share[policy])) >= float(getattr(self.options, "feedback_below", 2.0)):
            return None
        fb = self.feedback.expand(p.tokens, cands.ids, cands.dense, cands.lexical, p.where)
        if fb is None:
            return None
        return float(self.options.feedback_weight) * fb.scores * policy, tuple(fb.terms)

    def score(self, p: Prepared, cands: Candidates) -> Scored:
        opts = self.options
        share = english_share(p.q)  # an English question leans on the dense side by its share of Latin
        base = (1 - share) * opts.dense_weight + share * opts.english_dense_weight
        weight: float | np.ndarray = base
        if p.law_qvec is not None:
            weight = np.where(cands.adapted, opts.law_dense_weight, base)
        with_dense = p.qvec is not None
        rel, feats = self.relevance.score(p.lexical, p.q, cands.ids, cands.lexical, cands.dense, with_dense)
        lexical = cands.lexical
        added = self._feedback(p, cands, feats["lexical"]) if self.wants_feedback(p, share) else None
        if added is not None:
            lexical = cands.lexical + added[0]
        fused = fuse(lexical, cands.dense, p.method, weight)
        if self.part_groups is not None:
            rel = best_in_groups(rel, self.part_groups(cands.ids))
        else:
            rel = best_of_parts(cands.ids, rel)
        factors = self.place_factors(p, cands.ids)
        if factors is not None:
            # the named place's clauses first: relevance (which sets the tiers) and order alike
            rel, fused = rel * factors, fused * factors
            feats["place"] = factors
        return Scored(
            fused,
            rel,
            feats,
            self.relevance.floor(with_dense),
            added[0] if added is not None else None,
            added[1] if added is not None else (),
        )


def tiered(scored: Scored) -> np.ndarray:
    """Candidate positions in list order: the clauses at or above the floor by fused score, then the rest
    by fused score, so a weak match never stands above a strong one."""
    return np.lexsort((-scored.fused, ~scored.strong))


__all__ = ["Scored", "Scorer", "best_in_groups", "best_of_parts", "clause_key", "tiered"]
