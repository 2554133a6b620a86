"""Learn a query-to-statute term model from the STARD train split (never the dev split).

    python scripts/train_term_model.py [--stard ../shared/benchmarks/stard/train.jsonl] [--out search/data/term_model.tsv]

For a word t of the questions and a word u of their gold articles: P(u | t) is the share of train questions
containing t whose gold articles contain u; lift is P(u | t) / P(u), with P(u) the share of national-law
clauses containing u. Pairs seen in at least ``--min-pairs`` questions with P(u | t) ≥ ``--min-prob`` and
lift ≥ ``--min-lift`` are kept, at most ``--per-word`` per word. Deterministic: same input, same file.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

from index.tokenizer import ChineseTokenizer
from policy_search.evaluate import SHARED, load_national, stard_split


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stard", default=str(SHARED / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--corpus", default=str(SHARED / "corpora" / "lawrefbook.jsonl.gz"))
    ap.add_argument(
        "--out", default=str(Path(__file__).resolve().parent.parent / "search" / "data" / "term_model.tsv")
    )
    ap.add_argument("--min-questions", type=int, default=4)
    ap.add_argument("--min-pairs", type=int, default=3)
    ap.add_argument(
        "--max-df", type=float, default=0.01, help="skip statute words in more than this share of clauses"
    )
    ap.add_argument("--min-prob", type=float, default=0.3)
    ap.add_argument("--min-lift", type=float, default=20.0)
    ap.add_argument("--per-word", type=int, default=3)
    args = ap.parse_args(argv)
    tok = ChineseTokenizer()
    items = [json.loads(x) for x in open(args.stard, encoding="utf-8") if x.strip()]
    train = [q for q in items if stard_split(int(q["query_id"])) == "train"]
    docs = load_national(Path(args.corpus))
    df: Counter[str] = Counter()
    n_clauses = 0
    for d in docs:
        for c in d.clauses:
            df.update(set(tok.tokenize(c.text)))
            n_clauses += 1
    q_count: Counter[str] = Counter()
    pair: dict[str, Counter[str]] = defaultdict(Counter)
    for q in train:
        tq = {t for t in tok.tokenize(q["query"]) if len(t) >= 2}
        tg = {u for g in q["gold"] for u in tok.tokenize(g["content"]) if len(u) >= 2}
        q_count.update(tq)
        for t in tq:
            pair[t].update(tg - tq)
    lines = []
    for t in sorted(q_count):
        if q_count[t] < args.min_questions:
            continue
        scored = []
        for u, n in pair[t].items():
            p_u_t = n / q_count[t]
            p_u = (df[u] + 1) / (n_clauses + 1)
            lift = p_u_t / p_u
            if df[u] / n_clauses > args.max_df or u.endswith(("条", "款", "项")) or u.isdigit():
                continue
            if n >= args.min_pairs and p_u_t >= args.min_prob and lift >= args.min_lift:
                scored.append((p_u_t * math.log(lift), u))
        scored.sort(key=lambda x: (-x[0], x[1]))
        if scored:
            lines.append(f"{t}\t{' '.join(u for _, u in scored[: args.per_word])}")
    header = (
        f"# learned by scripts/train_term_model.py from {len(train)} STARD train questions "
        f"(dev split excluded); query word<TAB>statute words\n"
    )
    Path(args.out).write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} query words mapped; written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
