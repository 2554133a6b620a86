"""What each jurisdiction says about one topic, side by side.

1. Candidates are the ones a search gathers (``search.pool``): *within* each jurisdiction, its best by BM25
   and its nearest by embedding, so a city's weaker wording is never cut off by a global top-k.
2. Relevance is each clause's own (``search.relevance``), the same as in a search and its drill-down. A
   jurisdiction with no clause over the floor has nothing on it; it is listed apart with its nearest miss
   (its clause of highest relevance).
3. Sentences of the matched clauses that other jurisdictions word (nearly) the same way form groups, from
   the wording index built at reindex time (``index.neardup``); each member carries a character diff
   against the group's most common form.
4. Figures of the matched clauses, read from every part of a split clause (``search.figures``), are lined
   up in rows of like measures.

Order: national, then provinces, then cities; within a level by relevance. Within a jurisdiction, its clauses by
fused score, the first 3 in the learned head order (``search.head_order``), as its group in a grouped search.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable

from rapidfuzz.distance import Indel

from corpus.models import Clause
from index.neardup import WordingIndex, comparable, split_sentence_id
from index.protocols import DocFilter
from index.store import ClauseStore
from search.compare_models import (
    ComparedClause,
    CompareRequest,
    CompareResponse,
    DiffOp,
    FigureCell,
    FigureRow,
    JurisdictionResult,
    WordingGroup,
    WordingMember,
)
from search.dedupe import ClauseCache, dedupe
from search.figures import extract, similar_measures
from search.head_order import HeadOrder, head_features
from search.highlight import highlight
from search.jurisdictions import display_path, level_of
from search.messages import notice
from search.pool import UNKNOWN, CandidatePool
from search.prepare import Preparer
from search.results import GROUP_HEAD
from search.scoring import Scorer, clause_key
from search.views import Views

SAME_WORDING = 0.75  # Indel similarity of two sentences' comparable forms: "可在多个机构执业" ± a phrase
MAX_GROUPS = 12
_LEVELS = {0: "national", 1: "province", 2: "city"}


class Comparer:
    def __init__(
        self,
        preparer: Preparer,
        pool: CandidatePool,
        scorer: Scorer,
        store: ClauseStore,
        views: Views,
        wording: WordingIndex | None,
        depth: Callable[[], int],
        head: HeadOrder | None = None,
        movable: Callable[[Clause], bool] = lambda c: True,
    ) -> None:
        """The steps a search takes, shared with it: the same preparation, candidates, scores and floor,
        so a jurisdiction's count here is its count in a grouped search and its drill-down's total.
        ``head``: the learned head order, applied to each jurisdiction's first :data:`GROUP_HEAD` clauses as a
        grouped search applies it to each group's (``movable``: the clauses it may move; law clauses keep
        their places); None keeps the fused order."""
        self.preparer, self.pool, self.scorer = preparer, pool, scorer
        self.store, self.views, self.wording = store, views, wording
        self.depth = depth
        self.head, self.movable = head, movable

    def compare(self, request: CompareRequest) -> CompareResponse:
        t0 = time.perf_counter()
        p = self.preparer.prepare(request, place=False)  # a comparison lines every place up
        floor = self.scorer.relevance.floor(p.method != "lexical")
        done = lambda **kw: CompareResponse(  # noqa: E731
            query=p.q, took_ms=_ms(t0), floor=floor, excluded_undated=p.excluded_undated, **kw
        )
        if p.matches_nothing:
            empty = dict(jurisdictions=[], without=[], groups=[], figures=[])
            return done(**empty, notices=p.notices or [notice("no_document_matches")])
        jurs = self.pool.in_scope(p.where)
        cands = self.pool.candidates(p, self.depth())
        if not cands.ids:
            return done(jurisdictions=[], without=[], groups=[], figures=[], notices=p.notices)
        sc = self.scorer.score(p, cands)
        pos = {c: i for i, c in enumerate(cands.ids)}
        terms = p.marked_terms
        by_jur: dict[str, list[int]] = defaultdict(list)
        for i, cid in enumerate(cands.ids):
            by_jur[self.pool.jurisdiction_of(cid)].append(i)

        def shown(c: Clause) -> ComparedClause:
            i = pos[c.id]
            # built from validated parts (a clause from the store, numbers from numpy): no second validation
            return ComparedClause.model_construct(
                clause_id=c.id,
                text=c.text,
                heading_path=c.heading_path,
                part=c.part,
                part_count=c.part_count,
                score=round(float(sc.fused[i]), 6),
                relevance=round(float(sc.relevance[i]), 4),
                strong=bool(sc.relevance[i] >= sc.floor),
                highlights=highlight(c.text, terms),
                document=self.views.info_of_clause(c.id, p.filters.as_of),
            )

        found: list[JurisdictionResult] = []
        without: list[JurisdictionResult] = []
        matched: list[tuple[str, Clause]] = []
        ranked: dict[str, tuple[list[str], str]] = {}
        for jur, idx in by_jur.items():
            order = sorted(idx, key=lambda i: -sc.fused[i])
            strong_ids = [cands.ids[i] for i in order if sc.strong[i]]
            nearest = max(idx, key=lambda i: (sc.relevance[i], sc.fused[i]))
            ranked[jur] = (strong_ids, cands.ids[nearest])
        # each jurisdiction's first GROUP_HEAD clauses in the learned order, as a grouped search shows its groups
        # (fitted on the weighted fusion's lists: another fusion keeps its own order)
        head = self.head if p.method == "weighted" else None
        want = max(request.per_jurisdiction, GROUP_HEAD) if head is not None else request.per_jurisdiction
        # the clauses each jurisdiction will most likely show, read in one query rather than one per jurisdiction
        batch = want + 2
        fetch = ClauseCache(
            self.store.clauses, [x for s, miss in ranked.values() for x in (s or [miss])[:batch]]
        )

        for jur, idx in by_jur.items():
            strong_ids, miss = ranked[jur]
            first = dedupe(strong_ids or [miss], fetch, want, batch)
            if head is not None and strong_ids:
                first, _ = head.apply(
                    first,
                    GROUP_HEAD,
                    lambda _, c: head_features(sc.relevance[pos[c.id]], sc.fused[pos[c.id]], c),
                    lambda _: True,  # every clause listed is strong; no place is preferred here
                    self.movable,
                )
            picked = [c for _, c in first[: request.per_jurisdiction]]
            strong = picked if strong_ids else []
            best = max(float(sc.relevance[i]) for i in idx)
            lvl = level_of(jur) if jur != UNKNOWN else 3
            result = JurisdictionResult(
                jurisdiction=jur,
                level=_LEVELS.get(lvl, "unknown"),  # type: ignore[arg-type]
                inferred=self.pool.inferred.get(jur, False),
                best_relevance=round(best, 4),
                count=len({clause_key(c) for c in strong_ids}),  # one per clause, not per part
                clauses=[shown(c) for c in strong],
                nearest_miss=None if strong else shown(picked[0]),
            )
            (found if strong else without).append(result)
            matched += [(jur, c) for c in strong]
        rank = lambda r: (level_of(r.jurisdiction) if r.level != "unknown" else 3, -r.best_relevance)  # noqa: E731
        found.sort(key=rank)
        without.sort(key=rank)
        # jurisdictions in scope without a single candidate (no shared word, no vector): nothing to show
        silent = [j for j in jurs if j not in by_jur]
        notices = list(p.notices)
        if silent:
            notices.append(
                notice(
                    "jurisdictions_without_candidates",
                    count=len(silent),
                    names="、".join(display_path(j) for j in silent[:20]),
                )
            )
        if not found:
            notices.append(notice("no_jurisdiction_over_floor", floor=sc.floor))
        return done(
            jurisdictions=found,
            without=without,
            groups=self._groups(matched, p.where),
            figures=_figures(self._whole(matched, fetch)),
            notices=notices,
        )

    def _whole(self, matched: list[tuple[str, Clause]], fetch: Callable) -> list[tuple[str, Clause]]:  # noqa: ANN001
        """Each matched clause with the other parts of its split clause, in order, once: a figure stands in
        whichever part the sentence fell into (辽宁 (十九)'s 1.5 张 is in its first part)."""
        out: list[tuple[str, Clause]] = []
        seen: set[str] = set()
        for jur, c in matched:
            key = clause_key(c.id)
            if key in seen:
                continue
            seen.add(key)
            parts = self.pool.with_parts([c.id]) if c.part_count > 1 else [c.id]
            out += [(jur, x) for x in sorted(fetch(parts), key=lambda x: x.part)]
        return out

    # -- same wording -------------------------------------------------------------------------------
    def _groups(self, matched: list[tuple[str, Clause]], where: DocFilter | None) -> list[WordingGroup]:
        """Near-identical sentences among the listed clauses of two or more jurisdictions."""
        wording = self.wording
        if wording is None or not matched:
            return []
        texts: dict[str, Clause] = {c.id: c for _, c in matched}
        jur_of_clause = {c.id: jur for jur, c in matched}
        cands = wording.candidates(list(texts), where, among_themselves=True)
        forms: dict[str, str] = {}

        def sentence(sid: str) -> str:
            cid, a, b = split_sentence_id(sid)
            return texts[cid].text[a:b]

        def form(sid: str) -> str:
            got = forms.get(sid)
            if got is None:
                got = forms[sid] = comparable(sentence(sid))
            return got

        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for sid, near in cands.items():
            for other in near:
                if Indel.normalized_similarity(form(sid), form(other)) >= SAME_WORDING:
                    parent[find(sid)] = find(other)
        members: dict[str, list[str]] = defaultdict(list)
        for sid in list(parent):
            members[find(sid)].append(sid)
        jur_of = lambda sid: jur_of_clause[split_sentence_id(sid)[0]]  # noqa: E731
        order = {c.id: i for i, (_, c) in enumerate(matched)}
        ranked = []
        for sids in members.values():
            # one sentence per clause: a clause can hold two near copies of one sentence
            sids = list({split_sentence_id(x)[0]: x for x in sorted(sids)}.values())
            jurs = len({jur_of(x) for x in sids})
            if jurs >= 2:
                ranked.append((-jurs, min(order[split_sentence_id(x)[0]] for x in sids), sids))
        ranked.sort(key=lambda t: t[:2])
        return [self._group(sids, sentence, form, jur_of) for _, _, sids in ranked[:MAX_GROUPS]]

    def _group(self, sids: list[str], sentence, form, jur_of) -> WordingGroup:  # noqa: ANN001
        counts = Counter(form(x) for x in sids)
        top = max(counts.values())
        tied = [x for x in sids if counts[form(x)] == top]
        # the most common form; among equals, the one closest to all the others (the medoid)
        common_sid = max(tied, key=lambda x: sum(Indel.normalized_similarity(form(x), form(y)) for y in sids))
        common = sentence(common_sid)
        out = []
        for x in sorted(sids, key=lambda x: (level_of(jur_of(x)), jur_of(x))):
            cid = split_sentence_id(x)[0]
            out.append(
                WordingMember(
                    jurisdiction=jur_of(x),
                    clause_id=cid,
                    document_title=self.views.info_of_clause(cid).title,
                    sentence=sentence(x),
                    similarity=round(Indel.normalized_similarity(form(common_sid), form(x)), 3),
                    diff=char_diff(common, sentence(x)),
                )
            )
        return WordingGroup(common=common, jurisdictions=len({m.jurisdiction for m in out}), members=out)


def char_diff(common: str, text: str) -> list[DiffOp]:
    """``text`` against ``common``, character by character: what it keeps, adds, drops and changes.

    char_diff("可在多个机构执业。", "可在多个机构执业，促进医师有序流动。") keeps 可在多个机构执业 and adds
    "，促进医师有序流动" before the common 。
    """
    ops = []
    for op in Indel.opcodes(common, text):
        a, b = common[op.src_start : op.src_end], text[op.dest_start : op.dest_end]
        if op.tag == "equal":
            ops.append(DiffOp(op="equal", text=b, common=a))
        elif op.tag == "insert":
            ops.append(DiffOp(op="insert", text=b))
        elif op.tag == "delete":
            ops.append(DiffOp(op="delete", text="", common=a))
    # Indel gives no substitutions: a delete next to an insert is a change
    merged: list[DiffOp] = []
    for d in ops:
        prev = merged[-1] if merged else None
        if prev and {prev.op, d.op} == {"insert", "delete"}:
            merged[-1] = DiffOp(op="replace", text=prev.text + d.text, common=prev.common + d.common)
        elif prev and prev.op == "replace" and d.op in ("insert", "delete"):
            merged[-1] = DiffOp(op="replace", text=prev.text + d.text, common=prev.common + d.common)
        else:
            merged.append(d)
    return merged


def _figures(matched: list[tuple[str, Clause]]) -> list[FigureRow]:
    """Figures of the matched clauses in rows of one unit and like measures; rows that line up two or more
    jurisdictions first."""
    rows: list[list[FigureCell]] = []
    seen: set[tuple[str, str, str]] = set()  # a split clause's parts repeat nothing, but copies can
    for jur, c in matched:
        for f in extract(c.text):
            key = (jur, f.value_text + f.unit, f.measure)
            if key in seen:
                continue
            seen.add(key)
            cell = FigureCell(
                jurisdiction=jur,
                clause_id=c.id,
                **{k: getattr(f, k) for k in ("value", "value_text", "unit", "bound", "measure", "context")},
            )
            for row in rows:
                if row[0].unit == cell.unit and any(similar_measures(cell.measure, x.measure) for x in row):
                    row.append(cell)
                    break
            else:
                rows.append([cell])
    out = [
        FigureRow(
            measure=Counter(x.measure for x in row).most_common(1)[0][0],
            unit=row[0].unit,
            figures=sorted(row, key=lambda x: (level_of(x.jurisdiction), x.jurisdiction)),
        )
        for row in rows
    ]
    out.sort(key=lambda r: -len({x.jurisdiction for x in r.figures}))
    return out


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


__all__ = ["Comparer", "char_diff"]
