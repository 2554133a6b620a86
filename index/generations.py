"""An index directory as a series of immutable generations and one pointer to the current one.

    INDEX_DIR/
      CURRENT                 {"current": "gen-000007-3f2a9c1d", "previous": "gen-000006-0b1e7a44"}
      gen-000007-3f2a9c1d/    manifest.json (written last), clauses.sqlite, vectors/, lexical/
      gen-000006-0b1e7a44/    kept for `policy-search rollback`
      .build-…/               a build in progress; removed by the next build if its builder died
      .lock                   held (flock) by the one build that may run

A build writes a complete generation under ``.build-…``, syncs it, renames it to ``gen-…`` and only then
replaces ``CURRENT`` with ``os.replace``: at every moment the pointer names a complete generation (or
there is none yet). Generations older than the previous one are removed after the switch.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.manifest import MANIFEST, IndexError_

POINTER = "CURRENT"
LOCK = ".lock"
_GEN = re.compile(r"^gen-(\d{6})-[0-9a-f]{8}$")
_LEGACY = ("manifest.json", "clauses.sqlite", "vectors.faiss", "bm25")
FAULT_ENV = "POLICY_SEARCH_FAULT_AT"  # test hook: SIGKILL this process at the named point


def generation_number(name: str) -> int:
    """gen-000007-3f2a9c1d → 7."""
    m = _GEN.match(name)
    if m is None:
        raise ValueError(f"{name!r} is not a generation name")
    return int(m.group(1))


def fault_point(name: str) -> None:
    """Fault injection for the crash-safety test: ``POLICY_SEARCH_FAULT_AT=before-pointer`` kills here."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class BuildLockedError(IndexError_):
    """Another reindex holds this index directory."""


@dataclass(frozen=True)
class Pointer:
    current: str
    previous: str | None = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    for f in path.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    for d in [path, *(p for p in path.rglob("*") if p.is_dir())]:
        _fsync_dir(d)


class IndexLayout:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- reading ---------------------------------------------------------------------------------
    def pointer(self) -> Pointer | None:
        path = self.root / POINTER
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Pointer(str(data["current"]), data.get("previous"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexError_(
                f"{path} is unreadable ({exc}); rebuild with `policy-search reindex --full`"
            ) from exc

    def pointer_stamp(self) -> tuple[int, int, int] | None:
        """A cheap fingerprint of the pointer file (inode, size, mtime): the live service polls it."""
        try:
            st = os.stat(self.root / POINTER)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def current(self) -> Path:
        """The current generation's directory, or :class:`IndexError_` saying how to make one."""
        p = self.pointer()
        if p is None:
            if (self.root / MANIFEST).exists():
                raise IndexError_(
                    f"index at {self.root} has the single-snapshot format of an earlier version; "
                    "rebuild it with `policy-search reindex --full`"
                )
            raise IndexError_(
                f"no index at {self.root}; build one with `policy-search reindex [PATH…] --index-dir {self.root}`"
            )
        gen = self.root / p.current
        if not gen.is_dir():
            raise IndexError_(
                f"{self.root / POINTER} names {p.current}, which is missing; rebuild with `policy-search reindex --full`"
            )
        return gen

    def exists(self) -> bool:
        return (self.root / POINTER).exists()

    def generations(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if _GEN.match(p.name) and p.is_dir())

    # -- writing ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One build at a time; a killed builder's lock is released by the kernel."""
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / LOCK, "a+")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BuildLockedError(
                    f"another reindex is writing {self.root}; wait for it to finish"
                ) from exc
            yield
        finally:
            fh.close()

    def remove_debris(self) -> list[str]:
        """Remove what killed builds left: build directories and generations the pointer does not name.

        Call with the lock held.
        """
        p = self.pointer()
        keep = {p.current, p.previous} if p else set()
        removed = []
        for child in self.root.iterdir():
            name = child.name
            if name.startswith((".build-", f".{POINTER}.")) or (_GEN.match(name) and name not in keep):
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
                removed.append(name)
        return removed

    def new_build_dir(self) -> Path:
        d = self.root / f".build-{uuid.uuid4().hex[:8]}"
        d.mkdir(parents=True)
        return d

    def next_name(self) -> str:
        numbers = [generation_number(g) for g in self.generations()]
        return f"gen-{max(numbers, default=0) + 1:06d}-{uuid.uuid4().hex[:8]}"

    def write_pointer(self, pointer: Pointer) -> None:
        tmp = self.root / f".{POINTER}.{uuid.uuid4().hex[:8]}"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"current": pointer.current, "previous": pointer.previous}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        fault_point("before-pointer")
        os.replace(tmp, self.root / POINTER)
        _fsync_dir(self.root)
        fault_point("after-pointer")

    def commit(self, build_dir: Path, name: str) -> Path:
        """Make a complete, synced build directory the current generation. Call with the lock held."""
        old = self.pointer()
        fsync_tree(build_dir)
        fault_point("before-rename")
        gen = self.root / name
        os.rename(build_dir, gen)
        _fsync_dir(self.root)
        fault_point("after-rename")
        self.write_pointer(Pointer(name, old.current if old else None))
        self.remove_debris()
        self._remove_legacy()
        return gen

    def rollback(self) -> Pointer:
        """Point back at the previous generation (the one rolled back from becomes the previous)."""
        with self.lock():
            p = self.pointer()
            if p is None or not p.previous or not (self.root / p.previous / MANIFEST).exists():
                raise IndexError_(f"no previous generation to roll back to in {self.root}")
            new = Pointer(p.previous, p.current)
            self.write_pointer(new)
            return new

    def _remove_legacy(self) -> None:
        for name in _LEGACY:
            path = self.root / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
