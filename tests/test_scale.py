"""Scale switches on small fixtures (issue 32): the IVF vector index above ``ann_threshold``, the bounded
candidate pool above ``candidate_budget``, and the build's batched, line-cached text work. Each is
proven here with a tiny threshold; its cost and recall at 10⁵–10⁶ clauses are in BENCHMARKS.md, "Scale"
(``scripts/benchmark_million.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from index.bm25 import BM25Index
from index.builder import BuildOptions, build_index
from index.cache import EmbeddingCache
from index.faiss_vectors import AnnOptions
from index.neardup import WordingIndex
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest
from search.pool import CandidatePool
from search.scoring import best_of_parts

from .test_index import HashEmbedder

SEEDS = Path(__file__).resolve().parents[1] / "benchmarks" / "seed_questions.jsonl"
QUESTIONS = [json.loads(x)["query"] for x in SEEDS.read_text(encoding="utf-8").splitlines()[:24]]


@pytest.fixture(scope="module")
def ivf_index(tmp_path_factory, builtin_report, builtin_cache, embedder, tokenizer) -> Path:
    """The built-in corpus (147 clauses) built with an ANN threshold of 50: an IVF of 32 lists."""
    out = tmp_path_factory.mktemp("ivf") / "index"
    cache = EmbeddingCache(builtin_cache)
    options = BuildOptions(ann=AnnOptions(threshold=50, nprobe=4))
    build_index(builtin_report.documents, out, embedder, cache=cache, options=options, tokenizer=tokenizer)
    cache.close()
    return out


def _top(s: HybridSearcher, q: str, k: int = 10) -> list[tuple[str, float]]:
    return [(h.clause_id, h.score) for h in s.search(SearchRequest(q=q, top_k=k)).hits]


def test_small_index_stays_exact(searcher) -> None:
    """Under the threshold nothing changes: the FAISS index is flat, and the pool is every jurisdiction's
    candidate_depth (the budget does not apply to an index smaller than it)."""
    assert searcher.generation.vectors.structure == "IndexFlatIP"
    assert searcher.manifest.build["vector_structure"] == "IndexFlatIP"
    assert searcher.pool.depth_for(200, searcher.options.candidate_budget) == (200, None)


def test_ivf_above_threshold_and_its_recall_against_flat(ivf_index, searcher, embedder, tokenizer) -> None:
    ivf = HybridSearcher.open(ivf_index, embedder, RankingOptions(ann_nprobe=12), tokenizer=tokenizer)
    try:
        assert ivf.manifest.build["vector_structure"] == "IndexIVFFlat(IP, nlist=32, nprobe=4)"
        assert ivf.generation.vectors.nprobe == 12  # the serving setting, not the build's
        # recall@10 of the dense side alone, on real questions, against the flat index of the same vectors
        found = total = 0
        for q in QUESTIONS:
            qv = embedder.encode_queries([q])[0]
            exact = set(searcher.generation.vectors.search(qv, 10)[0])
            found += len(exact & set(ivf.generation.vectors.search(qv, 10)[0]))
            total += len(exact)
        assert found / total >= 0.9  # 0.95 measured (12 of 32 lists; 0.68 with 4, 0.98 with 16)
        # every list read: the same hits, in the same order, with the same scores as the flat index
        ivf.generation.vectors.nprobe = 10_000
        for q in QUESTIONS[:8]:
            got, want = _top(ivf, q), _top(searcher, q)
            assert [c for c, _ in got] == [c for c, _ in want]
            assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    finally:
        ivf.close()


@pytest.mark.parametrize(
    ("jurisdictions", "clauses", "budget", "want"),
    [
        (5, 147, 20_000, (200, None)),  # the built-in corpus: unchanged
        (68, 155_000, 20_000, (200, None)),  # LawRefBook: 68 × 200 = 13,600 within the budget
        (260, 15_000, 20_000, (200, None)),  # policy-dev: the index is smaller than the budget
        (600, 1_000_000, 20_000, (33, 200)),  # a national library of a million clauses
        (5_000, 10_000_000, 20_000, (10, 200)),  # never under 10 per jurisdiction
        (600, 1_000_000, 0, (200, None)),  # budget 0: off
    ],
)
def test_depth_per_jurisdiction(jurisdictions: int, clauses: int, budget: int, want: tuple) -> None:
    pool = SimpleNamespace(filters=dict.fromkeys(range(jurisdictions)), store=range(clauses))
    assert CandidatePool.depth_for(pool, 200, budget) == want  # type: ignore[arg-type]


def test_candidate_budget_keeps_the_best(searcher) -> None:
    """With a budget under the pool's size, each jurisdiction gives budget ÷ jurisdictions (not under 10)
    and the whole index its candidate_depth: no more candidates, the same best hits."""
    jurisdictions = len(searcher.pool.filters)
    small = searcher.variant(options=RankingOptions(candidate_budget=100))
    assert small.pool.depth_for(200, 100) == (max(10, 100 // jurisdictions), 200)
    for q in QUESTIONS[:12]:
        full = searcher.search(SearchRequest(q=q, top_k=5))
        bounded = small.search(SearchRequest(q=q, top_k=5))
        assert bounded.candidates <= full.candidates
        assert [h.clause_id for h in bounded.hits[:3]] == [h.clause_id for h in full.hits[:3]]


def test_tokenize_many_by_lines_equals_tokenize(tokenizer, builtin_report) -> None:
    """Line-by-line tokenising with a cache of lines gives every text exactly :meth:`tokenize`'s tokens."""
    from index.builder import clause_texts

    _, _, lexical = clause_texts(builtin_report.documents, BuildOptions())
    texts = [*lexical, "标题 › 一、总则\n第一条  为了规范\n\n民营医院  能不能", "  \n前后空白\r\n"]
    seen: dict[str, list[str]] = {}
    first = tokenizer.tokenize_many(texts[:60], seen)
    rest = tokenizer.tokenize_many(texts[60:], seen)
    assert first + rest == [tokenizer.tokenize(t) for t in texts]
    assert len(seen) < sum(t.count("\n") + 1 for t in texts)  # titles and paths were read once


@pytest.mark.parametrize("child", ["works", "killed", "garbled"])
def test_tokenize_many_in_processes_gives_the_same_tokens(
    tokenizer, builtin_report, monkeypatch, caplog, child
) -> None:
    """Many new lines are tokenised in other processes while the caller goes on (here from 50 lines, not
    20,000), with the same tokens; a process that is killed or answers garbage costs time, not tokens."""
    import index.tokenizer as tk
    from index.builder import clause_texts

    _, _, lexical = clause_texts(builtin_report.documents, BuildOptions())
    texts = [*lexical[:120], "民营医院  能不能\n第一条  为了规范"]
    want = [tokenizer.tokenize(t) for t in texts]
    monkeypatch.setattr(tk, "PARALLEL_LINES", 50)
    if child == "killed":
        monkeypatch.setattr(tk, "_WORKER_CODE", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    elif child == "garbled":
        monkeypatch.setattr(tk, "_WORKER_CODE", "print('[[1]]')")
    sent: list[int] = []
    real = tk.ChineseTokenizer._in_child

    def counted(self, part: list[str], env: dict, children=None) -> list[list[str]]:  # noqa: ANN001
        sent.append(len(part))
        return real(self, part, env, children)

    monkeypatch.setattr(tk.ChineseTokenizer, "_in_child", counted)
    two = tk.ChineseTokenizer(processes=2)
    assert two.fingerprint == tokenizer.fingerprint
    with caplog.at_level("WARNING"):
        later = two.tokenize_many_later(texts)
        assert later() == want
    assert len(sent) == 2 and min(sent) >= 25  # the new lines went to two other processes
    assert ("a tokenising process failed" in caplog.text) == (child != "works")


def test_a_failed_build_stops_its_tokenising_processes(tmp_path, builtin_report, monkeypatch) -> None:
    """A build that fails while its new lines are tokenised elsewhere (here: in the wording index, while
    two processes that would take 60 s are still at work) raises at once, and leaves no process behind."""
    import os
    import shutil
    import subprocess
    import time

    import index.builder as builder

    if shutil.which("ps") is None:
        pytest.skip("needs ps (procps) to look for the processes")
    import index.tokenizer as tk

    monkeypatch.setattr(tk, "PARALLEL_LINES", 50)
    marker = f"hang{os.getpid()}"
    monkeypatch.setattr(tk, "_WORKER_CODE", f"#{marker}\nimport time; time.sleep(60)")

    def broken(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        time.sleep(0.5)  # the processes have started
        raise MemoryError("wording index")

    monkeypatch.setattr(WordingIndex, "add", broken)
    t0 = time.perf_counter()
    with pytest.raises(MemoryError):
        builder.build_index(
            builtin_report.documents,
            tmp_path / "index",
            HashEmbedder(),
            tokenizer=tk.ChineseTokenizer(processes=2),
        )
    assert time.perf_counter() - t0 < 20
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert marker not in ps


def test_bm25_added_in_batches_scores_as_one_build() -> None:
    rng = np.random.default_rng(3)
    vocab = [f"t{i}" for i in range(40)]
    docs = [[vocab[j] for j in rng.integers(40, size=rng.integers(1, 12))] for _ in range(300)]
    ids = [f"c{i}" for i in range(300)]
    whole = BM25Index.create()
    whole.add(ids, ids, docs)
    parts = BM25Index.create()
    for i in range(0, 300, 70):
        parts.add(ids[i : i + 70], ids[i : i + 70], docs[i : i + 70])
    for q in (["t1", "t7"], ["t3"], ["t39", "t0", "t0"]):
        assert np.array_equal(whole.query(q).scores_for(ids), parts.query(q).scores_for(ids))
    parts.remove(ids[:10])
    assert parts.size == 290 and parts.query(["t1"]).scores_for(ids[10:]).shape == (290,)


def test_wording_keys_reused_for_a_repeated_sentence() -> None:
    text = "医师个人以合同（协议）为依据，可在多个机构执业。"
    one = WordingIndex.create()
    one.add(["a", "b"], ["d1", "d2"], [text, text + "鼓励社会力量举办医疗机构。"])
    seen: dict[str, np.ndarray] = {}
    two = WordingIndex.create()
    two.add(["a"], ["d1"], [text], seen)
    two.add(["b"], ["d2"], [text + "鼓励社会力量举办医疗机构。"], seen)
    assert np.array_equal(one._keys, two._keys) and len(seen) == 2
    assert one.candidates(["a"]) == two.candidates(["a"])


@pytest.mark.parametrize(
    ("ids", "values", "want"),
    [
        (["x", "y"], [0.2, 0.5], [0.2, 0.5]),
        (["x", "x~2", "y", "x~3"], [0.1, 0.7, 0.3, 0.2], [0.7, 0.7, 0.3, 0.7]),
        (["a~2", "b"], [0.4, 0.9], [0.4, 0.9]),
    ],
)
def test_best_of_parts(ids: list[str], values: list[float], want: list[float]) -> None:
    assert best_of_parts(ids, np.array(values)).tolist() == want


def test_incremental_build_turns_approximate_past_the_threshold(
    tmp_path, builtin_report, builtin_cache, embedder, tokenizer
) -> None:
    """An index that grows past today's threshold in an incremental build becomes an IVF; its first
    generation, under it, stays exact."""
    from index.builder import reindex_into

    docs = builtin_report.documents
    cache = EmbeddingCache(builtin_cache)
    options = BuildOptions(ann=AnnOptions(threshold=100, nprobe=8))
    try:
        first = reindex_into(tmp_path, docs[:2], embedder, cache=cache, options=options, tokenizer=tokenizer)
        grown = reindex_into(tmp_path, docs, embedder, cache=cache, options=options, tokenizer=tokenizer)
    finally:
        cache.close()
    assert first.manifest.clauses <= 100 and first.manifest.build["vector_structure"] == "IndexFlatIP"
    assert grown.mode == "incremental" and grown.manifest.clauses > 100
    assert grown.manifest.build["vector_structure"].startswith("IndexIVFFlat")


def test_law_clauses_remember_the_last_large_list_and_answer_any_other_afresh() -> None:
    from search.hybrid import LawClauses

    clause_doc = {f"d{d}:{i}": d for d in range(3) for i in range(600)}
    laws = LawClauses([True, False, True], clause_doc)
    ids = list(clause_doc)
    first = laws.many(ids)
    assert laws.many(ids) is first  # the same list: one look-up per search, not one per feature
    assert first.tolist() == [clause_doc[c] != 1 for c in ids]
    other = [c for c in ids if c.startswith("d1:")] + ids[:700]  # another list of the same kind
    assert laws.many(other).tolist() == [clause_doc[c] != 1 for c in other]
    assert laws.many(ids[:5]).tolist() == [True] * 5 and laws("d1:3") is False


@pytest.mark.parametrize("where_docs", [None, {"d0", "d2", "d3"}])
def test_row_wise_composition_scores_as_the_per_id_one(where_docs) -> None:
    """BM25 scores split by law rows and summed over concepts as arrays score every clause as the per-id
    classes do, and their top and per-group lists are the exact best (the per-id ones pool each part's)."""
    from index.protocols import DocFilter
    from search.retrieval import ConceptScores, Retriever, SplitScores

    rng = np.random.default_rng(5)
    vocab = [f"t{i}" for i in range(30)]
    ids = [f"d{i % 6}:{i}" for i in range(240)]
    docs = [c.split(":")[0] for c in ids]
    bm = BM25Index.create()
    bm.add(ids, docs, [[vocab[j] for j in rng.integers(30, size=rng.integers(1, 10))] for _ in ids])
    law_docs = DocFilter({"d1", "d2"})
    is_law = lambda c: c.split(":")[0] in law_docs.keys  # noqa: E731
    where = None if where_docs is None else DocFilter(where_docs)
    rows = Retriever(bm, None, is_law=is_law, law_docs=law_docs)  # type: ignore[arg-type]
    per_id = Retriever(bm, None, is_law=is_law)  # type: ignore[arg-type]
    args = (
        ["t1", "t2", "t5", "t9", "t11"],
        {"t2": 0.5},
        where,
        {"t3": 0.7, "t4": 1.0},
        [["t5", "t9"], ["t11"]],
    )
    fast, slow = rows.lexical_scores(*args), per_id.lexical_scores(*args)
    assert not isinstance(fast, ConceptScores | SplitScores) and isinstance(slow, ConceptScores)
    assert np.allclose(fast.scores_for(ids), slow.scores_for(ids), atol=1e-5)
    full = slow.scores_for(ids)
    best = sorted(full[full > 0], reverse=True)[:7]
    assert np.allclose(sorted(fast.top(7)[1], reverse=True), best, atol=1e-5)
    groups = [DocFilter({d}) for d in ("d0", "d1", "d2", "d3", "d4", "d5")]
    for g, got in zip(groups, fast.top_groups(3, groups)):
        mine = [s for c, s in zip(ids, full) if c.split(":")[0] in g.keys and s > 0]
        assert sorted(slow.scores_for(got), reverse=True) == pytest.approx(
            sorted(mine, reverse=True)[:3], abs=1e-5
        )


@pytest.mark.parametrize(("env", "want"), [(None, 2), ("1", 1), ("4", 4)])
def test_tokenize_processes_come_from_the_settings(monkeypatch, env, want) -> None:
    from config.settings import Settings
    from policy_search.factory import tokenizer_from

    if env is None:
        monkeypatch.delenv("POLICY_SEARCH_TOKENIZE_PROCESSES", raising=False)
    else:
        monkeypatch.setenv("POLICY_SEARCH_TOKENIZE_PROCESSES", env)
    assert tokenizer_from(Settings()).processes == want


_SHORTCUTS = {
    "ordered",
    "in_filter",
    "prepare",
    "search_groups_merged",
    "top_groups_merged",
    "with_parts",
    "part_groups",
}


def _plain_ids(got):  # noqa: ANN001, ANN202 - an id list, or lists, or (ids, scores)
    if isinstance(got, tuple):
        return list(got[0]), got[1]
    return [list(x) for x in got] if got and isinstance(got[0], list) else list(got)


class _Plain:
    """An index (or one query's BM25 scores) through its protocol alone: none of the shortcuts that carry
    rows between indexes, and every id list a plain list (so each id is looked up)."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self._inner = inner

    def __getattr__(self, name: str):  # noqa: ANN204
        if name in _SHORTCUTS:
            raise AttributeError(name)
        got = getattr(self._inner, name)
        if name in {"top", "top_groups", "search", "search_groups"}:
            return lambda *a, **k: _plain_ids(got(*a, **k))
        if name == "query":
            return lambda *a, **k: _Plain(got(*a, **k))
        return got

    def composes_with(self, other) -> bool:  # noqa: ANN001
        return self._inner.composes_with(getattr(other, "_inner", other))

    def plus_best_of(self, concepts) -> _Plain:  # noqa: ANN001
        return _Plain(self._inner.plus_best_of([[f._inner for f in c] for c in concepts]))

    def split(self, law, laws) -> _Plain:  # noqa: ANN001
        return _Plain(self._inner.split(law._inner, laws))


@pytest.mark.parametrize("threshold", [0, 50])  # flat; an IVF of 32 lists
def test_candidates_through_the_shortcuts_equal_those_through_the_protocol(
    tmp_path, builtin_report, builtin_cache, embedder, tokenizer, threshold
) -> None:
    """Candidates carried as rows between the indexes (one merged list per retriever, the law mask and
    the two queries' scan read from rows) are the same clauses with the same scores as through the
    id-keyed protocol, laws and split clauses included."""
    from dataclasses import replace

    from search.adapter import QueryAdapter
    from tests.test_adapter import _as_law

    docs = [_as_law(d) if i % 2 == 0 else d for i, d in enumerate(builtin_report.documents)]
    cache = EmbeddingCache(builtin_cache)
    options = BuildOptions(ann=AnnOptions(threshold=threshold, nprobe=8))
    build_index(docs, tmp_path / "idx", embedder, cache=cache, options=options, tokenizer=tokenizer)
    cache.close()
    fast = HybridSearcher.open(tmp_path / "idx", embedder, tokenizer=tokenizer)
    turn = np.linalg.qr(np.random.default_rng(3).normal(size=(embedder.dim, embedder.dim)))[0]
    fast = fast.variant(adapter=QueryAdapter(turn.astype(np.float32), embedder.fingerprint, {}))
    gen = fast.generation
    slow = HybridSearcher(
        replace(gen, lexical=_Plain(gen.lexical), vectors=_Plain(gen.vectors)),
        embedder,
        tokenizer,
        fast.expander,
        fast.options,
        fast.adapter,
    )
    try:
        assert fast.adapter is not None and any(fast._law_docs) and not all(fast._law_docs)
        assert any("~" in c for c in fast.store.clause_doc)  # split clauses are among them
        assert (gen.vectors.nprobe > 0) == (threshold > 0)
        for q in QUESTIONS[:12]:
            got = fast.pool.candidates(fast.prepare(SearchRequest(q=q)), fast.depth())
            want = slow.pool.candidates(slow.prepare(SearchRequest(q=q)), slow.depth())
            assert type(got.ids).__name__ == "RowIds" and type(want.ids) is list
            assert sorted(got.ids) == want.ids
            at = {c: i for i, c in enumerate(got.ids)}
            order = [at[c] for c in want.ids]
            assert got.adapted[order].tolist() == want.adapted.tolist() and want.adapted.any()
            assert np.allclose(got.lexical[order], want.lexical, atol=1e-6)
            assert np.allclose(got.dense[order], want.dense, atol=1e-5)
            fast.retriever.parallel = False  # the vector side in the search's own thread: the same pool
            serial = fast.pool.candidates(fast.prepare(SearchRequest(q=q)), fast.depth())
            fast.retriever.parallel = True
            assert serial.ids == got.ids and np.array_equal(serial.dense, got.dense)
            a, b = fast.search(SearchRequest(q=q, top_k=10)), slow.search(SearchRequest(q=q, top_k=10))
            assert a.total == b.total and a.candidates == b.candidates
            assert sorted(h.score for h in a.hits) == pytest.approx(sorted(h.score for h in b.hits), abs=1e-6)
    finally:
        fast.close()


def test_a_failure_on_the_vector_thread_reaches_the_search_and_the_next_search_works(
    searcher, monkeypatch
) -> None:
    """The vector side runs on a second thread: what goes wrong there is raised by the search that asked,
    not lost, and leaves the thread serving the next search."""
    assert searcher.retriever.parallel
    vectors = searcher.generation.vectors
    want = [h.clause_id for h in searcher.search(SearchRequest(q=QUESTIONS[0], top_k=5)).hits]
    seen: list[str] = []

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        import threading

        seen.append(threading.current_thread().name)
        raise MemoryError("the vector side failed")

    monkeypatch.setattr(vectors, "search_groups_merged", broken)
    with pytest.raises(MemoryError, match="vector side"):
        searcher.search(SearchRequest(q=QUESTIONS[0], top_k=5))
    assert seen and seen[0].startswith("vector-side")
    monkeypatch.undo()
    assert [h.clause_id for h in searcher.search(SearchRequest(q=QUESTIONS[0], top_k=5)).hits] == want
