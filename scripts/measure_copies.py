"""Measure the MinHash threshold for near-duplicate documents (index/copies.py).

    python scripts/measure_copies.py [--lawrefbook ../shared/corpora/lawrefbook.jsonl.gz]

Copies: each hand-judged fixture document and each seed document beside a scraped copy of itself (page menus
above and below, its lines run together, full-width digits, a 浏览次数 line, a 上一篇/下一篇 footer). Distinct
documents: every pair of the five seeds (one State Council text implemented five times), every pair of
fixtures, and LawRefBook's closest pairs (LSH candidates, local regulations, different titles). Prints the
lowest similarity of a copy, the highest of distinct documents, and the threshold's margin on both.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import itertools
import json
import sys
from pathlib import Path

from corpus.models import RawDocument
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir
from index.copies import THRESHOLD, find_copies, signatures, similarity

ROOT = Path(__file__).resolve().parent.parent


def _judged():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("policy_fixtures", ROOT / "tests" / "policy_fixtures.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["policy_fixtures"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.load_judged()


def scraped(text: str) -> str:
    """The page a scraper saves: menus, lines run together, full-width digits, a footer."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    body = "".join(ln.translate(wide) for ln in lines[2:])
    return (
        "首页 > 政务公开 > 政策文件\n当前位置：首页\n字号：大 中 小\n【打印】【关闭】\n"
        + "\n".join(lines[:2])
        + "\n浏览次数：1024\n"
        + body
        + "\n上一篇：关于做好春节期间安全生产工作的通知\n下一篇：无\n分享到：\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lawrefbook", default="../shared/corpora/lawrefbook.jsonl.gz")
    args = ap.parse_args(argv)
    pipeline = CorpusPipeline()
    texts = {f"fixture:{j.id}": j.text for j in _judged()}
    for p in sorted(builtin_corpus_dir().glob("*.txt")):
        texts[f"seed:{p.name[:3]}"] = p.read_text(encoding="utf-8")
    docs = {k: pipeline.process(RawDocument(id=k, text=t, source=k)) for k, t in texts.items()}
    copies = {
        k: pipeline.process(RawDocument(id=k + "~scraped", text=scraped(t), source=k))
        for k, t in texts.items()
    }
    sig = dict(zip(docs, signatures(list(docs.values()))))
    csig = dict(zip(copies, signatures(list(copies.values()))))
    copy_sims = sorted((similarity(sig[k], csig[k]), k) for k in docs)
    distinct = sorted(
        ((similarity(sig[a], sig[b]), a, b) for a, b in itertools.combinations(docs, 2)), reverse=True
    )
    seeds = [d for d in distinct if d[1].startswith("seed") and d[2].startswith("seed")]
    print(
        f"{len(copy_sims)} clean/scraped pairs: lowest similarity {copy_sims[0][0]:.3f} ({copy_sims[0][1]}), "
        f"median {copy_sims[len(copy_sims) // 2][0]:.3f}"
    )
    print(
        f"same-文号 pairs found by 文号: {sum(1 for k in docs if docs[k].metadata.doc_number and docs[k].metadata.doc_number == copies[k].metadata.doc_number)}/{sum(1 for k in docs if docs[k].metadata.doc_number)}"
    )
    print(
        f"{len(distinct)} distinct pairs (fixtures and seeds): highest {distinct[0][0]:.3f} ({distinct[0][1]} ~ {distinct[0][2]})"
    )
    print(
        f"seed pairs (one template, five places): highest {seeds[0][0]:.3f} ({seeds[0][1]} ~ {seeds[0][2]})"
    )
    found = find_copies(list(csig.values()), list(sig.values()))
    print(
        f"find_copies at {THRESHOLD}: {len(found)}/{len(csig)} scraped copies recognised, "
        f"{sum(1 for c in found if c.of != c.key.removesuffix('~scraped'))} matched to the wrong document"
    )
    path = Path(args.lawrefbook)
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rows = [r for r in map(json.loads, f) if r.get("jurisdiction") and r["jurisdiction"] != "全国"]
        lrb = [
            pipeline.process(RawDocument(id=r["id"], text=r["text"], source=r["id"], text_format="markdown"))
            for r in rows
        ]
        lsig = signatures(lrb)
        titles = {d.id: d.metadata.title for d in lrb}
        # the closest distinct pairs: LSH candidates at a low threshold, scored
        low = find_copies(lsig, [], threshold=0.3)  # with the date and jurisdiction rules
        pairs = sorted(((c.similarity, c.key, c.of) for c in low), reverse=True)
        print(f"LawRefBook local regulations: {len(lrb)}; pairs ≥ 0.3: {len(pairs)}")
        for s, a, b in pairs[:12]:
            print(f"  {s:.3f}  {titles[a]}  ~  {titles[b]}")
        over = [p for p in pairs if p[0] >= THRESHOLD]
        print(f"  pairs at or over the threshold {THRESHOLD}: {len(over)}")
        from index import copies as module

        bare = [s for s in lsig]
        for s in bare:
            s.date = s.jurisdiction = s.title = ""
        unruled = find_copies(bare, [], threshold=0.3)
        print(
            f"  without the date, jurisdiction and title rules: {len(unruled)} pairs ≥ 0.3, "
            f"{sum(1 for c in unruled if c.similarity >= module.THRESHOLD)} at or over the threshold"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
