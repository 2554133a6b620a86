"""One normalisation for query and document text, and a terminal that documents cannot drive (issue 23,
item 11).

Before: zero-width spaces inside 医师多点执业 took its matches from 4 to 1; a NUL byte skipped a whole .txt
file but was indexed inside JSONL; escape sequences in documents reached the terminal raw.
"""

from __future__ import annotations

import json
import shutil

import pytest

from corpus.cleaner import clean
from corpus.loader import load
from corpus.models import RawDocument, SkippedFile
from corpus.normalize import normalize_text, terminal_safe
from corpus.pipeline import builtin_corpus_dir, process_paths
from policy_search.cli import main
from search.models import SearchRequest

from .test_index import HashEmbedder

ODD = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e",
    "\u202e",
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
]


@pytest.mark.parametrize("ch", ODD)
def test_query_and_document_lose_the_same_characters(ch: str) -> None:
    text = f"医师{ch}多点执业"
    assert normalize_text(text) in ("医师多点执业", "医师\n多点执业")  # \x85 is a line end
    assert clean(text).text == clean("医师多点执业").text or ch == "\x85"
    assert normalize_text(normalize_text(text)) == normalize_text(text)


def test_full_width_letters_and_digits_meet_in_both() -> None:
    assert (
        normalize_text("２０２０年ＡＢＣ（十二）")
        == "2020年ABC（十二）"
        == clean("２０２０年ＡＢＣ（十二）").text
    )


@pytest.mark.parametrize(
    "q",
    ["医师\u200b多点\u200b执业", "医\u200d师多点执业\u00ad", "\ufeff医师多点执业\x00", "医师多点执业\u2060"],
)
def test_invisible_characters_change_no_answer(searcher, q: str) -> None:
    plain = searcher.search(SearchRequest(q="医师多点执业", top_k=10))
    odd = searcher.search(
        SearchRequest(q=q, top_k=10)
    )  # before the fix: 4 matches → 1, relevance 0.92 → 0.23
    assert odd.query == "医师多点执业"
    assert [h.clause_id for h in odd.hits] == [h.clause_id for h in plain.hits]
    assert odd.total == plain.total and odd.hits[0].relevance == pytest.approx(plain.hits[0].relevance)


def test_a_query_of_invisible_characters_is_empty() -> None:
    with pytest.raises(ValueError, match="查询不能为空"):
        SearchRequest(q="\u200b\u200b\x00")


def test_a_nul_byte_is_treated_alike_in_text_files_and_records(tmp_path) -> None:
    body = "某市卫生健康委员会关于医师多点执业的通知\n一、总体要求\n（一）支持医师\x00多点执业，规范执业行为，保障医疗质量安全。\n"
    (tmp_path / "a.txt").write_bytes(body.encode())
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "b", "text": body}, ensure_ascii=False) + "\n")
    items = list(load([tmp_path]))
    assert not [x for x in items if isinstance(x, SkippedFile)]  # before the fix: a.txt skipped as binary
    a = next(x for x in items if isinstance(x, RawDocument) and x.id == "a.txt")
    assert [w.code for w in a.warnings] == ["nul_removed"] and "1 个 NUL" in a.warnings[0].reason
    docs = {d.id: d for d in process_paths([tmp_path]).documents}
    assert [c.text for c in docs["a.txt"].clauses] == [c.text for c in docs["b"].clauses]
    assert "\x00" not in docs["b"].text


def test_terminal_safe_escapes_controls_but_keeps_lines() -> None:
    assert terminal_safe("红\x1b[31m色\u202e\n下一行\t") == "红\\u001b[31m色\\u202e\n下一行\t"
    assert terminal_safe("进度\r", keep="\r") == "进度\r"
    assert json.loads('"' + terminal_safe("a\u202eb\x85") + '"') == "a\u202eb\x85"  # still valid JSON


def test_search_output_cannot_drive_the_terminal(tmp_path, monkeypatch, capsys) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(builtin_corpus_dir(), corpus)
    title = "关于医师多点执业的通知\x1b[2J\x1b]0;pwned\x07"
    (corpus / "x.jsonl").write_text(
        json.dumps(
            {"id": "x", "title": title, "text": "第一条 支持医师多点执业，规范执业行为。"}, ensure_ascii=False
        )
        + "\n",
        encoding="utf-8",
    )
    monkeypatch.setattr("policy_search.factory.embedder_from", lambda s, engine=None: HashEmbedder())
    # the index names its stand-in embedder (hash-test), which no setting can name
    monkeypatch.setattr("policy_search.factory.index_engine", lambda s: None)
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    assert main(["reindex", str(corpus), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["search", "医师多点执业", "--top-k", "20"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out  # before the fix: the title's escapes, raw
    assert "\\u001b[2J" in out
