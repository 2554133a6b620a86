"""SIGKILL a real `policy-search reindex` at 20 points, including inside the switch.

After each kill the index directory opens (checksums and vectors verified) to the previous or the new
complete generation, and a search answers; the next build leaves no debris. Named points use the
builder's fault hook (``POLICY_SEARCH_FAULT_AT``); the rest are kills at random times.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from corpus.pipeline import builtin_corpus_dir
from index.generations import FAULT_ENV, IndexLayout
from index.manifest import Manifest
from search.hybrid import HybridSearcher
from search.models import SearchRequest

NAMED = ["after-store", "after-indexes", "before-rename", "after-rename", "before-pointer", "after-pointer"]
OLD_AFTER = {"after-store", "after-indexes", "before-rename", "after-rename", "before-pointer"}


def _corpora(tmp_path: Path) -> tuple[Path, Path]:
    a = tmp_path / "a"
    shutil.copytree(builtin_corpus_dir(), a)
    b = tmp_path / "b"
    shutil.copytree(builtin_corpus_dir(), b)
    (b / "004_0c0d47d2832825d7.txt").unlink()  # B = A less one document: every switch changes the index
    return a, b


def _reindex(corpus: Path, env: dict, fault: str | None = None) -> subprocess.Popen:
    env = dict(env)
    if fault:
        env[FAULT_ENV] = fault
    cmd = [sys.executable, "-m", "policy_search.cli", "reindex", str(corpus), "--quiet"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_at_twenty_points_never_loses_the_index(tmp_path, embedder, builtin_cache) -> None:
    env = {
        **os.environ,
        "POLICY_SEARCH_DATA_DIR": str(tmp_path / "data"),
        "POLICY_SEARCH_CACHE_PATH": str(builtin_cache),
    }
    a, b = _corpora(tmp_path)

    for corpus in (b, a):  # both versions built once: the cache is warm, the current one is A
        p = _reindex(corpus, env)
        assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    layout = IndexLayout(tmp_path / "data" / "index")
    rng = random.Random(20261123)
    points: list[str | float] = NAMED * 2 + [rng.uniform(0.2, 1.6) for _ in range(8)]
    outcomes = []
    for point in points:
        before = layout.pointer()
        current_docs = Manifest.load(layout.current()).documents
        target = b if current_docs == 5 else a  # always the other version: the build must switch
        if isinstance(point, str):
            p = _reindex(target, env, fault=point)
            code = p.wait(timeout=120)
            assert code == -signal.SIGKILL, (point, code, p.stderr.read().decode())
        else:
            p = _reindex(target, env)
            time.sleep(point)
            p.send_signal(signal.SIGKILL)
            code = p.wait(timeout=120)
        after = layout.pointer()
        assert after is not None
        if isinstance(point, str):
            expected_old = point in OLD_AFTER
            assert (after.current == before.current) is expected_old, point
        outcomes.append("old" if after.current == before.current else "new")
        s = HybridSearcher.open(layout.root, embedder)  # verifies checksums and vectors
        try:
            n_docs = s.manifest.documents
            assert n_docs in (4, 5)
            assert s.search(SearchRequest(q="医师多点执业", top_k=3)).hits
        finally:
            s.close()
    assert "old" in outcomes and "new" in outcomes
    p = _reindex(a, env)
    assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    names = sorted(x.name for x in layout.root.iterdir())
    gens = [n for n in names if n.startswith("gen-")]
    assert set(names) - set(gens) == {"CURRENT", ".lock"} and len(gens) <= 2, names
