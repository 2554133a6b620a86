"""The FastAPI application. ``create_app`` builds it; the lifespan opens the searcher once (nothing at
import). By default the searcher is a :class:`search.live.LiveSearcher`, which follows the index
directory's current generation while serving.

Bad requests get a 4xx with a message that says what is wrong; an index that cannot be read gets a 503
with the reason; unexpected errors are logged and answered with a JSON 500 body rather than a traceback.
Every error body is ``{"detail": "…", "code": "…"}``: the message in Chinese for people, a machine code
for programs (``query_too_long``, ``not_found``, ``invalid_request``, ``index_unreadable``, ``busy`` …).
"""

from __future__ import annotations

import hmac
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.admission import Admission
from api.limits import RateLimit, RequestLimits, TrustedHosts
from api.security import SecurityHeaders, headers_for
from config.settings import Settings
from index.manifest import IndexError_
from index.store import StoreError
from search.base import Searcher
from search.compare_models import CompareRequest, CompareResponse
from search.export import MEDIA, ExportRequest, export_view, filename
from search.messages import notice
from search.models import (
    ClauseView,
    DocumentPage,
    DocumentView,
    ErrorBody,
    NotFound,
    QueryError,
    Question,
    SearchRequest,
    SearchResponse,
    describe_errors,
    error_code,
)
from search.query_encoder import Overloaded
from search.timeline_models import TimelineRequest, TimelineResponse
from search.warmup import warm_up

log = logging.getLogger(__name__)
Q = TypeVar("Q", bound=Question)

# Every error is {"detail": "what is wrong", "code": "…"}; documented on each route so the schema matches.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (413, "body over POLICY_SEARCH_MAX_BODY_BYTES"),
        (429, "over POLICY_SEARCH_RATE_LIMIT_PER_MINUTE (only when set); see Retry-After"),
        (414, "request target over POLICY_SEARCH_MAX_URL_BYTES"),
        (422, "a parameter or field is invalid; the message names it"),
        (
            503,
            "the index cannot be read (code index_unreadable), or the queue's expected wait is over "
            "POLICY_SEARCH_MAX_QUEUE_WAIT_SECONDS (code busy; see Retry-After)",
        ),
    )
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "no such id"}}


# Starlette's own answers (an unknown path, a wrong method) and the codes of plain HTTP errors
_STATUS = {
    400: ("bad_request", "请求无效"),
    401: ("unauthorized", "需要有效的 Bearer 令牌"),
    404: ("not_found", "没有这个地址"),
    405: ("method_not_allowed", "这个地址不支持该请求方法"),
    409: ("conflict", "请求与服务的状态冲突"),
    413: ("body_too_large", "请求体过大"),
    414: ("url_too_long", "请求地址过长"),
    422: ("invalid_request", "请求参数无效"),
    429: ("rate_limited", "请求过于频繁"),
    503: ("unavailable", "服务暂时不可用"),
}


class ApiError(HTTPException):
    """An HTTP error with its machine code beside the Chinese ``detail``."""

    def __init__(self, status: int, detail: str, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, detail, headers)
        self.code = code


def error(status: int, detail: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail, "code": code}, headers=headers)


def unreadable_body(cause: BaseException | None) -> tuple[str, str]:
    """Why FastAPI could not parse a JSON body (``cause``: what its parser raised), in Chinese, and the
    code. Before issue 32 every such body was called "not UTF-8", a body nested 30,000 deep or holding a
    5,000-digit integer included."""
    if isinstance(cause, UnicodeDecodeError):
        return "body：请求体不是 UTF-8 编码的 JSON", "invalid_json"
    if isinstance(cause, RecursionError):
        return (
            "body：JSON 嵌套过深，无法解析；请求体应为一个对象，字段值为文本、数字、布尔值或文本列表",
            "json_too_deep",
        )
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return (
            f"body：JSON 中有一个整数超过 {sys.get_int_max_str_digits()} 位，无法解析；数字字段应为普通大小的数",
            "json_number_too_long",
        )
    return "body：请求体无法解析为 JSON", "invalid_json"


def package_version() -> str:
    """The installed package's version (pyproject.toml's), shown on /docs."""
    try:
        return version("policy-search")
    except PackageNotFoundError:
        return "0+unknown"


def get_searcher(request: Request) -> Searcher:
    return request.app.state.searcher


SearcherDep = Annotated[Any, Depends(get_searcher)]


def _static_dir() -> Path:
    return Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None, searcher_factory: Callable[[], Searcher] | None = None
) -> FastAPI:
    """``searcher_factory`` lets tests hand in a searcher; by default a live one is opened from ``settings``."""
    settings = settings or Settings()

    def default_factory() -> Searcher:
        from policy_search.factory import open_live

        return open_live(settings)

    factory = searcher_factory or default_factory
    max_q = settings.max_query_chars

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.searcher = factory()
        st = app.state.searcher.stats()
        log.info(
            "serving %s generation %s: %d documents, %d clauses (listening on %s:%d)",
            settings.resolved_index_dir(),
            st.get("generation"),
            st["documents"],
            st["clauses"],
            settings.host,
            settings.port,
        )
        # the first search pays for lazy loads (3 s on 2 cores): paid here, the queue's estimate never sees it
        log.info("warmed up in %.1f s", await run_in_threadpool(warm_up, app.state.searcher))
        try:
            yield
        finally:
            app.state.searcher.close()

    # FastAPIOffline serves Swagger UI's assets from its own package: no CDN, works offline. Its /docs page
    # starts Swagger UI with an inline script, which the Content-Security-Policy forbids: /docs is ours
    # (api/static/docs.html, its script a file), on those same assets.
    app = FastAPIOffline(
        docs_url=None,
        title="Policy Search",
        version=package_version(),
        lifespan=lifespan,
        description="Clause-level semantic search over Chinese government policy documents. "
        "Errors: {detail (Chinese), code (machine-readable)}.",
        responses=ERRORS,
    )
    app.add_middleware(
        RequestLimits, max_url_bytes=settings.max_url_bytes, max_body_bytes=settings.max_body_bytes
    )
    if settings.rate_limit_per_minute:
        app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"])
    # a request with a Host header we do not serve (DNS rebinding) is refused before anything else
    app.add_middleware(TrustedHosts, allowed_hosts=settings.trusted_hosts)
    # outermost: every answer, that refusal included, carries the browser security headers
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error(422, describe_errors(exc.errors()), error_code(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # FastAPI's own 400 for a body it cannot decode: a 422 like every other bad body, saying why
            return error(422, *unreadable_body(exc.__cause__))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # list every method the path takes (GET and POST /api/search are two routes)
            allowed = sorted(
                {
                    m
                    for r in app.routes
                    if getattr(r, "methods", None) and r.matches(request.scope)[0].value
                    for m in r.methods
                }  # type: ignore[attr-defined]
            )
            headers["Allow"] = ", ".join(allowed)
        code, default = _STATUS.get(exc.status_code, ("http_error", "请求失败"))
        code = getattr(exc, "code", code)
        # Starlette's own English phrases ("Not Found", "Method Not Allowed") become the Chinese ones
        detail = str(exc.detail) if isinstance(exc, ApiError) else default
        return error(exc.status_code, detail, code, headers)

    @app.exception_handler(IndexError_)
    @app.exception_handler(StoreError)
    async def _index_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.error("index unavailable: %s", exc)
        return error(503, f"索引无法读取：{exc}", "index_unreadable")

    @app.exception_handler(Overloaded)
    async def _overloaded(_: Request, exc: Overloaded) -> JSONResponse:
        return error(503, str(exc), "busy", {"Retry-After": str(getattr(exc, "retry_after", 1))})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        # answered outside the middleware (by Starlette's outermost error handler): its headers are given here
        return error(
            500, f"服务内部错误（{type(exc).__name__}）", "internal_error", headers_for(request.url.path)
        )

    # a search is CPU work on a small machine: one at a time, the others queue while their expected wait
    # stays under max_queue_wait_seconds, and are refused (503 + Retry-After) beyond it
    admission = Admission(settings.max_searches_in_flight, settings.max_queue_wait_seconds)
    app.state.admission = admission

    def search_now(s: Searcher, req: Question) -> Response:
        try:
            if isinstance(req, TimelineRequest):
                found = s.timeline(req)
            else:
                found = s.compare(req) if isinstance(req, CompareRequest) else s.search(req)
        except QueryError as exc:
            raise ApiError(422, str(exc), exc.code) from exc
        # The searcher already built a valid SearchResponse; letting FastAPI validate and re-encode it
        # again costs about 1 ms of a ~15 ms query, so it is serialised once, here.
        return Response(found.model_dump_json(), media_type="application/json")

    async def run_search(s: Searcher, req: Question) -> Response:
        if len(req.q) > max_q:
            raise ApiError(
                422, "q：" + notice("query_too_long", chars=len(req.q), limit=max_q), "query_too_long"
            )
        async with admission.slot():
            return await run_in_threadpool(search_now, s, req)

    # The GET parameters are SearchRequest's fields, filters included: defined once, in search.models.
    @app.get("/api/search", response_model=SearchResponse)
    async def search_get(s: SearcherDep, req: Annotated[SearchRequest, Query()]) -> Response:
        return await run_search(s, req)

    async def strict_body(request: Request, model: type[Q]) -> Q:
        """JSON has types: a body gets strict validation ("include_drafts": 0 or "top_k": "5" is an error),
        which the GET form, whose values are all text, cannot have."""
        try:
            return model.model_validate_json(await request.body(), strict=True)
        except ValidationError as exc:
            raise ApiError(422, describe_errors(exc.errors()), error_code(exc.errors())) from exc

    @app.post("/api/search", response_model=SearchResponse)
    async def search_post(request: Request, s: SearcherDep, req: SearchRequest) -> Response:
        return await run_search(s, await strict_body(request, SearchRequest))

    @app.get("/api/compare", response_model=CompareResponse)
    async def compare_get(s: SearcherDep, req: Annotated[CompareRequest, Query()]) -> Response:
        """What each jurisdiction says about the topic: its best clauses (or its nearest miss), same-wording
        groups with their differences, and the figures side by side. Takes the search filters."""
        return await run_search(s, req)

    @app.post("/api/compare", response_model=CompareResponse)
    async def compare_post(request: Request, s: SearcherDep, req: CompareRequest) -> Response:
        return await run_search(s, await strict_body(request, CompareRequest))

    @app.get("/api/timeline", response_model=TimelineResponse)
    async def timeline_get(s: SearcherDep, req: Annotated[TimelineRequest, Query()]) -> Response:
        """Per jurisdiction, the matching clauses of each document in date order, with their figures and their
        validity_status at ``as_of``; each figure's values over time (``series``). Takes the search filters."""
        return await run_search(s, req)

    @app.post("/api/timeline", response_model=TimelineResponse)
    async def timeline_post(request: Request, s: SearcherDep, req: TimelineRequest) -> Response:
        return await run_search(s, await strict_body(request, TimelineRequest))

    def export_now(s: Searcher, req: ExportRequest, base_url: str) -> Response:
        try:
            data = export_view(s, req.view, req.view_request(), req.format, base_url)
        except QueryError as exc:
            raise ApiError(422, str(exc), exc.code) from exc
        except ValidationError as exc:
            raise ApiError(422, describe_errors(exc.errors()), error_code(exc.errors())) from exc
        name = filename(req.view, req.format)
        return Response(
            data,
            media_type=MEDIA[req.format],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get(
        "/api/export",
        response_class=Response,
        responses={
            200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}, "description": "the file"}
        },
    )
    async def export_get(
        request: Request, s: SearcherDep, req: Annotated[ExportRequest, Query()]
    ) -> Response:
        """A view's clauses as a file: ``view`` search, compare or timeline, ``format`` csv (UTF-8 with BOM)
        or xlsx, with the view's parameters and filters. Columns: 标题, 文号, 发文机关, 地区, 成文日期, 施行日期,
        有效期至, 效力状态, 条款位置, 条款, 相关度, 链接."""
        if len(req.q) > max_q:
            raise ApiError(
                422, "q：" + notice("query_too_long", chars=len(req.q), limit=max_q), "query_too_long"
            )
        async with admission.slot():
            return await run_in_threadpool(export_now, s, req, str(request.base_url))

    def document_now(s: Searcher, doc_id: str, page: DocumentPage) -> Response:
        try:
            view = s.document(doc_id, page)
        except NotFound as exc:
            raise ApiError(404, str(exc), NotFound.code) from exc
        return Response(view.model_dump_json(), media_type="application/json")

    # ids hold a path ("政策/吉林.txt:五/(十二)"): the :path converter takes the slashes
    @app.get("/api/documents/{doc_id:path}", response_model=DocumentView, responses=NOT_FOUND)
    async def get_document(s: SearcherDep, doc_id: str, page: Annotated[DocumentPage, Query()]) -> Response:
        """One page of the document's clauses (``offset``, ``limit`` ≤ 1000, default 200; ``total`` says
        how many there are) with the text they cover; through the same admission queue as search."""
        async with admission.slot():
            return await run_in_threadpool(document_now, s, doc_id, page)

    @app.get("/api/clauses/{clause_id:path}", response_model=ClauseView, responses=NOT_FOUND)
    def get_clause(s: SearcherDep, clause_id: str) -> ClauseView:
        try:
            return s.clause(clause_id)
        except NotFound as exc:
            raise ApiError(404, str(exc), NotFound.code) from exc

    @app.get("/api/stats")
    def stats(s: SearcherDep) -> dict[str, Any]:
        return {**s.stats(), "admission": admission.stats()}

    @app.get("/api/health")
    def health(s: SearcherDep) -> JSONResponse:
        """200 only when the newest generation is served; 503 with the reason otherwise."""
        state = s.health() if hasattr(s, "health") else {"status": "ok", "problem": None}
        try:
            st = s.stats()
            state.update(documents=st["documents"], clauses=st["clauses"], generation=st.get("generation"))
        except (IndexError_, StoreError) as exc:
            state.update(status="unavailable", problem=str(exc))
        if state["status"] != "ok":  # a 503 like every other error: its machine code beside the reason
            state["code"] = "index_unreadable" if state["status"] == "unavailable" else "index_degraded"
        return JSONResponse(status_code=200 if state["status"] == "ok" else 503, content=state)

    if settings.admin_token is not None:
        token = settings.admin_token.get_secret_value()

        @app.post("/api/admin/reload")
        def reload(request: Request, s: SearcherDep) -> dict[str, Any]:
            """Check the index pointer now (the service also does so every POLICY_SEARCH_RELOAD_POLL_SECONDS)."""
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                raise ApiError(
                    401, "需要有效的 Bearer 令牌", "unauthorized", headers={"WWW-Authenticate": "Bearer"}
                )
            if not hasattr(s, "check"):
                raise ApiError(409, "本服务不跟随索引目录，无从重新加载", "not_live")
            switched = s.check()
            return {"switched": switched, **s.health()}

    app.mount("/static", StaticFiles(directory=_static_dir()), name="static")

    @app.get("/", include_in_schema=False)
    def index_page() -> FileResponse:
        return FileResponse(_static_dir() / "index.html")

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> FileResponse:
        """Swagger UI, started by /static/docs.js (no inline script)."""
        return FileResponse(_static_dir() / "docs.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it on their own; the page names /static/favicon.svg."""
        return FileResponse(_static_dir() / "favicon.svg", media_type="image/svg+xml")

    return app


__all__ = ["create_app", "IndexError_"]
