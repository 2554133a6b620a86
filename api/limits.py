"""Request limits as ASGI middleware, each answered with a JSON message before any handler runs: a request
target over ``max_url_bytes`` gets 414, a body over ``max_body_bytes`` 413 (before it is buffered), and
with a rate limit set, a client over its requests per minute 429 with Retry-After."""

from __future__ import annotations

import json
import math
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
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
            await _answer(send, 414, f"the request target is {target} bytes; the limit is {self.max_url}")
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                await _answer(send, 413, f"the body is {int(value)} bytes; the limit is {self.max_body}")
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
                    await _answer(send, 413, f"the body is over the limit of {self.max_body} bytes")
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, counted_receive, guarded_send)


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
                {"detail": f"rate limit: {int(self.capacity)} requests a minute; retry in {wait}s"}
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
