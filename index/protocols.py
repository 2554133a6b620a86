"""The two index interfaces, keyed by clause id. FAISS and BM25 are today's implementations
(``index.faiss_vectors``, ``index.bm25``); a Milvus collection is the next. Nothing outside an
implementation knows its row positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np


@dataclass(frozen=True)
class FieldCondition:
    """One metadata test that says the same as part of a :class:`DocFilter`'s key set, for engines that
    filter on their own scalar fields (Milvus). ``FieldCondition("jurisdiction", "prefix", ("辽宁省",))``
    keeps 辽宁省 and 辽宁省/沈阳市; ``or_empty`` also keeps documents without the field (undated ones)."""

    field: str
    op: Literal["in", "prefix", "contains", "ge", "le", "ne"]
    values: tuple[str, ...]
    or_empty: bool = False

    def matches(self, meta: Mapping[str, Any]) -> bool:
        """The test on one document's metadata (a missing value reads as ""), as an engine runs it."""
        v = str(meta.get(self.field) or "")
        if self.op == "in":
            return v in self.values
        if self.op == "prefix":
            return any(v == p or v.startswith(p + "/") for p in self.values)
        if self.op == "contains":
            return self.values[0] in v
        if self.op == "ne":
            return v != self.values[0]
        if not v:
            return self.or_empty
        return v >= self.values[0] if self.op == "ge" else v <= self.values[0]


class DocFilter:
    """The documents a search may return, by key; implementations turn it into their own row mask once.

    ``DocFilter({"000_38217c7f430a4a4f.txt"})`` keeps the clauses of 吉林市's document only. ``conditions``,
    when given, select the same documents by metadata (all must hold); an engine may use either.
    """

    def __init__(self, keys: Iterable[str], conditions: Sequence[FieldCondition] | None = None) -> None:
        self.keys = frozenset(keys)
        self.conditions = tuple(conditions) if conditions is not None else None
        self._masks: dict[int, np.ndarray] = {}  # per index implementation: its row mask
        self._rows: dict[int, np.ndarray] = {}  # and the rows it selects

    def mask_for(self, owner: object, build) -> np.ndarray:  # noqa: ANN001 - build: () -> ndarray
        got = self._masks.get(id(owner))
        if got is None:
            got = self._masks[id(owner)] = build(self.keys)
        return got

    def rows_for(self, owner: object, build) -> np.ndarray:  # noqa: ANN001 - build: as for mask_for
        """The row numbers of ``mask_for``, cached beside it."""
        got = self._rows.get(id(owner))
        if got is None:
            got = self._rows[id(owner)] = np.flatnonzero(self.mask_for(owner, build))
        return got


def top_per_group(
    scores: np.ndarray, k: int, groups: Sequence[DocFilter], owner: object, build, allowed: np.ndarray | None
) -> list[np.ndarray]:  # noqa: ANN001
    """For each group, the rows of its ``k`` best positive-or-any scores (``allowed`` rows only): one pass
    over the score array per group's rows, which the filters cache, so a comparison over 60 jurisdictions
    costs about one full scan."""
    out = []
    for g in groups:
        rows = g.rows_for(owner, build)
        if allowed is not None:
            rows = rows[allowed[rows]]
        if len(rows) > k:
            rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        out.append(rows)
    return out


class VectorIndex(Protocol):
    kind: str

    @property
    def size(self) -> int: ...

    @property
    def dim(self) -> int: ...

    def add(self, ids: Sequence[str], docs: Sequence[str], vectors: np.ndarray) -> None: ...

    def remove(self, ids: Iterable[str]) -> int: ...

    def search(
        self, query: np.ndarray, k: int, where: DocFilter | None = None
    ) -> tuple[list[str], np.ndarray]: ...

    def scores_for(self, query: np.ndarray, ids: Sequence[str]) -> np.ndarray: ...

    def search_groups(
        self, query: np.ndarray, k: int, groups: Sequence[DocFilter], where: DocFilter | None = None
    ) -> list[list[str]]:
        """The ``k`` nearest clauses within each group (exact), among the documents ``where`` allows."""
        ...

    def vectors_for(self, ids: Sequence[str]) -> np.ndarray: ...

    def check(self, dim: int) -> None: ...

    def save(self, directory: Path) -> None: ...


class LexicalScores(Protocol):
    def top(self, k: int) -> tuple[list[str], np.ndarray]: ...

    def scores_for(self, ids: Sequence[str]) -> np.ndarray: ...

    def top_groups(self, k: int, groups: Sequence[DocFilter]) -> list[list[str]]:
        """The ``k`` best-scoring clauses (score > 0) within each group."""
        ...


class LexicalIndex(Protocol):
    kind: str

    @property
    def size(self) -> int: ...

    def add(self, ids: Sequence[str], docs: Sequence[str], tokens: Sequence[list[str]]) -> None: ...

    def remove(self, ids: Iterable[str]) -> int: ...

    def query(
        self, tokens: list[str], weights: dict[str, float] | None = None, where: DocFilter | None = None
    ) -> LexicalScores: ...

    def save(self, directory: Path) -> None: ...

    def coverage(self, tokens: list[str], ids: Sequence[str]) -> np.ndarray: ...

    # whether a query per term is cheap and exact (search.retrieval.ConceptScores relies on it)
    per_term_queries: bool

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """Each token's IDF over the live clauses, 0 for one no clause contains."""
        ...
