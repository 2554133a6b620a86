"""Fault injection on the sources of a reindex (issue 23, items 2 and 4).

Only a path that is really absent is a removal. A source that is there but cannot be read (a dangling
link, a FIFO, no permission, a truncated archive, a JSONL line cut short) keeps its documents from the
current generation, is named, and the CLI exits 3; ``--allow-removals`` removes them. A record with a
lone surrogate is skipped and named; the build goes on.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from corpus.loader import load
from corpus.models import SkippedFile
from corpus.pipeline import builtin_corpus_dir
from index.generations import IndexLayout
from index.store import STORE_FILE, document_hashes
from policy_search.cli import main
from policy_search.factory import reindex

from .conftest import SETPRIV, without_file_caps
from .test_index import HashEmbedder

SEED = "002_bd0cc3b5400c87ce.txt"


@pytest.fixture
def corpus(tmp_path) -> Path:
    d = tmp_path / "corpus"
    shutil.copytree(builtin_corpus_dir(), d)
    return d


@pytest.fixture
def hash_cli(monkeypatch):
    monkeypatch.setattr("policy_search.factory.embedder_from", lambda s: HashEmbedder())


def _docs(settings: Settings) -> set[str]:
    return set(document_hashes(IndexLayout(settings.resolved_index_dir()).current() / STORE_FILE))


def _records(n: int) -> list[str]:
    return [
        json.dumps(
            {
                "id": f"law-{i}",
                "title": f"某省第{i}号条例",
                "text": f"第一条 为了规范第{i}项医疗服务，制定本条例。",
            },
            ensure_ascii=False,
        )
        for i in range(n)
    ]


def _dangling(corpus: Path) -> None:
    (corpus / SEED).unlink()
    (corpus / SEED).symlink_to(corpus / "gone.txt")


def _fifo(corpus: Path) -> None:
    (corpus / SEED).unlink()
    os.mkfifo(corpus / SEED)


def _emptied(corpus: Path) -> None:
    (corpus / SEED).write_bytes(b"")


def _binary(corpus: Path) -> None:
    (corpus / SEED).write_bytes(bytes(range(256)) * 8)


@pytest.mark.parametrize("damage", [_dangling, _fifo, _emptied, _binary])
@pytest.mark.parametrize("full", [False, True])
def test_an_unreadable_file_keeps_its_document(tmp_path, corpus, damage, full) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    reindex(settings, [corpus], embedder=HashEmbedder())
    before = _docs(settings)
    damage(corpus)
    result, report = reindex(settings, [corpus], embedder=HashEmbedder(), full=full)
    assert result.held == [SEED] and result.removed == []  # before the fix: removed == [SEED]
    assert [s.holds for s in report.skipped] == [SEED]
    assert _docs(settings) == before and result.manifest.documents == 5
    result, _ = reindex(settings, [corpus], embedder=HashEmbedder(), allow_removals=True)
    assert result.removed == [SEED] and _docs(settings) == before - {SEED}


def _dir_dangling(sub: Path) -> None:
    shutil.rmtree(sub)
    sub.symlink_to(sub.parent / "gone")


def _dir_fifo(sub: Path) -> None:
    shutil.rmtree(sub)
    os.mkfifo(sub)


def _records_dangling(sub: Path) -> None:
    shutil.rmtree(sub)
    sub.with_name("laws.jsonl").unlink()
    sub.with_name("laws.jsonl").symlink_to(sub.parent / "gone.jsonl")


@pytest.mark.parametrize("damage", [_dir_dangling, _dir_fifo, _records_dangling])
def test_a_directory_or_record_file_replaced_by_a_link_or_fifo_keeps_its_documents(
    tmp_path, corpus, damage
) -> None:
    # a folder becomes a dangling link or a FIFO: the name holds the documents under it; a record file
    # does: its records have keys of their own, so any of them is held
    sub = corpus / "sub"
    sub.mkdir()
    shutil.move(corpus / SEED, sub / SEED)
    (corpus / "laws.jsonl").write_text("\n".join(_records(3)) + "\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    reindex(settings, [corpus], embedder=HashEmbedder())
    before = _docs(settings)
    assert f"sub/{SEED}" in before and "law-0" in before
    damage(sub)
    result, _ = reindex(settings, [corpus], embedder=HashEmbedder())
    assert result.removed == [] and result.held  # before the fix: removed == ["sub/…"] or the laws
    assert _docs(settings) == before


def test_a_path_really_absent_is_a_removal(tmp_path, corpus) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    reindex(settings, [corpus], embedder=HashEmbedder())
    (corpus / SEED).unlink()
    result, report = reindex(settings, [corpus], embedder=HashEmbedder())
    assert result.removed == [SEED] and result.held == [] and report.skipped == []


def _truncated_gz(path: Path, lines: list[str]) -> None:
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path.write_bytes(data[: len(data) * 2 // 3])


def _cut_jsonl(path: Path, lines: list[str]) -> None:
    text = "\n".join(lines)
    path.write_text(text[: len(text) - 20], encoding="utf-8")  # the last line is cut short


@pytest.mark.parametrize(("name", "damage"), [("laws.jsonl.gz", _truncated_gz), ("laws.jsonl", _cut_jsonl)])
def test_a_truncated_record_file_keeps_every_document(tmp_path, name, damage) -> None:
    src = tmp_path / "src"
    src.mkdir()
    lines = _records(40)
    if name.endswith(".gz"):
        (src / name).write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    else:
        (src / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    reindex(settings, [src], embedder=HashEmbedder())
    before = _docs(settings)
    assert len(before) == 40
    damage(src / name, lines)
    result, report = reindex(settings, [src], embedder=HashEmbedder())
    assert result.removed == [] and result.held  # before the fix: the unread records were "removed"
    assert {s.holds for s in report.skipped} == {"*"}
    assert _docs(settings) == before


def test_cli_exits_3_naming_the_unreadable_path_then_allow_removals(
    tmp_path, corpus, hash_cli, capsys
) -> None:
    idx = ["--index-dir", str(tmp_path / "index"), "--cache", str(tmp_path / "cache.sqlite")]
    assert main(["reindex", str(corpus), "--quiet", *idx]) == 0
    _dangling(corpus)
    capsys.readouterr()
    assert main(["reindex", str(corpus), "--quiet", *idx]) == 3
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("错误："))
    assert str(corpus / SEED) in line and "--allow-removals" in line and "source_unreadable" in line
    assert main(["reindex", str(corpus), "--json", *idx]) == 3
    assert json.loads(capsys.readouterr().out)["held"] == [SEED]
    assert main(["reindex", str(corpus), "--quiet", "--allow-removals", *idx]) == 0
    assert "删除 1" in capsys.readouterr().out


@pytest.mark.skipif(SETPRIV is None, reason="needs setpriv (util-linux) to drop root's file capabilities")
def test_permission_denied_file_and_directory_hold_their_keys(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "locked").mkdir(parents=True)
    shutil.copy(builtin_corpus_dir() / SEED, corpus / "a.txt")
    shutil.copy(builtin_corpus_dir() / SEED, corpus / "locked" / "b.txt")
    (corpus / "a.txt").chmod(0)
    (corpus / "locked").chmod(0)
    code = (
        "import json, sys; from corpus.loader import load; "
        "print(json.dumps([[s.path.rsplit('/', 1)[-1], s.holds] for s in load([sys.argv[1]]) "
        "if hasattr(s, 'holds')]))"
    )
    try:
        cmd = without_file_caps(sys.executable, "-c", code, str(corpus))
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent
        )
    finally:
        (corpus / "a.txt").chmod(0o644)
        (corpus / "locked").chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)) == [["a.txt", "a.txt"], ["locked", "locked/"]]


# -- item 4: a lone surrogate --------------------------------------------------------------------------
def test_a_lone_surrogate_record_is_skipped_and_named(tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    lines = _records(3)
    lines.insert(1, '{"id": "bad", "text": "第一条 医师\\ud800多点执业。"}')
    lines.append('{"id": "bad-title", "title": "\\udfff", "text": "第一条 医疗机构依法执业。"}')
    (src / "laws.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    skipped = [s for s in load([src]) if isinstance(s, SkippedFile)]
    assert [(s.path.rsplit("/", 1)[-1], s.holds) for s in skipped] == [
        ("laws.jsonl:2", "bad"),
        ("laws.jsonl:5", "bad-title"),
    ]
    assert "U+D800" in skipped[0].reason and "'text'" in skipped[0].reason
    assert "U+DFFF" in skipped[1].reason and "'title'" in skipped[1].reason
    result, _ = reindex(Settings(data_dir=tmp_path / "data"), [src], embedder=HashEmbedder())
    assert sorted(result.added) == ["law-0", "law-1", "law-2"]  # before the fix: UnicodeEncodeError


def test_a_document_with_a_lone_surrogate_given_directly_is_reported(tmp_path, builtin_report) -> None:
    from index.builder import reindex_into

    docs = builtin_report.documents[:2]
    bad = docs[1].__class__(**{**docs[1].__dict__, "id": "bad", "text": docs[1].text + "\ud800"})
    result = reindex_into(tmp_path / "idx", [docs[0], bad], HashEmbedder())
    assert result.added == [docs[0].id] and [f.reason for f in result.failed][0].startswith("字段 'text'")
