"""Time and peak memory of each hostile file of issue 32, through ``reindex`` (and ``inspect``).

The files are written by ``tests/hostile_files.py`` into ``--work`` (once; the 2 GB Flate bomb takes
~10 s to compress): 100,000 nested ``<div>``, a JSONL record of 200,000, 20,000 nested tables, a 49 MB
saved page, a PDF whose Flate stream inflates to 2 GB, an RC4 PDF with an empty user password, and a
.jsonl.gz whose one line inflates to 512 MB. Each is indexed alone, in a fresh index directory, by
``policy-search reindex FILE --json`` run from ``--checkout`` (default: this one; pass an unpacked
``git archive`` of another commit to measure it with the same files, machine and moment). The
script samples the resident memory of the command's process and of its reader worker every 20 ms
and prints, per file: seconds, peak RSS of the main process, of the worker, of both together, and
what the build said about the file (skipped with a code, warned with a code, or indexed).

    python scripts/hostile_inputs.py                                  # this checkout
    git archive 2c37dae | tar -x -C /tmp/base                         # the commit before issue 32
    python scripts/hostile_inputs.py --before /tmp/base --timeout 300 # each file: before, then this one
    python scripts/hostile_inputs.py --together                       # then all of them in one reindex
    python scripts/hostile_inputs.py --only deep_divs.html --command inspect

A command still running after ``--timeout`` seconds, or holding more than ``--max-mb`` (6 GB) in its
process and worker together, is stopped and reported as such (with its peaks so far): main's reindex of
the 49 MB page reached 16.9 GB in 300 s on a shared machine. Only this machine is used; the files stay in ``--work``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile_files as hostile  # noqa: E402
from tests import policy_forms as forms  # noqa: E402

FILES = {
    "ordinary.html": forms.write_html,  # the control: the test suite's county page, 38 KB
    "deep_divs.html": hostile.write_deep_divs,
    "deep_divs.jsonl": hostile.write_deep_record,
    "nested_tables.html": hostile.write_nested_tables,
    "big_page.html": hostile.write_big_page,
    "flate_bomb.pdf": hostile.write_flate_bomb,
    "rc4_empty_password.pdf": hostile.write_rc4_pdf,
    "record_bomb.jsonl.gz": hostile.write_record_bomb,
}


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return out + [g for c in out for g in _children(c)]


def _workers(pid: int) -> list[int]:
    """The reader worker(s) under ``pid`` and what they started (a converter). A child caught between
    fork and exec is a copy of the main process, its pages shared: it is not counted."""
    found = []
    for c in _children(pid):
        try:
            with open(f"/proc/{c}/cmdline", "rb") as fh:
                if b"corpus.readers.worker" in fh.read():
                    found += [c, *_children(c)]
        except OSError:
            pass
    return found


class Sampler(threading.Thread):
    """Peak RSS of a process and of its reader worker, sampled every 20 ms; the command is killed when
    both together pass ``max_mb`` (the machine is shared: main's reindex of the 49 MB page reached 17 GB)."""

    def __init__(self, pid: int, max_mb: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.max_mb = pid, max_mb
        self.main = self.worker = self.both = 0.0
        self.killed = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            main = _rss_mb(self.pid)
            worker = sum(_rss_mb(c) for c in _workers(self.pid))
            self.main, self.worker = max(self.main, main), max(self.worker, worker)
            self.both = max(self.both, main + worker)
            if self.both > self.max_mb and not self.killed:
                self.killed = True
                os.killpg(self.pid, signal.SIGKILL)
            time.sleep(0.02)


def _outcome(stdout: str, stderr: str, returncode: int | None) -> str:
    """What the build said about the file: skipped / warned codes, or the clauses indexed."""
    if returncode is None:
        return "stopped at the time limit"
    try:
        out = json.loads(stdout[stdout.index("{") :])
    except ValueError:  # nothing indexed: the lines that name the file say why
        lines = stderr.replace("\r", "\n").splitlines()  # a progress bar shares lines with them
        named = [ln[ln.index(w) :] for ln in lines for w in ("处理失败", "已跳过") if w in ln] or lines[-1:]
        return f"exit {returncode}: " + " / ".join(ln.split("：", 1)[-1][:100] for ln in named[:2])
    skipped = [*(out.get("skipped") or out.get("skipped_files") or []), *out.get("failed", [])]
    parts = [f"skipped {s['code']}" for s in skipped] + [
        f"warned {w['code']}" for w in out.get("warnings", [])
    ]
    clauses = out.get("clauses")
    if isinstance(out.get("documents"), list):  # inspect
        clauses = sum(len(d.get("clauses", [])) for d in out["documents"])
    if clauses is not None:
        parts.append(f"{clauses} clauses")
    return "; ".join(parts) or f"exit {returncode}"


def measure(path: Path, checkout: Path, command: str, work: Path, timeout: float, max_mb: float) -> dict:
    env = {**os.environ, "POLICY_SEARCH_DATA_DIR": str(work / "data")}
    index_dir = work / "index" / path.name
    shutil.rmtree(index_dir, ignore_errors=True)
    args = [sys.executable, "-m", "policy_search.cli", command, str(path), "--json"]
    if command == "reindex":
        args += ["--index-dir", str(index_dir)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    sampler = Sampler(proc.pid, max_mb)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        code = None
    seconds = time.perf_counter() - t0
    sampler.done.set()
    sampler.join()
    return {
        "file": path.name + ("/ (all, one reindex)" if path.is_dir() else ""),
        "bytes": sum(f.stat().st_size for f in path.iterdir()) if path.is_dir() else path.stat().st_size,
        "seconds": round(seconds, 1),
        "main_peak_mb": round(sampler.main),
        "worker_peak_mb": round(sampler.worker),
        "both_peak_mb": round(sampler.both),
        "outcome": f"stopped past {max_mb:,.0f} MB"
        if sampler.killed
        else _outcome(stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), code),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "hostile")
    ap.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose CLI is measured")
    ap.add_argument("--before", type=Path, help="another checkout, measured on each file just before")
    ap.add_argument("--command", choices=["reindex", "inspect"], default="reindex")
    ap.add_argument("--only", action="append", choices=list(FILES), help="these files only")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per file before it is stopped")
    ap.add_argument(
        "--max-mb", type=float, default=6000, help="stop a command holding more (MB, both processes)"
    )
    ap.add_argument("--together", action="store_true", help="then every file in one reindex (this checkout)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    files = args.work / "files"
    files.mkdir(parents=True, exist_ok=True)
    rows = []
    checkouts = [("before", args.before), ("after", args.checkout)] if args.before else [("", args.checkout)]
    if not args.json:
        print("| file | size | code | seconds | main peak MB | worker peak MB | both peak MB | outcome |")
        print("|---|---:|---|---:|---:|---:|---:|---|")
    runs = []
    for name in args.only or list(FILES):
        path = files / name
        if not path.exists():
            FILES[name](path)
        runs += [(label, checkout, path) for label, checkout in checkouts]
    if args.together:  # the whole folder in one build: what a build of them all holds at once
        runs.append(("after", args.checkout, files))
    for label, checkout, path in runs:
        r = {
            "code": label,
            **measure(path, checkout.resolve(), args.command, args.work, args.timeout, args.max_mb),
        }
        rows.append(r)
        if not args.json:
            print(
                f"| {r['file']} | {r['bytes'] / 1e6:.1f} MB | {label} | {r['seconds']} | {r['main_peak_mb']} | "
                f"{r['worker_peak_mb']} | {r['both_peak_mb']} | {r['outcome']} |",
                flush=True,
            )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
