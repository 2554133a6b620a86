"""Browser security headers on every response (issue 32): the page, the API, /docs and its assets, static
files, and errors of every origin (the router's 404, validation's 422, the size limits' 413/414, the Host
check's 400, the 500 handler, the connection cap's raw 503). The browser side (the page and /docs work
under the policy, with no violation reported) is in tests/test_browser.py."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import DOCS_POLICY, PAGE_POLICY
from config.settings import Settings

from .conftest import LOCAL, Borrowed


class Failing(Borrowed):
    """The shared searcher with a bug in looking up one clause: /api/clauses/boom answers 500."""

    def clause(self, clause_id: str):  # noqa: ANN201
        if clause_id == "boom":
            raise RuntimeError("boom")
        return self._inner.clause(clause_id)


@pytest.fixture(scope="module")
def client(searcher):
    app = create_app(Settings(max_url_bytes=1024), searcher_factory=lambda: Failing(searcher))
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as c:
        yield c


def _policy(value: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in value.split(";") if part.strip()}


def _check(r, policy: str = PAGE_POLICY) -> None:  # noqa: ANN001
    h = r.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    csp = _policy(h["content-security-policy"])
    assert h["content-security-policy"] == policy
    assert csp["script-src"] == "script-src 'self'"  # no 'unsafe-inline', no 'unsafe-eval', anywhere
    assert csp["frame-ancestors"] == "frame-ancestors 'none'" and csp["object-src"] == "object-src 'none'"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/api/search?q=医保定点", 200),
        ("/api/health", 200),
        ("/openapi.json", 200),
        ("/static/app.js", 200),
        ("/static/docs.js", 200),
        ("/static-offline-docs/swagger-ui-bundle.js", 200),
        ("/favicon.ico", 200),
        ("/api/nothing-here", 404),
        ("/static/missing.js", 404),
        ("/api/search?q=医保&top_k=0", 422),
        ("/api/search?q=" + "长" * 600, 414),
        ("/api/clauses/boom", 500),
    ],
)
def test_every_answer_carries_the_headers(client, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status
    _check(r)


def test_docs_have_no_inline_script_and_their_own_style_rule(client) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    _check(r, DOCS_POLICY)
    assert "style-src 'self' 'unsafe-inline'" in r.headers["content-security-policy"]
    page = r.text
    # every <script> has a src: Swagger UI starts from /static/docs.js
    scripts = page.split("<script")[1:]
    assert scripts and all(s.lstrip().startswith("src=") and "</script>" in s[:200] for s in scripts)
    assert '<script src="/static/docs.js"></script>' in page
    assert client.get("/redoc").headers["content-security-policy"] == DOCS_POLICY


def test_refusals_before_the_app_carry_them(client) -> None:
    r = client.post(
        "/api/search", content=b"{" + b" " * 70_000 + b"}", headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    _check(r)
    r = client.get("/api/health", headers={"host": "evil.example"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_host"
    _check(r)


def test_the_connection_caps_raw_answer_carries_them() -> None:
    from api.server import _refusal

    head = _refusal().split(b"\r\n\r\n")[0].decode().lower()
    assert "x-content-type-options: nosniff" in head and "content-security-policy: default-src 'self'" in head
    assert "x-frame-options: deny" in head and "referrer-policy: no-referrer" in head


def test_the_page_has_no_inline_script_or_style() -> None:
    from pathlib import Path

    import api

    page = (Path(api.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    assert all(s.lstrip().startswith("src=") for s in page.split("<script")[1:])
    assert "<style" not in page and " style=" not in page
    script = (Path(api.__file__).parent / "static" / "app.js").read_text(encoding="utf-8")
    assert " style=" not in script and "javascript:" not in script  # markup the page writes is inline-free
