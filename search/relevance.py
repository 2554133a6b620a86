"""How likely a clause is to answer a question: a probability read from the question and the clause alone,
and the floor under which the service says "no strong match" (search) or "nothing on it" (compare).

Nothing here looks at the other candidates, so one clause gets one verdict in a search, a filtered search,
the region drill-down and a comparison. The features:

- ``dense``: the cosine of question and clause (for clauses of laws, of the adapted question: the score
  the query adapter gives them);
- ``lexical``: the clause's BM25 over what the question could attain (``LexicalQuery.attainable``: every
  term at saturation, each concept once), 0–1;
- ``coverage``: the share of the question's own words (``LexicalQuery.words``), by IDF, that the clause
  contains (a word the index never saw counts as the rarest);
- ``concepts``: the same share over what the question asks for read through the lexicons
  (``LexicalQuery.units``): 民营医院 is covered by a clause that says 社会办医疗机构, "physicians" by 医师;
- ``english``: the share of Latin letters in the question (an English question's cosines run lower).

A logistic regression over them (``coverage`` is computed and shown, but the model reads ``concepts``,
which holds it: fitted together, coverage took a negative weight), and the floor, are fitted on one half
of the judged questions and reported on the other (``scripts/calibrate_relevance.py``, BENCHMARKS.md).
Lexical-only ranking (no query vector) has its own model without ``dense``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.bm25 import bm25_idf
from index.protocols import LexicalIndex
from search.lexical_query import LexicalQuery
from search.retrieval import law_mask

MODEL_FILE = Path(__file__).parent / "data" / "relevance.json"
FEATURES = ("dense", "lexical", "concepts", "english")
LEXICAL_FEATURES = ("lexical", "concepts", "english")
_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def __call__(self, x: dict[str, np.ndarray]) -> np.ndarray:
        z = self.bias + sum(w * x[f] for f, w in zip(self.features, self.weights))
        return 1.0 / (1.0 + np.exp(-np.asarray(z, np.float64)))


@dataclass(frozen=True)
class RelevanceModel:
    hybrid: Logistic
    lexical: Logistic
    floor: float
    lexical_floor: float
    source: dict = field(default_factory=dict)

    @classmethod
    def bundled(cls) -> RelevanceModel:
        return cls.from_dict(json.loads(MODEL_FILE.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, d: dict) -> RelevanceModel:
        def lg(m: dict) -> Logistic:
            return Logistic(tuple(m["features"]), tuple(m["weights"]), float(m["bias"]))

        return cls(lg(d["hybrid"]), lg(d["lexical"]), d["floor"], d["lexical_floor"], d.get("source", {}))

    def score(self, features: dict[str, np.ndarray], with_dense: bool) -> np.ndarray:
        return (self.hybrid if with_dense else self.lexical)(features)

    def floor_for(self, with_dense: bool) -> float:
        return self.floor if with_dense else self.lexical_floor


def english_share(q: str) -> float:
    """Latin letters over Latin letters and CJK characters: 1.0 for "Can physicians …", 0 for Chinese."""
    latin, cjk = len(_LATIN.findall(q)), len(_CJK.findall(q))
    return latin / (latin + cjk) if latin + cjk else 0.0


def presence(lexical: LexicalIndex, tokens: Sequence[str], ids: Sequence[str]) -> np.ndarray:
    """(len(ids), len(tokens)) booleans: whether each clause contains each token."""
    if not len(tokens) or not len(ids):
        return np.zeros((len(ids), len(tokens)), bool)
    direct = getattr(lexical, "presence", None)
    if direct is not None:
        return direct(list(tokens), ids)
    # any backend: a one-token coverage is 1 where the clause holds the token
    return np.column_stack([lexical.coverage([t], ids) > 0 for t in tokens])


class Containers:
    """The index's terms that contain a word of four or more characters: 社会办医 → 社会办医疗机构 ….

    The tokenizer's search mode adds the two- and three-character words inside a long one, not the longer
    ones, so a clause that writes 社会办医疗机构 holds no token 社会办医; relevance counts it as saying
    社会办医 all the same. Looked up once per word and kept (one scan of the vocabulary per new word)."""

    MIN_CHARS = 4

    def __init__(self, lexical: LexicalIndex) -> None:
        self.vocabulary = getattr(lexical, "vocabulary", None)
        self._known: dict[str, tuple[str, ...]] = {}

    def of(self, word: str) -> tuple[str, ...]:
        if self.vocabulary is None or len(word) < self.MIN_CHARS or word.isascii():
            return ()
        got = self._known.get(word)
        if got is None:
            got = self._known[word] = tuple(v for v in self.vocabulary if word in v and v != word)
        return got


def features(
    lq: LexicalQuery,
    q: str,
    ids: Sequence[str],
    lexical_scores: np.ndarray,
    dense: np.ndarray,
    is_law: np.ndarray,
    lexical: LexicalIndex,
    containers: Containers | None = None,
) -> dict[str, np.ndarray]:
    """The features of each clause in ``ids`` for one question; each depends on that clause alone.

    ``lexical_scores``: the clause's BM25 for the question as ranked (concepts counted once, law-only
    terms on law clauses); ``dense``: its cosine (0 without a query vector); ``is_law``: which are law
    clauses."""
    n = len(ids)
    idf = lexical.idf
    rarest = float(bm25_idf(np.array([0.0]), max(lexical.size, 1))[0])
    out: dict[str, np.ndarray] = {"dense": dense.astype(np.float64)}
    # a backend whose BM25 runs on another scale says so (Milvus: query terms repeated, (k1 + 1) factor)
    scale = float(getattr(lexical, "score_scale", 1.0))
    attainable = scale * np.where(is_law, lq.attainable(idf, law=True), lq.attainable(idf, law=False))
    out["lexical"] = np.where(attainable > 0, lexical_scores / np.maximum(attainable, 1e-9), 0.0)
    words, units = lq.words, lq.units
    tokens = list(dict.fromkeys(t for u in (*words, *units) for t in u.tokens))
    longer = {t: containers.of(t) for t in tokens} if containers is not None else {}
    extra = list(dict.fromkeys(v for vs in longer.values() for v in vs if v not in tokens))
    found = presence(lexical, tokens + extra, ids)
    at = {t: i for i, t in enumerate(tokens + extra)}
    has = found[:, : len(tokens)].copy()
    for i, t in enumerate(tokens):
        if longer.get(t):
            has[:, i] |= found[:, [at[v] for v in longer[t]]].any(axis=1)
    col = {t: i for i, t in enumerate(tokens)}
    known = dict(zip(tokens, idf(tokens).tolist())) if tokens else {}

    def weight(forms: tuple[tuple[str, ...], ...]) -> float:
        """A group's IDF: that of its commonest form (a clause holding any form holds the group, so the
        group is at least as common), a form weighing as its rarest token; the rarest of all when the index
        knows no form (a word it never saw)."""
        return min([max(known[t] for t in f) for f in forms if all(known[t] > 0 for t in f)], default=rarest)

    def share(
        groups: list[tuple[tuple[str, ...], ...]], weighed: list[tuple[tuple[str, ...], ...]]
    ) -> np.ndarray:
        """IDF-weighted share of the groups a clause matches."""
        weights = np.array([weight(w) for w in weighed])
        if not len(groups) or weights.sum() <= 0:
            return np.zeros(n)
        matched = np.zeros((n, len(groups)), bool)
        for j, g in enumerate(groups):
            for f in g:
                matched[:, j] |= has[:, [col[t] for t in f]].all(axis=1)
        return matched @ weights / weights.sum()

    out["coverage"] = share([w.forms for w in words], [w.forms for w in words])
    out["concepts"] = share([u.forms for u in units], [u.weighed for u in units])
    out["english"] = np.full(n, english_share(q))
    return out


class RelevanceScorer:
    """The one place relevance is computed: search, compare and the region drill-down all call it."""

    def __init__(self, model: RelevanceModel, lexical: LexicalIndex, is_law: Callable[[str], bool]) -> None:
        self.model = model
        self.lexical = lexical
        self.is_law = is_law
        self.containers = Containers(lexical)

    def floor(self, with_dense: bool) -> float:
        return self.model.floor_for(with_dense)

    def score(
        self,
        lq: LexicalQuery,
        q: str,
        ids: Sequence[str],
        lexical_scores: np.ndarray,
        dense: np.ndarray,
        with_dense: bool,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(probability per clause, features per clause)."""
        law = law_mask(self.is_law, ids)
        feats = features(lq, q, ids, lexical_scores, dense, law, self.lexical, self.containers)
        return self.model.score(feats, with_dense), feats


__all__ = ["FEATURES", "LEXICAL_FEATURES", "RelevanceModel", "RelevanceScorer", "english_share", "features"]
