"""Request limits as ASGI middleware, each answered with a JSON message before any handler runs: a request
target over ``max_url_bytes`` gets 414, a body over ``max_body_bytes`` 413 (before it is buffered), and
with a rate limit set, a client over its requests per minute 429 with Retry-After.

A 413 is sent after the rest of the body has been read and thrown away (up to ``DRAIN_BYTES`` and
``DRAIN_SECONDS``): a server that answers and closes while the client is still sending makes the
kernel reset the connection, and urllib, requests and curl then report a reset instead of the 413
(issue 23: a 30 MB POST). Beyond those bounds the connection is answered and closed anyway."""

from __future__ import annotations

import asyncio
import json
import math
import time

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_BYTES = 256 * 1024 * 1024  # body bytes read and discarded before a 413, at most
DRAIN_SECONDS = 30.0  # … and for at most this long


async def _answer(send: Send, status: int, detail: str, code: str) -> None:
    body = json.dumps({"detail": detail, "code": code}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    def __init__(self, app: ASGIApp, max_url_bytes: int, max_body_bytes: int) -> None:
        self.app = app
        self.max_url = max_url_bytes
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if target > self.max_url:
            await _answer(
                send, 414, f"请求地址过长：{target} 字节，上限为 {self.max_url} 字节", "url_too_long"
            )
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body:
            # a client that waits for "100 Continue" has sent nothing: answer at once, it will not send
            if headers.get(b"expect", b"").lower() != b"100-continue":
                await _drain(receive, more=True)
            await _answer(send, 413, self._too_large(int(length)), "body_too_large")
            return
        seen = 0
        answered = False

        async def counted_receive() -> Message:
            # a body without content-length is counted as it arrives; past the limit we answer 413 ourselves
            # and tell the app the client left (frameworks turn errors raised here into their own 400)
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request" and not answered:
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    answered = True
                    await _drain(receive, more=message.get("more_body", False))
                    await _answer(send, 413, self._too_large(None), "body_too_large")
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, counted_receive, guarded_send)

    def _too_large(self, size: int | None) -> str:
        got = f"{size} 字节" if size is not None else f"超过 {self.max_body} 字节"
        return f"请求体 {got}，超过上限 {self.max_body} 字节（POLICY_SEARCH_MAX_BODY_BYTES）；请缩短请求"


async def _drain(receive: Receive, more: bool) -> int:
    """Read and discard the rest of a request body (bounded): then the 413 reaches the client."""
    drained = 0
    deadline = time.monotonic() + DRAIN_SECONDS
    while more and drained < DRAIN_BYTES:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            message = await asyncio.wait_for(receive(), timeout=left)
        except asyncio.TimeoutError:
            break
        if message["type"] != "http.request":
            break
        drained += len(message.get("body", b""))
        more = message.get("more_body", False)
    return drained


class RateLimit:
    """An optional per-client limit (token bucket per client IP) on /api/ requests: 429 with Retry-After."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, last refill)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        now = time.monotonic()
        tokens, last = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[client] = (tokens, now)
            wait = max(1, math.ceil((1.0 - tokens) / self.rate))
            body = json.dumps(
                {
                    "detail": f"请求过于频繁：每分钟最多 {int(self.capacity)} 次，请 {wait} 秒后重试",
                    "code": "rate_limited",
                },
                ensure_ascii=False,
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", str(wait).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body.encode()})
            return
        self._buckets[client] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        await self.app(scope, receive, send)


class TrustedHosts(TrustedHostMiddleware):
    """Starlette's Host check (DNS rebinding), its refusal in the API's error shape: 400 with
    ``{"detail": 中文, "code": "invalid_host"}`` instead of the plain text "Invalid host header"."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        async def passed(scope: Scope, receive: Receive, send: Send) -> None:
            scope["policy_search.host_ok"] = True  # the request got past the check: its answers are the app's
            await app(scope, receive, send)

        super().__init__(passed, allowed_hosts=allowed_hosts, www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        refused = False

        async def answer(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and not scope.get("policy_search.host_ok"):
                refused = True
                host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
                detail = (
                    f"请求的主机名“{host}”不在本服务允许的主机中（POLICY_SEARCH_TRUSTED_HOSTS）；"
                    "请用服务的地址访问"
                )
                await _answer(send, message["status"], detail, "invalid_host")
            elif not refused:
                await send(message)

        await super().__call__(scope, receive, answer)
