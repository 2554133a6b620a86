"""Readers run bounded: a reader that hangs, crashes, hoards memory or has a bug names its file, and the
run goes on; the worker is reused across files; unchanged files are not read again at a reindex."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from config.settings import Settings
from corpus.readers import Registry, default_registry
from corpus.readers.worker import Limits, ReaderPool, Request
from policy_search.factory import reindex

from . import policy_forms as forms
from .reader_plugins import BuggyReader, CrashingReader, EchoReader, GreedyReader, HangingReader
from .test_index import HashEmbedder

PLUGINS = "tests.reader_plugins:"


@pytest.fixture
def pool():
    p = ReaderPool(Limits(timeout_s=2, memory_mb=768))
    yield p
    p.close()


@pytest.mark.parametrize(
    ("reader", "code"),
    [("HangingReader", "reader_timeout"), ("CrashingReader", "reader_crashed"),
     ("GreedyReader", "reader_memory"), ("BuggyReader", "reader_failed")],
)  # fmt: skip
def test_a_bad_reader_ends_in_a_reason_and_the_next_file_is_read(pool, reader: str, code: str) -> None:
    from corpus.readers import ReadError

    first = pool.read(Request(PLUGINS + "EchoReader", "a.echo", data="ECHO第一条".encode()))
    t0 = time.monotonic()
    with pytest.raises(ReadError) as exc:
        pool.read(Request(PLUGINS + reader, "bad", data=b"x"))
    assert exc.value.code == code and any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.reason)
    assert time.monotonic() - t0 < 30  # bounded: the hanging reader is given up on, never waited for
    after = pool.read(Request(PLUGINS + "EchoReader", "b.echo", data="ECHO第二条".encode()))
    assert (first.text, after.text) == ("第一条", "第二条")
    fresh = code in ("reader_timeout", "reader_crashed", "reader_memory")
    assert (after.fields["worker_pid"] != first.fields["worker_pid"]) is fresh


def test_one_worker_reads_many_files(pool) -> None:
    pids = {
        pool.read(Request(PLUGINS + "EchoReader", f"{i}.echo", data=b"ECHOx")).fields["worker_pid"]
        for i in range(5)
    }
    assert len(pids) == 1 and pool.started == 1 and os.getpid() not in pids


def _registry(ocr=None) -> Registry:  # noqa: ANN001 - the loader passes its OCR options
    base = default_registry(ocr)
    plugins = [HangingReader(), CrashingReader(), GreedyReader(), BuggyReader(), EchoReader()]
    return Registry([*plugins, *base.readers], base.fallback)


def test_reindex_names_the_file_a_reader_failed_on_and_indexes_the_rest(tmp_path, monkeypatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    forms.write_pdf(corpus / "plan.pdf")
    forms.write_docx(corpus / "plan.docx")
    (corpus / "stuck.hang").write_bytes(b"HANG")
    (corpus / "broken.crash").write_bytes(b"CRASH")
    (corpus / "huge.greedy").write_bytes(b"GREEDY")
    monkeypatch.setattr("corpus.loader.default_registry", _registry)
    settings = Settings(data_dir=tmp_path / "data", reader_timeout_seconds=3, reader_memory_mb=768)
    result, report = reindex(settings, [corpus], embedder=HashEmbedder())
    failed = {Path(f.path).name: f.code for f in result.failed}
    assert failed == {
        "stuck.hang": "reader_timeout",
        "broken.crash": "reader_crashed",
        "huge.greedy": "reader_memory",
    }
    assert sorted(result.added) == ["plan.docx", "plan.pdf"]


def test_unchanged_files_are_not_read_again(tmp_path, monkeypatch) -> None:
    from corpus import readers

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    forms.write_pdf(corpus / "plan.pdf")
    forms.write_docx(corpus / "plan.docx")
    forms.write_html(corpus / "plan.html")
    reads: list[str] = []
    real = readers.PendingRead.run

    def counted(self):  # noqa: ANN001, ANN202
        reads.append(self.request.name)
        return real(self)

    monkeypatch.setattr(readers.PendingRead, "run", counted)
    settings = Settings(data_dir=tmp_path / "data")
    first, _ = reindex(settings, [corpus], embedder=HashEmbedder())
    assert sorted(reads) == ["plan.docx", "plan.html", "plan.pdf"] and len(first.added) == 3
    reads.clear()
    again, _ = reindex(settings, [corpus], embedder=HashEmbedder())
    assert reads == [] and not again.wrote_generation  # nothing changed: no file read, no generation written
    page = (corpus / "plan.html").read_bytes().replace("十六次".encode("gb2312"), "十七次".encode("gb2312"))
    (corpus / "plan.html").write_bytes(page)
    third, _ = reindex(settings, [corpus], embedder=HashEmbedder())
    assert reads == ["plan.html"] and third.changed == ["plan.html"]


def test_a_killed_run_leaves_no_worker_behind(tmp_path) -> None:
    """SIGKILL the process that owns a worker while the worker is stuck in a read: the worker goes too."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = {sys.path!r}
        from corpus.readers.worker import Limits, ReaderPool, Request
        pool = ReaderPool(Limits(timeout_s=600, memory_mb=768))
        pool.read(Request("tests.reader_plugins:EchoReader", "a", data=b"ECHOx"))
        print(pool._proc.pid, flush=True)
        pool.read(Request("tests.reader_plugins:HangingReader", "b", data=b"x"))
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())
        time.sleep(0.5)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _alive(worker):
            time.sleep(0.2)
        assert not _alive(worker)
    finally:
        parent.kill()
        parent.wait()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its entry waits for a reaper
