"""The command line: inspect --json on the built-in corpus, reindex + search on a small corpus."""

from __future__ import annotations

import json

import pytest

from policy_search.cli import main

from .test_encoding import SAMPLE


def test_inspect_json_gives_the_metadata_table(capsys) -> None:
    assert main(["inspect", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    docs = {d["source"].rsplit("/", 1)[-1][:3]: d for d in out["documents"]}
    assert (docs["000"]["doc_number"], docs["000"]["date"], docs["000"]["city"]) == (
        "吉市政办发〔2018〕19号",
        "2018-04-28",
        "吉林市",
    )
    assert (docs["004"]["province"], docs["004"]["jurisdiction_inferred"], docs["004"]["status"]) == (
        "内蒙古自治区",
        True,
        "draft",
    )
    assert all(d["clauses"] and d["clauses"][0]["heading_path"] for d in out["documents"])
    assert out["summary"].startswith("5 documents")


def test_inspect_text_prints_tree_and_summary(capsys) -> None:
    assert main(["inspect"]) == 0
    out = capsys.readouterr().out
    assert "五、加大政策支持 › （十二）加强人力资源保障" in out
    assert out.strip().splitlines()[-1].endswith("0 skipped files")


def test_reindex_search_and_jurisdiction_filter(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "docs" / "b.txt").write_text(SAMPLE.replace("辽宁省", "舟山市"), encoding="utf-8")
    (tmp_path / "docs" / "bad.txt").write_bytes(b"")
    assert main(["reindex", str(tmp_path / "docs"), "--quiet", "--jurisdiction", "辽宁省"]) == 0
    out = capsys.readouterr()
    assert "full build" in out.out and "1 added" in out.out and "bad.txt: empty file" in out.err
    assert main(["search", "社会办医", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits and {h["document"]["province"] for h in hits} == {"辽宁省"}


def test_errors_are_messages_not_tracebacks(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "none"))
    assert main(["search", "医保"]) == 2
    assert "reindex" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["reindex", str(tmp_path / "empty"), "--quiet"]) == 2
    assert "no clauses to index" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["search"])
