"""Real documents, mutated: does any document fail the pipeline? (policy-dev, seeded, ~15 s per 1,000.)

    python scripts/mutate_policy_dev.py [--seeds 1 2 3] [--limit 1000]

Each record of ``../shared/corpora/policy-dev.jsonl.gz`` goes through the pipeline as a user's JSONL would
(``scripts/measure_policy_dev.py``), after one to three of these mutations, drawn per document: the numbers
before 年/月/日/条/号/期/%/万元/个/天 replaced by impossible or huge ones; the months and days of its dates
replaced (2月30日, 13月, 99日); stray headings, 附件 and 抄送 lines and a 22-digit 文号 inserted; its line
breaks removed; cut at a random point; written three times over; its digits made full-width. Prints how many
documents failed (a document that fails is dropped from the index with ``processing_failed``), by exception,
and every date stored that does not parse. Uses only the pipeline's public API, so
``PYTHONPATH=OTHER_CHECKOUT`` measures another checkout.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from measure_policy_dev import DEFAULT, read_records, user_record

from corpus.models import RawDocument
from corpus.pipeline import CorpusPipeline

HUGE = ["0", "00", "99999", "9999999999999999999999", "１２３４５", "十万", "-1"]
DATE = re.compile(
    r"(\d{4}|[〇零一二三四五六七八九]{4})年(\d{1,2}|[一二三四五六七八九十]{1,3})月(\d{1,2}|[一二三四五六七八九十廿卅]{1,3})日"
)
STRAY = [
    "（九十九）",
    "第九千九百九十九条",
    "一、",
    "附件：",
    "抄送：",
    "京政发〔99999999999999999999〕99999999999999999999号",
]


def mutations(rng: random.Random) -> list[Callable[[str], str]]:
    def numbers(t: str) -> str:
        return re.sub(r"\d+(?=[年月日条号期%％万元个天])", lambda m: rng.choice(HUGE + [m.group(0)] * 4), t)

    def dates(t: str) -> str:
        return DATE.sub(
            lambda m: (
                f"{m.group(1)}年{rng.choice([m.group(2), '0', '13', '2', '十三'])}月"
                f"{rng.choice([m.group(3), '0', '30', '31', '99', '三十', '卅二'])}日"
            ),
            t,
        )

    def stray(t: str) -> str:
        lines = t.split("\n")
        for mark in rng.sample(STRAY, 3):
            lines.insert(rng.randrange(len(lines) + 1), mark)
        return "\n".join(lines)

    return [
        numbers,
        dates,
        stray,
        lambda t: t.replace("\n", rng.choice(["", " ", "\u3000"])),
        lambda t: t[: rng.randrange(len(t) + 1)],
        lambda t: t * 3,
        lambda t: t.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--limit", type=int, default=1000)
    args = ap.parse_args(argv)
    records = read_records(args.corpus)[: args.limit]
    pipeline = CorpusPipeline()
    failed: collections.Counter[str] = collections.Counter()
    bad_dates = done = 0
    t0 = time.perf_counter()
    for seed in args.seeds:
        rng = random.Random(seed)
        ops = mutations(rng)
        for r in records:
            u = user_record(r)
            text = u["text"]
            for op in rng.sample(ops, rng.randint(1, 3)):
                text = op(text)
            fields = {"title": u["title"]} if u["title"] else {}
            done += 1
            try:
                doc = pipeline.process(RawDocument(id=u["id"], text=text or "空", source="x", fields=fields))
            except Exception as exc:  # noqa: BLE001 - what a build would report as processing_failed
                failed[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                continue
            md = doc.metadata
            for d in (md.date, md.written_date, md.published_date, md.effective_date, md.expires_on):
                try:
                    d is None or dt.date.fromisoformat(d)
                except ValueError:
                    bad_dates += 1
    print(
        f"{done} mutated documents ({len(records)} × seeds {args.seeds}): {sum(failed.values())} failed, "
        f"{bad_dates} stored dates that do not parse; {time.perf_counter() - t0:.0f} s"
    )
    for reason, n in failed.most_common():
        print(f"  {n} {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
