"""English words to lexicon keys: lower case, no function words, a crude singular.

The same rule reads CC-CEDICT's senses when ``search/data/english.tsv`` is built and a question when it is
expanded, so "to pay a dividend" and "Can hospitals pay dividends?" meet at "pay dividend".
"""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    "a an the to of for in on at by with from and or is are be been being was were do does did can could "
    "will would shall should may might must how what which who whom whose when where why whether if "
    "there their they them it its this that these those i we you he she my our your his her me us "
    "any some all no not get got has have had as into than then so such about".split()
)
_WORD = re.compile(r"[a-z][a-z'-]*")


def singular(word: str) -> str:
    """hospitals → hospital, policies → policy, clinics → clinic; short words and -ss words stay."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_words(text: str) -> list[str]:
    return [singular(w.strip("'-")) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def english_key(text: str) -> str:
    """'to pay a dividend' → 'pay dividend'; '' when nothing is left."""
    return " ".join(content_words(text))


class EnglishLexicon:
    """English entries keyed by their content words ("to pay a dividend" → "pay dividend"), with the
    lexicon's weight; ``search.expansion.phrases`` reads a question against them, longest phrase first."""

    def __init__(self, entries: dict[str, list[str]], weight: float) -> None:
        self.entries: dict[str, list[str]] = {}
        for k, v in entries.items():
            key = english_key(k)
            if key:
                self.entries.setdefault(key, [])
                self.entries[key] += [t for t in v if t not in self.entries[key]]
        self.weight = weight
