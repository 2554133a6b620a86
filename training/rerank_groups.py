"""Training groups for the reranker from STARD: each question with a positive, the first stage's hard
negatives and a few random ones (``scripts/train_reranker.py``, ``scripts/tune_rerank_mix.py``)."""

from __future__ import annotations

import random

from corpus.models import Clause
from index.passages import passage_text
from policy_search.evaluate import stard_judge, stard_split
from search.models import SearchRequest

Group = tuple[str, list[str], int]  # question, [positive, negatives…], the positive's first-stage rank


def train_and_held_out(items: list[dict]) -> tuple[list[dict], list[dict]]:
    """STARD's train split (dev, ids divisible by 5, is never read) cut into the questions the reranker
    learns from and those it is judged on (ids ≡ 1 mod 5: epoch choice, ``rerank_weight``)."""
    train = [q for q in items if stard_split(int(q["query_id"])) == "train"]
    return [q for q in train if int(q["query_id"]) % 5 != 1], [
        q for q in train if int(q["query_id"]) % 5 == 1
    ]


def hit_passage(h) -> str:
    c = Clause(h.clause_id, h.document.id, 0, h.heading_path, h.text, 0, 0)
    return passage_text(h.document.title, c, "auto", law=bool(h.document.law_level))


def groups_for(items, searcher, negatives: int, depth: int) -> list[Group]:
    """(question, [positive, negative × n], the positive's rank among them in the first stage) per
    question and positive."""
    judge = stard_judge(items)
    out = []
    for q in items:
        hits = searcher.search(SearchRequest(q=q["query"], top_k=depth, fusion="lexical")).hits
        matches, _ = judge(str(q["query_id"]), hits)
        # positives only as the index shows them: a gold article written another way ("民法典第五十四条\n…")
        # would teach the model the format, not the answer (a first run that did so ranked any
        # title-and-article passage below it)
        pos = [(i, hit_passage(h)) for i, (h, m) in enumerate(zip(hits, matches)) if m][:2]
        neg = [(i, hit_passage(h)) for i, (h, m) in enumerate(zip(hits, matches)) if not m][:negatives]
        if len(neg) < negatives:
            continue
        for at, p in pos:
            out.append((q["query"], [p, *(n for _, n in neg)], 1 + sum(j < at for j, _ in neg)))
    return out


def with_random_negatives(groups, k: int, rng: random.Random) -> list[Group]:
    """Add ``k`` passages from other questions' lists to each group: a model trained on hard negatives
    alone never sees an off-topic passage, and scored an unrelated article (土地管理法 for a question on
    诉讼时效) above the answer."""
    if k <= 0:
        return groups
    out = []
    for q, ps, rank in groups:
        drawn: list[str] = []
        while len(drawn) < k:
            j = rng.randrange(len(groups))
            other = groups[j]
            if other[0] == q:
                continue
            p = rng.choice(other[1])
            if p not in ps and p not in drawn:
                drawn.append(p)
        out.append((q, [*ps, *drawn], rank))
    return out


def first_stage_ranks(rank: int, hard: int) -> list[int]:
    """Ranks among [positive, hard negatives…] in first-stage order: the negatives keep their order and
    the positive sits at ``rank``."""
    return [rank] + [k + 1 if k + 1 < rank else k + 2 for k in range(hard)]
