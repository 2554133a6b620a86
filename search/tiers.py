"""Re-ordering a list within its tiers: the one rule the head order, the reranker and the gloss order share.

A search's list is strong clauses before weak ones (and, where the question names a place, the place
preference's classes within them). A later stage that re-orders the first page moves a clause only among the
places its own tier holds, so a weak match never stands above a strong one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence


def reorder_within(keys: Sequence[Hashable], order_of: Callable[[list[int]], Sequence[int]]) -> list[int]:
    """A permutation of ``range(len(keys))``: the items of each key keep the places those items hold, taken
    in the order ``order_of(members)`` gives (``members``: the item indices of one key, ascending; it returns
    positions within ``members``). ``keys`` [S, S, W, S] with each tier reversed → [3, 1, 2, 0]."""
    members_of: dict[Hashable, list[int]] = {}
    for i, k in enumerate(keys):
        members_of.setdefault(k, []).append(i)
    out = list(range(len(keys)))
    for members in members_of.values():
        for at, j in zip(members, order_of(members)):
            out[at] = members[j]
    return out
