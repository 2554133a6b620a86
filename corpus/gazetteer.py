"""China's administrative divisions, three levels deep, from a bundled public table.

``data/divisions.csv`` holds the 34 provincial-level divisions, the 339 prefecture-level ones and the 3,184
county-level ones (县, 区, 县级市, 旗, and the 开发区/新区 that have a statistical code: 郑州航空港经济综合实验区,
苏州工业园区), with GB/T 2260 codes and short names; ``data/division_changes.csv`` the divisions renamed or
merged since 2002 (襄樊市 → 襄阳市, 宁乡县 → 宁乡市). Both are taken from JioNLP (Apache License 2.0) by
``scripts/build_divisions.py``; see ``data/divisions.NOTICE.txt``. ``data/zones.csv`` names the national-level
new areas and zones that have no statistical code (雄安新区 → 河北省, 两江新区 → 重庆市, 东湖高新区 → 武汉市),
read like former names: as the place that governs them.

A place's jurisdiction is its chain: 淳安县 → ``浙江省/杭州市/淳安县``; a district of a municipality or a county
that reports to its province has two levels: 房山区 → ``北京市/房山区``, 仙桃市 → ``湖北省/仙桃市``.
:meth:`Gazetteer.locate` reads the place an issuer's name or a title's opening names, with the short and
informal forms officials write (郑州住房公积金管理中心 → 郑州市, 大理州 → 大理白族自治州, 长阳县 → 长阳土家族自治县).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

_DATA = Path(__file__).parent / "data"
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")


@dataclass(frozen=True)
class Place:
    name: str
    level: str  # "province" | "prefecture" | "county"
    province: str
    prefecture: str = ""  # a county's prefecture; "" under a municipality or directly under the province
    short: str = ""  # 浙江, 杭州, 淳安
    code: str = ""  # GB/T 2260 (six digits)

    @property
    def city(self) -> str | None:
        """The prefecture-level city this place is or lies in."""
        if self.level == "prefecture":
            return self.name
        return self.prefecture or None if self.level == "county" else None

    @property
    def county(self) -> str | None:
        return self.name if self.level == "county" else None

    @property
    def jurisdiction(self) -> str:
        """ "浙江省/杭州市/淳安县", "北京市/房山区", "浙江省/杭州市", "浙江省"."""
        return "/".join(x for x in (self.province, self.city, self.county) if x)

    @property
    def level_name(self) -> str:
        return {"province": "省级", "prefecture": "地市级", "county": "县级"}[self.level]


# Terms that exist in one province's administration only: 盟 and 旗 are Inner Mongolia's divisions.
_EVIDENCE: list[tuple[str, tuple[str, ...]]] = [
    ("内蒙古自治区", ("盟市", "旗县", "嘎查", "苏木乡镇", "各盟", "盟行政公署")),
    ("新疆维吾尔自治区", ("兵团", "地州市", "各地州")),
]
# Short names that are ordinary words or shared by many places: never read as a place on their own.
_GENERIC_SHORT = re.compile(
    r"^(新区|高新区|经开区|开发区|城区|郊区|矿区|东区|西区|南区|北区|中区|市中|省直辖|.)$"
)
# A prefecture written by its short name and a kind: 大理州 (自治州), 延边州, 锡盟 is not read.
_SHORT_KIND = {"州": ("自治州",), "地区": ("地区",), "盟": ("盟",), "市": ("市",)}
# A county written by its short name and a kind: 长阳县 (长阳土家族自治县), 伊旗 is not read.
_COUNTY_KIND = ("县", "旗", "区", "市")
# Divisions merged after JioNLP's change list was closed, or before it starts.
_FORMER: dict[str, tuple[str, str]] = {"莱芜市": ("山东省", "济南市"), "巢湖市": ("安徽省", "合肥市")}


class Gazetteer:
    def __init__(self, places: list[Place], former: dict[str, Place] | None = None) -> None:
        self.places = places
        self.former = former or {}
        self._by_name: dict[str, list[Place]] = {}
        for p in places:
            self._by_name.setdefault(p.name, []).append(p)
        self._by_short: dict[str, list[Place]] = {}
        for p in places:
            if p.short and p.short != p.name and not _GENERIC_SHORT.match(p.short):
                self._by_short.setdefault(p.short, []).append(p)
        # full and former names, longest first, so that "内蒙古自治区" wins over any shorter overlap
        names = sorted(set(self._by_name) | set(self.former), key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, names)))
        shorts = sorted(self._by_short, key=len, reverse=True)
        self._short_pattern = re.compile("|".join(map(re.escape, shorts)))

    @classmethod
    def bundled(cls) -> Gazetteer:
        return _bundled()

    @classmethod
    def from_files(cls, divisions: Path, changes: Path | None = None) -> Gazetteer:
        rows = list(csv.DictReader(divisions.read_text(encoding="utf-8").splitlines()))
        places = [
            Place(
                r["name"], r["level"], r["province"], r.get("prefecture", ""), r.get("short", ""), r["adcode"]
            )
            for r in rows
        ]
        g = cls(places)
        former: dict[str, Place] = {}
        if changes and changes.exists():
            for r in csv.DictReader(changes.read_text(encoding="utf-8").splitlines()):
                now = g._chain(r["province"], r["prefecture"], r["county"])
                if now and r["old_name"] not in g._by_name:
                    former[r["old_name"]] = now
        for old, (prov, pref) in _FORMER.items():
            now = g._chain(prov, pref, "")
            if now and old not in g._by_name:
                former.setdefault(old, now)
        zones = divisions.parent / "zones.csv"
        if zones.exists():
            # national-level new areas and zones with no statistical code: 雄安新区 → 河北省
            for r in csv.DictReader(zones.read_text(encoding="utf-8").splitlines()):
                now = g._chain(r["province"], r["prefecture"], "")
                if now and r["name"] not in g._by_name:
                    former.setdefault(r["name"], now)
        return cls(places, former)

    def _chain(self, province: str, prefecture: str, county: str) -> Place | None:
        name = county or prefecture or province
        return next(
            (
                p
                for p in self._by_name.get(name, [])
                if p.province == province and (not county or not prefecture or p.prefecture == prefecture)
            ),
            None,
        )

    @cached_property
    def provinces(self) -> list[str]:
        return [p.name for p in self.places if p.level == "province"]

    def get(self, name: str) -> Place | None:
        """The division of that exact name (a province before a prefecture before a county: 吉林 → none,
        吉林市 → the prefecture); a former name gives its successor."""
        got = self._by_name.get(name)
        if got:
            return min(got, key=lambda p: ("province", "prefecture", "county").index(p.level))
        return self.former.get(name)

    def all_named(self, name: str) -> list[Place]:
        """Every division with that name (朝阳区: 北京市's and 长春市's)."""
        return list(self._by_name.get(name, [])) or ([self.former[name]] if name in self.former else [])

    def by_short(self, short: str) -> list[Place]:
        return list(self._by_short.get(short, []))

    def find(self, text: str) -> list[Place]:
        """Divisions named in full in ``text``, in order of appearance (the first of homonyms)."""
        out = []
        for m in self._pattern.finditer(text or ""):
            p = self.get(m.group(0))
            if p:
                out.append(p)
        return out

    def first(self, text: str) -> Place | None:
        found = self.find(text)
        return found[0] if found else None

    def mentions(self, text: str) -> list[tuple[int, int, list[Place]]]:
        """(start, end, candidates) for each division ``text`` names: full and former names anywhere; short
        names where officials write them (start of the text or after the place above: 浙江杭州, 郑州住房公积金…;
        or with their kind: 大理州, 长阳县)."""
        text = text or ""
        found: list[tuple[int, int, list[Place]]] = []
        taken = [False] * (len(text) + 1)
        for m in self._pattern.finditer(text):
            found.append((m.start(), m.end(), self.all_named(m.group(0))))
            for i in range(m.start(), m.end()):
                taken[i] = True
        for m in self._short_pattern.finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            s, e, short = m.start(), m.end(), m.group(0)
            cands = self._by_short[short]
            after = text[e : e + 2]
            kind = next((k for k in _SHORT_KIND if after.startswith(k)), None)
            picked: list[Place] = []
            if kind:
                picked = [p for p in cands if p.level == "prefecture" and p.name.endswith(_SHORT_KIND[kind])]
            if not picked and after[:1] in _COUNTY_KIND:
                picked = [p for p in cands if p.level == "county" and p.name.endswith(("自治县", "自治旗"))]
                if picked:
                    e += 1
            if not picked:
                parents = {x.name for c in found if c[1] == s for x in c[2]}
                if parents:  # 浙江杭州, 杭州市淳安
                    picked = [p for p in cands if p.province in parents or p.prefecture in parents]
                else:
                    picked = [p for p in cands if p.level == "province"]  # 浙江: distinctive anywhere
                    if not picked and (s == 0 or not _cjk(text[s - 1]) or text[s - 1] in _ORG_END):
                        picked = [p for p in cands if p.level == "prefecture"]  # 郑州住房公积金管理中心
            if len(picked) > 1:  # 新乡: the city before its own county of that short name (新乡县)
                cities = {p.name for p in picked if p.level == "prefecture"}
                if cities and all(p.level == "prefecture" or p.prefecture in cities for p in picked):
                    picked = [p for p in picked if p.level == "prefecture"]
            if picked:
                found.append((s, e, picked))
                for i in range(s, e):
                    taken[i] = True
        found.sort(key=lambda x: x[0])
        return found

    def locate(self, text: str, hint: str = "") -> Place | None:
        """The most specific division ``text`` (an issuer's name, a title's opening) names, consistent with
        the first it names: "长春市朝阳区人民政府" → 吉林省/长春市/朝阳区, "北京市房山区" → 北京市/房山区,
        "郑州住房公积金管理中心" → 河南省/郑州市. Homonyms named alone (朝阳区人民政府) are settled by the
        places ``hint`` names (the 文号, the document's header), else left unread."""
        found = self.mentions(text)
        if not found:
            return None
        hinted = {p.name for p in self.find(hint)} | {
            p.name for _, _, c in self.mentions(hint) for p in c if len(c) == 1
        }
        resolved: list[Place] = []
        for k, (_, _, cands) in enumerate(found):
            named = {p.name for j, (_, _, c) in enumerate(found) if j != k for p in c}

            def support(p: Place, named: set[str] = named) -> tuple[int, int]:
                return (
                    (p.province in named) + (bool(p.prefecture) and p.prefecture in named),
                    (p.province in hinted) + (bool(p.prefecture) and p.prefecture in hinted),
                )

            ranked = sorted(cands, key=support, reverse=True)
            if len(ranked) > 1 and support(ranked[0]) == support(ranked[1]):
                continue  # 朝阳区 alone: which one is not said
            resolved.append(ranked[0])
        if not resolved:
            return None
        first = resolved[0]
        same = [p for p in resolved if _related(p, first)]
        return max(same, key=lambda p: _DEPTH[p.level])

    def infer(self, text: str) -> str | None:
        """The province whose own administrative vocabulary the text uses, or None.

        >>> Gazetteer.bundled().infer("各盟市卫生健康委……自治区卫生健康委")
        '内蒙古自治区'
        """
        if "自治区" not in text and "兵团" not in text:
            return None
        hits = [prov for prov, terms in _EVIDENCE if any(t in text for t in terms)]
        return hits[0] if len(hits) == 1 else None


_DEPTH = {"province": 0, "prefecture": 1, "county": 2}
_ORG_END = set("局行心关司署委会")  # 国家金融监督管理总局温州监管分局, 中国人民银行郑州中心支行


def _related(a: Place, b: Place) -> bool:
    """One lies in (or is) the other."""
    return a.name in (b.name, b.province, b.prefecture) or b.name in (a.province, a.prefecture)


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


_CACHE: dict[str, Gazetteer] = {}


def _bundled() -> Gazetteer:
    """Built once per process (about 50 ms): every pipeline and resolver shares it."""
    got = _CACHE.get("bundled")
    if got is None:
        got = _CACHE["bundled"] = Gazetteer.from_files(
            _DATA / "divisions.csv", _DATA / "division_changes.csv"
        )
    return got
