"""The lexical side of one question: its words, the lexicons' expansions with their weights, and the rules
that keep expansions from outscoring the question's own topic.

    "民营医院能不能纳入医保定点"
      tokens   民营 医院 民营医院 纳入 医保 定点 医保定点
      weights  社会办医 0.6, 社会办医疗机构 0.6, 基本医疗保险 0.6 … (民营医院 capped at 社会办医's IDF)
      concepts [民营医院, 社会办医, 社会办医疗机构 …] counts once, at its best form
      units    民营医院 ≈ 社会办医 ≈ 社会办医疗机构 …; 医保 ≈ 基本医疗保险 …; 定点 …  (what relevance reads)

Ranking reads ``tokens``/``weights``/``law_weights``/``concepts`` (``search.retrieval``); relevance reads
``units`` (``search.relevance``): what the question asks for, each with every form that says it, so a clause
that writes 社会办医疗机构 … 基本医疗保险定点 covers a question that says 民营医院 … 医保定点, and an English
question covers its Chinese answer through the lexicon.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from corpus.normalize import match_text
from index.tokenizer import ChineseTokenizer
from search.english import content_words
from search.expansion import QueryExpander


@dataclass(frozen=True)
class Unit:
    """One thing the question asks for and the ways to say it: a clause matches when it holds every token
    of one form. A form is a word as one token (社会办医疗机构) or, where the tokenizer splits it, all of its
    tokens (多个机构执业 → 多个, 机构, 执业).

    ``forms`` empty: an English word no lexicon knows; it can never be matched and counts as the rarest
    word, as a Chinese word the index never saw does."""

    label: str
    forms: tuple[tuple[str, ...], ...]
    asked: int = 0  # how many leading forms are the question's own wording

    @property
    def weighed(self) -> tuple[tuple[str, ...], ...]:
        """The forms whose IDF gives the unit its weight: a colloquial word weighs no more than its
        official forms (民营医院 as much as 社会办医), as in ranking (``variant_idf_cap``)."""
        return self.forms[self.asked :] or self.forms

    @property
    def tokens(self) -> list[str]:
        return list(dict.fromkeys(t for f in self.forms for t in f))


@dataclass
class LexicalQuery:
    tokens: list[str] = field(default_factory=list)  # the question's own words
    weights: dict[str, float] = field(default_factory=dict)  # expansion terms, capped question words
    law_weights: dict[str, float] = field(default_factory=dict)  # terms for law clauses only
    concepts: list[list[str]] = field(default_factory=list)  # tokens that count once, at their best
    expansions: list[str] = field(default_factory=list)  # lexicon terms added (marked, explained)
    words: list[Unit] = field(default_factory=list)  # the question's own words (relevance: coverage)
    units: list[Unit] = field(default_factory=list)  # what it asks for, through the lexicons (concepts)

    @property
    def terms(self) -> list[str]:
        """Every token the lexical side scores (law-only terms apart)."""
        return self.tokens + list(self.weights)

    def weight(self, token: str) -> float:
        return self.weights.get(token, 1.0)

    def attainable(self, idf: Callable[[Sequence[str]], np.ndarray], law: bool = False) -> float:
        """The BM25 score a clause would reach holding every term of the query at saturation (tf → ∞ makes
        a term's Lucene BM25 score its IDF): each plain term's weight × IDF, each concept once at its best
        form, and for law clauses the law-only terms too. A clause's BM25 over this is a share of what the
        question could match, whatever else the candidate pool holds."""
        grouped = {t for c in self.concepts for t in c}
        counts: dict[str, float] = {}
        for t in self.tokens:
            if t not in grouped:
                counts[t] = counts.get(t, 0.0) + self.weight(t)
        for t, w in self.weights.items():
            if t not in self.tokens and t not in grouped:
                counts[t] = w
        if law:
            for t, w in self.law_weights.items():
                counts.setdefault(t, w)
        plain = list(counts)
        total = float(np.dot(idf(plain), [counts[t] for t in plain])) if plain else 0.0
        for c in self.concepts:
            total += float(np.max(idf(c) * np.array([self.weight(t) for t in c])))
        return total


class LexicalQueryBuilder:
    """Builds a :class:`LexicalQuery` for one generation (it reads the lexical index's IDF)."""

    def __init__(
        self,
        tokenizer: ChineseTokenizer,
        expander: QueryExpander,
        idf: Callable[[Sequence[str]], np.ndarray],
        per_term_queries: bool,
        has_laws: bool,
        all_laws: bool,
    ) -> None:
        self.tokenizer = tokenizer
        self.expander = expander
        self.idf = idf
        self.per_term_queries = per_term_queries
        self.has_laws, self.all_laws = has_laws, all_laws

    def build(
        self,
        q: str,
        scale: float = 1.0,
        cap_variants: bool = True,
        concept_max: bool = True,
        chosen: dict[str, list[str]] | None = None,
    ) -> LexicalQuery:
        """``scale`` multiplies each lexicon's weight; ``cap_variants`` and ``concept_max`` are the two
        settings ``variant_idf_cap`` and ``concept_max``; ``chosen``: Chinese words chosen for the question's
        English words (``search.translation``), read before the lexicons'."""
        lq = LexicalQuery(tokens=self.tokenizer.tokenize(q))
        expansion = self.expander.expand(q, chosen)
        for term in expansion.terms:
            law_only = term in expansion.law_only
            if law_only and not self.has_laws:
                continue  # a law-vocabulary term, and no law in this index to score
            target = lq.law_weights if law_only and not self.all_laws else lq.weights
            for t in self.tokenizer.tokenize(term):
                if t not in lq.tokens and t not in lq.weights and t not in lq.law_weights:
                    target[t] = expansion.weights[term] * scale
        lq.expansions = [t for t in expansion.terms if self.has_laws or t not in expansion.law_only]
        if cap_variants and expansion.rewrites:
            self._cap_variants(lq, expansion.rewrites)
        if concept_max and expansion.rewrites and self.per_term_queries:
            lq.concepts = self._concepts(lq, expansion.rewrites)
        lq.words, lq.units = self._units(q, lq, expansion.matches)
        return lq

    def _cap_variants(self, lq: LexicalQuery, rewrites: dict[str, list[str]]) -> None:
        """A word the synonym lexicon rewrites scores at most what its official wording would.

        民营医院 occurs in one clause of the built-in corpus (辽宁 (十八) 住院医师规培), so its IDF is the
        highest of any query word and that clause outranked every clause on 社会办医 + 医保; capped at the IDF
        of 社会办医, the literal match counts as one more mention of the topic, not as the topic.
        """
        for trigger, terms in rewrites.items():
            canon = [t for term in terms for t in self.tokenizer.tokenize(term)]
            words = [t for t in self.tokenizer.tokenize(trigger) if t in lq.tokens and t not in canon]
            if not canon or not words:
                continue
            idf = self.idf(words + canon)
            ceiling = float(idf[len(words) :].max())
            for t, i in zip(words, idf[: len(words)]):
                if i > ceiling > 0:
                    lq.weights[t] = min(lq.weights.get(t, 1.0), ceiling / float(i))

    def _concepts(self, lq: LexicalQuery, rewrites: dict[str, list[str]]) -> list[list[str]]:
        """Each rewritten word with its official forms, as token groups; a token joins one group only."""
        seen: set[str] = set()
        out = []
        for trigger, terms in rewrites.items():
            forms = [t for t in self.tokenizer.tokenize(trigger) if t in lq.tokens]
            forms += [t for term in terms for t in self.tokenizer.tokenize(term) if t in lq.weights]
            group = [t for t in dict.fromkeys(forms) if t not in seen]
            seen.update(group)
            if len(group) > 1:
                out.append(group)
        return out

    def _forms(self, word: str, tokens: Sequence[str] | None = None) -> list[tuple[str, ...]]:
        """The ways a clause can say ``word``: the word as one token, and its parts where the tokenizer's
        pieces tile it (医保定点 → 医保定点 | 医保 + 定点; the stray 保定 tiles nothing). ``tokens``: the
        pieces to tile with (default: the word's own tokens)."""
        whole = match_text(word).replace(" ", "")
        pieces = [t for t in dict.fromkeys(tokens if tokens is not None else self.tokenizer.tokenize(word))]
        forms: list[tuple[str, ...]] = []
        if whole in pieces:
            forms.append((whole,))
        tiling = _tile(whole, [t for t in pieces if t != whole and t in whole])
        if tiling:
            forms.append(tiling)
        if not forms and pieces:
            forms.append(tuple(pieces))  # no whole token, no tiling: every piece
        return forms

    def _with_synonyms(self, forms: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """``forms`` and, for each piece the hand-made lexicon rewrites, the form with that piece written
        the official way: 医保 + 定点 → 基本医疗保险 + 定点, 医疗保险 + 定点 (one piece at a time)."""
        out = list(forms)
        for form in forms:
            for i, piece in enumerate(form):
                for term in self.expander.synonyms(piece):
                    for g in self._forms(term):
                        out.append(form[:i] + g + form[i + 1 :])
        return list(dict.fromkeys(out))

    def _units(
        self, q: str, lq: LexicalQuery, matches: list[tuple[str, list[str]]]
    ) -> tuple[list[Unit], list[Unit]]:
        """(words, units). Words: the question's own words (the longest tokens, question words like 能不能
        left out). Units: each lexicon match with the words as asked and every term it expands to, then
        each word no match spans, then English content words no lexicon knows (unmatchable).

        A match whose expansion this index cannot score (law-only terms without laws) is no unit: its
        words count as plain words."""
        text = match_text(q)
        scored = set(lq.tokens) | set(lq.weights) | set(lq.law_weights)
        chinese = [t for t in lq.tokens if not t.isascii()]
        longest = [
            t
            for t in dict.fromkeys(chinese)
            if t not in QUESTION_WORDS and not any(t in o and t != o for o in chinese)
        ]
        words = [Unit(t, tuple(self._forms(t, chinese))) for t in longest]
        # units read a plain word through the lexicon too (医保定点 ≈ 基本医疗保险 … 定点); words do not
        plain = {w.label: Unit(w.label, tuple(self._with_synonyms(list(w.forms))), asked=0) for w in words}
        units: list[Unit] = []
        spans: list[tuple[int, int]] = []
        english_covered: set[str] = set()
        for trigger, terms in matches:
            expansions = [f for term in terms for f in self._forms(term) if set(f) <= scored]
            expansions = list(dict.fromkeys(expansions))
            if not expansions:
                continue
            if trigger.isascii():
                english_covered.update(content_words(trigger))
                units.append(Unit(trigger, tuple(expansions)))
                continue
            own = self._forms(trigger, chinese)
            at = text.find(trigger)
            if at >= 0:
                spans.append((at, at + len(trigger)))
            units.append(Unit(trigger, tuple(dict.fromkeys(own + expansions)), asked=len(own)))
        for w in words:
            at = text.find(w.label)
            if at >= 0 and any(a <= at and at + len(w.label) <= b for a, b in spans):
                continue  # said by a lexicon match
            units.append(plain[w.label])
        for word in dict.fromkeys(content_words(q)):
            if word not in english_covered:
                units.append(Unit(word, ()))  # an English word no lexicon knows
        return words, units


# what frames a question rather than names its topic ("…政策", "能不能…"): not counted by relevance
QUESTION_WORDS = frozenset(
    "不能 能否 可否 可不可以 能不能 有没有 要不要 需不需要 算不算 会不会 是不是 是否 多少 多久 多长时间 怎么办 "
    "怎么样 怎样 怎么 如何 哪些 哪里 哪个 什么 为什么 吗 呢 吧 政策 规定 措施 办法 相关 有关 方面 问题 情况".split()
)


def _tile(word: str, pieces: Sequence[str]) -> tuple[str, ...] | None:
    """The fewest ``pieces`` that concatenate to ``word`` (None when they cannot)."""
    best: list[tuple[str, ...] | None] = [()] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for p in pieces:
            start = end - len(p)
            if start >= 0 and word[start:end] == p and best[start] is not None:
                cand = best[start] + (p,)  # type: ignore[operator]
                if best[end] is None or len(cand) < len(best[end]):  # type: ignore[arg-type]
                    best[end] = cand
    return best[len(word)] or None


__all__ = ["LexicalQuery", "LexicalQueryBuilder", "Unit"]
