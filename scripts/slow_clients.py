"""Slow and greedy clients against the service on 127.0.0.1: which server setting keeps it answering?

    python scripts/slow_clients.py [--half-open 2000] [--nofile 512] [--seconds 30]

For each configuration the script starts the app (the built-in corpus, built into var/slow-clients) in a
subprocess with a low open-file limit, opens ``--half-open`` connections that send part of their headers
and stop, keeps them open, and meanwhile asks ``/api/health`` once a second for ``--seconds``. It prints,
per configuration: how many real requests were answered 200 / 503 / not at all, the first 200's delay,
the server's open descriptors at the peak, and how many bytes and "Too many open files" lines it logged.

Configurations: uvicorn as `serve` ran it before issue 23 (no limit); uvicorn's ``limit_concurrency``;
uvicorn's ``timeout_keep_alive`` at 1 s; the guard of ``api.server`` (read deadline + connection cap).
Only 127.0.0.1 is contacted; every count and wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

SERVER = r"""
import sys, uvicorn
from config.settings import Settings
from api.app import create_app
from api import server as guard
mode, port = sys.argv[1], int(sys.argv[2])
settings = Settings(port=port, request_read_seconds=2.0)
app = create_app(settings)
if mode == "guard":
    guard.serve(app, settings)
else:
    extra = {"limit_concurrency": 100} if mode == "limit_concurrency" else {"timeout_keep_alive": 1} if mode == "keep_alive" else {}
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info", h11_max_incomplete_event_size=1 << 20, **extra)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def run(mode: str, env: dict, half_open: int, nofile: int, seconds: float, work: Path) -> dict:
    port = _free_port()
    log = work / f"server-{mode}.log"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, mode, str(port)],
            env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, preexec_fn=limit,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server ({mode}) did not start; see {log}")
            time.sleep(0.3)
        socks, refused = [], 0
        for _ in range(half_open):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                socks.append(s)
            except OSError:
                refused += 1
        answers: dict[str, int] = {}
        first_ok, peak = None, _fds(proc.pid)
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            try:
                code = str(httpx.get(url + "/api/health", timeout=2).status_code)
            except httpx.HTTPError as exc:
                code = type(exc).__name__
            answers[code] = answers.get(code, 0) + 1
            if code == "200" and first_ok is None:
                first_ok = round(time.monotonic() - t0, 2)
            peak = max(peak, _fds(proc.pid))
            time.sleep(1)
        for s in socks:
            s.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    text = log.read_text(errors="replace")
    return {
        "mode": mode,
        "half_open_sent": half_open,
        "connect_failed": refused,
        "real_requests": answers,
        "first_200_after_s": first_ok,
        "server_fds_peak": peak,
        "nofile": nofile,
        "log_bytes": len(text.encode()),
        "too_many_open_files_lines": text.count("Too many open files"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half-open", type=int, default=2000)
    ap.add_argument("--nofile", type=int, default=512)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--modes", default="none,limit_concurrency,keep_alive,guard")
    args = ap.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.half_open + 256)), hard))
    work = ROOT / "var" / "slow-clients"
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "POLICY_SEARCH_DATA_DIR": str(work)}
    env.setdefault("POLICY_SEARCH_CACHE_PATH", str(ROOT / "var" / "embeddings.sqlite"))
    subprocess.run(
        [sys.executable, "-m", "policy_search.cli", "reindex", "--quiet"], env=env, check=True, cwd=ROOT
    )
    for mode in args.modes.split(","):
        print(json.dumps(run(mode, env, args.half_open, args.nofile, args.seconds, work)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
