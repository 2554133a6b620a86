"""Index files: manifest, atomic writes, embedding cache, FAISS vs brute force, BM25 vs a reference."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from corpus.models import Clause, Document, DocumentMetadata
from index.bm25 import BM25Index
from index.builder import EmptyCorpusError, build_index
from index.cache import EmbeddingCache, embed_with_cache
from index.faiss_vectors import AnnOptions, FaissVectorIndex, VectorCheckError
from index.generations import IndexLayout
from index.manifest import IndexError_, Manifest
from index.passages import passage_text
from index.protocols import DocFilter


class HashEmbedder:
    """A deterministic stand-in embedder (character hashing) that counts what it embeds."""

    name = "hash-test"
    dim = 16
    max_tokens = 512

    def __init__(self, salt: str = "") -> None:
        self.salt = salt
        self.embedded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for ch in self.salt + text:
            v[(ord(ch) * 2654435761) % self.dim] += 1.0
        return v / max(np.linalg.norm(v), 1e-9)

    def encode_queries(self, texts):
        return np.vstack([self._vec(t) for t in texts])

    def encode_passages(self, texts, progress=None):
        self.embedded += len(texts)
        if progress:
            progress(len(texts))
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def count_tokens(self, text: str) -> int:
        return len(text)

    @property
    def fingerprint(self) -> str:
        return f"{self.name}|{self.dim}|{self.salt}"


def _docs(n: int = 3) -> list[Document]:
    docs = []
    for i in range(n):
        md = DocumentMetadata(title=f"测试文件{i}", jurisdiction="全国", level="国家")
        text = f"医师多点执业第{i}条。\n社会办医疗机构纳入医保定点{i}。"
        clauses = [
            Clause(
                id=f"d{i}:0000",
                doc_id=f"d{i}",
                ordinal=0,
                heading_path=["一、总则"],
                text=text.split("\n")[0],
                start=0,
                end=len(text.split("\n")[0]),
            ),
            Clause(
                id=f"d{i}:0001",
                doc_id=f"d{i}",
                ordinal=1,
                heading_path=["二、支持"],
                text=text.split("\n")[1],
                start=len(text.split("\n")[0]) + 1,
                end=len(text),
            ),
        ]
        docs.append(Document(id=f"d{i}", source="t", text=text, metadata=md, clauses=clauses))
    return docs


def test_build_writes_self_describing_generation(tmp_path, tokenizer) -> None:
    m = build_index(_docs(), tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    layout = IndexLayout(tmp_path / "idx")
    gen = layout.current()
    assert {p.name for p in (tmp_path / "idx").iterdir()} == {"CURRENT", ".lock", gen.name}
    assert {p.name for p in gen.iterdir()} == {
        "manifest.json",
        "clauses.sqlite",
        "vectors",
        "lexical",
        "wording",
    }
    data = json.loads((gen / "manifest.json").read_text())
    for key in (
        "format_version",
        "embedder_name",
        "embedder_fingerprint",
        "dimension",
        "tokenizer",
        "documents",
        "clauses",
        "created_at",
        "libraries",
        "vector_backend",
        "lexical_backend",
        "pipeline",
        "generation",
        "files",
    ):
        assert key in data
    assert (m.documents, m.clauses, m.dimension, m.vector_backend, m.lexical_backend) == (
        3,
        6,
        16,
        "faiss",
        "bm25",
    )
    assert m.build["vector_structure"] == "IndexFlatIP" and m.generation == gen.name
    # every file but the manifest has its size and checksum recorded
    on_disk = {p.relative_to(gen).as_posix() for p in gen.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(data["files"]) == on_disk
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]  # no temporary debris


def test_failed_build_keeps_previous_index_and_leaves_no_debris(tmp_path, tokenizer, monkeypatch) -> None:
    build_index(_docs(2), tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    layout = IndexLayout(tmp_path / "idx")
    before = layout.current()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(BM25Index, "save", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(_docs(3), tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    assert layout.current() == before
    assert {p.name for p in (tmp_path / "idx").iterdir()} == {"CURRENT", ".lock", before.name}


def test_empty_corpus_is_refused(tmp_path, tokenizer) -> None:
    with pytest.raises(EmptyCorpusError):
        build_index([], tmp_path / "idx", HashEmbedder(), tokenizer=tokenizer)
    assert not IndexLayout(tmp_path / "idx").exists()


def test_manifest_refuses_other_embedder(tmp_path, tokenizer) -> None:
    build_index(_docs(), tmp_path / "idx", HashEmbedder("a"), tokenizer=tokenizer)
    m = Manifest.load(IndexLayout(tmp_path / "idx").current())
    m.check_embedder(HashEmbedder("a").fingerprint, "hash-test")
    with pytest.raises(IndexError_, match="built with embedder"):
        m.check_embedder(HashEmbedder("b").fingerprint, "hash-test")


def test_missing_index_has_clear_message(tmp_path) -> None:
    with pytest.raises(IndexError_, match="reindex"):
        Manifest.load(tmp_path / "nothing")
    with pytest.raises(IndexError_, match="no index at .*policy-search reindex"):
        IndexLayout(tmp_path / "nothing").current()


def test_cache_resumes_and_skips_known_texts(tmp_path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    emb = HashEmbedder()
    texts = [f"条款{i}" for i in range(10)]
    v1, fresh1 = embed_with_cache(emb, texts[:6], cache)
    v2, fresh2 = embed_with_cache(emb, texts, cache)
    assert (fresh1, fresh2) == (6, 4) and emb.embedded == 10
    assert np.allclose(v1, v2[:6])
    assert cache.count(emb.fingerprint) == 10
    cache.close()
    reopened = EmbeddingCache(tmp_path / "c.sqlite")
    _, fresh3 = embed_with_cache(emb, texts, reopened)
    assert fresh3 == 0


def _ids(n: int) -> tuple[list[str], list[str]]:
    return [f"d{i // 10}:{i}" for i in range(n)], [f"d{i // 10}" for i in range(n)]


@pytest.mark.parametrize("use_filter", [False, True])
@pytest.mark.parametrize("removed", [0, 40])
def test_faiss_matches_brute_force(use_filter: bool, removed: int, monkeypatch) -> None:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(500, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    q = vecs[7] + 0.1 * rng.normal(size=32).astype(np.float32)
    ids, docs = _ids(500)
    index = FaissVectorIndex.create(32)
    index.add(ids, docs, vecs)
    gone = set(rng.choice(500, removed, replace=False).tolist()) - {7}
    index.remove([ids[i] for i in gone])
    allowed = (
        {f"d{d}" for d in range(50) if rng.random() < 0.3} if use_filter else {f"d{d}" for d in range(50)}
    )
    where = DocFilter(allowed) if use_filter else None
    got, scores = index.search(q, 10, where)
    brute = np.array([vecs[i] @ q if docs[i] in allowed and i not in gone else -np.inf for i in range(500)])
    assert got == [ids[i] for i in np.argsort(-brute)[:10]]
    assert np.allclose(scores, np.sort(brute)[::-1][:10], atol=1e-5)
    assert np.allclose(index.scores_for(q, got), scores, atol=1e-5)


def _clustered(n: int, dim: int = 16, seed: int = 1) -> np.ndarray:
    """Unit vectors around 40 centres: neighbours exist, as in real embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    v = centres[rng.integers(40, size=n)] + 0.35 * rng.normal(size=(n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_ann_switch_by_size_and_tombstones() -> None:
    vecs = _clustered(600)
    ids, docs = _ids(600)
    small = FaissVectorIndex.create(16, ann=AnnOptions(threshold=600, nprobe=4))
    small.add(ids, docs, vecs)
    assert small.structure == "IndexFlatIP"  # at the threshold: exact
    index = FaissVectorIndex.create(16, ann=AnnOptions(threshold=500, nprobe=4))
    index.add(ids[:400], docs[:400], vecs[:400])
    assert index.structure == "IndexFlatIP"
    index.add(ids[400:], docs[400:], vecs[400:])  # grown past it: an IVF, trained on what it holds
    assert index.structure.startswith("IndexIVFFlat") and index.nprobe == 4
    index.remove(ids[:30])  # 5 % dead: tombstones, never returned
    assert index.size == 570 and all(i not in ids[:30] for i in index.search(vecs[3], 50)[0])
    assert all(
        i not in ids[:30] for g in index.search_groups(vecs[3], 50, [DocFilter({"d0", "d1"})]) for i in g
    )
    index.remove(ids[30:200])  # 33 % dead: rebuilt without them, exact below the threshold again
    assert index.size == 400 and index.structure == "IndexFlatIP"
    assert index.search(vecs[300], 1)[0] == [ids[300]]


def test_ann_recall_against_flat_and_exact_when_every_list_is_read(tmp_path: Path) -> None:
    """recall@20 of the IVF's search and of each group's list against exact search; read with every list
    probed, it is exact; it survives save/open with its settings."""
    vecs = _clustered(3000)
    ids = [f"c{i}" for i in range(3000)]
    docs = [f"d{i % 12}" for i in range(3000)]
    flat = FaissVectorIndex.create(16)
    flat.add(ids, docs, vecs)
    ivf = FaissVectorIndex.create(16, ann=AnnOptions(threshold=1000, nprobe=16))
    ivf.add(ids, docs, vecs)
    ivf.save(tmp_path)
    ivf = FaissVectorIndex.open(tmp_path)
    assert ivf.structure == "IndexIVFFlat(IP, nlist=128, nprobe=16)"
    groups = [DocFilter({f"d{g}", f"d{g + 6}"}) for g in range(6)]
    queries = _clustered(40, seed=7)
    found = total = group_found = group_total = 0
    for q in queries:
        exact = set(flat.search(q, 20)[0])
        found += len(exact & set(ivf.search(q, 20)[0]))
        total += 20
        for e, a in zip(flat.search_groups(q, 20, groups), ivf.search_groups(q, 20, groups)):
            group_found += len(set(e) & set(a))
            group_total += len(e)
        cands = flat.search(q, 50)[0]
        assert np.allclose(ivf.scores_for(q, cands), flat.scores_for(q, cands), atol=1e-5)
    assert found / total >= 0.95 and group_found / group_total >= 0.9
    ivf.nprobe = 10_000  # every list: exact
    for q in queries[:5]:
        brute = [ids[i] for i in np.argsort(-(vecs @ q), kind="stable")[:20]]
        assert ivf.search(q, 20)[0] == flat.search(q, 20)[0] == brute
        assert [sorted(g) for g in ivf.search_groups(q, 20, groups)] == [
            sorted(g) for g in flat.search_groups(q, 20, groups)
        ]
        # a search right after the groups' scan reads that scan: the same answer, within a filter too
        assert ivf.search(q, 20)[0] == flat.search(q, 20)[0] == brute
        where = DocFilter({"d1", "d2"})
        fresh = FaissVectorIndex.create(16)
        fresh.add(ids, docs, vecs)
        assert flat.search(q, 7, where)[0] == fresh.search(q, 7, where)[0]


@pytest.mark.parametrize("bad", ["nan", "dim"])
def test_vectors_are_checked(bad: str) -> None:
    index = FaissVectorIndex.create(8)
    vec = np.ones((1, 8), np.float32)
    if bad == "nan":
        vec[0, 3] = np.nan
        with pytest.raises(VectorCheckError, match="not finite"):
            index.add(["a"], ["d"], vec)
    else:
        index.add(["a"], ["d"], vec)
        with pytest.raises(VectorCheckError, match="8 dimensions"):
            index.check(16)


def _bm25(corpus: list[list[str]], k1: float = 1.2, b: float = 0.75) -> BM25Index:
    idx = BM25Index.create(k1, b)
    idx.add([f"c{i}" for i in range(len(corpus))], [f"d{i}" for i in range(len(corpus))], corpus)
    return idx


def _all(idx: BM25Index, query: list[str], weights=None, n: int | None = None) -> np.ndarray:
    n = idx.size if n is None else n
    return idx.query(query, weights).scores_for([f"c{i}" for i in range(n)])


def test_bm25_matches_reference_formula() -> None:
    corpus = [
        ["医师", "多点", "执业"],
        ["医师", "医师", "注册"],
        ["医保", "定点"],
        ["社会", "办医", "医师", "执业"],
    ]
    k1, b = 1.2, 0.75
    idx = _bm25(corpus, k1, b)
    query = ["医师", "执业"]
    n, avgdl = len(corpus), sum(map(len, corpus)) / len(corpus)
    df = Counter(t for d in corpus for t in set(d))
    expected = []
    for d in corpus:
        tf = Counter(d)
        s = 0.0
        for t in query:
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                # Lucene's BM25 (bm25s "lucene"): the constant (k1 + 1) numerator factor is left out
                s += idf * tf[t] / (tf[t] + k1 * (1 - b + b * len(d) / avgdl))
        expected.append(s)
    assert np.allclose(_all(idx, query), expected, atol=1e-4)


def test_bm25_save_open_roundtrip(tmp_path) -> None:
    idx = _bm25([["甲", "乙"], ["乙", "丙"], ["丁"]])
    idx.save(tmp_path / "lex")
    again = BM25Index.open(tmp_path / "lex")
    assert np.allclose(_all(idx, ["乙"]), _all(again, ["乙"]))
    ids, scores = again.query(["乙"]).top(5)
    assert sorted(ids) == ["c0", "c1"] and (scores > 0).all()


def test_bm25_grown_by_add_and_remove_scores_like_one_build() -> None:
    """Global IDF: an index edited in place equals one built from the final collection."""
    rng = np.random.default_rng(2)
    vocab = list("甲乙丙丁戊己庚辛壬癸")
    corpus = [[str(rng.choice(vocab)) for _ in range(rng.integers(1, 9))] for _ in range(40)]
    whole = _bm25(corpus)
    grown = BM25Index.create()
    grown.add([f"c{i}" for i in range(20, 40)], [f"d{i}" for i in range(20, 40)], corpus[20:])
    grown.add(["x", "y"], ["dx", "dy"], [["甲", "子"], ["乙"]])
    grown.add([f"c{i}" for i in range(20)], [f"d{i}" for i in range(20)], corpus[:20])
    grown.remove(["x", "y"])
    for q in (["甲"], ["乙", "丙", "乙"], ["子"]):
        np.testing.assert_allclose(_all(grown, q, n=40), _all(whole, q), atol=1e-6)


def test_bm25_presence_membership_and_merged_group_tops() -> None:
    """What a search reads of its candidates besides their scores: which query words each holds (read
    from the terms' columns, checked against the counts themselves), whether its document is in a filter,
    and every group's best as one list (the union of the per-group lists)."""
    from index.protocols import DocFilter

    rng = np.random.default_rng(4)
    vocab = list("甲乙丙丁戊己庚辛壬癸")
    ids = [f"d{i % 7}:{i}" for i in range(90)]
    bm = BM25Index.create()
    bm.add(
        ids,
        [c.split(":")[0] for c in ids],
        [[str(rng.choice(vocab)) for _ in range(rng.integers(1, 6))] for _ in ids],
    )
    bm.remove(ids[:9])  # the rows move: presence must follow them
    live = ids[9:]
    asked = [live[i] for i in rng.permutation(len(live))[:40]]
    words = ["甲", "子", "丙", "癸"]  # 子: no clause holds it
    counts = bm._tf[bm._rows.rows(asked)]
    want = np.array(
        [[counts[i, bm._term[w]] > 0 if w in bm._term else False for w in words] for i in range(40)]
    )
    assert np.array_equal(bm.presence(words, asked), want) and want.any() and not want.all()
    assert bm.presence(words, []).shape == (0, 4)
    laws = DocFilter({"d1", "d4"})
    assert bm.in_filter(asked, laws).tolist() == [c.split(":")[0] in laws.keys for c in asked]
    groups = [DocFilter({f"d{g}"}) for g in range(7)]
    scores = bm.query(["甲", "乙", "庚"])
    merged = scores.top_groups_merged(3, groups)
    assert sorted(merged) == sorted({c for lst in scores.top_groups(3, groups) for c in lst})
    assert list(merged) == bm.ordered([merged]) and 0 < len(merged) <= 21


@pytest.mark.parametrize(
    "query, weights",
    [(["医师", "执业", "医师", "未知词"], {"执业": 0.5}), (["医保"], {}), (["未知词"], {}), ([], {})],
)
def test_weighted_bm25_equals_bm25s_per_term(query, weights) -> None:
    """Σ over query terms of weight × occurrences × bm25s's own score for that term (the reference)."""
    import bm25s

    docs = [["医师", "执业", "医院"], ["医保", "定点", "医院"], ["医师", "医师", "培训"], ["社会", "办医"]]
    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index(docs, show_progress=False)
    expected = np.zeros(len(docs), dtype=np.float32)
    for tok in dict.fromkeys(query):
        if tok in ref.vocab_dict:
            expected += weights.get(tok, 1.0) * query.count(tok) * np.asarray(ref.get_scores([tok]))
    np.testing.assert_allclose(_all(_bm25(docs), query, weights), expected, atol=1e-5)


def _clause(path: list[str], text: str) -> Clause:
    return Clause(id="x", doc_id="d", ordinal=0, heading_path=path, text=text, start=0, end=10)


def test_contextual_passage_carries_title_and_path() -> None:
    c = _clause(
        ["第二章 自然人", "第五十四条"], "第五十四条 自然人从事工商业经营，经依法登记，为个体工商户。"
    )
    p = passage_text("中华人民共和国民法典", c, "contextual")
    assert p.startswith("中华人民共和国民法典 › 第二章 自然人\n") and p.endswith(c.text)
    assert passage_text("t", c, "clause") == c.text
    with pytest.raises(ValueError):
        passage_text("t", c, "nope")


@pytest.mark.parametrize(("law", "with_title"), [(True, True), (False, False)])
def test_auto_template_titles_laws_only(law: bool, with_title: bool) -> None:
    c = _clause(
        ["五、加大政策支持", "（十二）加强人力资源保障"],
        "（十二）加强人力资源保障。全面实行医师执业区域注册。",
    )
    p = passage_text(
        "某某市人民政府办公室关于支持社会力量提供多层次多样化医疗服务的实施意见", c, "auto", law=law
    )
    assert p.startswith("某某市") is with_title
    assert p.endswith(c.text)


@pytest.mark.parametrize(
    ("ids", "docs", "form"),
    [
        (["d1:一、", "d1:二、", "d2:第一条"], ["d1", "d1", "d2"], "rows.ids.txt"),
        (["d1:一、", None, "d2:第一条", None], ["d1", None, "d2", None], "rows.ids.txt"),  # removed rows
        ([], [], "rows.ids.txt"),
        (["d1:一、", "d1:第\n二条"], ["d1", "d1"], "rows.json"),  # an id a line cannot hold
    ],
)
def test_row_map_saved_and_read_back(tmp_path, ids, docs, form) -> None:
    from index.protocols import DocFilter
    from index.rowmap import RowMap

    rows = RowMap(list(ids), list(docs))
    rows.save(tmp_path)
    assert (tmp_path / form).exists() and len(list(tmp_path.iterdir())) == (
        3 if form == "rows.ids.txt" else 1
    )
    back = RowMap.load(tmp_path)
    assert back.ids == ids and back.docs == docs and back.live == rows.live
    live = [c for c in ids if c is not None]
    assert back.rows(live).tolist() == rows.rows(live).tolist()
    keys = frozenset({"d1"})
    assert back.doc_mask(keys).tolist() == rows.doc_mask(keys).tolist()
    assert DocFilter(keys).mask_for(back, back.doc_mask).tolist() == [d == "d1" for d in docs]


@pytest.mark.parametrize("damage", ["short codes", "code past the documents", "removed rows differ"])
def test_row_map_files_that_disagree_are_refused(tmp_path, damage: str) -> None:
    from index.rowmap import RowMap

    RowMap(["a:1", "a:2", "b:1"], ["a", "a", "b"]).save(tmp_path)
    codes = {"short codes": [0, 0], "code past the documents": [0, 0, 2], "removed rows differ": [0, -1, 1]}
    np.save(tmp_path / "rows.doc.npy", np.asarray(codes[damage], np.int32))
    with pytest.raises(ValueError, match="rows"):
        RowMap.load(tmp_path)


def test_row_ids_carry_their_rows_only_while_the_map_is_unchanged() -> None:
    """Ids an index found carry their rows to any map of the same present rows (a copy) and are looked
    up afresh once either map has changed: a removal or an addition gives the map a new space."""
    from index.rowmap import RowMap

    first = RowMap(["a:1", "a:2", "b:1", "b:2"], ["a", "a", "b", "b"])
    copy = first.copy()
    found = first.ids_at(np.array([3, 1]))
    assert found == ["b:2", "a:2"] and copy.rows(found) is found.rows  # carried, no look-up
    with pytest.raises(TypeError):
        found.append("a:1")  # its rows would no longer say where its ids are
    with pytest.raises(TypeError):
        found[0] = "a:1"
    import pickle
    from copy import deepcopy

    assert pickle.loads(pickle.dumps(found)) == ["b:2", "a:2"] and type(deepcopy(found)) is list
    held = copy.held(np.array([2, 0]))  # rows an index merges, ids made only when read
    assert (
        len(held) == 2 and first.rows(held) is held.rows and list(held) == ["b:1", "a:1"] and held[1] == "a:1"
    )
    copy.remove(["a:1"])
    with pytest.raises(RuntimeError):
        list(held)  # its map changed: its rows no longer say which ids they were
    assert copy.rows(found) is not found.rows and copy.rows(found).tolist() == [3, 1]
    copy.add(["c:1"], ["c"])
    assert copy.rows(copy.ids_at(np.array([4]))).tolist() == [4] and copy.rows(found).tolist() == [3, 1]
    assert first.rows(found) is found.rows  # the original did not change
    # a union: every id once, in row order, lists of other spaces and plain lists looked up
    merged = copy.union([found, copy.ids_at(np.array([4, 2])), ["a:2"]])
    assert merged == ["a:2", "b:1", "b:2", "c:1"] and merged.rows.tolist() == [1, 2, 3, 4]
    assert copy.rows(merged) is merged.rows and merged.take(np.array([False, True, False, True])) == [
        "b:1",
        "c:1",
    ]
    assert copy.union([]) == [] and copy.rows(merged.take(np.array([0, 1, 1, 0], bool))).tolist() == [2, 3]
    with pytest.raises(KeyError):
        copy.union([["a:1"]])  # removed from this map


@pytest.mark.parametrize(
    "ids",
    [
        ["a:一", "a:一~2", "a:一~3", "a:二", "b:三~2", "b:三", "b:(一)"],
        ["d:五~3", "d:五", "d:五~2", "d:六~5", "d:六", "d:七~2", "d:七~x", "d:八"],  # out of order, gaps, odd
        ["e:一", "e:二", "e:三"],  # nothing split
    ],
)
def test_split_clauses_by_row_say_what_the_pool_and_scoring_say_by_id(ids) -> None:
    """The lexical index's table of split clauses (rows) adds the same parts to a candidate pool as the
    pool's own rule by id (a first part and its parts ~2, ~3 … up to the first one missing), and groups
    the same parts for a clause's best relevance as ``best_of_parts`` does from the ids."""
    from types import SimpleNamespace

    from index.rowmap import RowMap
    from search.pool import CandidatePool
    from search.scoring import best_in_groups, best_of_parts

    rows = RowMap(list(ids), [c.split(":")[0] for c in ids])
    store = SimpleNamespace(
        doc_ids=["a"], doc_meta=[{}], clause_doc=dict.fromkeys(ids, 0), doc_index=lambda _: 0
    )
    # a lexical index that keeps no split clauses: the pool's own rules by id
    by_id = SimpleNamespace(lexical=None, ordered=lambda lists: sorted({c for x in lists for c in x}))
    pool = CandidatePool(by_id, store)  # type: ignore[arg-type]
    rng = np.random.default_rng(len(ids))
    for _ in range(40):
        asked = [ids[i] for i in rng.permutation(len(ids))[: rng.integers(1, len(ids) + 1)]]
        by_row = rows.with_parts(asked)
        assert sorted(by_row) == sorted(pool.with_parts(asked)) and by_row == rows.union([by_row])
        values = rng.random(len(asked))
        assert (
            best_in_groups(values, rows.part_groups(asked)).tolist() == best_of_parts(asked, values).tolist()
        )


def test_row_map_reads_the_old_json_form(tmp_path) -> None:
    import json

    from index.rowmap import RowMap

    (tmp_path / "rows.json").write_text(
        json.dumps({"ids": ["a:1", None], "docs": ["a", None]}), encoding="utf-8"
    )
    back = RowMap.load(tmp_path)
    assert back.ids == ["a:1", None] and back.live == 1 and back.rows(["a:1"]).tolist() == [0]


def test_vector_and_lexical_row_maps_read_once_when_equal(builtin_index) -> None:
    """Both indexes of a generation hold the same rows: the map is read once and each index gets its own
    copy (a change to one, as an incremental build makes, leaves the other's as it was)."""
    from index.backends import open_indexes
    from index.generations import IndexLayout
    from index.manifest import Manifest
    from index.rowmap import RowMap

    gen = IndexLayout(builtin_index).current()
    m = Manifest.load(gen)
    assert RowMap.same_files(m.files, "vectors", "lexical")
    assert not RowMap.same_files(m.files, "vectors", "wording")  # sentences, not clauses
    vec, lex = open_indexes(gen, m)
    assert vec._rows is not lex._rows and vec._rows.ids == lex._rows.ids
    first = vec._rows.ids[0]
    vec.remove([first])
    assert first in lex._rows and first not in vec._rows and lex.size == vec.size + 1
    read = {**m.files}
    read["lexical/rows.ids.txt"] = {**read["lexical/rows.ids.txt"], "xxh64": "0"}  # they differ: each its own
    assert not RowMap.same_files(read, "vectors", "lexical")


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [np.array([], np.int64)],
        [np.array([7])],
        [np.array([5, 5, 5])],
        [np.array([3, 1, 2]), np.array([2, 9, 1]), np.array([], np.int64)],
        [np.random.default_rng(1).integers(0, 50, 400), np.random.default_rng(2).integers(0, 10**6, 5000)],
    ],
)
def test_unique_rows_equal_numpys_unique(parts: list[np.ndarray]) -> None:
    from index.rowmap import unique_rows

    got = unique_rows(*parts)
    want = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    assert got.dtype == np.int64 and np.array_equal(got, want)
