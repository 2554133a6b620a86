"""How a topic moved across the years, per jurisdiction (issue 30): the matching clauses of each document in
date order, each with its figures and its status at ``as_of``, and each figure's values over time.

Candidates and relevance are a search's (``search.pool``, ``search.scoring``): a jurisdiction lists its
clauses over the floor, the best ``per_jurisdiction`` of them (one per split clause), ordered by their
document's date. Figures are read as the comparison reads them (``search.figures``, over every part of a
split clause) and lined up into series of like measure and unit ("最高贷款额度 40 万元 → 50 万元 → 60 万元").
Order of jurisdictions: national, provinces, cities; a jurisdiction with nothing over the floor is left out.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from corpus.models import Clause
from index.store import ClauseStore
from search.dedupe import ClauseCache, dedupe
from search.figures import Figure, extract, similar_measures
from search.jurisdictions import level_of
from search.messages import notice
from search.pool import UNKNOWN, CandidatePool
from search.prepare import Preparer
from search.scoring import Scorer
from search.timeline_models import (
    SeriesPoint,
    TimelineEntry,
    TimelineFigure,
    TimelineJurisdiction,
    TimelineRequest,
    TimelineResponse,
    TimelineSeries,
)
from search.validity_status import repealed_on
from search.views import Views


def in_force_span(meta: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(first day, last day) a document is in force by what it and its repealer state; None: open."""
    start = meta.get("effective_date") or meta.get("date")
    ends = [meta.get("expires_on")] if meta.get("expires_on") else []
    gone = repealed_on(meta)
    if gone:
        # a day no calendar has ("2023-02-30") may be stored by an index built before such days were refused
        try:
            ends.append((dt.date.fromisoformat(gone) - dt.timedelta(days=1)).isoformat())
        except ValueError:
            ends.append(gone)
    return start, min(ends) if ends else None


class Timeliner:
    def __init__(
        self,
        preparer: Preparer,
        pool: CandidatePool,
        scorer: Scorer,
        store: ClauseStore,
        views: Views,
        depth: Callable[[], int],
    ) -> None:
        """The steps a search takes, shared with it (the same candidates, relevance and floor)."""
        self.preparer, self.pool, self.scorer = preparer, pool, scorer
        self.store, self.views, self.depth = store, views, depth

    def timeline(self, request: TimelineRequest) -> TimelineResponse:
        t0 = time.perf_counter()
        p = self.preparer.prepare(request)
        as_of = p.filters.as_of or dt.date.today()
        floor = self.scorer.relevance.floor(p.method != "lexical")
        done = lambda **kw: TimelineResponse(  # noqa: E731
            query=p.q,
            took_ms=_ms(t0),
            as_of=as_of.isoformat(),
            floor=floor,
            excluded_undated=p.excluded_undated,
            **kw,
        )
        if p.matches_nothing:
            return done(jurisdictions=[], notices=p.notices or [notice("no_document_matches")])
        cands = self.pool.candidates(p, self.depth())
        if not cands.ids:
            return done(jurisdictions=[], notices=p.notices)
        sc = self.scorer.score(p, cands)
        by_jur: dict[str, list[int]] = defaultdict(list)
        for i, cid in enumerate(cands.ids):
            if sc.strong[i]:
                by_jur[self.pool.jurisdiction_of(cid)].append(i)
        out = []
        # every jurisdiction's first clauses read together, then every part of the split ones picked
        batch = request.per_jurisdiction + 2
        ranked_of = {
            jur: [cands.ids[i] for i in sorted(idx, key=lambda i: -sc.fused[i])]
            for jur, idx in by_jur.items()
        }
        fetch = ClauseCache(self.store.clauses, [c for ranked in ranked_of.values() for c in ranked[:batch]])
        picked_of = {
            jur: [c for _, c in dedupe(ranked, fetch, request.per_jurisdiction, batch)]
            for jur, ranked in ranked_of.items()
        }
        parts_of = {
            c.id: self.pool.with_parts([c.id]) if c.part_count > 1 else [c.id]
            for picked in picked_of.values()
            for c in picked
        }
        fetch([x for parts in parts_of.values() for x in parts])
        for jur, idx in by_jur.items():
            relevance = {cands.ids[i]: float(sc.relevance[i]) for i in idx}
            entries = [self._entry(c, relevance[c.id], as_of, fetch(parts_of[c.id])) for c in picked_of[jur]]
            entries.sort(key=lambda e: (e.date is None, e.date or "", e.document.id, e.clause_id))
            out.append(TimelineJurisdiction(jurisdiction=jur, entries=entries, series=_series(entries)))
        # the place the question names first (as its notice says), then by level and name
        first = (
            (lambda j: p.place.relation(None if j == UNKNOWN else j) != "within")
            if p.place is not None
            else None
        )
        out.sort(
            key=lambda j: (
                first(j.jurisdiction) if first else False,
                level_of(j.jurisdiction) if j.jurisdiction != UNKNOWN else 3,
                j.jurisdiction,
            )
        )
        notices = list(p.notices)
        if not out:
            notices.append(notice("no_jurisdiction_over_floor", floor=sc.floor))
        return done(jurisdictions=out, notices=notices)

    def _entry(self, c: Clause, relevance: float, as_of: dt.date, parts: list[Clause]) -> TimelineEntry:
        """``parts``: the clause's parts (itself when it is not split), whose whole text gives the figures."""
        doc_idx = self.store.clause_doc[c.id]
        info = self.views.info_at(doc_idx, as_of)
        meta = self.store.doc_meta[doc_idx]
        text = "".join(x.text for x in sorted(parts, key=lambda x: x.part))
        start, until = in_force_span(meta)
        return TimelineEntry(
            date=info.date,
            document=info,
            clause_id=c.id,
            heading_path=c.heading_path,
            text=c.text,
            relevance=round(relevance, 4),
            figures=[_figure(f) for f in _unique(_new_values(text))],
            validity_status=info.validity_status or "未知",
            in_force_from=start,
            in_force_until=until,
        )


_CHANGE_VERB = re.compile(r"提高|调整|上调|下调|降低|降|增加|提升|改为|变为|上浮|下浮")
_MEASURE_TAIL = re.compile(r"(?:由|从).*$|(?:为|至|到|提高至|调整为|提高到|统一为)$")


_SENTENCE_END = re.compile(r"[。；;！？!?\n]")
_CHANGE_WORDS = re.compile(r"^(?:提高|调整|上调|下调|降低|增加|提升|改|变|统一)(?:为|至|到)?")


def _changes(text: str) -> list[tuple[int, int, int, str]]:
    """Each "由/从 … 调整为 …" of a sentence: (where 由 stands, where the change verb starts, where the
    sentence ends, what its phrase says before 由: the measure that changes)."""
    out = []
    for m in re.finditer(r"由|从", text):
        # the subject: from the phrase's start (a comma ends the one before: "…提高至50万元，单缴存职工家庭由…")
        start = max((e.end() for e in re.finditer(r"[。；;！？!?\n，,]", text[: m.start()])), default=0)
        end_m = _SENTENCE_END.search(text, m.end())
        end = end_m.start() if end_m else len(text)
        verb = _CHANGE_VERB.search(text, m.end(), end)
        if verb:
            out.append((m.start(), verb.start(), end, text[start : m.start()].strip(" ，,")))
    return out


def _new_values(text: str) -> list[Figure]:
    """The figures a clause sets: "由40万元提高至50万元" sets 50 万元 (40 万元 is what it was); "由本人60万元、
    家庭100万元，调整为本人70万元、家庭120万元" sets 本人 70 万元 and 家庭 120 万元, each measured as the
    sentence's subject with its own words (最高贷款额度 … 本人)."""
    changes = _changes(text)
    out = []
    for f in extract(text):
        if any(a < f.start < v for a, v, _, _ in changes):
            continue  # what it was
        after = [subject for _, v, end, subject in changes if v < f.start < end]
        own = _MEASURE_TAIL.sub("", f.measure).strip(" …")
        if after and after[-1]:
            own = _CHANGE_WORDS.sub("", own).strip(" …")
            subject = _MEASURE_TAIL.sub("", after[-1]).strip(" …")
            own = f"{subject} … {own}" if own and own not in subject else subject
        f.measure = own or f.measure
        out.append(f)
    return out


def _overlap(a: str, b: str) -> float:
    ga = {a[i : i + 2] for i in range(len(a) - 1)}
    gb = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(ga & gb) / max(1, len(ga | gb))


def _unique(figures: list[Figure]) -> list[Figure]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in figures:
        key = (f.value_text, f.unit, f.measure)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _figure(f: Figure) -> TimelineFigure:
    return TimelineFigure(
        value=f.value, value_text=f.value_text, unit=f.unit, bound=f.bound, measure=f.measure
    )


def _series(entries: list[TimelineEntry]) -> list[TimelineSeries]:
    """The jurisdiction's dated figures grouped by unit and like measure, one value per document in a
    series (a document that sets 双缴存 40 万元 and 单缴存 30 万元 feeds two series: each figure joins the
    series whose measures it is most like); each series' points by date, series over more dates first."""
    groups: list[tuple[list[str], str, list[SeriesPoint], set[str]]] = []  # measures, unit, points, docs
    for e in entries:
        if e.date is None:
            continue
        for f in e.figures:
            point = SeriesPoint(
                date=e.date,
                value=f.value,
                value_text=f.value_text,
                bound=f.bound,
                clause_id=e.clause_id,
                validity_status=e.validity_status,
            )
            fits = [
                (max(_overlap(f.measure, m) for m in g[0]), n)
                for n, g in enumerate(groups)
                if g[1] == f.unit
                and e.document.id not in g[3]
                and any(similar_measures(f.measure, m) for m in g[0])
            ]
            if fits:
                measures, _, points, docs = groups[max(fits)[1]]
                measures.append(f.measure)
                points.append(point)
                docs.add(e.document.id)
            else:
                groups.append(([f.measure], f.unit, [point], {e.document.id}))
    series = [
        TimelineSeries(
            measure=Counter(measures).most_common(1)[0][0],
            unit=unit,
            points=sorted(points, key=lambda x: (x.date, x.value)),
        )
        for measures, unit, points, _ in groups
    ]
    series.sort(key=lambda s: -len({x.date for x in s.points}))
    return series


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


__all__ = ["Timeliner", "in_force_span"]
