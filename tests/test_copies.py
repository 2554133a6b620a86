"""Near-duplicate documents at reindex (issue 21): one notice saved clean and scraped is indexed once."""

from __future__ import annotations

import json

import pytest

from config.settings import Settings
from corpus.models import RawDocument
from corpus.pipeline import CorpusPipeline
from index.copies import find_copies, signatures
from policy_search.factory import reindex
from search.hybrid import HybridSearcher
from search.models import SearchRequest

from .test_index import HashEmbedder

NOTICE = """淳安县人民政府办公室关于开展农村宅基地规范管理工作的通知
淳政办发〔2025〕12号
各乡镇人民政府，县政府各部门、各直属单位：
为规范农村宅基地管理，经县政府同意，现就有关事项通知如下。
一、工作目标
到2026年底，全县农村宅基地审批、监管体系基本健全，历史遗留问题基本化解。
二、实施步骤
2025年6月底前，各乡镇完成宅基地摸底登记，建立一户一档。
2025年12月底前，完成违法占地问题整改，整改率达到100%。
三、保障措施
各乡镇要明确专人负责，县农业农村局要加强业务指导，县自然资源局要做好规划衔接。
淳安县人民政府办公室
二〇二五年三月十八日
（此件公开发布）
"""


def scraped(text: str, number: bool = True) -> str:
    """The same notice as a scraper saves it: menus, its lines run together, full-width digits, a footer."""
    lines = text.strip().split("\n")
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    head = lines[:2] if number else lines[:1]
    return (
        "首页 > 政务公开 > 政策文件\n当前位置：首页\n字号：大 中 小\n"
        + "\n".join(head)
        + "\n"
        + "".join(ln.translate(wide) for ln in lines[2:])
        + "\n上一篇：关于做好春节期间安全生产工作的通知\n【打印】【关闭】\n"
    )


OTHER = NOTICE.replace("淳安县", "建德市").replace("淳政办发", "建政办发").replace("千岛湖", "新安江")


def _docs(texts: dict[str, str]):
    p = CorpusPipeline()
    return [p.process(RawDocument(id=k, text=t, source=k)) for k, t in texts.items()]


def test_scraped_copy_is_found_by_number_and_by_wording() -> None:
    clean, by_number, by_wording = _docs(
        {"clean.txt": NOTICE, "scraped.txt": scraped(NOTICE), "bare.txt": scraped(NOTICE, number=False)}
    )
    sig = signatures([clean, by_number, by_wording])
    found = {c.key: c for c in find_copies(sig[1:], sig[:1])}
    assert found["scraped.txt"].of == "clean.txt" and found["scraped.txt"].reason == "文号"
    assert found["bare.txt"].of == "clean.txt" and found["bare.txt"].reason == "minhash"
    assert found["bare.txt"].similarity >= 0.7


def test_one_template_in_two_places_is_not_a_copy() -> None:
    a, b = _docs({"a.txt": NOTICE, "b.txt": OTHER})
    assert a.metadata.jurisdiction != b.metadata.jurisdiction
    assert find_copies(signatures([b]), signatures([a])) == []


def _settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.mark.parametrize("order", [("a_clean.txt", "b_scraped.txt"), ("b_clean.txt", "a_scraped.txt")])
def test_reindex_indexes_one_and_records_the_copy(tmp_path, order) -> None:
    clean_name, scraped_name = order
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / clean_name).write_text(NOTICE, encoding="utf-8")
    (corpus / scraped_name).write_text(scraped(NOTICE), encoding="utf-8")
    (corpus / "other.txt").write_text(OTHER, encoding="utf-8")
    settings = _settings(tmp_path)
    result, _ = reindex(settings, [corpus], embedder=HashEmbedder())
    # the clean one is kept whichever comes first: more metadata found, shorter text
    assert [(c.key, c.of, c.reason) for c in result.copies] == [(scraped_name, clean_name, "文号")]
    assert result.manifest.documents == 2
    assert result.to_dict()["copies"][0]["of"] == clean_name
    assert result.manifest.build["copies"] == [result.copies[0].to_dict()]
    s = HybridSearcher.open(settings.resolved_index_dir(), HashEmbedder())
    try:
        hits = s.search(SearchRequest(q="宅基地摸底登记", top_k=5)).hits
        docs = [h.document.id for h in hits]
        assert scraped_name not in docs and clean_name in docs  # no identical pairs in the top 5
        assert "copies" in json.dumps(s.stats()["manifest"]["build"], ensure_ascii=False)
    finally:
        s.close()
    # nothing changed: no new generation, the copy stays a copy
    again, _ = reindex(settings, [corpus], embedder=HashEmbedder())
    assert not again.wrote_generation and [c.key for c in again.copies] == [scraped_name]
    # the original goes: its copy is indexed in its place
    (corpus / clean_name).unlink()
    after, _ = reindex(settings, [corpus], embedder=HashEmbedder())
    assert after.removed == [clean_name] and scraped_name in after.changed and after.copies == []
    assert after.manifest.documents == 2
