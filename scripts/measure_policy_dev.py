"""Metadata on real documents: jurisdiction, dates and junk over ../shared/corpora/policy-dev.jsonl.gz.

    python scripts/measure_policy_dev.py [FILE] [--show jurisdiction|date|junk] [--limit N]

Each record goes through the pipeline as a user's JSONL would (``id``, ``title`` without the compiler's
【place】 tag, ``text``: nothing else), through the same loader and readers as ``reindex``. Printed, by level
(national, province, city, county; the level is the source's, deepened to the county where the compiler's
【…县】 tag names one):

- coverage: of the documents whose own title or text names their place (their deepest source unit, in full or
  short form; national documents always), the share given a jurisdiction;
- precision: of the documents given one, the share that agree with the source (every unit of the source's
  path in ours: 浙江省/嘉兴市 agrees with 浙江省/嘉兴市/嘉善县, not with 浙江省);
- dates: of the documents whose source date stands in the text (any form), the share where one of our
  成文/发布/施行 dates equals it;
- junk: hand-judged junk records (``benchmarks/policy_dev_junk.txt``) indexed, and other records refused.

The source's jurisdiction and date are the compiler's; the evidence kind (``jurisdiction_evidence``) is counted
too. Uses only the pipeline's public API, so ``PYTHONPATH=OTHER_CHECKOUT`` scores another checkout.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
import sys
import tempfile
import zlib
from pathlib import Path

from corpus.dates import iso_date
from corpus.gazetteer import Gazetteer
from corpus.models import Document, SkippedFile
from corpus.pipeline import CorpusPipeline

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpora" / "policy-dev.jsonl.gz"
JUNK = ROOT / "benchmarks" / "policy_dev_junk.txt"
SOURCE_ERRORS = ROOT / "benchmarks" / "policy_dev_source_errors.tsv"
_TAG = re.compile(r"^【([^】]*)】")
_ANY_DATE = re.compile(
    r"(?:19|20)\d{2}\s*[年\-./]\s*\d{1,2}\s*[月\-./]\s*\d{1,2}\s*日?"
    r"|[〇零○ОOＯ一二三四五六七八九0-9]{4}\s*年\s*[一二三四五六七八九十廿卅〇零\d]{1,3}\s*月"
    r"\s*[一二三四五六七八九十廿卅〇零\d]{1,3}\s*日"
)
LEVELS = ("national", "province", "city", "county")


def clean_title(title: str | None) -> str:
    """The compiler's 【place】 tag is not part of the document (shared/README.md)."""
    return _TAG.sub("", title or "").strip().strip("《》 ")


def user_record(r: dict) -> dict:
    """A record as a user's JSONL would give it: ``id``, ``title`` without the compiler's tag, ``text``."""
    return {"id": r["id"], "title": clean_title(r.get("title")) or None, "text": r.get("text") or ""}


def read_records(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def source_level(rec: dict, gaz: Gazetteer) -> str | None:
    jur = rec.get("jurisdiction")
    if not jur:
        return None
    if jur == "全国":
        return "national"
    tag = _TAG.match(rec.get("title") or "")
    if tag:
        place = gaz.locate(tag.group(1))
        if place is not None and place.level == "county" and place.province == jur.split("/")[0]:
            return "county"
    return "province" if "/" not in jur else "city"


def names_place(rec: dict, gaz: Gazetteer) -> bool:
    """The document's own title or text names the source's deepest unit (杭州市 or 杭州)."""
    jur = rec.get("jurisdiction")
    if not jur:
        return False
    if jur == "全国":
        return True
    unit = jur.split("/")[-1]
    place = gaz.get(unit)
    names = {unit} | ({place.short} if place is not None and place.short and len(place.short) > 1 else set())
    text = clean_title(rec.get("title")) + "\n" + (rec.get("text") or "")
    return any(n in text for n in names)


def agrees(ours: str | None, source: str, gaz: Gazetteer | None = None) -> bool:
    """Every unit of the source's path is in ours; the compiler's "广西壮族自治区/省崇左市" is read as 崇左市,
    a former name as its successor's (临安市 → 临安区)."""
    if not ours:
        return False
    if source == "全国" or ours == "全国":
        return ours == source
    parts = ours.split("/")

    def same(unit: str) -> bool:
        if unit in parts or (unit.startswith("省") and unit[1:] in parts):
            return True
        now = gaz.former.get(unit) if gaz is not None else None
        return now is not None and now.name in parts

    return all(same(p) for p in source.split("/"))


def source_errors() -> set[str]:
    if not SOURCE_ERRORS.exists():
        return set()
    lines = SOURCE_ERRORS.read_text(encoding="utf-8").splitlines()
    return {ln.split("\t")[0] for ln in lines if ln.strip() and not ln.startswith("#")}


def dates_in(text: str) -> set[str]:
    return {d for m in _ANY_DATE.finditer(text) if (d := iso_date(m.group(0)))}


def run(records: list[dict]) -> dict[str, Document | SkippedFile]:
    """Every record through loader + pipeline, as ``reindex`` reads a JSONL file."""
    pipeline = CorpusPipeline()
    out: dict[str, Document | SkippedFile] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy-dev.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(user_record(r), ensure_ascii=False) + "\n")
        line_to_id = {n: r["id"] for n, r in enumerate(records, 1)}
        for item in pipeline.iter_documents([path]):
            if isinstance(item, SkippedFile):
                m = re.search(r":(\d+)$", item.path)
                key = line_to_id.get(int(m.group(1))) if m else item.holds
                out[key or item.path] = item
            else:
                out[item.id] = item
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument(
        "--show", choices=["jurisdiction", "date", "junk", "abstain"], action="append", default=[]
    )
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument(
        "--half",
        choices=["tune", "check"],
        help="only the records whose id hashes even (tune) or odd (check)",
    )
    ap.add_argument("--json", type=Path, help="write per-document results here")
    args = ap.parse_args(argv)
    if not args.file.exists():
        print(f"没有找到 {args.file}", file=sys.stderr)
        return 2
    records = read_records(args.file)[: args.limit or None]
    if args.half:
        records = [r for r in records if (zlib.crc32(r["id"].encode()) % 2 == 0) == (args.half == "tune")]
    junk = set(JUNK.read_text(encoding="utf-8").split()) if JUNK.exists() else set()
    gaz = Gazetteer.bundled()
    results = run(records)

    named = collections.Counter()
    given = collections.Counter()
    given_named = collections.Counter()
    agree = collections.Counter()
    wrong = collections.Counter()
    evidence = collections.Counter()
    dated = dated_right = no_date = 0
    errors = source_errors()
    excused = 0
    junk_indexed = other_refused = 0
    rows = []
    for r in records:
        got = results.get(r["id"])
        is_junk = r["id"] in junk
        if isinstance(got, SkippedFile) or got is None:
            if not is_junk:
                other_refused += 1
                if "junk" in args.show:
                    print(
                        f"refused: {r['id']} {got.code if got else 'missing'} {got.reason[:80] if got else ''}"
                    )
            continue
        if is_junk:
            junk_indexed += 1
            if "junk" in args.show:
                print(f"junk indexed: {r['id']} {(r.get('text') or '')[:80]!r}")
            continue
        md = got.metadata
        lvl = source_level(r, gaz)
        row = {"id": r["id"], "source": r.get("jurisdiction"), "ours": md.jurisdiction, "level": lvl}
        if lvl:
            is_named = names_place(r, gaz)
            named[lvl] += is_named
            if md.jurisdiction:
                given[lvl] += 1
                given_named[lvl] += is_named
                evidence[getattr(md, "jurisdiction_evidence", None) or "?"] += 1
                ok = agrees(md.jurisdiction, r["jurisdiction"], gaz)
                agree[lvl] += ok
                if not ok and r["id"] in errors:
                    excused += 1
                if not ok:
                    wrong[lvl] += 1
                    if "jurisdiction" in args.show:
                        print(
                            f"WRONG {r['id']} [{lvl}] source={r['jurisdiction']} ours={md.jurisdiction} "
                            f"({getattr(md, 'jurisdiction_evidence', '')}) title={clean_title(r.get('title'))[:50]}"
                        )
            elif is_named and "abstain" in args.show:
                print(
                    f"ABSTAIN {r['id']} [{lvl}] source={r['jurisdiction']} "
                    f"title={clean_title(r.get('title'))[:50]} text={(r.get('text') or '')[:120]!r}"
                )
        src_date = iso_date(r.get("date")) if r.get("date") and len(r["date"]) >= 10 else None
        ours = {md.written_date, md.published_date, md.effective_date, md.date} - {None}
        if src_date and src_date in dates_in(clean_title(r.get("title")) + "\n" + (r.get("text") or "")):
            dated += 1
            dated_right += src_date in ours
            no_date += not ours
            if src_date not in ours and "date" in args.show:
                print(
                    f"DATE {r['id']} source={src_date} ours=成文 {md.written_date} 发布 {md.published_date} "
                    f"施行 {md.effective_date} title={clean_title(r.get('title'))[:40]}"
                )
        row.update(date=src_date, ours_dates=sorted(ours))
        rows.append(row)

    print(f"{len(records)} records, {sum(isinstance(v, SkippedFile) for v in results.values())} refused")
    print(f"{'level':<10}{'docs':>6}{'named':>7}{'given':>7}{'coverage':>10}{'precision':>11}{'wrong':>7}")
    tot = collections.Counter()
    for lvl in LEVELS:
        n = sum(1 for row in rows if row["level"] == lvl)
        cov = given_named[lvl] / named[lvl] if named[lvl] else float("nan")
        prec = agree[lvl] / given[lvl] if given[lvl] else float("nan")
        print(f"{lvl:<10}{n:>6}{named[lvl]:>7}{given[lvl]:>7}{cov:>10.3f}{prec:>11.3f}{wrong[lvl]:>7}")
        for k, c in (("n", n), ("named", named[lvl]), ("given", given[lvl]), ("gn", given_named[lvl])):
            tot[k] += c
        tot["agree"] += agree[lvl]
        tot["wrong"] += wrong[lvl]
    print(
        f"{'all':<10}{tot['n']:>6}{tot['named']:>7}{tot['given']:>7}{tot['gn'] / max(tot['named'], 1):>10.3f}"
        f"{tot['agree'] / max(tot['given'], 1):>11.3f}{tot['wrong']:>7}"
    )
    print(
        f"precision without the {excused} records whose source is wrong (judged by hand, "
        f"{SOURCE_ERRORS.name}): {tot['agree'] / max(tot['given'] - excused, 1):.3f}"
    )
    print(f"evidence: {dict(evidence.most_common())}")
    print(
        f"dates: {dated_right}/{dated} = {dated_right / max(dated, 1):.3f} agree "
        f"(source date stands in the text); {no_date} got no date"
    )
    print(
        f"junk: {junk_indexed} of {len(junk & {r['id'] for r in records})} indexed; {other_refused} others refused"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
