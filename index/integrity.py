"""File checksums for a generation (xxhash64), recorded in its manifest and checked when it is opened."""

from __future__ import annotations

from pathlib import Path

import xxhash

_CHUNK = 1 << 20


class IntegrityError(RuntimeError):
    """A file of a generation is missing, truncated or altered."""


def file_digest(path: Path) -> str:
    h = xxhash.xxh64()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def checksums(directory: Path, skip: tuple[str, ...] = ()) -> dict[str, dict[str, int | str]]:
    """``{relative path: {size, xxh64}}`` of every file under ``directory``."""
    out: dict[str, dict[str, int | str]] = {}
    for f in sorted(directory.rglob("*")):
        rel = f.relative_to(directory).as_posix()
        if f.is_file() and rel not in skip:
            out[rel] = {"size": f.stat().st_size, "xxh64": file_digest(f)}
    return out


def verify_files(directory: Path, expected: dict[str, dict[str, int | str]]) -> None:
    """Raise :class:`IntegrityError` naming the first file that does not match what was recorded."""
    for rel, want in expected.items():
        f = directory / rel
        if not f.is_file():
            raise IntegrityError(f"{f} 缺失")
        size = f.stat().st_size
        if size != want["size"]:
            raise IntegrityError(f"{f} 有 {size} 字节，写入时是 {want['size']} 字节（被截断或改动）")
        if file_digest(f) != want["xxh64"]:
            raise IntegrityError(f"{f} 与校验和不符（已损坏或被改动）")
