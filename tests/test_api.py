"""The HTTP API through FastAPI's TestClient: endpoints, and 4xx (never 500) for bad requests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from search.messages import ascii_sentences
from search.models import SearchResponse

from .conftest import LOCAL, Borrowed


@pytest.fixture(scope="module")
def client(searcher):
    with TestClient(create_app(Settings(), searcher_factory=lambda: Borrowed(searcher)), base_url=LOCAL) as c:
        yield c


def test_search_get(client) -> None:
    r = client.get("/api/search", params={"q": "医师多点执业政策", "top_k": 5, "group_by": "jurisdiction"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {
        "query",
        "took_ms",
        "total",
        "candidates",
        "floor",
        "hits",
        "groups",
        "jurisdictions",
        "excluded_undated",
        "notices",
        "notice_codes",
    }
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
    # the source is relative to the corpus root it was indexed from, never a server path
    assert all(not h["document"]["source"].startswith("/") for h in body["hits"])
    assert hit["document"]["source"] == hit["document"]["id"]  # the built-in files: key = relative path
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
        ({"q": "   "}, "空白"),
        ({}, "q"),
        ({"q": "x" * 501}, "q"),
        ({"q": "医保", "top_k": 0}, "top_k"),
        ({"q": "医保", "top_k": 101}, "top_k"),
        ({"q": "医保", "top_k": "ten"}, "top_k"),
        ({"q": "医保", "date_from": "2020-13-01"}, "date_from"),
        ({"q": "医保", "date_from": "yesterday"}, "date_from"),
        ({"q": "医保", "group_by": "issuer"}, "group_by"),
        ({"q": "医保", "include_drafts": "maybe"}, "include_drafts"),
        ({"q": "医保", "topk": "3"}, "topk"),  # unknown parameter: a typo is not silently ignored
        ({"q": "医保", "fusion": "magic"}, "fusion"),
        ({"q": "医保", "per_group": "0"}, "per_group"),
        ({"q": "医保", "per_group": "21"}, "per_group"),
        ({"q": "医保", "top_k": "1.5"}, "top_k"),
        ({"q": "医保", "top_k": ""}, "top_k"),
        ({"q": "医保", "date_to": "2020-02-30"}, "date_to"),
        ({"q": "医保", "date_to": "20200101x"}, "date_to"),
        ({"q": "医保", "include_drafts": ""}, "include_drafts"),
        ({"q": "医保", "group_by": ""}, "group_by"),
        ({"q": "医保", "fusion": ""}, "fusion"),
        ({"q": "医保", "q2": "x", "limit": "5"}, "q2"),
    ],
)
def test_bad_search_requests_are_4xx_with_a_message(client, params, needle: str) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 422, r.text
    expected = ("bad_date",) if needle.startswith("date_") else ("invalid_request", "query_too_long")
    assert needle in r.json()["detail"] and r.json()["code"] in expected
    assert not ascii_sentences(r.json()["detail"]), r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('{"q": ', "不是有效的 JSON"),
        ("[]", "JSON 对象"),
        ('{"q": "医保", "top_k": -1}', "top_k"),
        ('{"q": 5}', "q"),
        ('{"q": "医保", "fusion": "magic"}', "fusion"),
        ('{"q": "\\ud800"}', "Unicode"),
        ('{"q": "医保", "jurisdiction": ["\\udfff"]}', "Unicode"),
        ('{"q": "医保", "topk": 3}', "topk"),
        ('{"q": "医保", "jurisdiction": [1, 2]}', "jurisdiction"),
        ('{"q": "医保", "jurisdiction": {"a": 1}}', "jurisdiction"),
        ('{"q": "医保", "issuer": ["x"]}', "issuer"),
        ('{"q": ["医保"]}', "q"),
        ("not json at all", "不是有效的 JSON"),
        ('{"q": "医保", "top_k": "5"}', "top_k"),
        ('{"q": "医保", "top_k": 5.5}', "top_k"),
        ('{"q": "医保", "include_drafts": 0}', "include_drafts"),
        ('{"q": "医保", "law_level": "法律"}', "law_level"),
        ('{"q": "医保", "date_from": 20200101}', "date_from"),
        ('{"q": null}', "q"),
        ('{"q": "医保", "group_by": "city"}', "group_by"),
        ('{"q": "' + "长" * 501 + '"}', "上限"),
    ],
)
def test_bad_post_bodies_are_4xx(client, body: str, needle: str) -> None:
    r = client.post("/api/search", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and needle in r.json()["detail"], r.text
    assert r.json()["code"] and not ascii_sentences(r.json()["detail"]), r.text


def test_reversed_date_range_is_answered_with_a_notice(client) -> None:
    r = client.get("/api/search", params={"q": "医保", "date_from": "2021-01-01", "date_to": "2020-01-01"})
    assert r.status_code == 200 and r.json()["hits"] == []
    assert "晚于截止日期" in r.json()["notices"][0]
    assert r.json()["notice_codes"][0] == "date_range_reversed"


def test_405_lists_every_method_and_undecodable_bodies_are_422(client) -> None:
    r = client.request("OPTIONS", "/api/search")
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "POST"}
    r = client.post("/api/search", content=b"\xc3\x28\xff", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "body" in r.json()["detail"]


def test_lone_surrogates_are_refused_by_the_model_too() -> None:
    from pydantic import ValidationError

    from search.models import SearchRequest

    with pytest.raises(ValidationError, match="unicode"):
        SearchRequest(q="医保\ud800")


def test_long_request_target_gets_414(searcher) -> None:
    """Sent as raw ASGI (HTTP clients refuse to build such URLs): answered before any handler runs."""
    import asyncio

    app = create_app(Settings(), searcher_factory=lambda: Borrowed(searcher))
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/search",
        "raw_path": b"/api/search",
        "query_string": b"q=" + b"%E5%8C%BB" * 20_000,
        "headers": [(b"host", b"127.0.0.1")],
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 1),
        "root_path": "",
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 414 and "上限".encode() in sent[1]["body"]


def test_size_limits_answer_413(client) -> None:
    r = client.post(
        "/api/search",
        content=b'{"q": "' + b"a" * 100_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert (
        r.status_code == 413
        and r.json()["code"] == "body_too_large"
        and "上限" in r.json()["detail"]
        and "MAX_BODY_BYTES" in r.json()["detail"]
    )

    def chunks():  # no content-length: counted as it arrives
        yield b'{"q": "'
        for _ in range(50):
            yield b"a" * 4096
        yield b'"}'

    r = client.post("/api/search", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("host", "status"), [("127.0.0.1:8000", 200), ("localhost", 200), ("evil.example", 400)]
)
def test_only_trusted_hosts_are_answered(client, host: str, status: int) -> None:
    r = client.get("/api/health", headers={"host": host})
    assert r.status_code == status
    if status == 400:  # the API's error shape, in Chinese (was the plain text "Invalid host header")
        assert r.json()["code"] == "invalid_host" and host in r.json()["detail"]


def test_cors_is_off_by_default_and_configurable(client, searcher) -> None:
    origin = {"origin": "https://example.org"}
    assert "access-control-allow-origin" not in client.get("/api/health", headers=origin).headers
    app = create_app(
        Settings(cors_origins=["https://example.org"]), searcher_factory=lambda: Borrowed(searcher)
    )
    with TestClient(app, base_url=LOCAL) as c:
        assert (
            c.get("/api/health", headers=origin).headers["access-control-allow-origin"]
            == "https://example.org"
        )


def test_docs_work_offline_and_errors_are_documented(client) -> None:
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "swagger-ui-bundle.js" in page
    spec = client.get("/openapi.json").json()
    asset = next(x for x in page.split('"') if x.endswith("swagger-ui-bundle.js"))
    assert client.get(asset).status_code == 200
    doc_get = spec["paths"]["/api/documents/{doc_id}"]["get"]["responses"]
    assert doc_get["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    search = spec["paths"]["/api/search"]["get"]
    for code in ("413", "414", "422", "503"):
        assert search["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith(
            "ErrorBody"
        )
    names = {p["name"] for p in search["parameters"]}  # the GET parameters come from the request model
    assert {"q", "top_k", "jurisdiction", "date_from", "include_drafts", "group_by"} <= names


def test_document_clause_stats_health(client) -> None:
    hit = client.get("/api/search", params={"q": "用地保障", "top_k": 1}).json()["hits"][0]
    doc = client.get(f"/api/documents/{hit['document']['id']}").json()
    assert doc["document"]["id"] == hit["document"]["id"] and doc["text"] and doc["clauses"]
    clause = client.get(f"/api/clauses/{hit['clause_id']}").json()
    assert clause["clause"]["clause_id"] == hit["clause_id"] and "previous" in clause and "next" in clause
    stats = client.get("/api/stats").json()
    assert stats["documents"] == 5 and stats["manifest"]["embedder_name"].startswith("onnx-int8")
    assert stats["manifest"]["engine"] == stats["engine"]["name"] == "onnx-int8"
    assert stats["engine"]["fingerprint"] == stats["manifest"]["embedder_fingerprint"]
    assert client.get("/api/health").json()["status"] == "ok"


@pytest.mark.parametrize("path", ["/api/documents/nope", "/api/clauses/nope", "/api/clauses/doc-x:9999"])
def test_unknown_ids_are_404(client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404 and "没有" in r.json()["detail"] and r.json()["code"] == "not_found"


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


def test_docs_give_the_packages_version(client) -> None:
    """/docs said 0.2.0 while pyproject.toml said 0.1.0: the version is read from the installed package."""
    from pathlib import Path

    import tomllib

    pyproject = tomllib.loads(
        (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    )
    assert client.get("/openapi.json").json()["info"]["version"] == pyproject["project"]["version"]


def test_favicon_and_unknown_paths_answer_in_chinese(client) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json() == {"detail": "没有这个地址", "code": "not_found"}
    r = client.request("DELETE", "/api/search")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        ('{"q":' + "[" * 30_000 + "]" * 30_000 + "}", "json_too_deep", "嵌套过深"),
        ('{"q": "医保", "x": ' + '{"a":' * 10_000 + "1" + "}" * 10_000 + "}", "json_too_deep", "嵌套过深"),
        ('{"q": "医保", "top_k": ' + "9" * 5000 + "}", "json_number_too_long", "超过 4300 位"),
        ('{"q": "医保", "jurisdiction": [' + "1" * 5000 + "]}", "json_number_too_long", "整数"),
        (b"\xc3\x28\xff", "invalid_json", "不是 UTF-8"),
    ],
)
def test_an_unparsable_body_says_what_is_wrong(client, body: str | bytes, code: str, needle: str) -> None:
    """Issue 32: a body nested 30,000 deep or holding a 5,000-digit integer was called "not UTF-8"."""
    r = client.post("/api/search", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == code and needle in r.json()["detail"], r.text
    assert ("UTF-8" in r.json()["detail"]) is (code == "invalid_json")


def test_a_huge_number_in_a_parameter_says_so(client) -> None:
    r = client.get("/api/search", params={"q": "医保", "top_k": "9" * 5000})
    assert r.status_code == 422 and r.json()["detail"] == "top_k：数字位数过多", r.text
    assert not ascii_sentences(r.json()["detail"])
