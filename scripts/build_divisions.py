"""Rebuild corpus/data/divisions.csv and corpus/data/division_changes.csv from JioNLP's division tables.

    python scripts/build_divisions.py var/jionlp-1.5.31-py2.py3-none-any.whl

The source is JioNLP (https://github.com/dongrixinyu/JioNLP, Apache License 2.0): its
``dictionary/china_location.zip`` (province → prefecture → county → town → village, with GB/T 2260 codes and
short names) and ``dictionary/china_location_change.txt`` (divisions renamed or abolished since 2002). The
package itself weighs over 100 MB with its dependencies (jiojio alone is 85 MB), so only the three upper
levels are kept here (~3,600 rows, 150 KB): see corpus/data/divisions.NOTICE.txt. Pass the wheel file
(``pip download --no-deps jionlp``) or the folder of an installed jionlp.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "corpus" / "data"
UNDER_PROVINCE = "省直辖行政区划"  # JioNLP's parent of counties that report to the province (仙桃市, 济源市)


def _read(source: Path, member: str) -> bytes:
    if source.is_dir():
        return (source / "jionlp" / member).read_bytes()
    with zipfile.ZipFile(source) as whl:
        return whl.read("jionlp/" + member)


def divisions(location_zip: bytes) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(location_zip)) as z:
        text = z.read("china_location.txt").decode("utf-8")
    rows: list[dict[str, str]] = []
    province = prefecture = short_of_province = ""
    seen: set[str] = set()
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip("\t"))
        if depth > 2 or not line.strip():
            continue
        name, code, short = (line.strip().split("\t") + ["", ""])[:3]
        code = code[:6]
        if depth == 0:
            province, prefecture, short_of_province = name, "", short
            rows.append(
                dict(adcode=code, name=name, level="province", province=name, prefecture="", short=short)
            )
        elif depth == 1:
            if name in (province, short_of_province, UNDER_PROVINCE):
                prefecture = ""  # a municipality's (or 香港's) own line; the province's own counties
                continue
            prefecture = name
            rows.append(
                dict(
                    adcode=code, name=name, level="prefecture", province=province, prefecture="", short=short
                )
            )
        else:
            key = f"{code}{name}"
            if key in seen or name == "市直辖行政区划":
                continue
            seen.add(key)
            rows.append(
                dict(
                    adcode=code,
                    name=name,
                    level="county",
                    province=province,
                    prefecture=prefecture,
                    short=short,
                )
            )
    order = {"province": 0, "prefecture": 1, "county": 2}
    rows.sort(key=lambda r: (r["adcode"], order[r["level"]]))
    return rows


def changes(change_txt: bytes) -> list[dict[str, str]]:
    out = []
    for line in change_txt.decode("utf-8").split("\n"):
        if "=>" not in line:
            continue
        old, new = line.split("=>")
        o, n = old.split("\t"), new.split("\t")
        if len(o) == 8:  # a county: date, 批, province, short, prefecture, short, county, short
            old_prefecture, old_name = o[4], o[6]
        elif len(o) == 6:  # a prefecture (襄樊市 → 襄阳市)
            old_prefecture, old_name = "", o[4]
        else:
            continue
        out.append(
            dict(
                date=o[0],
                old_province=o[2],
                old_prefecture=old_prefecture,
                old_name=old_name,
                province=n[0],
                prefecture=n[1] if len(n) > 1 else "",
                county=n[2] if len(n) > 2 else "",
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", type=Path, help="the jionlp wheel, or the site-packages folder holding jionlp/")
    args = ap.parse_args(argv)
    rows = divisions(_read(args.source, "dictionary/china_location.zip"))
    moved = changes(_read(args.source, "dictionary/china_location_change.txt"))
    for path, data in ((OUT / "divisions.csv", rows), (OUT / "division_changes.csv", moved)):
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(data[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(data)
    levels = {lv: sum(1 for r in rows if r["level"] == lv) for lv in ("province", "prefecture", "county")}
    print(f"{len(rows)} divisions {levels}, {len(moved)} changes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
