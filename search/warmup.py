"""Warm a searcher before it answers anyone.

A fresh process pays on its first search for what loads on first use (jieba's dictionary, the query
encoder's first run, the lexicons): 3.0 s, against 0.05 s for the next search, on the built-in index on
2 cores. The admission queue (``api/admission.py``) estimates a newcomer's wait from the times of the
searches before it, so that one cold search made it shed the users queued behind it: with four clients
on a service just started, 1 of 1,445 searches got 503, 1.7 s after the start (issue 32; on a quiet
machine 5 of 1,713). ``serve`` runs :func:`warm_up` before it takes requests.
"""

from __future__ import annotations

import logging
import time

from search.base import Searcher
from search.models import SearchRequest

log = logging.getLogger(__name__)

# a Chinese and an English question: both tokenizers, both lexicons, grouped results
WARM_QUESTIONS = ("医师多点执业政策", "Can physicians practice at multiple hospitals?")


def warm_up(searcher: Searcher, questions: tuple[str, ...] = WARM_QUESTIONS) -> float:
    """Search each of ``questions`` once; the seconds it took. A failure is logged, never raised: a
    service whose index cannot be read still starts, and ``/api/health`` says why."""
    t0 = time.perf_counter()
    for q in questions:
        try:
            searcher.search(SearchRequest(q=q, top_k=10, group_by="jurisdiction"))
        except Exception as exc:  # the searcher's own errors are the requests' to report
            log.warning("warm-up search %r failed: %s", q, exc)
            break
    return time.perf_counter() - t0
