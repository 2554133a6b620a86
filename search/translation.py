"""English questions: the Chinese words for each English word, chosen by the question's own first page.

A dictionary gives an English word many Chinese words, and the right one depends on the subject: CC-CEDICT
files 公积金 under "accumulated fund", 首付 under "down payment", 按揭 under "mortgage", but also 基金, 资金,
专款 … under "fund". The CC-CEDICT lexicon keeps, for every question alike, the words its index holds most
often (``search.english.ranked_by_index``: "fund" → 公积金 / 资金 over policy-dev); a word with two uses in the
documents ("sell" → 销售 / 出售, "use" → 使用 / 用于) gets both, whatever the question is about.

Here the question chooses (dictionary-based cross-language retrieval, disambiguated by pseudo-relevance
feedback): the first ``depth`` clauses of a first ranking (dictionary translation and the multilingual
embedding together) are read, and for each English word, or two words in a row, of the question, the Chinese
words CC-CEDICT gives for it (``english_senses.tsv.gz``, every sense that holds the word) are kept when they
are

- on the page: in at least ``min_clauses`` of its clauses, and
- of the page rather than of the corpus: their share of the page's clauses at least ``lift`` × their share of
  all clauses (作为 "deed", 以上 "higher", 本市 "city" are everywhere);

the ``per_word`` best by clauses × IDF. Two words in a row are read before one ("tax rate" → 税率).

    "Can I withdraw my housing provident fund to pay rent?"  → withdraw 提取 · pay 支付 支出 · rent 房租 租赁
    (over policy-dev: 公积金 is on the page, but in a quarter of the index's clauses it cannot be 3× as common
    there, so "fund" keeps the lexicon's words)

The chosen words then stand before the lexicons' own for those English words (``search.expansion``), and the
question is ranked again. Nothing here is written per topic: the words come from the dictionary, the choice
from the indexed text. Measured on policy-dev's English questions (BENCHMARKS.md, "English words chosen by
the first page"): not a gain on held-out questions, so off by default (``english_translation`` 0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from search.english import content_words, read_keyed

SENSES = Path(__file__).parent / "data" / "english_senses.tsv.gz"


class EnglishSenses:
    """English word, or two words in a row (lower case, singular, as ``search.english`` reads them) → every
    Chinese word CC-CEDICT gives for it."""

    def __init__(self, entries: dict[str, tuple[str, ...]]) -> None:
        self.entries = entries

    @classmethod
    def read(cls, path: Path = SENSES) -> EnglishSenses:
        """``path``: a gzip TSV, ``key<TAB>word word …`` per line (``search.english.read_keyed``).

        Raises OSError when the file cannot be read."""
        return cls(read_keyed(path))

    @staticmethod
    @cache
    def bundled() -> EnglishSenses:
        """The bundled file, read once per process (~0.5 s, ~100 k keys)."""
        return EnglishSenses.read()

    def __call__(self, key: str) -> tuple[str, ...]:
        return self.entries.get(key, ())


@dataclass(frozen=True)
class Translation:
    """What the first page chose: English key → its Chinese words, best first (empty: nothing chosen)."""

    chosen: dict[str, list[str]]

    def __bool__(self) -> bool:
        return bool(self.chosen)

    def within(self, keys: set[str]) -> Translation:
        """The choices whose English key is among ``keys`` (what the question was read with)."""
        return Translation({k: v for k, v in self.chosen.items() if k in keys})

    def describe(self) -> str:
        """ "withdraw → 提取；rent → 房租、租赁" (for the notice)."""
        return "；".join(f"{k} → {'、'.join(v)}" for k, v in self.chosen.items())


class FirstPageTranslator:
    def __init__(
        self,
        senses: EnglishSenses,
        tokenize: Callable[[str], list[str]],
        idf: Callable[[Sequence[str]], np.ndarray],
        size: Callable[[], int],
        per_word: int = 2,
        min_clauses: int = 2,
        lift: float = 3.0,
    ) -> None:
        """``idf``: the lexical index's IDF (Lucene's, ``index.bm25.bm25_idf``) of each word over ``size()``
        clauses, 0 for a word no clause holds; ``tokenize``: the index's tokenizer (a word counts on the page
        when a clause has it as a token)."""
        if per_word < 1 or min_clauses < 1 or lift <= 0:
            raise ValueError(f"per_word {per_word}, min_clauses {min_clauses} ≥ 1 and lift {lift} > 0")
        self.senses = senses
        self.tokenize = tokenize
        self.idf = idf
        self.size = size
        self.per_word, self.min_clauses, self.lift = per_word, min_clauses, lift

    def choose(self, question: str, page: Iterable[str]) -> Translation:
        """The Chinese words for the English words of ``question`` that ``page`` (the first clauses' texts,
        best first) bears out; an empty :class:`Translation` when the question has no English word or the
        page bears none out."""
        words = content_words(question)
        if not words:
            return Translation({})
        on_page: Counter[str] = Counter()
        clauses = 0
        for text in page:
            clauses += 1
            on_page.update(set(self.tokenize(text)))
        if not clauses:
            return Translation({})
        n = max(self.size(), 1)
        keys = list(dict.fromkeys([f"{a} {b}" for a, b in zip(words, words[1:])] + words))
        cands = {k: [w for w in self.senses(k) if on_page[w] >= self.min_clauses] for k in keys}
        held = sorted({w for ws in cands.values() for w in ws})
        idf = dict(zip(held, self.idf(held).tolist())) if held else {}
        chosen: dict[str, list[str]] = {}

        def pick(key: str) -> list[str]:
            scored = []
            for w in cands.get(key, ()):
                if idf[w] <= 0:
                    continue
                share = on_page[w] / clauses
                if share >= self.lift * _df(idf[w], n) / n:
                    scored.append((on_page[w] * idf[w], w))
            scored.sort(key=lambda x: (-x[0], x[1]))
            return [w for _, w in scored[: self.per_word]]

        i = 0
        while i < len(words):
            if i + 1 < len(words):
                two = f"{words[i]} {words[i + 1]}"
                got = pick(two)
                if got:
                    chosen[two] = got
                    i += 2
                    continue
            got = pick(words[i])
            if got:
                chosen.setdefault(words[i], got)
            i += 1
        return Translation(chosen)


def _df(idf: float, n: int) -> float:
    """The document frequency behind a Lucene IDF over ``n`` clauses: idf = ln(1 + (n − df + 0.5)/(df + 0.5))."""
    r = float(np.expm1(idf))
    return max((n + 0.5 - 0.5 * r) / (r + 1.0), 0.0)


__all__ = ["EnglishSenses", "FirstPageTranslator", "Translation"]
