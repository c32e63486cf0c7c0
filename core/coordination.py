"""Coordination between concurrent turns: per-key locks, pub/sub wake-ups, rate limits.

These are the in-process implementations used by one worker process. The interfaces are
small on purpose: ``core/redis_coord.py`` has Redis-backed twins for several workers (and
falls back to these while Redis is down). Pub/sub is treated as at-most-once either way: a
wake-up says "look at conversation X after seq N" and the receiver reads the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol


class Locks(Protocol):
    """Mutual exclusion by key (e.g. one bot turn at a time per conversation)."""

    def hold(self, key: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the lock for ``key`` for the duration of the block."""
        ...


class LocalLocks:
    """In-process keyed locks; entries disappear when nobody waits on them."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiters: dict[str, int] = defaultdict(int)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the lock for ``key``."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._waiters[key] -= 1
            if self._waiters[key] == 0:
                self._waiters.pop(key, None)
                self._locks.pop(key, None)


Listener = Callable[[str, dict[str, Any]], None]


class Hub(Protocol):
    """Topic-based publish/subscribe for wake-ups (at-most-once)."""

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Send ``event`` to every current subscriber of ``topic``."""
        ...

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Call ``listener(topic, event)`` for each event; returns an unsubscribe function."""
        ...


class LocalHub:
    """In-process pub/sub; listeners must be quick and non-blocking (they usually set events)."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Listener]] = defaultdict(set)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Deliver ``event`` to the topic's listeners now."""
        self.deliver(topic, event)

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Register ``listener``; call the returned function to unregister it."""
        self._subs[topic].add(listener)

        def unsubscribe() -> None:
            subs = self._subs.get(topic)
            if subs is not None:
                subs.discard(listener)
                if not subs:
                    self._subs.pop(topic, None)

        return unsubscribe

    def topics(self) -> list[str]:
        """The topics that have listeners now."""
        return list(self._subs)

    def deliver(self, topic: str, event: dict[str, Any]) -> None:
        """Call the topic's listeners with ``event`` (what :meth:`publish` does, synchronously)."""
        for listener in list(self._subs.get(topic, ())):
            listener(topic, event)

    def subscribers(self, topic: str) -> int:
        """How many listeners a topic has (for tests and metrics)."""
        return len(self._subs.get(topic, ()))


class RateLimiter:
    """Sliding-window limit: at most ``limit`` hits per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        """Record a hit for ``key`` and say whether it is within the limit."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._evict(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _evict(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # still full: drop the oldest half
            for key in list(self._hits)[: self.max_keys // 2]:
                del self._hits[key]


class Limits(Protocol):
    """Rate limits by key, with the limit given per call (shared across workers with Redis)."""

    async def allow(self, key: str, limit: int, window: float) -> bool:
        """Record a hit for ``key``; False when ``limit`` hits in ``window`` seconds are used up."""
        ...


class LocalLimits:
    """In-process :class:`Limits`: one sliding-window :class:`RateLimiter` per (limit, window)."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[int, float], RateLimiter] = {}

    async def allow(self, key: str, limit: int, window: float) -> bool:
        """Record a hit for ``key`` and say whether it is within the limit."""
        limiter = self._limiters.get((limit, window))
        if limiter is None:
            limiter = self._limiters[(limit, window)] = RateLimiter(limit, window)
        return limiter.allow(key)
