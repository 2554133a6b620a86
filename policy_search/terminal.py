"""What the CLI prints goes through :func:`corpus.normalize.terminal_safe`: a document's text, title or
file name cannot send escape sequences to the user's terminal (issue 23)."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from corpus.normalize import terminal_safe

PROGRESS = "\r"  # stderr lets carriage returns through: progress bars redraw with them


class SafeStream:
    """A text stream that writes :func:`terminal_safe` text (``keep``: characters let through)."""

    def __init__(self, inner: TextIO, keep: str = "") -> None:
        self._inner = inner
        self._keep = keep

    def write(self, text: str) -> int:
        return self._inner.write(terminal_safe(text, self._keep))

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding …
        return getattr(self._inner, name)


@contextlib.contextmanager
def safe_output() -> Iterator[None]:
    """stdout, stderr and the log handlers writing to them sanitised for the duration."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err, PROGRESS)  # type: ignore[assignment]
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and h.stream in (out, err)
    ]
    streams = [h.stream for h in handlers]
    for h in handlers:
        h.setStream(SafeStream(h.stream, PROGRESS))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
        for h, stream in zip(handlers, streams):
            h.setStream(stream)
