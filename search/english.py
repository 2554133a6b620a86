"""English words to lexicon keys: lower case, no function words, a crude singular.

The same rule reads CC-CEDICT's senses when ``search/data/english.tsv`` is built and a question when it is
expanded, so "to pay a dividend" and "Can hospitals pay dividends?" meet at "pay dividend".
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from index.bm25 import bm25_idf

STOPWORDS = frozenset(
    "a an the to of for in on at by with from and or is are be been being was were do does did can could "
    "will would shall should may might must how what which who whom whose when where why whether if "
    "there their they them it its this that these those i we you he she my our your his her me us "
    "any some all no not get got has have had as into than then so such about".split()
)
_WORD = re.compile(r"[a-z][a-z'-]*")


# nouns that end in -s in the singular: "news" is not the plural of "new" (CC-CEDICT's 新闻 "news" would
# otherwise be read for "new home")
SINGULAR_IN_S = frozenset(
    "news series species means physics economics politics statistics mathematics".split()
)


def singular(word: str) -> str:
    """hospitals → hospital, policies → policy, clinics → clinic; short words, -ss words and
    :data:`SINGULAR_IN_S` (news) stay."""
    if word in SINGULAR_IN_S:
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_words(text: str) -> list[str]:
    # the possessive goes before the singular ("one's" → "one", not "one'") and the stopwords are checked
    # again after it ("gets" → "get"), so that a key read twice stays the same
    out = []
    for w in _WORD.findall(text.lower()):
        if w not in STOPWORDS:
            w = w.strip("'-")
            w = singular(w[:-2] if w.endswith("'s") else w).strip("'-")
            if w and w not in STOPWORDS:
                out.append(w)
    return out


def english_key(text: str) -> str:
    """'to pay a dividend' → 'pay dividend'; '' when nothing is left."""
    return " ".join(content_words(text))


class EnglishLexicon:
    """English entries keyed by their content words ("to pay a dividend" → "pay dividend"), with the
    lexicon's weight; ``search.expansion.phrases`` reads a question against them, longest phrase first."""

    def __init__(self, entries: Mapping[str, list[str]], weight: float) -> None:
        read: dict[str, list[str]] = {}
        for k, v in entries.items():
            key = english_key(k)
            if key:
                read.setdefault(key, [])
                read[key] += [t for t in v if t not in read[key]]
        self.entries: Mapping[str, list[str]] = read
        self.weight = weight

    @classmethod
    def read(cls, entries: Mapping[str, list[str]], weight: float) -> EnglishLexicon:
        """Entries whose keys are read already (``english_key(k) == k``), kept as given: a mapping that
        computes its entries on demand (:class:`RankedEntries`) stays lazy."""
        lexicon = cls({}, weight)
        lexicon.entries = entries
        return lexicon


CANDIDATES = Path(__file__).parent / "data" / "english_candidates.tsv.gz"


def read_keyed(path: Path) -> dict[str, tuple[str, ...]]:
    """A gzip TSV of English keys and Chinese words, ``key<TAB>word word …`` per line, ``#`` comments, as
    ``scripts/build_english_lexicon.py`` writes them.

    Raises OSError when the file cannot be read."""
    out: dict[str, tuple[str, ...]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or "\t" not in line:
                continue
            key, _, words = line.rstrip("\n").partition("\t")
            out[key] = tuple(words.split())
    return out


@cache
def read_candidates(path: Path = CANDIDATES) -> dict[str, tuple[str, ...]]:
    """English sense, or a two-word sense's head word → every Chinese word CC-CEDICT gives for it
    (``english_candidates.tsv.gz``, ``build_english_lexicon.py --candidates``; ~76 k keys, ~0.3 s), read once
    per process and path: every opened generation ranks the same candidates. Do not change what it returns."""
    return read_keyed(path)


def ranked_by_index(
    candidates: Mapping[str, Sequence[str]],
    idf: Callable[[Sequence[str]], np.ndarray],
    size: int,
    per_key: int = 2,
    min_clauses: int = 3,
    exclude: Callable[[str], bool] | None = None,
) -> dict[str, list[str]]:
    """Each key's ``per_key`` Chinese words that the index holds most often (lowest IDF), among those in at
    least ``min_clauses`` clauses; keys with none are left out.

    ``idf``: the lexical index's IDF (``index.bm25.bm25_idf`` over ``size`` clauses, 0 for a word no clause
    holds), so the order is by document frequency without reading it back. Why: CC-CEDICT lists a word's
    renderings in no order of use; the index says which one its documents write. Over policy-dev "fund" →
    公积金 资金 (the bundled lexicon: 资金 经费 基金), "down payment" → 首付 首付款 (押金 定金).

    ``exclude``: words never kept (the service passes the names of administrative divisions: a place's own
    documents make its name common, so "county" would read 南县 and "abbr" 天津; a place in the question is the
    place preference's to weigh).

    Raises ValueError for ``per_key`` or ``min_clauses`` under 1."""
    if per_key < 1 or min_clauses < 1:
        raise ValueError(f"per_key {per_key} and min_clauses {min_clauses} must be ≥ 1")
    words = sorted({w for ws in candidates.values() for w in ws if exclude is None or not exclude(w)})
    if not words:
        return {}
    known = dict(zip(words, idf(words).tolist()))
    # the IDF of a word in exactly min_clauses clauses: anything rarer scores a higher IDF
    ceiling = float(bm25_idf(np.array([float(min_clauses)]), max(size, 1))[0]) + 1e-9
    out: dict[str, list[str]] = {}
    for key, ws in candidates.items():
        held = sorted((w for w in set(ws) if 0 < known.get(w, 0) <= ceiling), key=lambda w: (known[w], w))
        if held:
            out[key] = held[:per_key]
    return out


class RankedEntries(Mapping[str, list[str]]):
    """:func:`ranked_by_index` of ``candidates`` computed per key on first use and kept: opening a generation
    costs nothing, and a question pays for the few keys it reads (a live switch to a new generation was
    delayed ~0.5 s by ranking all ~75 k keys at once). A key whose words the index holds too rarely is not
    in the mapping. Iterating ranks every key (one pass)."""

    def __init__(
        self,
        candidates: Mapping[str, Sequence[str]],
        idf: Callable[[Sequence[str]], np.ndarray],
        size: Callable[[], int],
        exclude: Callable[[str], bool] | None = None,
    ) -> None:
        self.candidates = candidates
        self.idf, self.size, self.exclude = idf, size, exclude
        self._ranked: dict[str, list[str] | None] = {}

    def _rank(self, keys: Iterable[str]) -> None:
        todo = {k: self.candidates[k] for k in keys if k not in self._ranked and k in self.candidates}
        if todo:
            got = ranked_by_index(todo, self.idf, self.size(), exclude=self.exclude)
            self._ranked.update({k: got.get(k) for k in todo})

    def __getitem__(self, key: str) -> list[str]:
        self._rank((key,))
        got = self._ranked.get(key)
        if got is None:
            raise KeyError(key)
        return got

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or key not in self.candidates:
            return False
        self._rank((key,))
        return bool(self._ranked[key])

    def __iter__(self) -> Iterator[str]:
        self._rank(self.candidates)
        return (k for k in self.candidates if self._ranked.get(k))

    def __len__(self) -> int:
        return sum(1 for _ in self)
