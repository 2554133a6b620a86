"""Query embedding with a bounded cost: a token cap, an LRU cache, and a bounded wait for the engine.

- The text given to the encoder is capped at ``max_tokens`` (its longest prefix within the cap): one query's
  cost has a ceiling. 128 tokens truncates none of STARD's 1,235 questions (the longest has 116).
- Embeddings are kept in an LRU cache: a repeated query costs a dictionary lookup.
- The engine runs one query at a time (it is not safe for concurrent calls and uses every core anyway);
  past ``max_waiting`` queued queries a new one is refused with :class:`Overloaded` (the API's 503 with
  Retry-After) instead of making everyone wait.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from config.settings import default_of
from index.embedder import Embedder


class Overloaded(RuntimeError):
    """Too many queries are waiting for the encoder; try again shortly (the message is Chinese)."""

    code = "busy"


class QueryEncoder:
    def __init__(
        self,
        embedder: Embedder,
        max_tokens: int | None = None,
        cache_size: int | None = None,
        max_waiting: int | None = None,
    ) -> None:
        """Unset limits take the settings' defaults (POLICY_SEARCH_MAX_QUERY_TOKENS …)."""
        self.embedder = embedder
        self.max_tokens = max_tokens if max_tokens is not None else default_of("max_query_tokens")
        self.cache_size = cache_size if cache_size is not None else default_of("query_cache_size")
        self.max_waiting = max_waiting if max_waiting is not None else default_of("max_waiting_queries")
        self._engine = threading.Lock()
        self._state = threading.Lock()
        self._waiting = 0
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = self.misses = self.refused = self.truncated = 0

    def capped(self, text: str) -> str:
        """The longest prefix of ``text`` within ``max_tokens`` (the text itself when it fits)."""
        count = self.embedder.count_tokens
        if len(text) <= self.max_tokens // 4 or count(text) <= self.max_tokens:
            return text
        lo, hi = 0, len(text)  # count(text[:lo]) fits, count(text[:hi]) does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if count(text[:mid]) <= self.max_tokens:
                lo = mid
            else:
                hi = mid
        return text[:lo]

    def encode(self, text: str) -> np.ndarray:
        with self._state:
            got = self._cache.get(text)
            if got is not None:
                self._cache.move_to_end(text)
                self.hits += 1
                return got
            if self._waiting >= self.max_waiting:
                self.refused += 1
                raise Overloaded(f"有 {self._waiting} 个查询正在等待编码，请稍后重试")
            self._waiting += 1
            self.misses += 1
        try:
            capped = self.capped(text)
            with self._engine:
                vec = self.embedder.encode_queries([capped])[0]
        finally:
            with self._state:
                self._waiting -= 1
        with self._state:
            self.truncated += capped != text
            self._cache[text] = vec
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return vec

    def stats(self) -> dict[str, int]:
        return {
            "cache_hits": self.hits,
            "cache_misses": self.misses,
            "refused": self.refused,
            "truncated": self.truncated,
            "waiting": self._waiting,
        }
