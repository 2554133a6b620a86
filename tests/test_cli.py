"""The command line: inspect --json on the built-in corpus, reindex + search on a small corpus."""

from __future__ import annotations

import io
import json
import re

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
    assert out["summary"].startswith("5 份文件")


def test_inspect_text_prints_tree_and_summary(capsys) -> None:
    assert main(["inspect"]) == 0
    out = capsys.readouterr().out
    assert "五、加大政策支持 › （十二）加强人力资源保障" in out
    assert out.strip().splitlines()[-1].endswith("跳过 0 个文件")


def test_reindex_search_and_jurisdiction_filter(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "docs" / "b.txt").write_text(SAMPLE.replace("辽宁省", "舟山市"), encoding="utf-8")
    (tmp_path / "docs" / "bad.txt").write_bytes(b"")
    assert main(["reindex", str(tmp_path / "docs"), "--quiet", "--jurisdiction", "辽宁省"]) == 0
    out = capsys.readouterr()
    assert "全量构建" in out.out and "新增 1" in out.out and "bad.txt：空文件" in out.err
    assert main(["search", "社会办医", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits and {h["document"]["province"] for h in hits} == {"辽宁省"}


def test_errors_are_messages_not_tracebacks(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "none"))
    assert main(["search", "医保"]) == 2
    assert "reindex" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["reindex", str(tmp_path / "empty"), "--quiet"]) == 2
    assert f"文件夹 {tmp_path / 'empty'} 中没有文件" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["search"])


def test_reindex_json_incremental_and_rollback(tmp_path, capsys, monkeypatch, builtin_cache) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POLICY_SEARCH_CACHE_PATH", str(builtin_cache))  # the seeds' vectors: nothing to embed
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(SAMPLE, encoding="utf-8")
    assert main(["reindex", str(tmp_path / "docs"), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["mode"], first["added"], first["wrote_generation"]) == ("full", ["a.txt"], True)
    (tmp_path / "docs" / "b.txt").write_text(SAMPLE.replace("辽宁省", "舟山市"), encoding="utf-8")
    assert main(["reindex", str(tmp_path / "docs"), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["mode"], second["added"], second["unchanged"]) == ("incremental", ["b.txt"], 1)
    assert main(["rollback"]) == 0
    assert first["generation"] in capsys.readouterr().out
    assert main(["search", "社会办医", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert {h["document"]["id"] for h in hits} == {"a.txt"}
    assert main(["rollback"]) == 0 and main(["rollback"]) == 0  # back and forth between the two kept


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["search", ""], "q"),
        (["search", "   "], "q"),
        (["search", "医保", "--top-k", "0"], "top_k"),
        (["search", "医保", "--embedder", "some-org/some-model"], "embedder_mismatch"),
        (["serve", "--embedder", "some-org/some-model"], "embedder_mismatch"),
        (["search", "医保", "--date-from", "yesterday"], "date_from"),
        (
            ["search", "医保", "--jurisdiction", "火星省"],
            "已索引的地区：内蒙古自治区、吉林省 › 吉林市",
        ),
    ],
)
def test_cli_errors_are_one_line(tmp_path, capsys, monkeypatch, builtin_index, argv, needle) -> None:
    """Against a real index: one line on stderr, exit 2, no traceback, no model download attempted."""
    monkeypatch.setenv("POLICY_SEARCH_INDEX_DIR", str(builtin_index))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


# -- issue 24: facts the CLI states, in Chinese ---------------------------------------------------------
def _no_english(text: str) -> None:
    from search.messages import ascii_sentences

    assert not ascii_sentences(text), text


@pytest.mark.parametrize("command", ["reindex", "inspect"])
def test_a_missing_path_is_named_and_exits_2(tmp_path, capsys, monkeypatch, command) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    missing = tmp_path / "no" / "such" / "path"
    assert main([command, str(missing)]) == 2
    out = capsys.readouterr()
    assert str(missing) in out.err and "不存在" in out.err and "嵌入" not in out.err  # no empty progress bar
    assert not (tmp_path / "data" / "index").exists()
    _no_english(out.err)


def test_rollback_says_where_it_went_and_needs_an_index(tmp_path, capsys, monkeypatch, builtin_cache) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POLICY_SEARCH_CACHE_PATH", str(builtin_cache))
    assert main(["rollback", "--index-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "没有索引" in err and "上一个版本" not in err
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(SAMPLE, encoding="utf-8")
    assert main(["reindex", str(tmp_path / "docs"), "--quiet"]) == 0
    (tmp_path / "docs" / "b.txt").write_text(SAMPLE.replace("辽宁省", "舟山市"), encoding="utf-8")
    assert main(["reindex", str(tmp_path / "docs"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["rollback"]) == 0 and main(["rollback"]) == 0  # back, then forward again
    out = capsys.readouterr().out
    assert "rolled back" not in out and out.count("切换自") == 2
    _no_english(out)
    # nothing changed: no new generation, and no claim that anything is being served
    assert main(["reindex", str(tmp_path / "docs"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "没有变化" in out and "still serving" not in out and "仍在服务" not in out


def test_grouped_search_prints_top_k_hits(tmp_path, capsys, monkeypatch, builtin_index) -> None:
    monkeypatch.setenv("POLICY_SEARCH_INDEX_DIR", str(builtin_index))
    assert main(["search", "社会办医", "--group", "--top-k", "6"]) == 0
    out = capsys.readouterr().out
    printed = [ln for ln in out.splitlines() if re.match(r"\s+\d+\. \[", ln)]
    assert len(printed) == 6, out
    assert "个地区未显示" in out or out.count("== ") <= 6
    _no_english(out)


def test_cli_search_lists_strong_before_weak(capsys, monkeypatch, builtin_index) -> None:
    monkeypatch.setenv("POLICY_SEARCH_INDEX_DIR", str(builtin_index))
    assert main(["search", "医师多点执业", "--top-k", "15", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    flags = [h["strong"] for h in hits]
    assert flags == sorted(flags, reverse=True) and flags[0]


def test_serve_builds_the_builtin_index_on_first_run(tmp_path, monkeypatch, capsys) -> None:
    # the README's serve command on a fresh machine: no index in the default data directory yet
    from .test_index import HashEmbedder

    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("POLICY_SEARCH_DATA_DIR", "POLICY_SEARCH_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("policy_search.factory.embedder_from", lambda s, engine=None: HashEmbedder())
    monkeypatch.setattr("policy_search.factory.index_engine", lambda s: None)
    served = []
    monkeypatch.setattr("api.server.serve", lambda app, settings: served.append(settings))
    assert main(["serve", "--port", "8099"]) == 0  # before the fix: AttributeError allow_removals
    index = tmp_path / ".local" / "share" / "policy-search" / "index"
    assert served and (index / "CURRENT").is_file()
    assert "正在用内置语料建立" in capsys.readouterr().out


# -- issue 28: a county reads 省 › 市 › 县, notices without codes ------------------------------------------
def test_search_and_compare_print_a_county_as_its_path(tmp_path, capsys, monkeypatch) -> None:
    from search.messages import machine_codes

    from . import county_notice

    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "docs").mkdir()
    county_notice.write(tmp_path / "docs")
    (tmp_path / "docs" / "a.txt").write_text(SAMPLE, encoding="utf-8")
    assert main(["reindex", str(tmp_path / "docs"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["search", "社會辦醫療機構", "--group"]) == 0  # traditional characters: a notice
    out = capsys.readouterr().out
    assert f"== {county_notice.SHOWN}：" in out and f"[{county_notice.SHOWN}]" in out
    notes = [ln for ln in out.splitlines() if ln.startswith("提示：")]
    assert notes and not any(machine_codes(n) for n in notes), notes
    assert main(["compare", "社会办医疗机构医保定点", "--jurisdiction", "郴州"]) == 0
    out = capsys.readouterr().out
    assert f"== {county_notice.SHOWN}" in out and "郴州市/宜章县" not in out
    assert main(["inspect", str(tmp_path / "docs" / "yizhang.txt")]) == 0
    assert county_notice.SHOWN in capsys.readouterr().out


# -- issue 28: when every file is refused, each is named with its reason ----------------------------------
def _all_refused(folder):  # noqa: ANN001, ANN202 - a Path; {name: code}
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "kunjinkao.txt").write_text("锟斤拷锟斤拷烫烫烫" * 6, encoding="utf-8")
    (folder / "heading_only.txt").write_text("关于做好2024年城镇老旧小区改造工作的通知\n", encoding="utf-8")
    return {"empty.txt": "empty", "blob.txt": "binary", "kunjinkao.txt": "garbage_kunjinkao"}


def test_a_reindex_of_refused_files_names_each_with_its_reason(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    codes = _all_refused(tmp_path / "docs")
    assert main(["reindex", str(tmp_path / "docs"), "--quiet"]) == 2
    err = capsys.readouterr().err.splitlines()
    for name in [*codes, "heading_only.txt"]:
        assert any(ln.startswith("已跳过 ") and name in ln and "：" in ln for ln in err), (name, err)
    assert err[-1].startswith("错误：") and "4 个文件都未能索引" in err[-1]
    assert not (tmp_path / "data" / "index" / "CURRENT").exists()  # nothing written

    assert main(["reindex", str(tmp_path / "docs"), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    got = {s["path"].rsplit("/", 1)[-1]: s["code"] for s in out["skipped_files"]}
    assert got == {**codes, "heading_only.txt": "no_clauses"}
    assert out["code"] == "all_refused" and out["wrote_generation"] is False
    assert all(s["reason"] and s["reason"] in out["error"] for s in out["skipped_files"])


# -- issue 28: serve with a data directory of one's own --------------------------------------------------
def _serve_without_serving(monkeypatch) -> list:  # noqa: ANN001
    from .test_index import HashEmbedder

    monkeypatch.setattr("policy_search.factory.embedder_from", lambda s, engine=None: HashEmbedder())
    monkeypatch.setattr("policy_search.factory.index_engine", lambda s: None)
    served: list = []
    monkeypatch.setattr("api.server.serve", lambda app, settings: served.append(settings))
    return served


def test_serve_builds_the_builtin_index_in_the_data_dir_given(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "mine"))
    monkeypatch.delenv("POLICY_SEARCH_INDEX_DIR", raising=False)
    served = _serve_without_serving(monkeypatch)
    assert main(["serve", "--port", "8099"]) == 0  # before: exit 2, "no index at …; policy-search reindex"
    assert served and (tmp_path / "mine" / "index" / "CURRENT").is_file()
    assert "正在用内置语料建立" in capsys.readouterr().out


def test_serve_on_an_empty_index_dir_names_a_command_the_user_has(tmp_path, monkeypatch, capsys) -> None:
    import shutil
    from pathlib import Path

    from search.messages import ascii_sentences

    monkeypatch.setenv("POLICY_SEARCH_INDEX_DIR", str(tmp_path / "named"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # as after `bash scripts/serve.sh`: policy-search not on PATH
    served = _serve_without_serving(monkeypatch)
    assert main(["serve"]) == 2 and not served
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "还没有索引" in err and not ascii_sentences(err), err
    command = err.split("请先为它建立索引：", 1)[1].split(" reindex ", 1)[0]
    assert shutil.which(command) or Path(command).is_file(), command
    assert not (tmp_path / "named").exists()


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [False, True], ids=["log file", "terminal"])
def test_progress_bars_only_on_a_terminal(tmp_path, monkeypatch, tty) -> None:
    """A reindex whose stderr is a log file writes no carriage return or cursor escape into it (tqdm's bars
    did), only its lines; on a terminal the bar shows."""
    from .test_index import HashEmbedder

    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("policy_search.factory.embedder_from", lambda s: HashEmbedder())
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "docs" / "bad.txt").write_bytes(b"")
    err, out = _Stream(tty), _Stream(False)
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdout", out)
    assert main(["reindex", str(tmp_path / "docs")]) == 0
    log = err.getvalue()
    assert "bad.txt：空文件" in log and "全量构建" in out.getvalue()
    if tty:
        assert "嵌入" in log and "\r" in log
    else:
        assert "\r" not in log and "\x1b[" not in log and "嵌入:" not in log
