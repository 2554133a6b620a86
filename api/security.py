"""Browser security headers on every response: the page, the API, /docs, static files and errors (issue 32).

- ``Content-Security-Policy``: scripts, styles, images and requests from this origin only, no inline
  script anywhere (the page's code is ``/static/app.js``; /docs starts Swagger UI from
  ``/static/docs.js``), no plugins, no ``<base>``, and no framing (``frame-ancestors 'none'``). /docs and
  /redoc allow inline *styles*, which Swagger UI and ReDoc set on their elements; scripts stay external.
- ``X-Content-Type-Options: nosniff``: a JSON answer or a text file is never run as script.
- ``X-Frame-Options: DENY``: the frame rule for browsers that predate ``frame-ancestors``.
- ``Referrer-Policy: no-referrer``: the page's address holds the question and filters; a link followed
  from it tells the next site nothing.

:class:`SecurityHeaders` adds them (unless a response set its own) as the outermost middleware, so a
refusal by the Host check, the size limits or the rate limit carries them too; :func:`headers_for` gives
them to the answers written outside the middleware (the 500 handler, the connection cap's 503).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc write style attributes; their scripts are files of the fastapi-offline package
DOCS_POLICY = PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "default-src 'self'", "default-src 'self'; worker-src 'self' blob:"
)
DOCS_PATHS = ("/docs", "/redoc")
COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def headers_for(path: str) -> dict[str, str]:
    """The security headers of the response to ``path``."""
    policy = DOCS_POLICY if path in DOCS_PATHS else PAGE_POLICY
    return {"content-security-policy": policy, **COMMON}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(k.encode(), v.encode()) for k, v in headers_for(scope["path"]).items()]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in have)]
            await send(message)

        await self.app(scope, receive, with_headers)
