"""The two index interfaces, keyed by clause id. FAISS and BM25 are today's implementations
(``index.faiss_vectors``, ``index.bm25``); a Milvus collection is the next. Nothing outside an
implementation knows its row positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class DocFilter:
    """The documents a search may return, by key; implementations turn it into their own row mask once.

    ``DocFilter({"000_38217c7f430a4a4f.txt"})`` keeps the clauses of 吉林市's document only.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = frozenset(keys)
        self._masks: dict[int, np.ndarray] = {}

    def mask_for(self, owner: object, build) -> np.ndarray:  # noqa: ANN001 - build: () -> ndarray
        got = self._masks.get(id(owner))
        if got is None:
            got = self._masks[id(owner)] = build(self.keys)
        return got


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

    def vectors_for(self, ids: Sequence[str]) -> np.ndarray: ...

    def check(self, dim: int) -> None: ...

    def save(self, directory: Path) -> None: ...


class LexicalScores(Protocol):
    def top(self, k: int) -> tuple[list[str], np.ndarray]: ...

    def scores_for(self, ids: Sequence[str]) -> np.ndarray: ...


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
