"""Run readers in a worker process, bounded in time and memory per file, reused across files.

PDF, Word and HTML libraries are C code that a hostile or broken file can send into a loop, a crash or
an allocation of gigabytes. Each such read runs in one long-lived worker process (:func:`serve`) whose
address space is capped (``RLIMIT_AS``, POLICY_SEARCH_READER_MEMORY_MB); the parent waits for each
answer at most POLICY_SEARCH_READER_TIMEOUT_SECONDS, and stops a read whose worker holds more than
POLICY_SEARCH_READER_RESIDENT_MB resident (looked at every 20 ms while it waits): with the main process's
own ~0.6 GB, a build stays within 1.5 GB whatever one file holds (issue 32). A read that times out kills
the worker; one that runs out of memory or crashes it ends with a :class:`ReadError` naming what happened;
either way the next file gets a fresh worker and the run goes on.

A reader that recognises pages (OCR) sends a :class:`~corpus.readers.base.PageProgress` before each page;
from then on the parent waits for that page alone, at most the seconds it names
(POLICY_SEARCH_OCR_PAGE_TIMEOUT_SECONDS), so a long scan is bounded per page, not per file, and a page that
hangs or runs out of memory is named with its number. The parent hands each such report to the caller's
``progress`` (a progress bar by page).

Requests and answers are pickles with an 8-byte length, over the worker's stdin and a private copy of
its stdout (the libraries' own prints go to stderr, never into the answers). The worker exits when the
parent closes its stdin or dies (a watchdog thread sees the parent change), so a killed run leaves no
worker behind, not even one stuck in a read.
"""

from __future__ import annotations

import atexit
import importlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from config.processes import python_child_env
from corpus.readers.base import TEXT_LIMIT, PageProgress, ReadError, ReadResult, check_length

_HEADER = struct.Struct("<Q")
WATCH_S = 0.02  # how often the parent looks at the worker's resident memory while it reads
_ENTRY = "import sys; from corpus.readers.worker import serve; serve(int(sys.argv[1]))"


@dataclass(frozen=True)
class Limits:
    """Per file: seconds of wall-clock time, megabytes of address space for the worker, the most
    characters of text a document may have, and megabytes of memory the worker may hold resident
    (the settings' defaults). The address-space cap is the hard one, set in the worker; resident memory
    is what a machine pays, watched by the parent every ``WATCH_S``: a library's address space runs far
    ahead of what it touches (ONNX Runtime with a session: 1.36 GB of address space, 0.54 GB
    resident), so the resident bound is the one that keeps a build within its memory."""

    timeout_s: float = 120.0
    memory_mb: int = 2048
    max_text_chars: int = 1_000_000
    resident_mb: int = 900


@dataclass(frozen=True)
class Request:
    reader: str  # "module:Class" of the reader, imported in the worker
    name: str  # file name, for the reader's choices (.md) and messages
    path: str | None = None  # read the bytes from here (in the worker, under its memory limit)
    data: bytes | None = None  # or these bytes
    text: str | None = None  # or this decoded text (HTML inside a JSONL record)
    options: Any = None  # the reader's options (hashable), given to its constructor
    max_chars: int | None = None  # a longer text is refused here, never sent to the parent


def reader_ref(reader: Any) -> str:
    cls = type(reader)
    return f"{cls.__module__}:{cls.__qualname__}"


def run_request(
    req: Request,
    readers: dict[Any, Any] | None = None,
    progress: Callable[[PageProgress], None] | None = None,
) -> ReadResult:
    """Do one read here, in this process (the worker's loop, and the in-process path)."""
    readers = readers if readers is not None else {}
    key = (req.reader, req.options)
    reader = readers.get(key)
    if reader is None:
        module, _, qual = req.reader.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
        reader = readers[key] = obj() if req.options is None else obj(req.options)
    extra = {"progress": progress} if progress is not None and getattr(reader, "reports_pages", False) else {}
    token = TEXT_LIMIT.set(req.max_chars)
    try:
        if req.text is not None:
            result = reader.read_text(req.text, req.name)
        elif req.data is not None:
            result = reader.read(req.data, req.name, **extra)
        else:
            with open(req.path or "", "rb") as fh:
                result = reader.read(fh.read(), req.name, **extra)
    finally:
        TEXT_LIMIT.reset(token)
    check_length(len(result.text), req.max_chars)
    return result


def _memory_mb(pid: int) -> tuple[float, float]:
    """The worker's resident memory now and the most it has held since its exec (``VmRSS``, ``VmHWM``), in
    MB, from one read of its status; (0, 0) once it is gone. (Its rusage's ``ru_maxrss`` is no measure of
    what a file cost: a worker forked from a large process, as serving or a test run is, carries the
    parent's resident size from before its exec.)"""
    now = high = 0.0
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    now = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    high = int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return now, high


class _Resident(Exception):
    """The worker holds more resident memory than it may."""


def _read_exact(fd: int, n: int, deadline: float | None, watch: Callable[[], None] | None = None) -> bytes:
    """``n`` bytes from ``fd`` before ``deadline`` (TimeoutError); ``watch`` is called every
    ``WATCH_S`` of waiting (it raises to stop the wait)."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                if select.select([fd], [], [], min(left, WATCH_S) if watch else left)[0]:
                    break
                if watch is not None:
                    watch()
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class ReaderPool:
    """One worker process, started on the first request and again after a timeout or a crash.

    >>> pool = ReaderPool(Limits(timeout_s=60, memory_mb=2048))
    >>> pool.read(Request("corpus.readers.pdf:PdfReader", "a.pdf", path="/data/a.pdf"))  # doctest: +SKIP
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None
        self._lock = threading.Lock()
        self.started = 0  # workers started (a hang or a crash costs one)

    def _start(self) -> subprocess.Popen[bytes]:
        env = python_child_env()
        # glibc reserves 64 MB of address space per thread's malloc arena: under RLIMIT_AS that reservation,
        # not use, is what ONNX Runtime's threads (OCR) would run out of; two arenas keep it to what is used
        env.setdefault("MALLOC_ARENA_MAX", "2")
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, str(self.limits.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            close_fds=True,
            start_new_session=True,  # its own process group: a converter it started goes down with it
        )
        self.started += 1
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _stderr_tail(self) -> str:
        """The worker's last words on stderr (a traceback's last line, a C library's abort message)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - 2000))
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1].strip() if lines else ""

    def read(self, req: Request, progress: Callable[[PageProgress], None] | None = None) -> ReadResult:
        """The reader's result, or :class:`ReadError` (the reader's own, or a timeout, crash or memory cap).
        ``progress`` hears each page a reader is about to recognise (see the module docstring)."""
        with self._lock:
            proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
            assert proc.stdin is not None and proc.stdout is not None
            payload = pickle.dumps(req, protocol=pickle.HIGHEST_PROTOCOL)
            page: PageProgress | None = None  # the page being recognised, once a reader said so
            # the most this read held, as last looked at (MB): the resident size, and the worker's
            # high-water mark where it rose during this read (between two looks, an allocation that aborts)
            peak, start = [0.0], _memory_mb(proc.pid)[1]
            try:
                proc.stdin.write(_HEADER.pack(len(payload)) + payload)
                proc.stdin.flush()
                deadline = time.monotonic() + self.limits.timeout_s
                fd = proc.stdout.fileno()

                def watch() -> None:
                    resident, high = _memory_mb(proc.pid)
                    peak[0] = max(peak[0], resident, high if high > start else 0.0)
                    if resident > self.limits.resident_mb:
                        raise _Resident

                while True:
                    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline, watch))
                    status, value = pickle.loads(_read_exact(fd, size, deadline))
                    if status != "progress":
                        break
                    page = value
                    deadline = time.monotonic() + value.seconds
                    if progress is not None:
                        progress(value)
            except _Resident:
                self._stop()
                where = f"识别第 {page.page} 页时" if page is not None else "读取时"
                raise ReadError(
                    f"{where}常驻内存超过上限 {self.limits.resident_mb} MB（POLICY_SEARCH_READER_RESIDENT_MB），已停止",
                    "reader_memory",
                ) from None
            except TimeoutError:
                self._stop()
                if page is not None:
                    raise ReadError(
                        f"第 {page.page} 页文字识别（OCR）超时：超过 {page.seconds:g} 秒未完成"
                        "（POLICY_SEARCH_OCR_PAGE_TIMEOUT_SECONDS）",
                        "ocr_timeout",
                    ) from None
                raise ReadError(
                    f"读取超时：超过 {self.limits.timeout_s:g} 秒未完成（POLICY_SEARCH_READER_TIMEOUT_SECONDS）",
                    "reader_timeout",
                ) from None
            except (EOFError, BrokenPipeError, OSError, pickle.UnpicklingError):
                code, peak_mb = proc.wait(), peak[0]
                tail = self._stderr_tail()
                self._stop()
                # a C library that cannot allocate aborts (PDFium) rather than raise: a worker that died
                # holding half its cap or more died of the file's memory, whatever the signal says
                if (
                    "MemoryError" in tail
                    or "out of memory" in tail.lower()
                    or peak_mb >= min(self.limits.memory_mb / 2, self.limits.resident_mb)
                ):
                    raise self._memory_error(page) from None
                how = f"信号 {signal.Signals(-code).name}" if code < 0 else f"退出码 {code}"
                where = f"识别第 {page.page} 页时" if page is not None else ""
                raise ReadError(f"读取进程{where}崩溃（{how}），文件可能已损坏", "reader_crashed") from None
            if status == "ok":
                return value
            if status == "memory":
                self._stop()  # a worker that ran out of memory may hold on to fragments: start afresh
                raise self._memory_error(page)
            if isinstance(value, ReadError):
                raise value
            raise ReadError(f"读取失败：{value}", "reader_failed")

    def _memory_error(self, page: PageProgress | None) -> ReadError:
        where = f"识别第 {page.page} 页时" if page is not None else "读取时"
        return ReadError(
            f"{where}内存超过上限 {self.limits.memory_mb} MB（POLICY_SEARCH_READER_MEMORY_MB）",
            "reader_memory",
        )

    def close(self) -> None:
        with self._lock:
            self._stop()


_pools: dict[Limits, ReaderPool] = {}
_pools_lock = threading.Lock()


def pool_for(limits: Limits) -> ReaderPool:
    """The process's worker pool for these limits: made on first use, closed at exit."""
    with _pools_lock:
        pool = _pools.get(limits)
        if pool is None:
            if not _pools:
                atexit.register(close_pools)
            pool = _pools[limits] = ReaderPool(limits)
        return pool


def close_pools() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def serve(memory_mb: int) -> None:
    """The worker's loop: one request in, one answer out, until stdin closes (the parent is gone)."""
    import resource

    parent = os.getppid()

    def watchdog() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)  # the parent is gone (killed mid-read, say): nobody will ask again

    threading.Thread(target=watchdog, daemon=True).start()
    limit = memory_mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass  # a hard limit already lower than ours: keep it
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints must not write into the answers
    requests = sys.stdin.buffer
    readers: dict[Any, Any] = {}

    def send(answer: tuple[str, Any]) -> None:
        try:
            blob = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            blob = pickle.dumps(("memory", None))
        answers.write(_HEADER.pack(len(blob)) + blob)
        answers.flush()

    def progress(step: PageProgress) -> None:
        send(("progress", step))

    while True:
        head = requests.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(head)
        req = pickle.loads(requests.read(size))
        try:
            answer: tuple[str, Any] = ("ok", run_request(req, readers, progress))
        except ReadError as exc:
            answer = ("error", exc)
        except MemoryError:
            answer = ("memory", None)
        except Exception as exc:  # a reader's bug is this file's problem, not the run's
            answer = ("error", ReadError(f"读取失败：{type(exc).__name__}: {exc}"[:500], "reader_failed"))
        send(answer)
        del req, answer
        _give_back_memory()


def _give_back_memory() -> None:
    """Return the heap's free pages to the system between files: a large page read leaves hundreds of
    megabytes that glibc would otherwise keep, and the worker lives as long as the build."""
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
