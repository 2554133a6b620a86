"""Related provisions: the citation graph of clause ids, parsed from the references the corpus writes.

Recognised, in a clause's text:
- 《中华人民共和国专利法》第五十八条, 依照《民法典》第一千一百六十五条的规定 — a titled act and an article;
- 刑法第二百八十五条, 民法典第五百条 — an act by its short name (the title without 中华人民共和国);
- 本法第十二条, 本条例第三条, 第二十条 with no act before it — an article of the clause's own document;
- 前条 — the article before this one;
- 国办发〔2017〕44号 — a document by its 文号 (linked to the document, not to a clause).

A reference resolves when the act is a document of the index (by full title or short name) and the
article exists there; an act the index lacks is counted as unresolved, never guessed. The graph is
built from a generation's clause store, so it is always that generation's and is never stale.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import cn2an

from corpus.normalize import squash
from index.store import ClauseStore

NUM = r"[零〇一二两三四五六七八九十百千]+"
ARTICLE = re.compile(rf"^第({NUM})条")
_REF = re.compile(
    rf"(?:《(?P<title>[^》]{{2,60}})》|(?P<self>本法|本条例|本规定|本办法|本解释|本决定|本细则)"
    rf"|(?P<short>[\u4e00-\u9fff]{{1,14}}?(?:法典|法|条例)))?"
    rf"第(?P<num>{NUM})条(?:之[一二三四五六七八九十])?"
)
SELF = ("本法", "本条例", "本规定", "本办法", "本解释", "本决定", "本细则")
_PREVIOUS = re.compile(r"前条")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}〔\d{4}〕\d{1,4}号")
PREFIX = "中华人民共和国"


def article_number(heading_path: list[str]) -> int | None:
    """["第二章 合同的订立", "第四百七十一条"] → 471."""
    for h in reversed(heading_path):
        m = ARTICLE.match(h.strip())
        if m:
            return _num(m.group(1))
    return None


def _act(name: str, titles: dict[str, int]) -> int | None:
    """The document an act's name (or a 文号) means: its full title, or the longest suffix that is a title or short
    name ("应当认定为刑法" → 刑法 → 中华人民共和国刑法); None when the index has no such act."""
    name = squash(name)
    for k in range(len(name) - 1):
        if name[k:] in titles:
            return titles[name[k:]]
    return None


@functools.lru_cache(maxsize=4096)
def _num(text: str) -> int | None:
    try:
        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError):
        return None


@dataclass(frozen=True)
class Reference:
    """One reference as written: ``act`` None means the clause's own document."""

    text: str
    act: str | None = None
    article: int | None = None
    doc_number: str | None = None
    previous: bool = False


def parse_references(text: str) -> list[Reference]:
    """ "依照《中华人民共和国民法典》第一千一百六十五条和本法第三条" → [Reference(act='中华人民共和国民法典',
    article=1165), Reference(act=None, article=3)]."""
    out: list[Reference] = []
    for m in _REF.finditer(text):
        if m.start() == 0 and not (m.group("title") or m.group("self") or m.group("short")):
            continue  # the clause's own label: "第十二条　国家……"
        n = _num(m.group("num"))
        if n is None:
            continue
        act = m.group("title") or m.group("short")
        if m.group("short") and act.endswith(SELF):
            act = None  # "依照本条例第三条": the scan began before 本条例
        out.append(Reference(m.group(0), act, n))
    out += [Reference(m.group(0), previous=True) for m in _PREVIOUS.finditer(text)]
    out += [Reference(m.group(0), doc_number=m.group(0)) for m in _DOC_NUMBER.finditer(text)]
    return out


@dataclass
class Link:
    clause_id: str | None  # None: the reference names a whole document (文号)
    doc_id: str
    label: str  # as written: 《中华人民共和国专利法》第五十八条


@dataclass
class GraphStats:
    references: int = 0
    resolved: int = 0
    edges: int = 0
    clauses_citing: int = 0
    clauses_cited: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind → [found, resolved]


class CitationGraph:
    """``cites[clause]`` and ``cited_by[clause]``, each a list of :class:`Link`; built once per generation."""

    def __init__(self) -> None:
        self.cites: dict[str, list[Link]] = defaultdict(list)
        self.cited_by: dict[str, list[Link]] = defaultdict(list)
        self.stats = GraphStats()

    @classmethod
    def build(cls, store: ClauseStore) -> CitationGraph:
        g = cls()
        titles: dict[str, int] = {}
        numbers: dict[str, int] = {}
        articles: list[dict[int, str]] = []
        doc_clauses = []
        for i, meta in enumerate(store.doc_meta):
            title = squash(meta.get("title") or "")
            if title:
                titles.setdefault(title, i)
                if title.startswith(PREFIX):
                    titles.setdefault(title[len(PREFIX) :], i)
            if meta.get("doc_number"):
                numbers.setdefault(squash(meta["doc_number"]), i)
            clauses = store.document_clauses(i)
            doc_clauses.append(clauses)
            first: dict[int, str] = {}
            for c in clauses:
                n = article_number(c.heading_path)
                if n is not None:
                    first.setdefault(n, c.id)
            articles.append(first)
        for i, clauses in enumerate(doc_clauses):
            doc_id = store.doc_ids[i]
            for c in clauses:
                for ref in parse_references(c.text):
                    kind = (
                        "文号"
                        if ref.doc_number
                        else "前条"
                        if ref.previous
                        else "本文"
                        if not ref.act
                        else "他法"
                    )
                    found = g.stats.by_kind.setdefault(kind, [0, 0])
                    found[0] += 1
                    g.stats.references += 1
                    target = g._resolve(ref, i, c.heading_path, titles, numbers, articles)
                    if target is None:
                        continue
                    tdoc, tclause = target
                    if tclause == c.id or (tclause is None and tdoc == i):
                        continue  # a clause citing itself (第X条 inside article X) links nowhere new
                    found[1] += 1
                    g.stats.resolved += 1
                    g._add(c.id, doc_id, Link(tclause, store.doc_ids[tdoc], ref.text))
        g.stats.edges = sum(len(v) for v in g.cites.values())
        g.stats.clauses_citing = len(g.cites)
        g.stats.clauses_cited = len(g.cited_by)
        return g

    @staticmethod
    def _resolve(
        ref: Reference,
        doc: int,
        heading_path: list[str],
        titles: dict[str, int],
        numbers: dict[str, int],
        articles: list[dict[int, str]],
    ) -> tuple[int, str | None] | None:
        if ref.doc_number:
            t = _act(ref.doc_number, numbers)  # "贯彻国办发〔2017〕44号": the scan began before 国办发
            return None if t is None else (t, None)
        if ref.previous:
            n = article_number(heading_path)
            cid = articles[doc].get(n - 1) if n else None
            return None if cid is None else (doc, cid)
        target = doc if ref.act is None else _act(ref.act, titles)
        if target is None or ref.article is None:
            return None
        cid = articles[target].get(ref.article)
        return None if cid is None else (target, cid)

    def _add(self, source: str, source_doc: str, link: Link) -> None:
        if any(x.clause_id == link.clause_id and x.doc_id == link.doc_id for x in self.cites[source]):
            return
        self.cites[source].append(link)
        if link.clause_id is not None:
            self.cited_by[link.clause_id].append(Link(source, source_doc, link.label))

    def related(self, clause_id: str, limit: int = 10) -> tuple[list[Link], list[Link]]:
        """What the clause cites and what cites it, at most ``limit`` of each."""
        return self.cites.get(clause_id, [])[:limit], self.cited_by.get(clause_id, [])[:limit]


class LazyGraph:
    """The graph of one generation, built on first use or by :meth:`start` in the background (3 s for the
    66,808 national clauses, 7.5 s for all 155,659): a document view waits for it, a search does not."""

    def __init__(self, store: ClauseStore) -> None:
        self._store = store
        self._graph: CitationGraph | None = None
        self._lock = threading.Lock()

    def get(self) -> CitationGraph:
        with self._lock:
            if self._graph is None:
                self._graph = CitationGraph.build(self._store)
            return self._graph

    def ready(self) -> CitationGraph | None:
        return self._graph

    def start(self) -> None:
        """Build in a daemon thread now, so searches carry related provisions soon after an open."""
        threading.Thread(target=self._build_quietly, name="citation-graph", daemon=True).start()

    def _build_quietly(self) -> None:
        try:
            self.get()
        except Exception:  # noqa: BLE001 - a closed store (the generation was swapped out): nothing to show
            pass

    def summary(self) -> dict[str, object] | None:
        """The graph's size and how many references resolved, once built."""
        g = self._graph
        if g is None:
            return None
        st = g.stats
        return {
            "references": st.references,
            "resolved": st.resolved,
            "edges": st.edges,
            "clauses_citing": st.clauses_citing,
            "clauses_cited": st.clauses_cited,
            "by_kind": {k: {"found": v[0], "resolved": v[1]} for k, v in st.by_kind.items()},
        }
