"""Read jurisdiction, issuer and date of LawRefBook's local regulations from their text alone, and count how
often they agree with the fields the records carry, by level (province, city, county).

    python scripts/measure_lawrefbook_metadata.py [../shared/corpora/lawrefbook.jsonl.gz] [--show 20]

Each record's metadata fields are hidden: the pipeline gets the Markdown text only (title line, info block,
articles). The records' own fields are heuristic (a few cities read "关于市"), so agreement below 1.0 is partly
theirs; ``--show`` prints disagreements to judge. Uses only ``CorpusPipeline().process``, so
``PYTHONPATH=/other/checkout`` scores another version of the code (the "before").
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import Counter

from corpus.models import RawDocument
from corpus.pipeline import CorpusPipeline

DEFAULT = "../shared/corpora/lawrefbook.jsonl.gz"  # run from the checkout, like the other scripts
LEVELS = {1: "province", 2: "city", 3: "county"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=DEFAULT)
    ap.add_argument("--show", type=int, default=0, help="print this many disagreements per field")
    args = ap.parse_args(argv)
    with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
        records = [r for r in map(json.loads, f) if r.get("jurisdiction") and r["jurisdiction"] != "全国"]
    pipeline = CorpusPipeline()
    n: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    deeper = 0
    empty: Counter[str] = Counter()
    for r in records:
        level = LEVELS[r["jurisdiction"].count("/") + 1]
        md = pipeline.process(
            RawDocument(id=r["id"], text=r["text"], source=r["id"], text_format="markdown")
        ).metadata
        got_j = md.jurisdiction or ""
        for field, value in (("jurisdiction", md.jurisdiction), ("issuer", md.issuer), ("date", md.date)):
            empty[field] += not value
        at_level = "/".join(got_j.split("/")[: r["jurisdiction"].count("/") + 1])
        deeper += got_j.count("/") > r["jurisdiction"].count("/")
        checks = {
            "jurisdiction": (r["jurisdiction"], got_j),
            "jurisdiction at the record's level": (r["jurisdiction"], at_level),
            "issuer": (r.get("issuer"), md.issuer),
            "date": (r.get("date"), md.date),
        }
        for field, (want, got) in checks.items():
            if not want:
                continue
            n[(field, level)] += 1
            n[(field, "all")] += 1
            ok = want == got
            agree[(field, level)] += ok
            agree[(field, "all")] += ok
            if not ok and shown[field] < args.show:
                shown[field] += 1
                print(f"{field}: {r['title']}: record {want!r}, read {got!r}")
    print(
        f"{len(records)} local regulations; {deeper} read deeper than the record (a city where it has the province, a county where it has the city)"
    )
    print("read empty: " + ", ".join(f"{k} {empty[k]}" for k in ("jurisdiction", "issuer", "date")))
    print("| field | province | city | county | all |\n|---|---:|---:|---:|---:|")
    for field in ("jurisdiction", "jurisdiction at the record's level", "issuer", "date"):
        cells = []
        for level in ("province", "city", "county", "all"):
            k = (field, level)
            cells.append(f"{agree[k] / n[k]:.3f} ({agree[k]}/{n[k]})" if n[k] else "–")
        print(f"| {field} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
