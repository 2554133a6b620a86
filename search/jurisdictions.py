"""Turn what a user types for a region into the index's jurisdiction prefixes, and say when none exists.

Jurisdictions are stored as "省", "省/市" or "省/市/县" (``辽宁省``, ``吉林省/吉林市``, ``浙江省/杭州市/淳安县``,
``北京市/房山区``, ``全国``); a prefix matches the region and everything under it (杭州 includes 淳安县).
Users type a province, a city, a county or a short name, run together the way people write them:
``辽宁`` → ``辽宁省``, ``舟山`` → ``浙江省/舟山市``, ``浙江杭州`` → ``浙江省/杭州市``, ``杭州市淳安`` and
``淳安`` → ``浙江省/杭州市/淳安县``, ``大理州`` → ``云南省/大理白族自治州``. A short name that is both (``吉林``)
means the province, as it does in speech; one shared by several places (``朝阳``) means the highest of them,
and the notice names the others. A name that is no place gets the closest names there are, never a dead end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import process as fuzzy

from corpus.gazetteer import MUNICIPALITIES, Gazetteer, Place
from search.messages import Notice

NATIONAL = "全国"
_NATIONAL_NAMES = {"全国", "国家", "中央", "国务院", "national", "china", "prc"}
_SUFFIXES = ("省", "市", "自治区", "特别行政区", "地区", "盟", "自治州")
_LEVELS = ("province", "prefecture", "county")


def display_path(jurisdiction: str | None) -> str:
    """How a jurisdiction reads to a person, every level in order: "湖南省/郴州市/宜章县" → "湖南省 › 郴州市 › 宜章县"
    (the page's ``placePath`` does the same)."""
    return " › ".join(p for p in (jurisdiction or "").split("/") if p)


def level_of(jurisdiction: str) -> int:
    """0 national, 1 province, 2 city, 3 county (the order a comparison lists them in):
    "北京市/房山区" and "湖北省/仙桃市" are counties."""
    if jurisdiction == NATIONAL:
        return 0
    parts = jurisdiction.split("/")
    if len(parts) >= 3:
        return 3
    if len(parts) == 2:
        if parts[0] in MUNICIPALITIES:
            return 3
        place = Gazetteer.bundled().get(parts[1])
        return 3 if place is not None and place.level == "county" and not place.prefecture else 2
    return 1


@dataclass
class Resolved:
    prefixes: list[str]
    notices: list[Notice]  # everything to tell the caller, problems included (Chinese)
    problems: list[Notice]  # values that name no region, or a region without documents


class JurisdictionResolver:
    def __init__(self, known: Sequence[str], gazetteer: Gazetteer | None = None) -> None:
        """``known``: the jurisdictions of the indexed documents."""
        self.known = sorted(set(known))
        self.gazetteer = gazetteer or Gazetteer.bundled()

    def _place(self, name: str) -> Place | None:
        return self._lookup(name)[0]

    def _lookup(self, name: str) -> tuple[Place | None, list[Place]]:
        """The place ``name`` means, and the other places it could mean (a short name shared by several)."""
        g = self.gazetteer
        exact = g.get(name)
        if exact:
            return exact, [p for p in g.all_named(name) if p is not exact]
        # a short name with a kind: provinces before cities (吉林 is the province)
        for level in ("province", "prefecture"):
            for suffix in _SUFFIXES:
                p = g.get(name + suffix)
                if p and p.level == level:
                    return p, [q for q in g.by_short(name) if q.jurisdiction != p.jurisdiction]
        # a short name alone: 淳安, 房山, 朝阳 (the highest level first; the others are named in the notice)
        shorts = sorted(g.by_short(name), key=lambda p: _LEVELS.index(p.level))
        if shorts:
            return shorts[0], shorts[1:]
        # run together as people write it: 浙江杭州, 杭州市淳安, 北京房山, 大理州
        located = g.locate(name)
        if located is not None:
            return located, []
        if len(name) >= 2:
            for level in _LEVELS:
                for p in g.places:
                    if p.level == level and p.name.startswith(name):
                        return p, []
        return None, []

    def one(self, value: str) -> str | None:
        """The jurisdiction prefix ``value`` names, or None when it names no region."""
        return self._read(value)[0]

    def _read(self, value: str) -> tuple[str | None, list[Place]]:
        v = value.strip().replace("›", "/").replace(" ", "").replace("·", "")
        if not v:
            return None, []
        if v.lower() in _NATIONAL_NAMES:
            return NATIONAL, []
        if v in self.known or any(k.startswith(v + "/") for k in self.known):
            return v, []
        if "/" in v:
            parts = [self._place(x) for x in v.split("/") if x]
            if parts and all(parts):
                last = parts[-1]
                assert last is not None
                return last.jurisdiction, []
            return None, []
        p, others = self._lookup(v)
        return (p.jurisdiction if p else None), others

    def suggestions(self, value: str, n: int = 5) -> list[str]:
        """The indexed jurisdictions whose names come closest to ``value`` (a typo: 杭洲 → 浙江省/杭州市)."""
        names: dict[str, str] = {}
        for k in self.known:
            parts = k.split("/")
            for i in range(1, len(parts) + 1):
                names["/".join(parts[:i])] = parts[i - 1]
        if not names:
            return []
        got = fuzzy.extract(value, names, limit=n, score_cutoff=40)
        return [key for _, _, key in got]

    def resolve(self, values: Sequence[str]) -> Resolved:
        prefixes: list[str] = []
        notices: list[Notice] = []
        problems: list[Notice] = []
        existing = "已索引的地区：" + "、".join(display_path(k) for k in self.known[:30])
        if len(self.known) > 30:
            existing += f" 等 {len(self.known)} 个"
        for v in values:
            got, others = self._read(v)
            if got is None:
                close = self.suggestions(v)
                hint = f"您是否要找：{'、'.join(display_path(c) for c in close)}；" if close else ""
                problems.append(
                    Notice(
                        f"地区“{v}”不是可识别的省、市或县；{hint}{existing}",
                        "unknown_jurisdiction",
                    )
                )
                notices.append(problems[-1])
                prefixes.append(v)  # matches nothing, as asked
                continue
            if got != v:
                also = (
                    f"（也可指：{'、'.join(display_path(p.jurisdiction) for p in others[:4])}）"
                    if others
                    else ""
                )
                notices.append(Notice(f"地区“{v}”按 {display_path(got)} 检索{also}", "jurisdiction_read"))
            if not any(k == got or k.startswith(got + "/") for k in self.known):
                problems.append(
                    Notice(f"没有来自 {display_path(got)} 的已索引文件；{existing}", "jurisdiction_empty")
                )
                notices.append(problems[-1])
            prefixes.append(got)
        return Resolved(list(dict.fromkeys(prefixes)), notices, problems)

    def province(self, value: str) -> str:
        p = self._place(value.strip())
        return p.province if p else value

    def city(self, value: str) -> str:
        p = self._place(value.strip())
        return p.city if p and p.city else value

    def county(self, value: str) -> str:
        p = self._place(value.strip())
        return p.county if p and p.county else value
