"""Bad documents: each kind is reported with its path, a reason and its code (or indexed, with a warning
where something was repaired), and the rest of the corpus is indexed. One file never fails a build."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from config.settings import Settings
from corpus.pipeline import builtin_corpus_dir
from policy_search.factory import reindex

from .test_index import HashEmbedder

GOOD = "辽宁省人民政府办公厅关于支持社会力量提供多层次多样化医疗服务的实施意见\n一、总体要求\n（一）指导思想。全面贯彻医疗服务领域改革，支持社会办医，鼓励社会力量举办医疗机构。\n（二）基本原则。坚持政府主导，放宽准入，加强监管。\n"
NOTICE = (
    "某市卫生健康委员会关于开展无人机配送药品试点工作的通知\n一、试点内容\n"
    "（一）支持社会办医疗机构开展无人机配送药品试点，探索偏远地区药品配送新模式。\n"
)
SEED = (builtin_corpus_dir() / "000_38217c7f430a4a4f.txt").read_bytes()


def _write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def make(d: Path) -> None:
        (d / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    return make


def _records(name: str, rows: list, raw: bool = False) -> Callable[[Path], None]:
    body = "\n".join(r if raw else json.dumps(r, ensure_ascii=False) for r in rows)
    return _write(name, body)


def _symlink_loop(d: Path) -> None:
    (d / "loop").mkdir()
    (d / "loop" / "inner").symlink_to(d / "loop", target_is_directory=True)


def _long_name(d: Path) -> None:
    (d / ("医" * 82 + ".txt")).write_text(GOOD, encoding="utf-8")  # 250 bytes: no room for ".meta.json"


def _bad_name(d: Path) -> None:
    with open(os.path.join(os.fsencode(d), b"\xff\xfebad.txt"), "wb") as fh:
        fh.write(GOOD.encode())


def _corrupt_gz(d: Path) -> None:
    data = gzip.compress(json.dumps({"id": "x", "text": GOOD}, ensure_ascii=False).encode())
    (d / "broken.jsonl.gz").write_bytes(data[: len(data) // 2])


def _sidecar(name: str, meta: str) -> Callable[[Path], None]:
    def make(d: Path) -> None:
        (d / f"{name}.txt").write_text(GOOD, encoding="utf-8")
        (d / f"{name}.meta.json").write_text(meta, encoding="utf-8")

    return make


# (kind, how to make it, outcome, the report's code (a duplicate: the key it names), the file it names)
CASES = [
    ("empty file", _write("empty.txt", b""), "skipped", "empty", "empty.txt"),
    ("whitespace only", _write("blank.txt", " \n\t\n"), "skipped", "empty", "blank.txt"),
    (
        "binary with NUL bytes",
        _write("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20),
        "skipped",
        "image_damaged",
        "image.txt",
    ),
    ("random bytes", _write("noise.txt", bytes(range(128, 256)) * 8), "skipped", "undecodable", "noise.txt"),
    (
        "control characters",
        _write("ctrl.txt", "\x01\x02\x03\x04\x05正文" * 40),
        "skipped",
        "garbage_control",
        "ctrl.txt",
    ),
    (
        "broken UTF-16 after its BOM",
        _write("u16.txt", codecs.BOM_UTF16_LE + b"\x00\xd8a\x00"),
        "skipped",
        "broken_after_bom",
        "u16.txt",
    ),
    (
        "last multibyte character cut off",
        _write("cut.txt", SEED[:-1] if SEED[-1] >= 0x80 else SEED.rstrip()[:-1]),
        "warning",
        "bytes_replaced",
        "cut.txt",
    ),
    (
        "a few undecodable bytes inside",
        _write("bytes.txt", GOOD.encode()[:60] + b"\xff\xfe" + GOOD.encode()[60:]),
        "warning",
        "bytes_replaced",
        "bytes.txt",
    ),
    ("GB18030", _write("gb.txt", GOOD.encode("gb18030")), "indexed", "", "gb.txt"),
    ("UTF-16 with BOM", _write("u16ok.txt", GOOD.encode("utf-16")), "indexed", "", "u16ok.txt"),
    ("UTF-8 with BOM", _write("bom.txt", codecs.BOM_UTF8 + GOOD.encode()), "indexed", "", "bom.txt"),
    (
        "CR-only line endings",
        _write("cr.txt", SEED.replace(b"\r\n", b"\n").replace(b"\n", b"\r")),
        "indexed",
        "",
        "cr.txt",
    ),
    (
        "mixed line endings",
        _write("mixed.txt", GOOD.replace("\n", "\r\n", 2).replace("\n", "\r", 1)),
        "indexed",
        "",
        "mixed.txt",
    ),
    ("one-line items of a short notice", _write("notice.txt", NOTICE), "indexed", "", "notice.txt"),
    (
        "headings only",
        _write("heads.txt", "一、总体要求\n二、主要任务\n三、保障措施\n"),
        "empty",
        "",
        "heads.txt",
    ),
    ("title only", _write("title.txt", "某市人民政府关于印发某某方案的通知\n"), "empty", "", "title.txt"),
    ("file name of 250 bytes", _long_name, "indexed", "", "医医医"),
    ("file name not valid UTF-8", _bad_name, "skipped", "bad_file_name", "bad.txt"),
    ("symbolic link loop", _symlink_loop, "skipped", "symlink_loop", "inner"),
    (
        "broken symbolic link",
        lambda d: (d / "gone.txt").symlink_to(d / "nowhere.txt"),
        "skipped",
        "broken_link",
        "gone.txt",
    ),
    ("FIFO", lambda d: os.mkfifo(d / "pipe.txt"), "skipped", "not_regular_file", "pipe.txt"),
    (
        "sidecar that is not JSON",
        _sidecar("side1", "{not json"),
        "skipped",
        "bad_sidecar",
        "side1.meta.json",
    ),
    (
        "sidecar that is a list",
        _sidecar("side2", "[1, 2]"),
        "skipped",
        "bad_sidecar",
        "side2.meta.json",
    ),
    (
        "sidecar id that is an object",
        _sidecar("side3", '{"id": {"a": 1}}'),
        "skipped",
        "bad_key",
        "side3.txt",
    ),
    (
        "record date that names no day",
        _records("d.jsonl", [{"date": "2023-13-45", "text": NOTICE}]),
        "warning",
        "bad_date_field",
        "d.jsonl",
    ),
    (
        "record date of a month only, Chinese numerals",
        _records("m.jsonl", [{"date": "二〇二三年五月", "text": NOTICE}]),
        "warning",
        "bad_date_field",
        "m.jsonl",
    ),
    (
        "saved web page in a record, bad written_date",
        _records(
            "w.jsonl",
            [{"written_date": "去年", "text": f"<html><body><p>{NOTICE}</p></body></html>"}],
        ),
        "warning",
        "bad_date_field",
        "w.jsonl",
    ),
    (
        "record date in Chinese numerals",
        _records("c.jsonl", [{"id": "c1", "date": "二〇二三年五月八日", "text": NOTICE}]),
        "indexed",
        "",
        "c1",
    ),
    (
        "sidecar date that names no day",
        _sidecar("side5", '{"date": "2023/02/30"}'),
        "warning",
        "bad_date_field",
        "side5.txt",
    ),
    (
        "sidecar id of another document",
        _sidecar("side4", '{"id": "good.txt"}'),
        "duplicate",
        "good.txt",
        "side4.txt",
    ),
    (
        "JSONL line that is not JSON",
        _records("a.jsonl", ['{"id": "r1", "text": "第一条 本法所称医疗机构。"}', "{broken"], raw=True),
        "skipped",
        "invalid_json",
        "a.jsonl:2",
    ),
    ("JSONL record that is a list", _records("b.jsonl", [[1, 2]]), "skipped", "no_text", "b.jsonl:1"),
    ("JSONL record without text", _records("c.jsonl", [{"id": "r"}]), "skipped", "no_text", "c.jsonl:1"),
    (
        "JSONL text that is a number",
        _records("d.jsonl", [{"id": "r", "text": 5}]),
        "skipped",
        "no_text",
        "d.jsonl",
    ),
    (
        "JSONL blank text",
        _records("e.jsonl", [{"id": "r", "text": "   "}]),
        "skipped",
        "no_text",
        "e.jsonl:1",
    ),
    (
        "JSONL title that is a list",
        _records("f.jsonl", [{"id": "r", "text": GOOD, "title": ["a"]}]),
        "skipped",
        "bad_field",
        "f.jsonl:1",
    ),
    (
        "JSONL id that is an object",
        _records("g.jsonl", [{"id": {"k": 1}, "text": GOOD}]),
        "skipped",
        "bad_key",
        "g.jsonl:1",
    ),
    (
        "JSONL id with a newline",
        _records("h.jsonl", [{"id": "a\nb", "text": GOOD}]),
        "skipped",
        "bad_key",
        "h.jsonl:1",
    ),
    (
        "JSONL duplicate ids",
        _records("i.jsonl", [{"id": "same", "text": GOOD}, {"id": "same", "text": NOTICE}]),
        "duplicate",
        "same",
        "i.jsonl",
    ),
    ("truncated JSONL.gz", _corrupt_gz, "skipped", "unreadable_records", "broken.jsonl.gz"),
    ("file over the size limit", _write("huge.txt", GOOD * 300), "skipped", "too_large", "huge.txt"),
]


@pytest.mark.parametrize(("kind", "make", "outcome", "needle", "where"), CASES, ids=[c[0] for c in CASES])
def test_bad_document_is_reported_and_the_rest_indexed(
    tmp_path, monkeypatch, kind, make, outcome, needle, where
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    make(corpus)
    settings = Settings(data_dir=tmp_path / "data", max_file_bytes=40_000)
    result, report = reindex(settings, [corpus], embedder=HashEmbedder())
    found = {
        "skipped": [(s.path, s.code) for s in report.skipped] + [(f.path, f.code) for f in result.failed],
        "warning": [(w.path, w.code) for w in report.warnings],
        "empty": [(k, "") for k in result.empty],
        "duplicate": [(f"{d.skipped} {d.key}", d.key) for d in result.duplicates],
    }
    reasons = [s.reason for s in report.skipped + result.failed + report.warnings]
    assert all(r and any("\u4e00" <= ch <= "\u9fff" for ch in r) for r in reasons), reasons  # in Chinese
    indexed = set(result.added)
    assert "good.txt" in indexed  # the rest of the corpus is indexed
    if outcome == "indexed":
        assert any(where in k for k in indexed) and not any(found.values()), (kind, found)
    else:
        hits = [
            (p, r)
            for p, r in found[outcome]
            if where in p and (r == needle if outcome != "duplicate" else needle in r)
        ]
        assert hits, (kind, found)
        # a file read by its content, not its suffix, also says so (format_mismatch): that is no other outcome
        others = {
            k: w
            for k, v in found.items()
            if k != outcome and (w := [x for x in v if x[1] != "format_mismatch"])
        }
        assert not others or outcome == "warning", (kind, others)
    if outcome == "warning":
        assert any(where in k for k in indexed)


def test_bad_documents_reach_the_cli_summary_and_json(tmp_path, monkeypatch, capsys) -> None:
    from policy_search.cli import main

    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "heads.txt").write_text("一、总体要求\n二、主要任务\n", encoding="utf-8")
    (corpus / "cut.txt").write_bytes(GOOD.encode()[:-2])
    monkeypatch.setattr("policy_search.factory.embedder_from", lambda s: HashEmbedder())
    assert main(["reindex", str(corpus), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(s["path"].rsplit("/", 1)[-1], s["code"]) for s in out["skipped_files"]] == [
        ("empty.txt", "empty")
    ]
    assert out["empty"] == ["heads.txt"] and out["warnings"][0]["code"] == "bytes_replaced"
    assert sorted(out["added"]) == ["cut.txt", "good.txt", "heads.txt"]


SETPRIV = shutil.which("setpriv")
CAPS = "-dac_override,-dac_read_search"  # root reads chmod-000 files; without these it cannot


@pytest.mark.skipif(SETPRIV is None, reason="needs setpriv (util-linux) to drop root's file capabilities")
def test_unreadable_directory_is_reported(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "locked").mkdir(parents=True)
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    (corpus / "locked" / "a.txt").write_text(GOOD, encoding="utf-8")
    (corpus / "locked").chmod(0)
    try:
        cmd = [
            SETPRIV,
            f"--inh-caps={CAPS}",
            f"--bounding-set={CAPS}",
            sys.executable,
            "-m",
            "policy_search.cli",
            "inspect",
            str(corpus),
            "--json",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        (corpus / "locked").chmod(0o755)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert [(s["path"].rsplit("/", 1)[-1], s["code"], s["reason"]) for s in out["skipped"]] == [
        ("locked", "unreadable_directory", "目录无法读取：Permission denied")
    ]
    assert [d["id"] for d in out["documents"]] == ["good.txt"]
