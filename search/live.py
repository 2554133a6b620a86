"""Serve the current generation of an index directory and switch to a new one while serving.

A watcher thread stats the pointer file (``CURRENT``) every ``poll_seconds``; when it changes, the new
generation is opened and verified *beside* the one being served, then swapped in. Each call leases the
searcher it started on: in-flight requests finish on the old generation, which is closed when its last
lease ends. A generation that fails to open is refused: the previous good one keeps serving and
:meth:`LiveSearcher.health` reports the reason.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.generations import IndexLayout
from index.manifest import IndexError_
from search.base import Searcher
from search.compare_models import CompareRequest, CompareResponse
from search.models import ClauseView, DocumentPage, DocumentView, SearchRequest, SearchResponse
from search.timeline_models import TimelineRequest, TimelineResponse

log = logging.getLogger(__name__)


@dataclass
class _Handle:
    searcher: Searcher
    generation: str
    opened_at: float
    leases: int = 0
    retired: bool = False


class LiveSearcher:
    def __init__(
        self, index_dir: Path, open_generation: Callable[[Path], Searcher], poll_seconds: float = 0.5
    ) -> None:
        self.layout = IndexLayout(index_dir)
        self._open = open_generation
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._handle: _Handle | None = None
        self._stamp: tuple[int, int, int] | None = None
        self.problem: str | None = None  # why the newest generation is not served, if it is not
        self.switches = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> LiveSearcher:
        """Open the current generation (or, if it is damaged, the previous one) and start watching."""
        self.check()
        if self._handle is None:
            raise IndexError_(
                self.problem or f"{self.layout.root} 没有索引（no index at {self.layout.root}）"
            )
        self._thread = threading.Thread(target=self._watch, name="generation-watcher", daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.check()
            except Exception:  # the watcher must outlive any one bad generation
                log.exception("checking for a new index generation failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            h, self._handle = self._handle, None
        if h is not None:
            h.retired = True
            if h.leases == 0:
                h.searcher.close()

    # -- switching --------------------------------------------------------------------------------
    def check(self) -> bool:
        """Switch if the pointer names another generation; True when a switch happened."""
        with self._check_lock:
            stamp = self.layout.pointer_stamp()
            if stamp == self._stamp and self._handle is not None:
                return False
            self._stamp = stamp
            try:
                target = self.layout.current()
            except IndexError_ as exc:
                self.problem = str(exc)
                return False
            if self._handle is not None and self._handle.generation == target.name:
                self.problem = None
                return False
            try:
                searcher = self._open(target)
            except IndexError_ as exc:
                self.problem = f"generation {target.name} refused: {exc}"
                log.error("%s", self.problem)
                if self._handle is None:
                    self._open_previous()
                return False
            self._swap(_Handle(searcher, target.name, time.time()))
            self.problem = None
            return True

    def _open_previous(self) -> None:
        p = self.layout.pointer()
        if p and p.previous:
            try:
                prev = self.layout.root / p.previous
                self._swap(_Handle(self._open(prev), prev.name, time.time()))
                log.warning("serving the previous generation %s", prev.name)
            except IndexError_ as exc:
                self.problem += f"; the previous generation {p.previous} was refused too: {exc}"

    def _swap(self, new: _Handle) -> None:
        with self._lock:
            old, self._handle = self._handle, new
            self.switches += 1
            close_now = old is not None and old.leases == 0
            if old is not None:
                old.retired = True
        if close_now and old is not None:
            old.searcher.close()
        log.info("serving index generation %s", new.generation)

    @contextlib.contextmanager
    def lease(self) -> Iterator[Searcher]:
        with self._lock:
            h = self._handle
            if h is None:
                raise IndexError_(self.problem or "the index is closed")
            h.leases += 1
        try:
            yield h.searcher
        finally:
            with self._lock:
                h.leases -= 1
                close_now = h.retired and h.leases == 0
            if close_now:
                h.searcher.close()

    # -- the Searcher interface, each call on one generation --------------------------------------
    @property
    def generation(self) -> str | None:
        h = self._handle
        return h.generation if h else None

    def search(self, request: SearchRequest) -> SearchResponse:
        with self.lease() as s:
            return s.search(request)

    def compare(self, request: CompareRequest) -> CompareResponse:
        with self.lease() as s:
            return s.compare(request)

    def timeline(self, request: TimelineRequest) -> TimelineResponse:
        with self.lease() as s:
            return s.timeline(request)

    def document(self, doc_id: str, page: DocumentPage | None = None) -> DocumentView:
        with self.lease() as s:
            return s.document(doc_id, page)

    def clause(self, clause_id: str) -> ClauseView:
        with self.lease() as s:
            return s.clause(clause_id)

    def stats(self) -> dict[str, Any]:
        with self.lease() as s:
            out = s.stats()
        out["serving"] = self.health()
        return out

    def health(self) -> dict[str, Any]:
        h = self._handle
        return {
            "status": "ok" if h is not None and self.problem is None else "degraded" if h else "unavailable",
            "generation": h.generation if h else None,
            "problem": self.problem,
            "switches": self.switches,
        }
