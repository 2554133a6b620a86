"""Query expansion on the lexical side: lexicons from how people ask to how documents are written.

Two bundled lexicons, each with its own weight: ``synonyms.tsv`` (hand-made from the corpora: 民营医院 →
社会办医 / 社会办医疗机构, 医生 → 医师, 上班 → 执业, English → Chinese) and ``term_model.tsv`` (learned from
the STARD train split by ``scripts/train_term_model.py``: 老公 → 配偶, 欠钱 → 债务 …). Expansion terms weigh
less than the user's own words.
"""

from __future__ import annotations

import copy
import re
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from corpus.normalize import match_text
from search.english import EnglishLexicon, RankedEntries, content_words

DATA = Path(__file__).parent / "data"
SYNONYM_WEIGHT = 0.6
TERM_MODEL_WEIGHT = 0.3
ENGLISH_WEIGHT = 0.3


@dataclass
class Expansion:
    terms: list[str]  # terms added, strongest lexicon first
    triggers: list[str]  # the variants found in the query
    weights: dict[str, float] = field(default_factory=dict)  # term → weight
    law_only: set[str] = field(default_factory=set)  # terms that score law clauses only
    rewrites: dict[str, list[str]] = field(default_factory=dict)  # trigger → its terms (hand-made lexicon)
    # every (trigger, its terms) in the order read: what relevance counts as the question's concepts
    matches: list[tuple[str, list[str]]] = field(default_factory=list)


def read_lexicon(path: Path) -> dict[str, list[str]]:
    lexicon: dict[str, list[str]] = {}
    if not path.exists():
        return lexicon
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        variant, _, canon = line.partition("\t")
        lexicon.setdefault(variant.strip(), []).extend(canon.split())
    return lexicon


class _Lexicon:
    """The Chinese entries of one lexicon, matched longest first anywhere in the question."""

    def __init__(self, entries: dict[str, list[str]], weight: float, laws_only: bool = False) -> None:
        self.entries = {match_text(k): v for k, v in entries.items() if k.strip() and not k.isascii()}
        self.weight = weight
        self.laws_only = laws_only
        words = sorted(self.entries, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, words))) if words else None


class QueryExpander:
    def __init__(
        self,
        lexicon: dict[str, list[str]],
        weight: float = SYNONYM_WEIGHT,
        more: list[tuple[dict[str, list[str]], float]] | None = None,
        english: EnglishLexicon | None = None,
        laws_only: bool = True,
    ) -> None:
        """``more``: further lexicons (the STARD term model); with ``laws_only`` their terms score law
        clauses only. The English entries of ``lexicon`` (hand-made) and ``english`` (CC-CEDICT) are read
        together, longest phrase first: "interest rate" → 利率 before "interest"."""
        self._lexicons = [_Lexicon(lexicon, weight)] + [_Lexicon(lex, w) for lex, w in (more or [])]
        for lex in self._lexicons[1:]:
            lex.laws_only = laws_only
        hand_made = EnglishLexicon({k: v for k, v in lexicon.items() if k.strip() and k.isascii()}, weight)
        self._english = [hand_made] + ([english] if english is not None else [])

    @classmethod
    def bundled(
        cls,
        term_model: bool = True,
        english: bool = True,
        english_weight: float = ENGLISH_WEIGHT,
        term_model_laws_only: bool = True,
    ) -> QueryExpander:
        more = [(read_lexicon(DATA / "term_model.tsv"), TERM_MODEL_WEIGHT)] if term_model else []
        eng = EnglishLexicon(read_lexicon(DATA / "english.tsv"), english_weight) if english else None
        return cls(read_lexicon(DATA / "synonyms.tsv"), SYNONYM_WEIGHT, more, eng, term_model_laws_only)

    def with_english(self, entries: Mapping[str, list[str]]) -> QueryExpander:
        """The same lexicons with ``entries`` taking the place of the CC-CEDICT lexicon's entries for their keys,
        at its weight; its other keys stay as they were, and the hand-made English entries stay first.
        ``search.english.RankedEntries`` ranks them by the opened index, per key on first use, and holds none
        of some keys' words (a small index: the built-in corpus's 147 clauses). An expander built without a
        CC-CEDICT lexicon is returned as it is."""
        if len(self._english) < 2:
            return self
        cedict = self._english[1]
        # RankedEntries' keys are read already and stay lazy; other keys are read through EnglishLexicon, so
        # that keys one reading folds together ("year", "year'") add up
        ranked = (
            entries if isinstance(entries, RankedEntries) else EnglishLexicon(entries, cedict.weight).entries
        )
        other = copy.copy(self)
        other._english = [
            self._english[0],
            EnglishLexicon.read(ChainMap(ranked, cedict.entries), cedict.weight),
        ]
        return other

    def synonyms(self, word: str) -> list[str]:
        """The hand-made lexicon's official forms of one word (医保 → 基本医疗保险, 医疗保险), [] if none."""
        return list(self._lexicons[0].entries.get(match_text(word), []))

    def expand(self, query: str, chosen: dict[str, list[str]] | None = None) -> Expansion:
        """``chosen``: Chinese words for the question's English words chosen for this question
        (``search.translation``: "rent" → 房租); for those English words they take the place of the CC-CEDICT
        lexicon's words (they are CC-CEDICT's own, chosen), at the hand-made lexicon's weight, with a hand-made
        entry's words after them. A longer phrase of any lexicon is still read first ("hospital bed" → 病床
        before a chosen "bed")."""
        q = match_text(query)
        out = Expansion([], [])

        def add(trigger: str, terms: list[str], weight: float, laws_only: bool, rewrite: bool) -> None:
            if trigger not in out.triggers:
                out.triggers.append(trigger)
            out.matches.append((trigger, list(terms)))
            if rewrite:
                out.rewrites[trigger] = list(terms)
            for term in terms:
                if term not in out.weights:
                    out.terms.append(term)
                    out.weights[term] = weight
                    if laws_only:
                        out.law_only.add(term)

        for n, lex in enumerate(self._lexicons):
            if lex.pattern is None:
                continue
            for m in lex.pattern.finditer(q):
                add(m.group(0), lex.entries[m.group(0)], lex.weight, lex.laws_only, n == 0)
        # English: phrases of either lexicon before single words; the hand-made entry where both have one.
        # Each match is a concept (its terms are alternatives, counted once at their best).
        english = self._english
        if chosen:
            hand_made = self._english[0]
            picked = {k: list(dict.fromkeys(v + hand_made.entries.get(k, []))) for k, v in chosen.items()}
            english = [EnglishLexicon(picked, hand_made.weight), *english]
        for key, terms, lex in phrases(query, english):
            add(key, terms, lex.weight, False, True)
        return out


def phrases(query: str, lexicons: list[EnglishLexicon]) -> list[tuple[str, list[str], EnglishLexicon]]:
    """The question's English content words read as lexicon keys, three words, then two, then one, each
    word once: "Will banks raise the interest rate?" → bank, raise, interest rate (not interest, rate: the
    CC-CEDICT lexicon holds "interest rate" → 利率; "lower interest rate" → 降息 is one key of three words)."""
    words = content_words(query)
    out = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            key = " ".join(words[i : i + n])
            lex = next((x for x in lexicons if key in x.entries), None)
            if lex is not None:
                out.append((key, lex.entries[key], lex))
                i += n
                break
        else:
            i += 1
    return out
