"""An index directory as a series of immutable generations and one pointer to the current one.

    INDEX_DIR/
      CURRENT                 {"current": "gen-000007-3f2a9c1d", "previous": "gen-000006-0b1e7a44"}
      gen-000007-3f2a9c1d/    manifest.json (written last), clauses.sqlite, vectors/, lexical/
      gen-000006-0b1e7a44/    kept for `policy-search rollback`
      .build-…/               a build in progress; removed by the next build if its builder died
      .lock                   held (flock) by the one build that may run

A build writes a complete generation under ``.build-…``, syncs it, renames it to ``gen-…`` and only then
replaces ``CURRENT`` with ``os.replace``: at every moment the pointer names a complete generation (or
there is none yet). Generations other than the current and the previous one are removed only after a new
generation is current, or a build has verified the current one (:meth:`IndexLayout.prune`): a build that
fails, on a pointer that names a missing generation or on none at all, never costs a generation that
``rollback --to`` could still serve.

A pointer that cannot be read (empty, garbage, a name that is not a generation) is a
:class:`PointerError` that names the complete generations present; ``policy-search rollback --to GEN``
or any ``reindex`` writes a good one again.
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

from index.integrity import IntegrityError, verify_files
from index.manifest import MANIFEST, IndexError_, Manifest

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


class PointerError(IndexError_):
    """``CURRENT`` cannot be read, or names a generation that is not there; the message names the
    complete generations present and how to point at one again."""


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
        """The pointer, or None when there is none yet; :class:`PointerError` when it cannot be read."""
        path = self.root / POINTER
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise PointerError(self.pointer_problem(f"无法读取：{type(exc).__name__}: {exc}")) from exc
        if not isinstance(data, dict):
            raise PointerError(self.pointer_problem("内容不是 JSON 对象"))
        current, previous = data.get("current"), data.get("previous")
        if not isinstance(current, str) or not _GEN.match(current):
            raise PointerError(self.pointer_problem(f"current 不是版本名：{current!r}"))
        if previous is not None and (not isinstance(previous, str) or not _GEN.match(previous)):
            previous = None  # a bad "previous" only costs the plain rollback, never the current index
        return Pointer(current, previous)

    def pointer_problem(self, what: str) -> str:
        """One line: what is wrong with ``CURRENT``, which complete generations are here, what to run."""
        good = self.complete_generations()
        where = f"--index-dir {self.root}"
        if good:
            listed = "、".join(reversed(good))
            fix = (
                f"现有完整版本（新→旧）：{listed}；"
                f"修复：policy-search rollback --to {good[-1]} {where}，或 policy-search reindex --full {where}"
            )
        else:
            fix = f"目录中没有完整的版本；请运行 policy-search reindex --full {where} 重建"
        return f"索引指针 {self.root / POINTER} 不可用（{what}）；{fix}"

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
                    f"{self.root} 的索引是旧版本的单一快照格式（earlier version），"
                    "请用 `policy-search reindex --full` 重建"
                )
            raise IndexError_(
                f"{self.root} 没有索引（no index at {self.root}）；请先建立："
                f"`policy-search reindex [PATH…] --index-dir {self.root}`"
            )
        gen = self.root / p.current
        if not gen.is_dir():
            raise PointerError(self.pointer_problem(f"它指向的 {p.current} 不存在"))
        return gen

    def exists(self) -> bool:
        return (self.root / POINTER).exists()

    def generations(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if _GEN.match(p.name) and p.is_dir())

    def complete_generations(self) -> list[str]:
        """Generations with their manifest (written last, so the build finished), oldest first."""
        return [g for g in self.generations() if (self.root / g / MANIFEST).is_file()]

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
                    f"另一个 reindex 正在写入 {self.root}（build_locked）；请等它完成后再试"
                ) from exc
            yield
        finally:
            fh.close()

    def remove_debris(self) -> list[str]:
        """Remove what killed builds left that nothing can serve: ``.build-…`` directories and pointer
        temporaries. Never a generation (see :meth:`prune`). Call with the lock held."""
        removed = []
        for child in self.root.iterdir():
            if child.name.startswith((".build-", f".{POINTER}.")):
                _remove(child)
                removed.append(child.name)
        return removed

    def prune(self) -> list[str]:
        """Remove generations other than the current and the previous one (and a killed build's renamed
        generation). Only when the pointer reads and names a complete generation, and only after a switch
        or once a build has verified the current generation (it found nothing to change); never before a
        build. Call with the lock held."""
        try:
            p = self.pointer()
        except PointerError:
            return []
        if p is None or not (self.root / p.current / MANIFEST).is_file():
            return []
        keep = {p.current, p.previous}
        removed = []
        for name in self.generations():
            if name not in keep:
                _remove(self.root / name)
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
        previous = self._last_good()
        fsync_tree(build_dir)
        fault_point("before-rename")
        gen = self.root / name
        os.rename(build_dir, gen)
        _fsync_dir(self.root)
        fault_point("after-rename")
        self.write_pointer(Pointer(name, previous))
        self.prune()
        self._remove_legacy()
        return gen

    def _last_good(self) -> str | None:
        """What becomes the previous generation: the current one if it is complete and passes its
        checksums, else the previous one if it does, else the newest generation present that does (a
        pointer that is unreadable, names a missing generation, or a damaged one). A damaged generation
        is never kept as the one to roll back to, and so never costs an intact one its place."""
        try:
            p = self.pointer()
        except PointerError:
            p = None
        named = [g for g in ((p.current, p.previous) if p is not None else ()) if g]
        for name in [*named, *reversed(self.complete_generations())]:
            if self._intact(name):
                return name
        return None

    def _intact(self, name: str) -> bool:
        """Complete (its manifest written) and every file as the manifest's checksums say."""
        if not (self.root / name / MANIFEST).is_file():
            return False
        try:
            verify_files(self.root / name, Manifest.load(self.root / name).files)
        except (IntegrityError, IndexError_, OSError):
            return False
        return True

    def rollback(self, to: str | None = None) -> Pointer:
        """Point back at the previous generation, or at generation ``to`` (which must be complete and
        pass its checksums); the one switched from becomes the previous. ``to`` also repairs a pointer
        that cannot be read."""
        with self.lock():
            if to is None:
                p = self.pointer()
                if p is None or not p.previous or not (self.root / p.previous / MANIFEST).exists():
                    good = [g for g in self.complete_generations() if p is None or g != p.current]
                    hint = f"；可用 --to 指定：{'、'.join(reversed(good))}" if good else ""
                    raise IndexError_(f"{self.root} 中没有可回滚的上一个版本{hint}")
                self._check_target(p.previous)  # a damaged previous generation is named, not served
                new = Pointer(p.previous, p.current)
            else:
                self._check_target(to)
                try:
                    p = self.pointer()
                except PointerError:
                    p = None
                old = p.current if p is not None else None
                if old == to:
                    raise IndexError_(f"{to} 已是 {self.root} 的当前版本")
                if old is not None and not (self.root / old / MANIFEST).is_file():
                    old = None
                new = Pointer(to, old)
            self.write_pointer(new)
            return new

    def _check_target(self, name: str) -> None:
        good = self.complete_generations()
        listed = "、".join(reversed(good)) or "（无）"
        if name not in good:
            raise IndexError_(f"{self.root} 中没有完整的版本 {name}；现有完整版本：{listed}")
        try:
            verify_files(self.root / name, Manifest.load(self.root / name).files)
        except (IntegrityError, IndexError_) as exc:
            others = "、".join(g for g in reversed(good) if g != name) or "（无）"
            raise IndexError_(
                f"版本 {name} 已损坏（{exc}），不能切换到它；其他完整版本：{others}"
                "（可用 rollback --to 指定，或 reindex --full 重建）"
            ) from exc

    def _remove_legacy(self) -> None:
        for name in _LEGACY:
            path = self.root / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
