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

DATA = Path(__file__).parent / "data"
SYNONYM_WEIGHT = 0.6
TERM_MODEL_WEIGHT = 0.3


@dataclass
class Expansion:
    terms: list[str]  # terms added, strongest lexicon first
    triggers: list[str]  # the variants found in the query
    weights: dict[str, float] = field(default_factory=dict)  # term → weight


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
    def __init__(self, entries: dict[str, list[str]], weight: float) -> None:
        self.entries = {match_text(k): v for k, v in entries.items() if k.strip()}
        self.weight = weight
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
    ) -> None:
        self._lexicons = [_Lexicon(lexicon, weight)] + [_Lexicon(lex, w) for lex, w in (more or [])]

    @classmethod
    def bundled(cls, term_model: bool = True) -> QueryExpander:
        more = [(read_lexicon(DATA / "term_model.tsv"), TERM_MODEL_WEIGHT)] if term_model else []
        return cls(read_lexicon(DATA / "synonyms.tsv"), SYNONYM_WEIGHT, more)

    def expand(self, query: str) -> Expansion:
        q = match_text(query)
        out = Expansion([], [])
        for lex in self._lexicons:
            if lex.pattern is None:
                continue
            for m in lex.pattern.finditer(q):
                trigger = m.group(0)
                if trigger not in out.triggers:
                    out.triggers.append(trigger)
                for term in lex.entries[trigger]:
                    if term not in out.weights:
                        out.terms.append(term)
                        out.weights[term] = lex.weight
        return out
