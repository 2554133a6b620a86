"""Scored candidates as the API shows them: hits with their explanation, and groups by jurisdiction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from corpus.models import Clause
from search.dedupe import ClauseCache, dedupe
from search.fusion import ranks
from search.highlight import highlight
from search.models import Explanation, Group, SearchHit
from search.retrieval import Candidates
from search.scoring import Scored
from search.views import Views


@dataclass
class HitMaker:
    """Builds the hits of one answer (the ranks of each retriever are computed once)."""

    cands: Candidates
    scored: Scored
    views: Views
    method: str
    terms: list[str]
    expansions: list[str]
    as_of: dt.date | None = None  # the date each hit's validity_status is read at

    def __post_init__(self) -> None:
        self.lex_rank = ranks(self.cands.lexical)
        self.dense_rank = ranks(self.cands.dense) if self.method != "lexical" else None

    def hit(self, i: int, c: Clause) -> SearchHit:
        cands, sc = self.cands, self.scored
        marks = highlight(c.text, self.terms)
        score = float(sc.fused[i])
        cites, cited_by = self.views.related(c.id, wait=False)
        feature = lambda name: round(float(sc.features[name][i]), 4)  # noqa: E731
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
                fusion=self.method,
                lexical_rank=int(self.lex_rank[i]) if cands.lexical[i] > 0 else None,
                lexical_score=round(float(cands.lexical[i]), 4),
                dense_rank=int(self.dense_rank[i]) if self.dense_rank is not None else None,
                dense_score=round(float(cands.dense[i]), 4),
                fused_score=round(score, 6),
                matched_terms=sorted({m.term for m in marks}),
                expansions=self.expansions,
                query_adapter=bool(cands.adapted[i]),
                lexical_norm=feature("lexical"),
                coverage=feature("coverage"),
                concepts=feature("concepts"),
                feedback_score=round(float(sc.feedback[i]), 4) if sc.feedback is not None else 0.0,
                feedback_terms=list(sc.feedback_terms),
            ),
            document=self.views.info_of_clause(c.id, self.as_of),
        )


def strong_clauses(ids: Sequence[str], strong: np.ndarray) -> set[str]:
    """The clauses (one per split clause) at or above the floor."""
    return {ids[i].split("~")[0] for i in np.flatnonzero(strong)}


# A group's hits re-ordered by the head order: its first 3 whatever per_group asks (3 is per_group's default).
# Re-ordering 10 of each of ~325 jurisdictions cost a grouped search on policy-dev ~160 ms more (de-duplicating
# the extra clauses), 5 of each ~80 ms, 3 of each ~4 ms, each with the same agreement with the drill-down's
# first hit (77 of 85 groups; 70 with the groups in the fused order).
GROUP_HEAD = 3


def _in_group(h: SearchHit, got: tuple[float, int] | None) -> SearchHit:
    """The hit as its group shows it: the head order's score and its place in the group before (a copy: the
    same hit object may stand in the search's own list with its place there)."""
    score, rank = got if got is not None else (None, None)
    if h.explanation.head_score == score and h.explanation.fused_rank == rank:
        return h
    return h.model_copy(
        update={"explanation": h.explanation.model_copy(update={"head_score": score, "fused_rank": rank})}
    )


def group_hits(
    ids: Sequence[str],
    order: np.ndarray,
    scored: Scored,
    per_group: int,
    jurisdiction_of: Callable[[str], str],
    fetch: Callable[[Sequence[str]], list[Clause]],
    hit: Callable[[int, Clause], SearchHit],
    reorder: Callable[
        [list[tuple[int, Clause]], int], tuple[list[tuple[int, Clause]], dict[int, tuple[float, int]]]
    ]
    | None = None,
) -> list[Group]:
    """Each jurisdiction's best ``per_group`` hits, in list order (``order``: candidate positions, strong
    first), and its count of strong clauses; regions with a match first, then by their best fused score.
    ``hit(position in order, clause)`` builds (or reuses) a hit. ``reorder(pairs, depth)``: each group's first
    :data:`GROUP_HEAD` (position, clause) pairs re-ordered as a search's first page is (``search.head_order``),
    so that a group mostly shows first what a search within that jurisdiction shows first; a group's hits then
    say their own ``head_score`` and ``fused_rank`` (their place in the group before). The window does not
    depend on ``per_group``: ``per_group=1`` shows the first hit of ``per_group=20``."""
    by_jur: dict[str, list[int]] = {}
    for pos, i in enumerate(order):
        by_jur.setdefault(jurisdiction_of(ids[i]), []).append(pos)
    # each group's first clauses read in one go (a near-copy or a second part asks for more)
    want = max(per_group, GROUP_HEAD) if reorder is not None else per_group
    batch = want + 2
    cache = ClauseCache(
        fetch, [ids[order[pos]] for positions in by_jur.values() for pos in positions[:batch]]
    )
    groups = []
    for jur, positions in by_jur.items():
        rows = order[positions]
        mine = [ids[i] for i in rows]
        picked = [(positions[k], c) for k, c in dedupe(mine, cache, want, batch)]
        if reorder is not None:
            picked, info = reorder(picked, GROUP_HEAD)
            hits = [_in_group(hit(pos, c), info.get(pos)) for pos, c in picked[:per_group]]
        else:
            hits = [hit(pos, c) for pos, c in picked]
        groups.append(
            Group(
                jurisdiction=jur,
                best_score=round(float(scored.fused[rows].max()), 6),
                count=len(strong_clauses(mine, scored.strong[rows])),
                hits=hits,
            )
        )
    return sorted(groups, key=lambda g: (-(g.count > 0), -g.best_score))


__all__ = ["GROUP_HEAD", "HitMaker", "group_hits", "strong_clauses"]
