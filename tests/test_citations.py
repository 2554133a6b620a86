"""Related provisions: references parsed from clause text, resolved to clause ids of the same index."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from corpus.models import Clause, Document, DocumentMetadata
from index.builder import build_index
from search.citations import CitationGraph, article_number, parse_references
from search.hybrid import HybridSearcher
from search.models import SearchRequest
from tests.conftest import LOCAL, Borrowed
from tests.test_index import HashEmbedder


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("依照《中华人民共和国民法典》第一千一百六十五条的规定", [("中华人民共和国民法典", 1165)]),
        ("应当认定为刑法第二百八十五条第二款规定的情节严重", [("应当认定为刑法", 285)]),
        ("违反本法第十二条规定的，责令改正", [(None, 12)]),
        ("依照本条例第三条办理", [(None, 3)]),
        ("有前款规定情形的，适用第二十条", [(None, 20)]),
        ("第十二条　国家鼓励社会力量办医", []),  # the clause's own label is no reference
        ("按照《国务院办公厅关于支持社会力量提供多层次多样化医疗服务的意见》执行", []),  # no article
    ],
)
def test_parse_article_references(text, expected) -> None:
    got = [(r.act, r.article) for r in parse_references(text) if r.article is not None]
    assert got == expected


def test_parse_previous_article_and_document_numbers() -> None:
    refs = parse_references("依照前条规定；贯彻国办发〔2017〕44号精神")
    assert [r.previous for r in refs] == [True, False]
    assert refs[1].doc_number.endswith("国办发〔2017〕44号")  # resolved by its longest known suffix


@pytest.mark.parametrize(
    ("path", "n"), [(["第二章 合同的订立", "第四百七十一条"], 471), (["第一条"], 1), (["一、总则"], None)]
)
def test_article_number(path, n) -> None:
    assert article_number(path) == n


def _law(doc_id: str, title: str, articles: list[str], number: str | None = None) -> Document:
    clauses, text, pos = [], "", 0
    for i, body in enumerate(articles):
        label = f"第{'一二三四五六七八九十'[i]}条"
        t = f"{label}　{body}"
        clauses.append(Clause(f"{doc_id}:{i:04d}", doc_id, i, [label], t, pos, pos + len(t)))
        text += t + "\n"
        pos += len(t) + 1
    md = DocumentMetadata(title=title, jurisdiction="全国", level="国家", law_level="法律", doc_number=number)
    return Document(id=doc_id, source=f"{doc_id}.md", text=text, metadata=md, clauses=clauses)


@pytest.fixture(scope="module")
def law_index(tmp_path_factory, tokenizer):
    docs = [
        _law(
            "civil",
            "中华人民共和国民法典",
            ["民事主体从事民事活动，应当遵循诚信原则。", "合同应当依法成立。"],
        ),
        _law(
            "labour",
            "中华人民共和国劳动合同法",
            [
                "订立劳动合同，应当遵循《中华人民共和国民法典》第一条规定的诚信原则。",
                "违反本法第一条规定的，劳动合同无效；民法典第二条另有规定的除外。",
                "依照前条处理；刑法第九条的规定不在本库；贯彻国办发〔2017〕44号精神。",
            ],
        ),
    ]
    notice = _law("notice", "国务院办公厅关于支持社会力量提供多层次多样化医疗服务的意见", ["支持社会办医。"])
    notice.metadata.law_level, notice.metadata.doc_number = None, "国办发〔2017〕44号"
    docs.append(notice)
    out = tmp_path_factory.mktemp("laws") / "index"
    build_index(docs, out, HashEmbedder(), tokenizer=tokenizer)
    return out


def test_graph_resolves_titles_short_names_own_articles_and_previous(law_index, tokenizer) -> None:
    s = HybridSearcher.open(law_index, HashEmbedder(), tokenizer=tokenizer)
    try:
        g = CitationGraph.build(s.store)
        cites = {c: sorted(f"{x.doc_id}/{x.clause_id}" for x in links) for c, links in g.cites.items()}
        assert cites == {
            "labour:0000": ["civil/civil:0000"],  # 《中华人民共和国民法典》第一条
            "labour:0001": ["civil/civil:0001", "labour/labour:0000"],  # 民法典第二条, 本法第一条
            # 前条, and a 文号 (the whole document); 刑法 is not in the index: unresolved
            "labour:0002": ["labour/labour:0001", "notice/None"],
        }
        assert sorted(x.clause_id for x in g.cited_by["civil:0000"]) == ["labour:0000"]
        assert g.stats.references == 6 and g.stats.resolved == 5
        assert g.stats.by_kind["他法"] == [3, 2] and g.stats.by_kind["文号"] == [1, 1]
    finally:
        s.close()


def test_hits_document_view_and_api_carry_related_provisions(law_index, tokenizer) -> None:
    from api.app import create_app

    s = HybridSearcher.open(law_index, HashEmbedder(), tokenizer=tokenizer)
    try:
        s.views.citations.get()  # built (the service starts it in the background at open)
        hit = next(
            h
            for h in s.search(SearchRequest(q="诚信原则 劳动合同", top_k=10)).hits
            if h.clause_id == "labour:0000"
        )
        assert [(x.clause_id, x.title) for x in hit.cites] == [("civil:0000", "中华人民共和国民法典")]
        assert [x.clause_id for x in hit.cited_by] == ["labour:0001"]
        doc = s.document("civil")
        assert [x.clause_id for x in doc.clauses[0].cited_by] == ["labour:0000"]
        assert s.stats()["citations"]["resolved"] == 5
        app = create_app(Settings(), searcher_factory=lambda: Borrowed(s))
        with TestClient(app, base_url=LOCAL) as client:
            view = client.get("/api/clauses/labour:0001").json()
        assert {x["clause_id"] for x in view["clause"]["cites"]} == {"civil:0001", "labour:0000"}
    finally:
        s.close()


def test_search_does_not_wait_for_the_graph(law_index, tokenizer) -> None:
    s = HybridSearcher.open(law_index, HashEmbedder(), tokenizer=tokenizer)
    try:
        hits = s.search(SearchRequest(q="诚信原则", top_k=5)).hits
        assert s.views.citations.ready() is None and all(not h.cites and not h.cited_by for h in hits)
    finally:
        s.close()
