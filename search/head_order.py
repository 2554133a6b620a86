"""The first page of a list re-ordered by a learned order: what a clause says about the question (its
relevance) and what kind of passage it is (how long, how deep under headings, 序言 or body).

Why: on policy-dev's judged questions the clauses that answer are the ones that say something. A heading
or a sub-title filed as a clause (``重庆市个人住房房产税征收管理实施细则``, ``一、支持刚性住房需求``) is
near the question in the dense space (a heading sums up its section) and full of its words, yet it answers
nothing: in the default's top 10, 17 % of clauses under 40 characters were judged to answer (grade 2)
against 53–57 % of those over 80. The fused score cannot see that; a passage's length and place can.

The order is a linear score over :data:`FEATURES`, fitted by pairwise logistic regression on the tune half
of policy-dev's judged questions and the seed questions of round 1 (``scripts/fit_head_order.py``: within
each question, every pair of judged hits with different grades) and shipped in ``search/data/head_order.json``
with its source. It moves clauses only among the first ``depth`` places (``head_order``, 20: chosen on the
tune half) and only within their tier (above the relevance floor or not, and of the same place factor where the
question names a place), so a weak match never stands above a strong one nor another city's clause above the
named city's, and what lies past them keeps the fused order. Law clauses keep their places (the caller's
``movable``): on STARD's statutes a short 第X条 often is the answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from corpus.models import Clause
from search.tiers import reorder_within

MODEL_FILE = Path(__file__).parent / "data" / "head_order.json"
FEATURES = ("relevance", "fused", "log_chars", "depth", "preamble")

T = TypeVar("T")


def head_features(relevance: float, fused: float, clause: Clause) -> dict[str, float]:
    """One hit's features: ``relevance`` (the verdict's probability, 0–1), ``fused`` (the list's score,
    min–max normalised over the candidates), ``log_chars`` (ln of the clause's characters, at least 1),
    ``depth`` (how many headings it sits under: 0 for a clause under none), ``preamble`` (1 for the text
    before the first heading: 序言, 为了……制定本办法)."""
    return {
        "relevance": float(relevance),
        "fused": float(fused),
        "log_chars": math.log(max(len(clause.text), 1)),
        "depth": float(len(clause.heading_path)),
        "preamble": 1.0 if clause.kind == "preamble" else 0.0,
    }


@dataclass(frozen=True)
class HeadOrder:
    """A linear order score: ``sum(weights[f] * x[f])`` over ``features`` (higher = earlier)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    source: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.features) - set(FEATURES)
        if unknown or len(self.features) != len(self.weights):
            raise ValueError(f"head order: unknown features {sorted(unknown)} or weights of another length")
        if not all(isinstance(w, (int, float)) and math.isfinite(w) for w in self.weights):
            raise ValueError(f"head order: weights must be finite numbers, not {list(self.weights)}")

    @classmethod
    def bundled(cls) -> HeadOrder:
        return cls.from_dict(json.loads(MODEL_FILE.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, d: dict) -> HeadOrder:
        return cls(tuple(d["features"]), tuple(float(w) for w in d["weights"]), d.get("source", {}))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "weights": list(self.weights), "source": self.source}

    def score(self, rows: Sequence[dict[str, float]]) -> list[float]:
        """One score per feature row as :func:`head_features` makes them. Plain Python: a grouped search
        scores ~300 lists of 5, where building arrays cost more than the sums."""
        pairs = list(zip(self.features, self.weights))
        return [sum(w * r[f] for f, w in pairs) for r in rows]

    def apply(
        self,
        picked: list[tuple[int, T]],
        depth: int,
        features_of: Callable[[int, T], dict[str, float]],
        tier: Callable[[int], Hashable],
        movable: Callable[[T], bool] = lambda c: True,
    ) -> tuple[list[tuple[int, T]], dict[int, tuple[float, int]]]:
        """The first ``depth`` of ``picked`` ((position, clause) in list order) re-ordered by score within
        their tier; ties keep the list's order. ``tier(position)`` is any key: clauses move only among the
        places held by clauses of the same key (the search's: over the floor or not, and the place factor of
        a place the question names, so that 杭州's clauses stay where the place preference put them against
        the others'). Clauses that are not ``movable`` (law clauses: see
        :class:`search.hybrid.HybridSearcher`) keep their places and are not scored. Returns the new list
        and, per position scored, (its score, its place before, 1-based).

        Raises ``ValueError`` for a negative ``depth``."""
        if depth < 0:
            raise ValueError(f"head order: depth must be 0 or more, not {depth}")
        head, tail = picked[:depth], picked[depth:]
        moving = [k for k, (_, c) in enumerate(head) if movable(c)]
        if len(moving) < 2:
            return picked, {}
        scores = dict(zip(moving, self.score([features_of(*head[k]) for k in moving])))
        info = {head[k][0]: (round(s, 4), k + 1) for k, s in scores.items()}
        out = list(head)
        perm = reorder_within(
            [tier(head[k][0]) for k in moving],
            # stable: ties keep the fused order
            lambda members: sorted(range(len(members)), key=lambda j: -scores[moving[members[j]]]),
        )
        for at, i in enumerate(perm):
            out[moving[at]] = head[moving[i]]
        return out + tail, info


__all__ = ["FEATURES", "HeadOrder", "head_features"]
