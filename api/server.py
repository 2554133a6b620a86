"""Run the app under uvicorn with limits for slow and greedy clients (issue 23, item 6).

uvicorn's own settings do not bound a connection that never finishes its request: ``timeout_keep_alive``
starts only after a response, and ``limit_concurrency`` answers 503 to *requests* over the limit while
connections that never send one keep their file descriptors. 20,100 half-open connections exhausted
them; the accept loop then logged "Too many open files" (160 MB in 40 s). So the HTTP protocol here adds:

- a **read deadline**: a connection must deliver a whole request (headers and body) within
  ``request_read_seconds`` of opening or of its last response, else it is closed;
- a **connection cap**: past ``max_connections`` open connections (and never above the open-file limit
  less a reserve for index files, the log and one accept batch), a new connection is answered 503
  (``too_many_connections``) and closed at once, so descriptors are never exhausted; the listen backlog
  is 64, because asyncio accepts up to a backlog's worth of connections before any can be refused;
- **rate-limited logs**: a repeated warning or error (asyncio's accept errors, uvicorn's) is logged at
  most once per ``LOG_PERIOD_S``, with the count of those left out.

Measured with ``scripts/slow_clients.py`` (BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.security import headers_for
from config.settings import Settings

log = logging.getLogger("policy_search.server")
ACCEPT_BATCH = 64  # asyncio accepts up to `backlog` connections in one go, before any can be refused
FD_RESERVE = 64 + ACCEPT_BATCH  # descriptors kept free: index files, SQLite, the log, one accept batch
LOG_PERIOD_S = 10.0


def connection_cap(wanted: int) -> int:
    """``wanted`` (0: no cap of our own), never above the soft open-file limit less ``FD_RESERVE``."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = max(8, soft - FD_RESERVE) if soft != resource.RLIM_INFINITY else 1_000_000
    return min(wanted, ceiling) if wanted else ceiling


def _refusal() -> bytes:
    body = json.dumps(
        {"detail": "服务器连接数已满，请稍后重试", "code": "too_many_connections"}, ensure_ascii=False
    ).encode()
    security = "".join(f"{k}: {v}\r\n" for k, v in headers_for("/api/").items())
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
        f"{security}connection: close\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Counter:
    """What the guard did: connections refused at the cap, connections closed at the read deadline."""

    def __init__(self) -> None:
        self.refused = 0
        self.timed_out = 0


def guarded_protocol(read_seconds: float, cap: int, counter: Counter) -> type[H11Protocol]:
    """An h11 protocol class with a read deadline and a connection cap (see the module docstring)."""
    refusal = _refusal()

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= cap:
                self._refused = True
                counter.refused += 1
                log.warning("连接数已达上限 %d：新连接被拒绝（503 too_many_connections）", cap)
                transport.write(refusal)
                transport.close()
                return
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            super().data_received(data)
            self._watch()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # idle now: uvicorn's keep-alive timeout takes over until the next byte

        def _watch(self) -> None:
            """Armed while a request is incomplete (head or body still arriving), off once it is whole."""
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                self._arm()
            else:
                self._disarm()

        def _arm(self) -> None:
            if read_seconds > 0 and self._deadline is None:
                self._deadline = self.loop.call_later(read_seconds, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                counter.timed_out += 1
                log.warning(
                    "连接 %s 在 %g 秒内未发完请求，已关闭（request_read_timeout）", self.client, read_seconds
                )
                self.transport.close()

    return GuardedH11Protocol


class RateLimitedLog(logging.Filter):
    """At most one record per (logger, message template) every ``period`` seconds; the next one that
    passes says how many were left out."""

    def __init__(self, period: float = LOG_PERIOD_S) -> None:
        super().__init__()
        self.period = period
        self._last: dict[tuple[str, Any], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.msg)
        now = time.monotonic()
        last, dropped = self._last.get(key, (-self.period, 0))
        if now - last < self.period:
            self._last[key] = (last, dropped + 1)
            return False
        self._last[key] = (now, 0)
        if dropped:
            record.msg = f"{record.msg}（过去 {self.period:g} 秒内另有 {dropped} 条相同日志被省略）"
        if len(self._last) > 10_000:
            self._last.clear()
        return True


def install_log_limits(period: float = LOG_PERIOD_S) -> RateLimitedLog:
    """Rate-limit the loggers that repeat under attack: asyncio's accept loop, uvicorn's, ours."""
    limiter = RateLimitedLog(period)
    for name in ("asyncio", "uvicorn.error", "uvicorn", "policy_search.server", "api.app"):
        logging.getLogger(name).addFilter(limiter)
    return limiter


def uvicorn_config(app: Any, settings: Settings, counter: Counter | None = None) -> uvicorn.Config:
    """The service's uvicorn configuration: host and port from ``settings``, the guard above and uvicorn's
    keep-alive timeout. (uvicorn's ``limit_concurrency`` is not used: it refuses requests, not
    connections, so it cannot stop half-open ones; measured in scripts/slow_clients.py.)"""
    cap = connection_cap(settings.max_connections)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        http=guarded_protocol(settings.request_read_seconds, cap, counter or Counter()),
        timeout_keep_alive=settings.keep_alive_seconds,
        backlog=ACCEPT_BATCH,  # uvicorn's 2048 let one accept burst open 2048 descriptors at once
        # let request lines up to 1 MB reach the app, which answers 414 past POLICY_SEARCH_MAX_URL_BYTES
        # (h11's own limit would reset the connection with no answer)
        h11_max_incomplete_event_size=1 << 20,
    )


def serve(app: Any, settings: Settings) -> None:
    """Serve ``app`` until interrupted (the `policy-search serve` command)."""
    install_log_limits()
    uvicorn.Server(uvicorn_config(app, settings)).run()
