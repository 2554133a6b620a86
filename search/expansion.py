"""Query expansion on the lexical side: a lexicon from how people ask to how documents are written.

"民营医院能不能纳入医保定点" adds 社会办医 / 社会办医疗机构 / 社会力量 (from 民营医院); "医生上班" adds
医师 / 执业. Expansion terms carry a lower weight than the user's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from corpus.normalize import match_text


@dataclass
class Expansion:
    terms: list[str]  # canonical terms added
    triggers: list[str]  # the variants found in the query


class QueryExpander:
    def __init__(self, lexicon: dict[str, list[str]]) -> None:
        self.lexicon = {match_text(k): v for k, v in lexicon.items()}
        words = sorted(self.lexicon, key=len, reverse=True)
        ascii_words = [w for w in words if w.isascii()]
        cjk_words = [w for w in words if not w.isascii()]
        parts = []
        if cjk_words:
            parts.append("|".join(map(re.escape, cjk_words)))
        if ascii_words:
            parts.append(r"\b(?:" + "|".join(map(re.escape, ascii_words)) + r")\b")
        self._pattern = re.compile("|".join(parts)) if parts else None

    @classmethod
    def bundled(cls) -> QueryExpander:
        text = (Path(__file__).parent / "data" / "synonyms.tsv").read_text(encoding="utf-8")
        lexicon: dict[str, list[str]] = {}
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            variant, _, canon = line.partition("\t")
            lexicon.setdefault(variant.strip(), []).extend(canon.split())
        return cls(lexicon)

    def expand(self, query: str) -> Expansion:
        if self._pattern is None:
            return Expansion([], [])
        q = match_text(query)
        triggers = list(dict.fromkeys(m.group(0) for m in self._pattern.finditer(q)))
        terms: list[str] = []
        for t in triggers:
            terms.extend(x for x in self.lexicon[t] if x not in terms)
        return Expansion(terms, triggers)
