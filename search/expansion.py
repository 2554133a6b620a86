"""Query expansion on the lexical side: lexicons from how people ask to how documents are written.

Two bundled lexicons, each with its own weight: ``synonyms.tsv`` (hand-made from the corpora: 民营医院 →
社会办医 / 社会办医疗机构, 医生 → 医师, 上班 → 执业, English → Chinese) and ``term_model.tsv`` (learned from
the STARD train split by ``scripts/train_term_model.py``: 老公 → 配偶, 欠钱 → 债务 …). Expansion terms weigh
less than the user's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from corpus.normalize import match_text
from search.english import EnglishLexicon, content_words

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
    def __init__(self, entries: dict[str, list[str]], weight: float, laws_only: bool = False) -> None:
        self.entries = {match_text(k): v for k, v in entries.items() if k.strip()}
        self.weight = weight
        self.laws_only = laws_only
        words = sorted(self.entries, key=len, reverse=True)
        ascii_words = [w for w in words if w.isascii()]
        cjk_words = [w for w in words if not w.isascii()]
        parts = []
        if cjk_words:
            parts.append("|".join(map(re.escape, cjk_words)))
        if ascii_words:
            parts.append(r"\b(?:" + "|".join(map(re.escape, ascii_words)) + r")\b")
        self.pattern = re.compile("|".join(parts)) if parts else None


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
        clauses only."""
        self._lexicons = [_Lexicon(lexicon, weight)] + [_Lexicon(lex, w) for lex, w in (more or [])]
        for lex in self._lexicons[1:]:
            lex.laws_only = laws_only
        self._english = english

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

    def expand(self, query: str) -> Expansion:
        q = match_text(query)
        out = Expansion([], [])
        for n, lex in enumerate(self._lexicons):
            if lex.pattern is None:
                continue
            for m in lex.pattern.finditer(q):
                trigger = m.group(0)
                if trigger not in out.triggers:
                    out.triggers.append(trigger)
                if n == 0:
                    out.rewrites[trigger] = lex.entries[trigger]
                for term in lex.entries[trigger]:
                    if term not in out.weights:
                        out.terms.append(term)
                        out.weights[term] = lex.weight
                        if lex.laws_only:
                            out.law_only.add(term)
        if self._english is not None:
            # the long tail behind the hand-made English entries, weakest of all
            covered = frozenset(w for t in out.triggers if t.isascii() for w in content_words(t))
            for trigger, terms in self._english.matches(query, covered):
                if trigger not in out.triggers:
                    out.triggers.append(trigger)
                for term in terms:
                    if term not in out.weights:
                        out.terms.append(term)
                        out.weights[term] = self._english.weight
        return out
