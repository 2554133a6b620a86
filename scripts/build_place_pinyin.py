"""Build ``corpus/data/place_names_en.csv``: how English writes the provinces and prefecture-level cities.

    pip install pypinyin
    python scripts/build_place_pinyin.py

Each province and prefecture of ``corpus/data/divisions.csv`` gets the pinyin of its short name without
tones ("广州" → "guangzhou", "重庆" → "chongqing"), as English text writes Chinese places; the provinces and
regions whose English names are not their pinyin get those (Inner Mongolia, Tibet, Shaanxi, Hong Kong …).
A spelling two places share (福州 and 抚州 are both "fuzhou") is left out: an English question that names it
does not say which. pypinyin (MIT) carries its own dictionary; nothing is downloaded.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
DIVISIONS = ROOT / "corpus" / "data" / "divisions.csv"
OUT = ROOT / "corpus" / "data" / "place_names_en.csv"
CONVENTIONAL = {
    "内蒙古自治区": ["inner mongolia"],
    "西藏自治区": ["tibet", "xizang"],
    "新疆维吾尔自治区": ["xinjiang"],
    "广西壮族自治区": ["guangxi"],
    "宁夏回族自治区": ["ningxia"],
    "陕西省": ["shaanxi"],
    "香港特别行政区": ["hong kong"],
    "澳门特别行政区": ["macau", "macao"],
    "西安市": ["xi'an", "xian"],
}


def main() -> int:
    rows = list(csv.DictReader(DIVISIONS.read_text(encoding="utf-8").splitlines()))
    spellings: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["level"] not in ("province", "prefecture") or r["province"] == "台湾省":
            continue
        name = r["name"]
        if name in CONVENTIONAL:
            for s in CONVENTIONAL[name]:
                spellings[s].add(name)
            if name != "陕西省":
                continue
        short = r["short"] or name
        if len(short) >= 2:
            spellings["".join(lazy_pinyin(short)).lower()].add(name)
    spellings["shaanxi"] = {"陕西省"}
    spellings.pop("shanxi", None)
    spellings["shanxi"] = {"山西省"}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["english", "name"])
    for s in sorted(spellings):
        names = spellings[s]
        if len(names) == 1:
            w.writerow([s, next(iter(names))])
    OUT.write_text(out.getvalue(), encoding="utf-8")
    print(f"{sum(len(v) == 1 for v in spellings.values())} spellings → {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
