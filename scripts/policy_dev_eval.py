"""Judged questions over the real documents of policy-dev: pool, judge, score.

    python scripts/policy_dev_eval.py corpus --out var/policy-dev.jsonl     # then: policy-search reindex it
    python scripts/policy_dev_eval.py pool   --index DIR [--systems "default;dense;lexical;bm25win"] [--out FILE]
    python scripts/policy_dev_eval.py merge  GRADED.jsonl [GRADED.jsonl …]
    python scripts/policy_dev_eval.py score  --index DIR [--systems …] [--half tune|report|all] [--baseline NAME]
    python scripts/policy_dev_eval.py time   --index DIR [--systems …] [--kind english] [--questions F …]
    python scripts/policy_dev_eval.py agree  --index DIR [--head-order 0]   # compare's clauses against grouped search's

The questions (``benchmarks/policy_dev/questions.jsonl``: 100 questions, 25 each colloquial, official, region,
English, written before any system ran) are judged by pooling: the top 10 of every system named, each
(question, clause) pair not judged yet goes to a file a judge grades 0/1/2 without seeing which system found
it (``benchmarks/policy_dev/protocol.md``); ``merge`` adds the grades to ``benchmarks/policy_dev/qrels.jsonl``.
A judgment is keyed by the clause id and by a hash of the clause's text, so a change of chunking that keeps
a clause's text keeps its grade. ``score`` prints nDCG@10 by kind on the tune half (odd numbers within each
kind) or the report half (even numbers), with paired bootstrap intervals against ``--baseline``; a hit no
judge has seen counts 0 and the share of such hits in the top 10 is printed (a system far from the pool
must be pooled and judged before its score means anything).

Systems: ``default`` (the engine's settings), ``dense``, ``lexical`` (the engine's halves), ``bm25win``
(BM25 over 250-character windows of each document, with jieba: what a plain RAG stack does; a window is
judged as the clause it overlaps most), and any ``name:key=value,…`` with RankingOptions fields (and ``floor``,
the relevance floor), e.g. ``w05:dense_weight=0.5``; systems are separated by ";".
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import xxhash

from config.settings import Settings
from corpus.normalize import squash
from index.tokenizer import ChineseTokenizer
from search.evaluation import ndcg_at
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest
from search.relevance import RelevanceModel

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "policy_dev"
QUESTIONS = BENCH / "questions.jsonl"
QRELS = BENCH / "qrels.jsonl"
KINDS = ("colloquial", "official", "region", "english")


def text_key(text: str) -> str:
    return xxhash.xxh64(squash(text).encode("utf-8")).hexdigest()


@dataclass
class Question:
    qid: str
    kind: str
    query: str
    place: str | None
    intent: str

    @property
    def half(self) -> str:
        """tune: odd numbers within each kind; report: even."""
        return "tune" if int(re.sub(r"\D", "", self.qid)) % 2 else "report"


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            out.append(Question(r["qid"], r["kind"], r["query"], r.get("place"), r.get("intent", "")))
    return out


class Qrels:
    """Grades by (question, clause id) and by (question, document, clause-text hash)."""

    def __init__(self, path: Path = QRELS) -> None:
        self.path = path
        self.by_id: dict[tuple[str, str], int] = {}
        self.by_text: dict[tuple[str, str, str], int] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = json.loads(line)
                    self.by_id[(r["qid"], r["clause_id"])] = r["grade"]
                    self.by_text[(r["qid"], r["doc_id"], r["h"])] = r["grade"]

    def grade(self, qid: str, clause_id: str, doc_id: str, text: str) -> int | None:
        g = self.by_id.get((qid, clause_id))
        return g if g is not None else self.by_text.get((qid, doc_id, text_key(text)))

    def judged(self, qid: str) -> list[int]:
        return [g for (q, _), g in self.by_id.items() if q == qid]


@dataclass
class Hit:
    clause_id: str
    doc_id: str
    text: str


System = Callable[[str], list[Hit]]


def engine_system(searcher: HybridSearcher, options: RankingOptions, top_k: int = 20) -> System:
    s = searcher.variant(options=options)

    def run(q: str) -> list[Hit]:
        res = s.search(SearchRequest(q=q, top_k=top_k))
        return [Hit(h.clause_id, h.document.id, h.text) for h in res.hits]

    return run


class WindowBM25:
    """BM25 (bm25s) over 250-character windows of each document's cleaned text, jieba-tokenised; each window
    is reported as the clause of its document it overlaps most."""

    def __init__(self, searcher: HybridSearcher, size: int = 250) -> None:
        import bm25s

        store = searcher.store
        self.tok = ChineseTokenizer()
        self.windows: list[tuple[str, int, int]] = []
        texts = []
        self.clauses_of: dict[str, list[tuple[int, int, str, str]]] = {}
        for cid, c in zip(store.clause_doc, store.clauses(list(store.clause_doc))):
            doc_id = store.doc_ids[store.clause_doc[cid]]
            self.clauses_of.setdefault(doc_id, []).append((c.start, c.end, cid, c.text))
        for doc_id in store.doc_ids:
            text = searcher.views.document(doc_id).text or ""
            for s in range(0, len(text), size):
                self.windows.append((doc_id, s, min(len(text), s + size)))
                texts.append(self.tok.tokenize(text[s : s + size]))
        self.bm25 = bm25s.BM25()
        self.bm25.index(texts, show_progress=False)

    def __call__(self, q: str) -> list[Hit]:
        toks = self.tok.tokenize(q)
        if not toks:
            return []
        docs, scores = self.bm25.retrieve([toks], k=min(60, len(self.windows)), show_progress=False)
        out: list[Hit] = []
        seen = set()
        for idx, score in zip(docs[0], scores[0]):
            if score <= 0:
                break
            doc_id, s, e = self.windows[int(idx)]
            best = max(
                self.clauses_of.get(doc_id, []),
                key=lambda c: min(e, c[1]) - max(s, c[0]),
                default=None,
            )
            if best is None or best[2] in seen:
                continue
            seen.add(best[2])
            out.append(Hit(best[2], doc_id, best[3]))
        return out


def make_systems(searcher: HybridSearcher, names: Sequence[str]) -> dict[str, System]:
    base = searcher.options
    out: dict[str, System] = {}
    known = {f.name for f in fields(RankingOptions)}
    for spec in names:
        name, _, rest = spec.partition(":")
        if name == "bm25win":
            out[name] = WindowBM25(searcher)
            continue
        changes: dict[str, object] = {}
        model_changes: dict[str, float] = {}
        model_file: str | None = None
        if name in ("dense", "lexical"):
            changes["fusion"] = name
        for kv in filter(None, rest.split(",")):
            k, v = kv.split("=", 1)
            if k in ("floor", "lexical_floor"):  # the relevance floor (tiers): 0 = order by score alone
                model_changes[k] = float(v)
                continue
            if k == "relevance":  # another relevance model (a relevance.json)
                model_file = v
                continue
            if k not in known:
                raise SystemExit(f"unknown RankingOptions field {k!r}")
            current = getattr(base, k)
            changes[k] = v.lower() in ("1", "true", "yes") if isinstance(current, bool) else type(current)(v)
        opts = RankingOptions(
            **{**{f.name: getattr(base, f.name) for f in fields(RankingOptions)}, **changes}
        )
        s = searcher
        if model_file:
            s = s.variant(
                relevance=RelevanceModel.from_dict(json.loads(Path(model_file).read_text(encoding="utf-8")))
            )
        if model_changes:
            s = s.variant(relevance=dataclasses.replace(s.relevance, **model_changes))
        out[name] = engine_system(s, opts)
    return out


def open_index(index: Path) -> HybridSearcher:
    """The index's current generation with the engine it was built with and the default ranking."""
    from policy_search.factory import embedder_from, index_engine, ranking_from

    settings = Settings(index_dir=index)
    embedder = embedder_from(settings, index_engine(settings))
    return HybridSearcher.open(index, embedder, ranking_from(settings), verify=False)


def cmd_pool(args: argparse.Namespace) -> int:
    questions = load_questions(args.questions)
    qrels = Qrels()
    searcher = open_index(args.index)
    systems = make_systems(searcher, args.systems.split(";"))
    pending: dict[tuple[str, str], dict] = {}
    for q in questions:
        for run in systems.values():
            for h in run(q.query)[: args.depth]:
                if qrels.grade(q.qid, h.clause_id, h.doc_id, h.text) is not None:
                    continue
                key = (q.qid, h.clause_id)
                if key in pending:
                    continue
                info = searcher.views.info_of_clause(h.clause_id)
                clause = searcher.store.clause(h.clause_id)
                pending[key] = {
                    "qid": q.qid,
                    "query": q.query,
                    "place": q.place,
                    "intent": q.intent,
                    "doc_id": h.doc_id,
                    "clause_id": h.clause_id,
                    "h": text_key(clause.text),
                    "title": info.title,
                    "jurisdiction": info.jurisdiction,
                    "date": info.date,
                    "heading_path": list(clause.heading_path),
                    "text": clause.text,
                    "grade": None,
                }
    rows = list(pending.values())
    random.Random(7).shuffle(rows)
    rows.sort(key=lambda r: r["qid"])  # by question, hits shuffled within: no system order shows
    with open(args.out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pairs to judge → {args.out}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    qrels = Qrels()
    added = 0
    with open(QRELS, "a", encoding="utf-8") as out:
        for path in args.files:
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                r = json.loads(line)
                if r.get("grade") not in (0, 1, 2):
                    raise SystemExit(f"{path}: {r['qid']} {r['clause_id']} has no grade 0/1/2")
                if (r["qid"], r["clause_id"]) in qrels.by_id:
                    continue
                rec = {k: r[k] for k in ("qid", "doc_id", "clause_id", "h", "grade")}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                qrels.by_id[(r["qid"], r["clause_id"])] = r["grade"]
                added += 1
    print(f"{added} judgments added to {QRELS}")
    return 0


def question_scores(run: System, questions: Sequence[Question], qrels: Qrels, k: int = 10):
    """Per question: nDCG@k (the ideal from every judged clause of the question), unjudged hits in the top k."""
    out = []
    for q in questions:
        hits = run(q.query)[:k]
        gains, unjudged = [], 0
        for h in hits:
            g = qrels.grade(q.qid, h.clause_id, h.doc_id, h.text)
            unjudged += g is None
            gains.append(g or 0)
        out.append((ndcg_at(gains, qrels.judged(q.qid), k), unjudged))
    return out


def bootstrap(
    a: Sequence[float], b: Sequence[float], n: int = 10_000, seed: int = 1
) -> tuple[float, float, float]:
    """Mean of a − b and its 95 % interval over questions resampled with replacement (paired)."""
    d = np.asarray(a) - np.asarray(b)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(n, len(d)))].mean(axis=1)
    return float(d.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def cmd_score(args: argparse.Namespace) -> int:
    questions = [q for q in load_questions(args.questions) if args.half == "all" or q.half == args.half]
    qrels = Qrels()
    searcher = open_index(args.index)
    names = args.systems.split(";")
    systems = make_systems(searcher, names)
    results = {
        name.partition(":")[0]: question_scores(run, questions, qrels) for name, run in systems.items()
    }
    print(f"\n{len(questions)} questions ({args.half}); nDCG@10 by kind; unjudged share of the top 10\n")
    print("| system | all | " + " | ".join(KINDS) + " | unjudged |")
    print("|---|---:|" + "---:|" * len(KINDS) + "---:|")
    for name, rows in results.items():
        by = {k: [r[0] for q, r in zip(questions, rows) if q.kind == k] for k in KINDS}
        allv = [r[0] for r in rows]
        unj = sum(r[1] for r in rows) / max(1, 10 * len(rows))
        cells = " | ".join(f"{np.mean(v):.3f}" if v else "–" for v in by.values())
        print(f"| {name} | {np.mean(allv):.3f} | {cells} | {unj:.2f} |")
    base = args.baseline or names[0].partition(":")[0]
    if base in results:
        print(f"\npaired bootstrap against {base} (mean difference, 95 % interval):\n")
        for name, rows in results.items():
            if name == base:
                continue
            parts = [("all", list(range(len(questions))))] + [
                (k, [i for i, q in enumerate(questions) if q.kind == k]) for k in KINDS
            ]
            cells = []
            for label, idx in parts:
                if not idx:
                    continue
                m, lo, hi = bootstrap([rows[i][0] for i in idx], [results[base][i][0] for i in idx])
                cells.append(f"{label} {m:+.3f} [{lo:+.3f}, {hi:+.3f}]")
            print(f"- {name}: " + "; ".join(cells))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {n: {q.qid: r[0] for q, r in zip(questions, rows)} for n, rows in results.items()}, indent=1
            ),
            encoding="utf-8",
        )
    return 0


def cmd_time(args: argparse.Namespace) -> int:
    """Milliseconds a search takes, per system: each question once to warm (its vector is then cached), then
    ``rounds`` rounds over every question, the systems in turn and their order swapped each round, so that a
    drifting machine weighs on each alike."""
    import time

    questions = [
        q
        for path in args.questions
        for q in load_questions(path)
        if args.kind == "all" or q.kind == args.kind
    ]
    searcher = open_index(args.index)
    systems = make_systems(searcher, args.systems.split(";"))
    for run in systems.values():
        for q in questions:
            run(q.query)
    took: dict[str, list[float]] = {name: [] for name in systems}
    for r in range(args.rounds):
        order = list(systems.items()) if r % 2 == 0 else list(systems.items())[::-1]
        for q in questions:
            for name, run in order:
                t0 = time.perf_counter()
                run(q.query)
                took[name].append((time.perf_counter() - t0) * 1000)
    print(f"{len(questions)} questions ({args.kind}) × {args.rounds} rounds; ms per search\n")
    print("| system | p50 | p90 | mean |\n|---|---:|---:|---:|")
    for name, ms in took.items():
        print(f"| {name} | {np.percentile(ms, 50):.1f} | {np.percentile(ms, 90):.1f} | {np.mean(ms):.1f} |")
    return 0


def cmd_agree(args: argparse.Namespace) -> int:
    """Compare against grouped search: for each jurisdiction a comparison lists, whether it shows the same
    first clause, and the same first three in order, as that jurisdiction's group (its strong hits)."""
    from search.compare_models import CompareRequest

    kinds = set(args.kinds.split(","))
    questions = [q for q in load_questions(args.questions) if q.kind in kinds][: args.limit]
    searcher = open_index(args.index)
    if args.head_order is not None:
        searcher = searcher.variant(options=dataclasses.replace(searcher.options, head_order=args.head_order))
    n = first = three = 0
    for q in questions:
        grouped = searcher.search(SearchRequest(q=q.query, top_k=5, group_by="jurisdiction", per_group=3))
        groups = {g.jurisdiction: [h.clause_id for h in g.hits if h.strong] for g in grouped.groups or []}
        for j in searcher.compare(CompareRequest(q=q.query, per_jurisdiction=3)).jurisdictions:
            mine = groups.get(j.jurisdiction)
            if not mine:
                continue
            ids = [c.clause_id for c in j.clauses]
            n, first, three = n + 1, first + (ids[0] == mine[0]), three + (ids[:3] == mine[:3])
    print(
        f"{len(questions)} questions, {n} jurisdictions: same first clause {first}, same first three {three}"
    )
    return 0


def cmd_corpus(args: argparse.Namespace) -> int:
    """policy-dev as a user's JSONL (``id``, ``title`` without the compiler's 【…】 tag, ``text``): the corpus
    the questions are judged over, to index with ``policy-search reindex FILE``."""
    from measure_policy_dev import DEFAULT, read_records, user_record

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    records = read_records(Path(args.corpus) if args.corpus else DEFAULT)
    with out.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(user_record(r), ensure_ascii=False) + "\n")
    print(f"{len(records)} records → {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("--corpus", help="policy-dev.jsonl.gz (default: ../shared/corpora/)")
    c.add_argument("--out", default=str(Path("var") / "policy-dev.jsonl"))
    p = sub.add_parser("pool")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--systems", default="default;dense;lexical;bm25win")
    p.add_argument("--depth", type=int, default=10)
    p.add_argument("--out", default="pending.jsonl")
    p.add_argument("--questions", type=Path, default=QUESTIONS, help="another question file (same format)")
    m = sub.add_parser("merge")
    m.add_argument("files", nargs="+")
    s = sub.add_parser("score")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--systems", default="default;dense;lexical;bm25win")
    s.add_argument("--half", choices=["tune", "report", "all"], default="tune")
    s.add_argument("--baseline")
    s.add_argument("--json")
    s.add_argument("--questions", type=Path, default=QUESTIONS, help="another question file (same format)")
    t = sub.add_parser("time")
    t.add_argument("--index", type=Path, required=True)
    t.add_argument("--systems", default="default")
    t.add_argument("--kind", choices=[*KINDS, "all"], default="all")
    t.add_argument("--rounds", type=int, default=3)
    t.add_argument(
        "--questions", type=Path, nargs="+", default=[QUESTIONS], help="question files (same format)"
    )
    g = sub.add_parser("agree")
    g.add_argument("--index", type=Path, required=True)
    g.add_argument("--kinds", default="colloquial,official")
    g.add_argument("--limit", type=int, default=30)
    g.add_argument("--head-order", type=int, help="the head order's depth (0 = off; default: the settings')")
    g.add_argument("--questions", type=Path, default=QUESTIONS, help="another question file (same format)")
    args = ap.parse_args(argv)
    commands = {
        "corpus": cmd_corpus,
        "pool": cmd_pool,
        "merge": cmd_merge,
        "score": cmd_score,
        "time": cmd_time,
        "agree": cmd_agree,
    }
    return commands[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
