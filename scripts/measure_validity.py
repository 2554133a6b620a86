"""Precision and recall of the validity reading (``corpus.validity``) on hand-judged documents.

    python scripts/measure_validity.py [--corpus ../shared/corpora/policy-dev.jsonl.gz] [--show]
    python scripts/measure_validity.py --fixtures      # the county/city/province/ministry fixtures

The judged file (``benchmarks/validity_judged.jsonl``) holds, per document id of policy-dev, the
``effective_date``, ``expires_on`` and ``repeals`` read by hand (judged before the rules were written);
the texts stay in ``../shared/``. ``--fixtures`` scores ``tests/fixtures/validity/*.txt`` against the
truth written in each fixture's ``.judged.json``. Each record goes through the whole pipeline
(``CorpusPipeline().process``) with the fields a ``reindex`` of the JSONL would give it, its title
without the compiler's 【place】 prefix.

Per field: precision = right answers / answers given, recall = right answers / answers stated in the
truth. A date is right when it is the judged date; a repeal is right when its 文号 matches a judged
one's (both given), else its title does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

from corpus.models import RawDocument
from corpus.pipeline import CorpusPipeline

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "benchmarks" / "validity_judged.jsonl"
FIXTURES = ROOT / "tests" / "fixtures" / "validity"
CORPUS = ROOT.parent / "shared" / "corpora" / "policy-dev.jsonl.gz"
FIELDS = ("effective_date", "expires_on", "repeals")


def _title(t: str | None) -> str | None:
    return re.sub(r"^【[^】]*】", "", t).strip("《》 ") if t else t


def _norm(s: str | None) -> str:
    return re.sub(r"[\s《》〈〉<>“”\"()（）]", "", s or "")


def _same_ref(a: dict, b: dict) -> bool:
    if a.get("doc_number") and b.get("doc_number"):
        return _norm(a["doc_number"]) == _norm(b["doc_number"])
    return bool(a.get("title") and b.get("title")) and _norm(a["title"]) == _norm(b["title"])


def score(pairs: list[tuple[str, dict, dict]], show: bool = False) -> dict[str, dict[str, int]]:
    """``pairs``: (id, judged, read) → per field: tp, given (answers read), stated (answers judged)."""
    out = {f: {"tp": 0, "given": 0, "stated": 0} for f in FIELDS}
    for doc_id, truth, got in pairs:
        for f in ("effective_date", "expires_on"):
            t, g = truth.get(f), got.get(f)
            out[f]["stated"] += bool(t)
            out[f]["given"] += bool(g)
            out[f]["tp"] += bool(t and g == t)
            if show and t != g:
                print(f"{doc_id}: {f} = {g!r}, judged {t!r}", file=sys.stderr)
        truth_refs, got_refs = truth.get("repeals") or [], got.get("repeals") or []
        hit = sum(any(_same_ref(g, t) for t in truth_refs) for g in got_refs)
        out["repeals"]["stated"] += len(truth_refs)
        out["repeals"]["given"] += len(got_refs)
        out["repeals"]["tp"] += hit
        if show and (hit != len(got_refs) or hit != len(truth_refs)):
            print(f"{doc_id}: repeals = {got_refs!r}, judged {truth_refs!r}", file=sys.stderr)
    return out


def table(counts: dict[str, dict[str, int]], label: str) -> str:
    lines = [f"{label}", "| field | precision | recall | right / read / judged |", "|---|---:|---:|---:|"]
    for f, c in counts.items():
        p = c["tp"] / c["given"] if c["given"] else 1.0
        r = c["tp"] / c["stated"] if c["stated"] else 1.0
        lines.append(f"| {f} | {p:.3f} | {r:.3f} | {c['tp']} / {c['given']} / {c['stated']} |")
    return "\n".join(lines)


def read(pipeline: CorpusPipeline, doc_id: str, text: str, fields: dict) -> dict:
    md = pipeline.process(RawDocument(id=doc_id, text=text, source=doc_id, fields=fields)).metadata
    # getattr: the same script scores a checkout from before issue 30 (no expires_on, no repeals)
    return {
        "effective_date": md.effective_date,
        "expires_on": getattr(md, "expires_on", None),
        "repeals": getattr(md, "repeals", []),
    }


def policy_dev(corpus: Path, show: bool, judged_file: Path = JUDGED) -> dict[str, dict[str, int]]:
    judged = {j["id"]: j for j in map(json.loads, judged_file.read_text(encoding="utf-8").splitlines())}
    pipeline = CorpusPipeline()
    pairs = []
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["id"] not in judged:
                continue
            fields = {
                k: v
                for k, v in {
                    "title": _title(r.get("title")),
                    "date": r.get("date"),
                    "jurisdiction": r.get("jurisdiction"),
                    "issuer": r.get("issuer"),
                }.items()
                if v
            }
            pairs.append((r["id"], judged[r["id"]], read(pipeline, r["id"], r["text"], fields)))
    if len(pairs) != len(judged):
        raise SystemExit(f"{len(judged) - len(pairs)} judged ids are not in {corpus}")
    return score(pairs, show)


def fixtures(show: bool) -> dict[str, dict[str, int]]:
    pipeline = CorpusPipeline()
    pairs = []
    for path in sorted(FIXTURES.glob("*.txt")):
        truth = json.loads(path.with_suffix(".judged.json").read_text(encoding="utf-8"))
        pairs.append((path.name, truth, read(pipeline, path.name, path.read_text(encoding="utf-8"), {})))
    return score(pairs, show)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="policy-dev.jsonl.gz")
    ap.add_argument("--fixtures", action="store_true", help="score the fixtures of tests/fixtures/validity")
    ap.add_argument("--show", action="store_true", help="print every miss (stderr)")
    ap.add_argument(
        "--judged",
        type=Path,
        default=JUDGED,
        help="the judged ids and values (default: benchmarks/validity_judged.jsonl; "
        "benchmarks/validity_heldout.jsonl was judged after the rules, never tuned on)",
    )
    args = ap.parse_args(argv)
    if args.fixtures:
        n = len(list(FIXTURES.glob("*.txt")))
        print(table(fixtures(args.show), f"{n} judged fixtures (tests/fixtures/validity)"))
        return 0
    if not args.corpus.exists():
        raise SystemExit(f"{args.corpus} 不存在：用 --corpus 指明 policy-dev.jsonl.gz")
    n = len(args.judged.read_text(encoding="utf-8").splitlines())
    print(
        table(
            policy_dev(args.corpus, args.show, args.judged),
            f"{n} judged documents of policy-dev ({args.judged.name})",
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
