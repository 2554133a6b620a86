"""Index lifecycle: stable ids, generations, incremental reindex, rollback, integrity, live reload."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from corpus.pipeline import builtin_corpus_dir
from index.generations import IndexLayout
from index.manifest import IndexError_, Manifest
from index.store import document_hashes
from policy_search.factory import reindex
from search.hybrid import HybridSearcher
from search.live import LiveSearcher
from search.models import SearchRequest
from search.query_encoder import QueryEncoder

from .conftest import LOCAL
from .test_index import HashEmbedder

QUERIES = ["医师多点执业", "社会办医疗机构纳入医保定点", "床位", "审批时限", "土地供应", "人才培养"]
SEED_000 = "000_38217c7f430a4a4f.txt"
SEED_002 = "002_bd0cc3b5400c87ce.txt"
EDIT_FROM = "医师个人以合同（协议）为依据"  # a phrase of 002's clause on multi-site practice


@pytest.fixture
def corpus(tmp_path) -> Path:
    d = tmp_path / "corpus"
    shutil.copytree(builtin_corpus_dir(), d)
    return d


def _settings(tmp_path: Path, name: str = "data", **kw) -> Settings:
    return Settings(data_dir=tmp_path / name, **kw)


def _build(settings: Settings, corpus: Path, full: bool = False, emb: HashEmbedder | None = None):
    result, _ = reindex(settings, [corpus], embedder=emb or HashEmbedder(), full=full)
    return result


def _open(settings: Settings) -> HybridSearcher:
    return HybridSearcher.open(settings.resolved_index_dir(), HashEmbedder())


def _top10(s: HybridSearcher) -> list[list[str]]:
    return [[h.clause_id for h in s.search(SearchRequest(q=q, top_k=10)).hits] for q in QUERIES]


def _clause_ids(s: HybridSearcher) -> set[str]:
    return set(s.store.clause_doc)


def _edit(corpus: Path) -> None:
    """Add a document, change one, remove one."""
    p = corpus / SEED_002
    p.write_text(
        p.read_text(encoding="utf-8").replace(EDIT_FROM, "医师本人以合同（协议）为依据"), encoding="utf-8"
    )
    (corpus / "004_0c0d47d2832825d7.txt").unlink()
    (corpus / "sub").mkdir()
    (corpus / "sub" / "new.txt").write_text(
        "某市卫生健康委员会关于开展无人机配送药品试点工作的通知\n一、试点内容\n"
        "（一）支持社会办医疗机构开展无人机配送药品试点，探索偏远地区药品配送新模式。\n"
        "（二）试点医疗机构每千人口床位数不低于1.3张，试点期限为2020年底。\n",
        encoding="utf-8",
    )


def test_clause_ids_come_from_key_and_place(tmp_path, corpus) -> None:
    settings = _settings(tmp_path)
    _build(settings, corpus)
    s = _open(settings)
    ids = _clause_ids(s)
    assert f"{SEED_000}:五/(十二)" in ids and f"{SEED_000}:序言" in ids
    assert s.document(SEED_000).document.id == SEED_000
    before = {c for c in ids if c.startswith(SEED_002)}
    s.close()
    # editing one paragraph keeps every clause id of the document, and of all others
    p = corpus / SEED_002
    p.write_text(
        p.read_text(encoding="utf-8").replace(EDIT_FROM, "医师本人以合同（协议）为依据"), encoding="utf-8"
    )
    result = _build(settings, corpus)
    assert (result.mode, result.changed, result.added, result.removed) == ("incremental", [SEED_002], [], [])
    s = _open(settings)
    assert _clause_ids(s) == ids and {c for c in _clause_ids(s) if c.startswith(SEED_002)} == before
    hashes = document_hashes(s.generation.directory / "clauses.sqlite")
    assert set(hashes) == {p.name for p in corpus.glob("*.txt")} and all(
        len(h) == 32 for h in hashes.values()
    )
    s.close()


def test_incremental_equals_full_build(tmp_path, corpus) -> None:
    inc = _settings(tmp_path, "inc")
    first = _build(inc, corpus)
    assert first.mode == "full" and first.wrote_generation
    _edit(corpus)
    emb = HashEmbedder()
    result = _build(inc, corpus, emb=emb)
    assert result.mode == "incremental"
    assert (result.added, result.changed, result.removed) == (
        ["sub/new.txt"],
        [SEED_002],
        ["004_0c0d47d2832825d7.txt"],
    )
    assert result.unchanged == 3
    # only the added and changed documents were embedded
    # 002 (41 clauses) and the new notice (2): only the edited clause of 002 and the notice are new text
    assert result.embedded_now + result.from_cache == 43
    assert emb.embedded == result.embedded_now == 3
    full = _settings(tmp_path, "full")
    _build(full, corpus, full=True)
    a, b = _open(inc), _open(full)
    try:
        assert _clause_ids(a) == _clause_ids(b)
        assert not any(c.startswith("004_") for c in _clause_ids(a))  # removed document is gone
        assert "sub/new.txt:一/(一)" in _clause_ids(a)
        assert _top10(a) == _top10(b)
        assert a.manifest.documents == b.manifest.documents == 5
        assert a.manifest.parent == first.manifest.generation
    finally:
        a.close()
        b.close()


def test_no_change_writes_nothing_and_full_rebuilds(tmp_path, corpus) -> None:
    settings = _settings(tmp_path)
    first = _build(settings, corpus)
    again = _build(settings, corpus)
    assert not again.wrote_generation and again.manifest.generation == first.manifest.generation
    assert again.unchanged == 5 and again.embedded_now == 0
    forced = _build(settings, corpus, full=True)
    assert forced.wrote_generation and forced.mode == "full" and forced.reason == "--full"


def test_duplicate_keys_are_named_and_the_build_goes_on(tmp_path, corpus) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(corpus / SEED_000, other / SEED_000)  # same relative path under another root
    result, _ = reindex(_settings(tmp_path), [corpus, other], embedder=HashEmbedder())
    assert [(d.key, d.kept, d.skipped) for d in result.duplicates] == [
        (SEED_000, str(corpus / SEED_000), str(other / SEED_000))
    ]
    assert result.manifest.documents == 5


def test_generations_rollback_and_pruning(tmp_path, corpus) -> None:
    settings = _settings(tmp_path)
    layout = IndexLayout(settings.resolved_index_dir())
    g1 = _build(settings, corpus).manifest.generation
    _edit(corpus)
    g2 = _build(settings, corpus).manifest.generation
    (corpus / "sub" / "new.txt").unlink()
    g3 = _build(settings, corpus).manifest.generation
    assert layout.generations() == [g2, g3]  # the previous one is kept, older ones removed
    assert layout.rollback().current == g2
    s = _open(settings)
    assert s.manifest.generation == g2 and "sub/new.txt:一/(一)" in _clause_ids(s)
    assert s.search(SearchRequest(q="无人机配送药品")).hits
    s.close()
    assert g1 not in layout.generations()


def test_debris_of_killed_builds_is_removed(tmp_path, corpus) -> None:
    settings = _settings(tmp_path)
    _build(settings, corpus)
    root = settings.resolved_index_dir()
    (root / ".build-deadbeef").mkdir()
    (root / ".build-deadbeef" / "clauses.sqlite").write_bytes(b"half")
    (root / "gen-000009-0badc0de").mkdir()  # renamed, but the pointer was never switched
    (root / ".CURRENT.1234abcd").write_text("{}")
    _build(settings, corpus, full=True)
    names = {p.name for p in root.iterdir()}
    assert not any(n.startswith(".build-") or n.startswith(".CURRENT.") for n in names)
    assert "gen-000009-0badc0de" not in names


def test_legacy_single_snapshot_directory_says_rebuild(tmp_path) -> None:
    d = tmp_path / "old"
    d.mkdir()
    (d / "manifest.json").write_text(json.dumps({"format_version": 1}))
    with pytest.raises(IndexError_, match="earlier version.*reindex --full"):
        IndexLayout(d).current()


def _damage(gen: Path, kind: str) -> str:
    """Damage one generation; returns the file the error must name."""
    vec = gen / "vectors" / "vectors.faiss"
    if kind == "flip-vectors":
        data = bytearray(vec.read_bytes())
        for i in range(len(data) // 2, len(data) // 2 + 4096):
            data[i] ^= 0xFF
        vec.write_bytes(bytes(data))
        return "vectors.faiss"
    if kind == "truncate-store":
        p = gen / "clauses.sqlite"
        p.write_bytes(p.read_bytes()[:4096])
        return "clauses.sqlite"
    if kind == "truncate-lexical":
        p = gen / "lexical" / "tf.npz"
        p.write_bytes(p.read_bytes()[:100])
        return "tf.npz"
    if kind == "missing-rows":
        (gen / "lexical" / "rows.ids.txt").unlink()
        return "rows.ids.txt"
    if kind == "bad-manifest":
        (gen / "manifest.json").write_text("{not json")
        return "manifest.json"
    if kind in ("nan-vectors", "wrong-dimension", "sqlite-page"):
        # a writer bug, not bit rot: the checksums match what was written, the content is wrong
        import faiss

        from index.integrity import checksums

        m = Manifest.load(gen)
        if kind == "sqlite-page":
            p = gen / "clauses.sqlite"
            data = bytearray(p.read_bytes())
            data[4096 : 4096 + 512] = b"\xff" * 512
            p.write_bytes(bytes(data))
        else:
            index = faiss.read_index(str(vec))
            vecs = index.reconstruct_n(0, index.ntotal)
            if kind == "nan-vectors":
                vecs[3, :] = np.nan
                new = faiss.IndexFlatIP(vecs.shape[1])
            else:
                vecs = np.hstack([vecs, vecs])
                new = faiss.IndexFlatIP(vecs.shape[1])
            new.add(vecs)
            faiss.write_index(new, str(vec))
        m.files = checksums(gen, skip=("manifest.json",))
        m.save(gen)
        return {
            "nan-vectors": "not finite",
            "wrong-dimension": "dimensions",
            "sqlite-page": "clauses.sqlite",
        }[kind]
    raise AssertionError(kind)


DAMAGE = [
    "flip-vectors",
    "truncate-store",
    "truncate-lexical",
    "missing-rows",
    "bad-manifest",
    "nan-vectors",
    "wrong-dimension",
    "sqlite-page",
]


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_generation_is_refused_with_file_and_fix(tmp_path, corpus, kind) -> None:
    settings = _settings(tmp_path)
    _build(settings, corpus)
    gen = IndexLayout(settings.resolved_index_dir()).current()
    needle = _damage(gen, kind)
    with pytest.raises(IndexError_) as err:
        HybridSearcher.open(settings.resolved_index_dir(), HashEmbedder()).search(SearchRequest(q="医保"))
    assert needle in str(err.value) and "reindex --full" in str(err.value)


def _live(settings: Settings, poll_seconds: float = 0.1) -> LiveSearcher:
    root = settings.resolved_index_dir()
    emb = HashEmbedder()
    encoder = QueryEncoder(emb)
    return LiveSearcher(
        root,
        lambda g: HybridSearcher.open(root, emb, generation_dir=g, encoder=encoder),
        poll_seconds=poll_seconds,
    ).start()


def test_live_service_switches_generation_under_load(tmp_path, corpus) -> None:
    # three clients at once: admit them all (a 503 "busy" is not what this test is about)
    settings = _settings(tmp_path, max_searches_in_flight=4, max_queue_wait_seconds=10)
    _build(settings, corpus)
    live = _live(settings)
    app = create_app(settings, searcher_factory=lambda: live)
    failures: list[str] = []
    done = threading.Event()
    count = [0]
    with TestClient(app, base_url=LOCAL) as client:
        first = client.get("/api/stats").json()["generation"]

        def hammer() -> None:
            while not done.is_set():
                r = client.get("/api/search", params={"q": QUERIES[count[0] % len(QUERIES)]})
                count[0] += 1
                if r.status_code != 200 or "hits" not in r.json():
                    failures.append(f"{r.status_code} {r.text[:200]}")

        workers = [threading.Thread(target=hammer) for _ in range(3)]
        for w in workers:
            w.start()
        try:
            while count[0] < 10:
                time.sleep(0.05)  # requests are running on the first generation
            _edit(corpus)
            result = _build(settings, corpus)
            switched_at = time.monotonic()
            seen = None
            while time.monotonic() - switched_at < 2.0:
                seen = client.get("/api/stats").json()["generation"]
                if seen == result.manifest.generation:
                    break
                time.sleep(0.05)
            latency = time.monotonic() - switched_at
            at_switch, deadline = count[0], time.monotonic() + 30
            while count[0] < at_switch + 20 and time.monotonic() < deadline:
                time.sleep(0.05)  # requests keep coming after the switch, on the new generation
        finally:
            done.set()
            for w in workers:
                w.join()
        assert failures == [] and count[0] >= at_switch + 20
        assert seen == result.manifest.generation != first and latency < 2.0
        hits = client.get("/api/search", params={"q": "无人机配送药品", "top_k": 50}).json()["hits"]
        assert hits[0]["document"]["id"] == "sub/new.txt"
        everything = client.get("/api/search", params={"q": "医疗机构", "top_k": 100}).json()["hits"]
        assert not any(h["document"]["id"].startswith("004_") for h in everything)  # removed document gone
        assert client.get("/api/documents/004_0c0d47d2832825d7.txt").status_code == 404
        assert client.get("/api/documents/sub/new.txt").status_code == 200
        assert (
            client.get("/api/clauses/sub/new.txt:一/(一)").json()["next"]["clause_id"]
            == "sub/new.txt:一/(二)"
        )
        assert client.get("/api/health").status_code == 200


def test_damaged_new_generation_keeps_the_old_one_serving(tmp_path, corpus) -> None:
    settings = _settings(tmp_path)
    good = _build(settings, corpus).manifest.generation
    live = _live(settings, poll_seconds=0.5)
    app = create_app(settings, searcher_factory=lambda: live)
    with TestClient(app, base_url=LOCAL) as client:
        _edit(corpus)
        with live._check_lock:  # hold the watcher off until the new generation is damaged
            bad = _build(settings, corpus).manifest.generation
            _damage(settings.resolved_index_dir() / bad, "flip-vectors")
        deadline = time.monotonic() + 20  # the watcher's next look refuses it (later on a loaded machine)
        while client.get("/api/health").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        health = client.get("/api/health")
        assert health.status_code == 503 and "vectors.faiss" in health.json()["problem"]
        # the newer generation is refused, the old one serves
        assert health.json()["code"] == "index_degraded"
        assert health.json()["generation"] == good
        assert client.get("/api/search", params={"q": "医保"}).status_code == 200
        _build(settings, corpus, full=True)  # the fix the message names
        # the watcher looks every 0.5 s, then opens and checks the generation: on a loaded machine that
        # takes longer than one look, so wait for it (bounded) instead of sleeping a fixed 0.5 s
        deadline = time.monotonic() + 20
        while client.get("/api/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.get("/api/health").status_code == 200


def test_service_starts_on_previous_generation_when_current_is_damaged(tmp_path, corpus) -> None:
    settings = _settings(tmp_path)
    good = _build(settings, corpus).manifest.generation
    _edit(corpus)
    bad = _build(settings, corpus).manifest.generation
    _damage(settings.resolved_index_dir() / bad, "truncate-store")
    live = _live(settings)
    try:
        assert live.generation == good and "clauses.sqlite" in live.health()["problem"]
        assert live.search(SearchRequest(q="医保")).hits
    finally:
        live.close()


@pytest.mark.parametrize(
    ("token", "header", "status"),
    [(None, None, 404), ("s3cret", "Bearer nope", 401), ("s3cret", "Bearer s3cret", 200)],
)
def test_admin_reload_needs_a_configured_token(tmp_path, corpus, token, header, status) -> None:
    settings = _settings(tmp_path, admin_token=token)
    _build(settings, corpus)
    live = _live(settings)
    with TestClient(create_app(settings, searcher_factory=lambda: live), base_url=LOCAL) as client:
        r = client.post("/api/admin/reload", headers={"Authorization": header} if header else {})
        assert r.status_code == status
        if status == 200:
            assert r.json()["switched"] is False and r.json()["status"] == "ok"


def test_serve_never_builds_into_a_named_directory(tmp_path, capsys) -> None:
    from policy_search.cli import main

    assert main(["serve", "--index-dir", str(tmp_path / "mine")]) == 2
    err = capsys.readouterr().err
    assert (
        "还没有索引" in err and f"policy-search reindex 文件或文件夹 --index-dir {tmp_path / 'mine'}" in err
    )
    assert not (tmp_path / "mine").exists()


@pytest.mark.parametrize(("template", "found"), [("contextual", True), ("clause", False)])
def test_lexical_template_reaches_the_index_through_the_factory(tmp_path, corpus, template, found) -> None:
    """The title is in BM25's text only with the contextual template (the default)."""
    (corpus / "t.txt").write_text(
        "某市人民政府关于发展银发经济的通知\n一、总体要求\n（一）支持社会力量举办养老机构，提供多层次服务。\n",
        encoding="utf-8",
    )
    settings = _settings(tmp_path, lexical_template=template)
    result = _build(settings, corpus)
    assert result.manifest.pipeline["lexical_template"] == template
    s = _open(settings)
    hits = s.search(SearchRequest(q="银发经济", top_k=5, fusion="lexical")).hits
    assert any(h.document.id == "t.txt" for h in hits) is found
    s.close()


@pytest.mark.parametrize(
    ("env", "value"),
    [("FUSION", "magic"), ("DENSE_WEIGHT", "1.5"), ("PASSAGE_TEMPLATE", "x"), ("CANDIDATE_DEPTH", "0")],
)
def test_bad_settings_stop_start_up(monkeypatch, capsys, env, value) -> None:
    from policy_search.cli import main

    monkeypatch.setenv(f"POLICY_SEARCH_{env}", value)
    with pytest.raises(ValueError):
        Settings()
    assert main(["search", "医保"]) == 2
    assert env.lower() in capsys.readouterr().err
