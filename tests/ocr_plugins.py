"""Readers that recognise pages and misbehave on one of them, for the worker's per-page bounds (imported by
the worker process by name)."""

from __future__ import annotations

import time

from corpus.readers.base import PageProgress, ReadResult


class _PagesReader:
    version = "1"
    isolated = True
    reports_pages = True
    suffixes = (".pages",)

    def sniff(self, head: bytes) -> bool:
        return False


class SlowPageReader(_PagesReader):
    """Page 1 in time, page 2 hangs: announced with a budget of half a second."""

    name = "slowpage"

    def read(self, data: bytes, name: str, progress=None) -> ReadResult:  # noqa: ANN001
        progress(PageProgress(name, 1, 3, 30.0))
        progress(PageProgress(name, 2, 3, 0.5))
        time.sleep(60)
        return ReadResult("unreachable")


class GreedyPageReader(_PagesReader):
    """Page 2 allocates far more than a page needs."""

    name = "greedypage"

    def read(self, data: bytes, name: str, progress=None) -> ReadResult:  # noqa: ANN001
        progress(PageProgress(name, 1, 2, 30.0))
        progress(PageProgress(name, 2, 2, 30.0))
        hoard = [bytearray(64 * 1024 * 1024) for _ in range(256)]  # 16 GiB
        return ReadResult(str(len(hoard)))


class PagedEchoReader(_PagesReader):
    """Three pages, each announced; the file's text back."""

    name = "pagedecho"

    def read(self, data: bytes, name: str, progress=None) -> ReadResult:  # noqa: ANN001
        for page in (1, 2, 3):
            progress(PageProgress(name, page, 3, 0.5))
            time.sleep(0.2)  # each page within its own budget, the three together beyond it
        return ReadResult(data.decode(), units=3, ocr_pages=[1, 2, 3])
