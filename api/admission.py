"""Admission control for the CPU-bound routes (search, compare, document pages): a bounded queue by
expected wait.

At most ``slots`` requests run at once (the encoder uses every core: 1 on 2 cores). The others wait in a
first-come, first-served queue as long as their *expected* wait stays within ``max_wait`` seconds; the
expected wait of a newcomer is its place in the queue times the mean time of the last 32 admitted
requests, divided by the slots. Beyond the bound it is refused at once with :class:`Busy` (503 +
Retry-After: the expected wait, rounded up), rather than after waiting. A request whose wait runs past
twice the bound (a slot held by an unusually slow request) gives up with :class:`Busy` too.

Runs on the event loop: waiting holds no worker thread, so the queue is the whole queue (a thread pool
in front of it would hide waiters from the estimate). Measured in BENCHMARKS.md (issue 23): with a 2 s
bound, 16 clients on 2 cores get no 503.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from search.query_encoder import Overloaded

WINDOW = 32  # admitted requests whose times make the estimate
FIRST_GUESS_S = 0.1  # the service time assumed before any request finished


class Busy(Overloaded):
    """The queue's expected wait is over the bound; ``retry_after`` in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Admission:
    def __init__(self, slots: int, max_wait: float) -> None:
        self.slots = slots
        self.max_wait = max_wait
        self._busy = 0
        self._queue: deque[asyncio.Future[None]] = deque()
        self._times: deque[float] = deque(maxlen=WINDOW)
        self.admitted = self.shed = self.gave_up = 0

    # -- the estimate -----------------------------------------------------------------------------
    def service_time(self) -> float:
        """Mean seconds of the recent admitted requests (their time in a slot)."""
        return sum(self._times) / len(self._times) if self._times else FIRST_GUESS_S

    def expected_wait(self) -> float:
        """Seconds a request arriving now would wait for a slot: 0 when one is free."""
        if self._busy < self.slots and not self._queue:
            return 0.0
        return (len(self._queue) + 1) * self.service_time() / self.slots

    def stats(self) -> dict[str, float | int]:
        return {
            "running": self._busy,
            "queued": len(self._queue),
            "expected_wait_s": round(self.expected_wait(), 3),
            "service_time_s": round(self.service_time(), 4),
            "max_queue_wait_s": self.max_wait,
            "admitted": self.admitted,
            "shed": self.shed,
            "gave_up": self.gave_up,
        }

    # -- the queue --------------------------------------------------------------------------------
    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the body of the ``async with``; :class:`Busy` when the wait would be too long."""
        await self._acquire()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self._times.append(time.perf_counter() - t0)
            self._release()

    async def _acquire(self) -> None:
        if self._busy < self.slots and not self._queue:
            self._busy += 1
            self.admitted += 1
            return
        wait = self.expected_wait()
        if wait > self.max_wait:
            self.shed += 1
            raise Busy(
                f"服务繁忙：排队预计需 {wait:.1f} 秒，超过上限 {self.max_wait:g} 秒；请稍后重试",
                max(1, math.ceil(wait)),
            )
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(fut)
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout=2 * self.max_wait)
        except BaseException as exc:
            if fut.done() and not fut.cancelled():
                self._release()  # the slot came just as we gave up: pass it on
            else:
                fut.cancel()
                self._remove(fut)
            if isinstance(exc, asyncio.TimeoutError):
                self.gave_up += 1
                raise Busy(
                    f"服务繁忙：已排队 {2 * self.max_wait:g} 秒仍未轮到；请稍后重试",
                    max(1, math.ceil(self.expected_wait())),
                ) from None
            raise
        self.admitted += 1

    def _remove(self, fut: asyncio.Future[None]) -> None:
        try:
            self._queue.remove(fut)
        except ValueError:
            pass

    def _release(self) -> None:
        while self._queue:
            nxt = self._queue.popleft()
            if not nxt.done():
                nxt.set_result(None)  # the slot passes to the next in line: _busy is unchanged
                return
        self._busy -= 1
