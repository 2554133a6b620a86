"""Turn what a user types for a region into the index's jurisdiction prefixes, and say when none exists.

Jurisdictions are stored as "省" or "省/市" (``辽宁省``, ``吉林省/吉林市``, ``全国``). Users type a province,
a city or a short name: ``辽宁`` → ``辽宁省``, ``吉林市`` → ``吉林省/吉林市``, ``舟山`` → ``浙江省/舟山市``,
``内蒙古`` → ``内蒙古自治区``. A short name that is both (``吉林``) means the province, as it does in speech.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.gazetteer import Gazetteer, Place

NATIONAL = "全国"
_NATIONAL_NAMES = {"全国", "国家", "中央", "国务院", "national", "china", "prc"}
_SUFFIXES = ("省", "市", "自治区", "特别行政区", "地区", "盟", "自治州")


def level_of(jurisdiction: str) -> int:
    """0 national, 1 province, 2 city (the order a comparison lists them in)."""
    if jurisdiction == NATIONAL:
        return 0
    return 2 if "/" in jurisdiction else 1


@dataclass
class Resolved:
    prefixes: list[str]
    notices: list[str]  # everything to tell the caller, problems included
    problems: list[str]  # values that name no region, or a region without documents


class JurisdictionResolver:
    def __init__(self, known: Sequence[str], gazetteer: Gazetteer | None = None) -> None:
        """``known``: the jurisdictions of the indexed documents."""
        self.known = sorted(set(known))
        self.gazetteer = gazetteer or Gazetteer.bundled()

    def _place(self, name: str) -> Place | None:
        g = self.gazetteer
        exact = g.get(name)
        if exact:
            return exact
        # a short name: provinces before cities (吉林 is the province), then any division it begins
        for level in ("province", "prefecture"):
            for suffix in _SUFFIXES:
                p = g.get(name + suffix)
                if p and p.level == level:
                    return p
        if len(name) >= 2:
            for level in ("province", "prefecture"):
                for p in g.places:
                    if p.level == level and p.name.startswith(name):
                        return p
        return None

    def one(self, value: str) -> str | None:
        """The jurisdiction prefix ``value`` names, or None when it names no region."""
        v = value.strip().replace("›", "/").replace(" ", "")
        if not v:
            return None
        if v.lower() in _NATIONAL_NAMES:
            return NATIONAL
        if v in self.known or any(k.startswith(v + "/") for k in self.known):
            return v
        if "/" in v:
            parts = [self._place(x) for x in v.split("/") if x]
            if all(parts) and parts:
                last = parts[-1]
                assert last is not None
                return last.province + (f"/{last.name}" if last.city else "")
            return None
        p = self._place(v)
        if p is None:
            return None
        return p.province + (f"/{p.name}" if p.city else "")

    def resolve(self, values: Sequence[str]) -> Resolved:
        prefixes: list[str] = []
        notices: list[str] = []
        problems: list[str] = []
        existing = "the index has documents from: " + "、".join(self.known[:30])
        if len(self.known) > 30:
            existing += f" and {len(self.known) - 30} more"
        for v in values:
            got = self.one(v)
            if got is None:
                problems.append(
                    f"jurisdiction {v!r} names no province or city this service knows; {existing}"
                )
                notices.append(problems[-1])
                prefixes.append(v)  # matches nothing, as asked
                continue
            if got != v:
                notices.append(f"jurisdiction {v!r} read as {got}")
            if not any(k == got or k.startswith(got + "/") for k in self.known):
                problems.append(f"no indexed document is from {got}; {existing}")
                notices.append(problems[-1])
            prefixes.append(got)
        return Resolved(list(dict.fromkeys(prefixes)), notices, problems)

    def province(self, value: str) -> str:
        p = self._place(value.strip())
        return p.province if p else value

    def city(self, value: str) -> str:
        p = self._place(value.strip())
        return p.name if p and p.city else value
