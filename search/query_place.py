"""The place a question names, read as a soft preference, never as a filter.

"上海 非本市户籍 购房条件", "广州限购调整", "杭州的公积金贷款额度", "深圳市公积金提取", "Shanghai home purchase
rules for non-locals": the question asks what *that* jurisdiction says. A clause of a document from the place
(or below it: 杭州 includes 淳安县) answers it fully; one from above it (全国, or the province of a city) may
hold the rule that applies there; one from elsewhere answers another place's question; a document whose
jurisdiction is unknown may be from anywhere. :meth:`PlacePreference.factor` turns that into a factor on the
clause's relevance (``search.scoring``), so the named place's clauses rank first and documents with no
jurisdiction are kept, only lower.

Chinese names are read with the gazetteer (full names anywhere, short names where a question starts with them
or sets them apart: "广州 限购", "厦门多孩家庭"); English ones from ``corpus/data/place_names_en.csv`` (the
pinyin of each province and city, and the conventional names: Inner Mongolia, Hong Kong), built by
``scripts/build_place_pinyin.py``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from corpus.gazetteer import Gazetteer, Place

_NAMES_EN = Path(__file__).resolve().parent.parent / "corpus" / "data" / "place_names_en.csv"
NATIONAL = "全国"


@dataclass(frozen=True)
class NamedPlace:
    """The place a question names: its jurisdiction path ("广东省/广州市") and the words that name it."""

    jurisdiction: str
    words: str
    spans: tuple[str, ...] = ()  # the question's words that name it ("广州", "Shanghai")

    def without(self, q: str) -> str:
        """The question without the words that name the place: what the rest of it asks ("限购 调整"); the
        question itself when nothing else is left."""
        rest = q
        for s in sorted(self.spans, key=len, reverse=True):
            rest = re.sub(re.escape(s), " ", rest, flags=re.IGNORECASE)
        rest = re.sub(r"^[\s的之]+|\s+$", "", re.sub(r"\s+", " ", rest))
        return rest if re.search(r"[\w\u4e00-\u9fff]", rest) else q

    def relation(self, jurisdiction: str | None) -> str:
        """``within`` (the place or below it), ``above`` (全国, or a province of the place), ``unknown`` or
        ``elsewhere``."""
        if not jurisdiction:
            return "unknown"
        if jurisdiction == self.jurisdiction or jurisdiction.startswith(self.jurisdiction + "/"):
            return "within"
        if jurisdiction == NATIONAL or self.jurisdiction.startswith(jurisdiction + "/"):
            return "above"
        return "elsewhere"


@dataclass(frozen=True)
class PlacePreference:
    """Relevance factors by how a clause's document stands to the place a question names."""

    above: float = 0.6
    unknown: float = 0.6
    elsewhere: float = 0.3

    def factor(self, relation: str) -> float:
        return {"within": 1.0, "above": self.above, "unknown": self.unknown}.get(relation, self.elsewhere)


@cache
def _english_names() -> dict[str, str]:
    if not _NAMES_EN.exists():
        return {}
    rows = csv.DictReader(_NAMES_EN.read_text(encoding="utf-8").splitlines())
    return {r["english"]: r["name"] for r in rows}


@cache
def _english_pattern() -> re.Pattern[str] | None:
    names = sorted(_english_names(), key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)


class QueryPlaceReader:
    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or Gazetteer.bundled()

    def read(self, q: str) -> NamedPlace | None:
        """The one place (chain) a question names, or None when it names none or several unrelated ones.

        >>> r = QueryPlaceReader()
        >>> r.read("广州 限购 调整").jurisdiction, r.read("杭州的公积金贷款额度").jurisdiction
        ('广东省/广州市', '浙江省/杭州市')
        >>> r.read("Shanghai home purchase rules for non-local residents").jurisdiction
        '上海市'
        >>> r.read("外地人在这买房要交几年社保") is None
        True
        """
        found = self._chinese(q) or self._english(q)
        if not found:
            return None
        places = [p for p, _ in found]
        deepest = max(places, key=lambda p: ("province", "prefecture", "county").index(p.level))
        if not all(p.name in (deepest.name, deepest.province, deepest.prefecture) for p in places):
            return None  # 上海和北京: two places, no one preference
        return NamedPlace(deepest.jurisdiction, deepest.name, tuple(dict.fromkeys(w for _, w in found)))

    def _chinese(self, q: str) -> list[tuple[Place, str]]:
        # a short name set apart by a space or punctuation counts as at the start ("上海 非沪籍 …")
        out: list[tuple[Place, str]] = []
        for part in re.split(r"[\s，,、；;:：?？!！]+", q):
            for s, e, cands in self.gazetteer.mentions(part):
                if len(cands) == 1:
                    out.append((cands[0], part[s:e]))
        return out

    def _english(self, q: str) -> list[tuple[Place, str]]:
        pattern = _english_pattern()
        if pattern is None or not re.search(r"[A-Za-z]", q):
            return []
        names = _english_names()
        out = []
        for m in pattern.finditer(q):
            place = self.gazetteer.get(names[m.group(1).lower()])
            if place is not None:
                out.append((place, m.group(1)))
        return out


__all__ = ["NamedPlace", "PlacePreference", "QueryPlaceReader"]
