"""Mark where the query's terms occur in a clause (offsets into the clause's display text)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from search.models import Highlight


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    n = unicodedata.normalize("NFKC", ch).lower()
    return n if len(n) == 1 else ch


def _fold(text: str) -> str:
    """Per-character NFKC + lower case, keeping one character per character so offsets line up."""
    return "".join(map(_fold_char, text))


def highlight(text: str, terms: list[str], limit: int = 40) -> list[Highlight]:
    """Non-overlapping spans, longest terms first: "医师多点执业" marks 多点执业 before 执业; of two terms of one
    length, the one given first ("社会办医疗机构" with 社会办医, 医疗机构 marks 社会办医), whatever the process."""
    folded = _fold(text)
    taken = [False] * len(text)
    spans: list[Highlight] = []
    # dict, not set: equal lengths keep the order given (a set's order changes with PYTHONHASHSEED)
    for term in sorted(dict.fromkeys(_fold(t) for t in terms if len(t.strip()) >= 1), key=len, reverse=True):
        if len(term) == 1 and not term.isalnum():
            continue
        start = folded.find(term)
        while start >= 0 and len(spans) < limit:
            end = start + len(term)
            if not any(taken[start:end]):
                spans.append(Highlight.model_construct(start=start, end=end, term=term))  # known-good ints
                for i in range(start, end):
                    taken[i] = True
            start = folded.find(term, end)
    return sorted(spans, key=lambda h: h.start)


__all__ = ["highlight"]
