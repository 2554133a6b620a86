"""What each jurisdiction says about one topic, side by side.

1. Candidates are taken *within* each jurisdiction (its best by BM25 and its nearest by embedding), so a
   city's weaker wording is never cut off by a global top-k; they are scored together, so relevance means
   the same in every column.
2. A jurisdiction whose best clause is under the relevance floor (``search.relevance``) has nothing on it;
   it is listed apart with that nearest miss.
3. Sentences of the matched clauses that other jurisdictions word (nearly) the same way form groups, from
   the wording index built at reindex time (``index.neardup``); each member carries a character diff
   against the group's most common form.
4. Figures of the matched clauses (``search.figures``) are lined up in rows of like measures.

Order: national, then provinces, then cities; within a level by relevance.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from rapidfuzz.distance import Indel

from corpus.models import Clause
from index.neardup import comparable, split_sentence_id
from index.protocols import DocFilter
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
from search.dedupe import dedupe
from search.figures import extract, similar_measures
from search.highlight import highlight
from search.jurisdictions import level_of

if TYPE_CHECKING:
    from search.hybrid import HybridSearcher

CANDIDATES_PER_JURISDICTION = 20
SAME_WORDING = 0.75  # Indel similarity of two sentences' comparable forms: "可在多个机构执业" ± a phrase
MAX_GROUPS = 12
_LEVELS = {0: "national", 1: "province", 2: "city"}


class Comparer:
    def __init__(self, searcher: HybridSearcher) -> None:
        self.s = searcher
        store = searcher.store
        by_jur: dict[str, list[str]] = defaultdict(list)
        for key, meta in zip(store.doc_ids, store.doc_meta):
            by_jur[meta.get("jurisdiction") or "未知"].append(key)
        # one filter per jurisdiction, kept for the generation's life: each index caches its rows once
        self.filters = {j: DocFilter(keys) for j, keys in sorted(by_jur.items())}
        self.inferred = {
            j: all(store.doc_meta[store.doc_index(k)].get("jurisdiction_inferred") for k in keys)  # type: ignore[index]
            for j, keys in by_jur.items()
        }

    def compare(self, request: CompareRequest) -> CompareResponse:
        t0 = time.perf_counter()
        s = self.s
        p = s.prepare(request)
        floor = s.relevance.floor_for(p.method != "lexical")
        done = lambda **kw: CompareResponse(  # noqa: E731
            query=p.q, took_ms=_ms(t0), floor=floor, excluded_undated=p.excluded_undated, **kw
        )
        if p.matches_nothing:
            empty = dict(jurisdictions=[], without=[], groups=[], figures=[])
            return done(**empty, notices=p.notices or ["no document matches the filters"])
        scope = p.where.keys if p.where is not None else None
        jurs = [j for j, f in self.filters.items() if scope is None or f.keys & scope]
        cands = s.retriever.retrieve_groups(
            p.tokens + list(p.weights),
            p.weights,
            p.qvec,
            p.law_qvec,
            CANDIDATES_PER_JURISDICTION,
            [self.filters[j] for j in jurs],
            p.where,
            p.law_weights,
            p.concepts,
        )
        if not cands.ids:
            return done(jurisdictions=[], without=[], groups=[], figures=[], notices=p.notices)
        sc = s.score(p, cands)
        pos = {c: i for i, c in enumerate(cands.ids)}
        terms = p.marked_terms
        by_jur: dict[str, list[int]] = defaultdict(list)
        for i, cid in enumerate(cands.ids):
            by_jur[s.views.info_of_clause(cid).jurisdiction or "未知"].append(i)

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
                document=s.views.info_of_clause(c.id),
            )

        found: list[JurisdictionResult] = []
        without: list[JurisdictionResult] = []
        matched: list[tuple[str, Clause]] = []
        ranked: dict[str, tuple[list[int], list[str]]] = {}
        for jur, idx in by_jur.items():
            order = sorted(idx, key=lambda i: -sc.fused[i])
            ranked[jur] = (order, [cands.ids[i] for i in order if sc.relevance[i] >= sc.floor])
        # the clauses each jurisdiction will most likely show, read in one query rather than one per jurisdiction
        head = [
            x
            for order, strong in ranked.values()
            for x in (strong or [cands.ids[order[0]]])[: request.per_jurisdiction + 2]
        ]
        fetched = {c.id: c for c in s.store.clauses(head)}

        def fetch(ids: list[str]) -> list[Clause]:
            missing = [x for x in ids if x not in fetched]
            if missing:
                fetched.update((c.id, c) for c in s.store.clauses(missing))
            return [fetched[x] for x in ids]

        for jur, idx in by_jur.items():
            order, strong_ids = ranked[jur]
            picked = [
                c for _, c in dedupe(strong_ids or [cands.ids[order[0]]], fetch, request.per_jurisdiction)
            ]
            strong = picked if strong_ids else []
            best = max(float(sc.relevance[i]) for i in idx)
            lvl = level_of(jur) if jur != "未知" else 3
            result = JurisdictionResult(
                jurisdiction=jur,
                level=_LEVELS.get(lvl, "unknown"),  # type: ignore[arg-type]
                inferred=self.inferred.get(jur, False),
                best_relevance=round(best, 4),
                count=len({c.split("~")[0] for c in strong_ids}),  # one per clause, not per part
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
            notices.append(f"{len(silent)} jurisdictions have no candidate at all: {'、'.join(silent[:20])}")
        if not found:
            notices.append(f"no jurisdiction has a clause over the relevance floor {sc.floor:.2f}")
        return done(
            jurisdictions=found,
            without=without,
            groups=self._groups(matched, p.where),
            figures=_figures(matched),
            notices=notices,
        )

    # -- same wording -------------------------------------------------------------------------------
    def _groups(self, matched: list[tuple[str, Clause]], where: DocFilter | None) -> list[WordingGroup]:
        """Near-identical sentences among the listed clauses of two or more jurisdictions."""
        wording = self.s.generation.wording
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
                    document_title=self.s.views.info_of_clause(cid).title,
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
                if row[0].unit == cell.unit and (
                    (cell.measure == "年份") == (row[0].measure == "年份")
                    and any(similar_measures(cell.measure, x.measure) for x in row)
                ):
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
