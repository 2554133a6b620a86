"""Readers that misbehave, for the worker's bounds (imported by the worker process by name)."""

from __future__ import annotations

import ctypes
import time

from corpus.readers.base import ReadResult


class _Plugin:
    version = "1"
    isolated = True
    magic = b""

    def sniff(self, head: bytes) -> bool:
        return head.startswith(self.magic)


class HangingReader(_Plugin):
    """A parser caught in an endless loop."""

    name, suffixes, magic = "hang", (".hang",), b"HANG"

    def read(self, data: bytes, name: str) -> ReadResult:
        while True:
            time.sleep(1)


class CrashingReader(_Plugin):
    """A C library that dereferences a null pointer."""

    name, suffixes, magic = "crash", (".crash",), b"CRASH"

    def read(self, data: bytes, name: str) -> ReadResult:
        ctypes.string_at(0)
        raise AssertionError("unreachable")


class GreedyReader(_Plugin):
    """A parser that allocates far more than any file needs."""

    name, suffixes, magic = "greedy", (".greedy",), b"GREEDY"

    def read(self, data: bytes, name: str) -> ReadResult:
        hoard = [bytearray(64 * 1024 * 1024) for _ in range(256)]  # 16 GiB
        return ReadResult(str(len(hoard)))


class BuggyReader(_Plugin):
    """A reader with a plain bug."""

    name, suffixes, magic = "buggy", (".buggy",), b"BUGGY"

    def read(self, data: bytes, name: str) -> ReadResult:
        return ReadResult({"not": "text"}["text"])


class EchoReader(_Plugin):
    """A well-behaved reader: the file's text, and the worker's process id (to see it reused)."""

    name, suffixes, magic = "echo", (".echo",), b"ECHO"

    def read(self, data: bytes, name: str) -> ReadResult:
        import os

        return ReadResult(data.decode()[4:], {"worker_pid": os.getpid()})


class AbortingReader(_Plugin):
    """A C library that aborts when an allocation fails (PDFium inflating a 2 GB stream) instead of
    raising: it takes memory until malloc says no, then calls abort()."""

    name, suffixes, magic = "abort", (".abort",), b"ABORT"

    def read(self, data: bytes, name: str) -> ReadResult:
        import os

        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        step = 16 * 1024 * 1024
        while True:
            block = libc.malloc(step)
            if not block:
                os.abort()
            ctypes.memset(block, 1, step)


class HoardingReader(_Plugin):
    """A parser that takes memory a little at a time (32 MB every 5 ms, up to 6 GB), as a decoder
    filling a huge buffer does: no allocation fails under a generous address-space cap."""

    name, suffixes, magic = "hoard", (".hoard",), b"HOARD"

    def read(self, data: bytes, name: str) -> ReadResult:
        hoard = []
        for _ in range(192):
            hoard.append(bytearray(b"x" * (32 * 1024 * 1024)))
            time.sleep(0.005)
        return ReadResult(str(len(hoard)))
