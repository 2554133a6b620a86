"""De-duplication of a ranked candidate list: one hit per clause, no near-copies within a document.

A clause split into parts (~2, ~3) is returned once, by its best part; a clause whose character bigrams
overlap a kept clause of the same document by 90 % or more (a repeated paragraph) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from corpus.models import Clause


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class ClauseCache:
    """A fetch that reads ``head`` at once (SQLite's batches of 500 ids) and anything else when asked, each
    clause once: a grouped search or a comparison shows a few clauses of each of hundreds of jurisdictions,
    and one query per jurisdiction cost more than the rows themselves."""

    def __init__(self, fetch: Callable[[Sequence[str]], list[Clause]], head: Sequence[str] = ()) -> None:
        self._fetch = fetch
        self._got: dict[str, Clause] = {}
        self(list(dict.fromkeys(head)))

    def __call__(self, ids: Sequence[str]) -> list[Clause]:
        missing = [c for c in dict.fromkeys(ids) if c not in self._got]
        if missing:
            self._got.update(zip(missing, self._fetch(missing)))
        return [self._got[c] for c in ids]


def dedupe(
    ranked: Sequence[str],
    fetch: Callable[[Sequence[str]], list[Clause]],
    want: int,
    batch: int | None = None,
) -> list[tuple[int, Clause]]:
    """(position in ``ranked``, clause) of the first ``want`` distinct clauses, fetched in ranked batches
    of ``batch`` (default ``want + 8``)."""
    picked: list[tuple[int, Clause]] = []
    seen_keys: set[tuple[str, str]] = set()
    kept: dict[str, list[str]] = {}
    grams_of: dict[str, set[str]] = {}  # bigrams only for documents with two or more picked clauses
    batch = batch or want + 8  # fetch clause rows in ranked batches, not the whole pool
    for start in range(0, len(ranked), batch):
        chunk = list(range(start, min(start + batch, len(ranked))))
        for i, c in zip(chunk, fetch([ranked[i] for i in chunk])):
            key = (c.doc_id, "›".join(c.heading_path) + f"#{c.kind}" if c.part_count > 1 else c.id)
            if key in seen_keys:
                continue
            if c.doc_id in kept:
                grams = _bigrams(c.text)
                for t in kept[c.doc_id]:
                    if t not in grams_of:
                        grams_of[t] = _bigrams(t)
                if any(
                    len(grams & grams_of[t]) / max(len(grams | grams_of[t]), 1) >= 0.9 for t in kept[c.doc_id]
                ):
                    continue
            seen_keys.add(key)
            kept.setdefault(c.doc_id, []).append(c.text)
            picked.append((i, c))
            if len(picked) >= want:
                return picked
    return picked
