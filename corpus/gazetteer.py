"""China's provinces and prefecture-level divisions, from a bundled public table.

``data/divisions.csv`` holds the 34 provincial-level and 334 prefecture-level divisions with their
GB/T 2260 codes (taken from the adcode table shipped by the cpca package, MIT licence). A city maps to its
province: 吉林市 → 吉林省, 衡水市 → 河北省, 舟山市 → 浙江省.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class Place:
    name: str
    level: str  # "province" | "prefecture"
    province: str

    @property
    def city(self) -> str | None:
        return self.name if self.level == "prefecture" else None


# Terms that exist in one province's administration only: 盟 and 旗 are Inner Mongolia's divisions.
_EVIDENCE: list[tuple[str, tuple[str, ...]]] = [
    ("内蒙古自治区", ("盟市", "旗县", "嘎查", "苏木乡镇", "各盟", "盟行政公署")),
    ("新疆维吾尔自治区", ("兵团", "地州市", "各地州")),
]


class Gazetteer:
    def __init__(self, places: list[Place]) -> None:
        self.places = places
        self._by_name = {p.name: p for p in places}
        # longest names first so that "内蒙古自治区" wins over any shorter overlap
        names = sorted(self._by_name, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, names)))

    @classmethod
    def bundled(cls) -> Gazetteer:
        text = (Path(__file__).parent / "data" / "divisions.csv").read_text(encoding="utf-8")
        rows = csv.DictReader(text.splitlines())
        return cls([Place(r["name"], r["level"], r["province"]) for r in rows])

    @cached_property
    def provinces(self) -> list[str]:
        return [p.name for p in self.places if p.level == "province"]

    def get(self, name: str) -> Place | None:
        return self._by_name.get(name)

    def find(self, text: str) -> list[Place]:
        """All divisions named in ``text``, in order of appearance."""
        return [self._by_name[m.group(0)] for m in self._pattern.finditer(text or "")]

    def first(self, text: str) -> Place | None:
        found = self.find(text)
        return found[0] if found else None

    def infer(self, text: str) -> str | None:
        """The province whose own administrative vocabulary the text uses, or None.

        >>> Gazetteer.bundled().infer("各盟市卫生健康委……自治区卫生健康委")
        '内蒙古自治区'
        """
        if "自治区" not in text and "兵团" not in text:
            return None
        hits = [prov for prov, terms in _EVIDENCE if any(t in text for t in terms)]
        return hits[0] if len(hits) == 1 else None
