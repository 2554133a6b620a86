"""How OCR runs: one frozen value that travels from the settings to the reader worker with each request."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config.settings import default_of


@dataclass(frozen=True)
class OcrOptions:
    """``enabled``: pages without a text layer and page images are read by OCR (POLICY_SEARCH_OCR).
    ``dpi``: pages are rendered (and large page images scaled) to this resolution. ``page_timeout_s``: the
    most one page may take, in the worker. ``cache_path``: SQLite file of recognised pages, keyed by the
    page image's hash (None: no cache). ``min_confidence``: a page whose mean character confidence is
    lower is named in a warning. ``threads``: ONNX Runtime threads, 0 = one per core."""

    enabled: bool = field(default_factory=lambda: default_of("ocr"))
    dpi: int = field(default_factory=lambda: default_of("ocr_dpi"))
    page_timeout_s: float = field(default_factory=lambda: default_of("ocr_page_timeout_seconds"))
    cache_path: Path | None = None
    min_confidence: float = field(default_factory=lambda: default_of("ocr_min_confidence"))
    threads: int = field(default_factory=lambda: default_of("ocr_threads"))


OFF = OcrOptions(enabled=False)
