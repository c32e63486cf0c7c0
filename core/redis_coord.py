"""Redis-backed coordination for several workers: locks with a lease, pub/sub, rate limits.

Selected when ``[storage] redis_url`` (``KEFU_REDIS_URL``) is set. Redis holds nothing that
cannot be lost, so when it is down every twin falls back to its in-process counterpart
(``core/coordination.py``) and says so once in the log; a monitor pings it and switches
back when it returns:

- locks: ``SET key token NX PX ttl``, renewed while held, released only by the token's
  owner (a Lua check), so a dead worker's lock expires after ``lock_ttl_seconds``. While
  Redis is down a lock only excludes turns of the same worker; the database row lock in
  the turn's commit keeps replies single anyway.
- hub: wake-ups go through one pattern subscription per worker. While Redis is down, and
  once when it is back, every local subscriber gets a "re-read" wake-up, since wake-ups of
  other workers may have been missed (receivers read the database, so that is enough).
- limits: a sliding window in a sorted set, timed by the Redis server's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core.config import Settings
from core.coordination import Hub, Limits, Listener, LocalHub, LocalLimits, LocalLocks, Locks
from core.events import AGENTS_TOPIC

log = logging.getLogger(__name__)

# A wake-up past any real seq: "read whatever you have not pushed yet".
RESYNC_SEQ = 2**53
HOLDER = f"{socket.gethostname()}:{os.getpid()}"

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""
_ALLOW = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('zadd', KEYS[1], now, ARGV[3])
redis.call('pexpire', KEYS[1], window)
return 1
"""


class RedisLink:
    """One Redis client, whether Redis answers now, and noticing when it comes back."""

    def __init__(self, url: str, prefix: str = "kefu:", check_seconds: float = 1.0) -> None:
        self.url = url
        self.prefix = prefix
        self.check_seconds = check_seconds
        # Fail fast (no library retries): callers fall back instead of waiting.
        self.client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=1.0,
            socket_timeout=2.0,
            retry=Retry(NoBackoff(), 0),
        )
        self.up = False
        self.changed = asyncio.Event()  # set on every up/down transition
        self._task: asyncio.Task[None] | None = None

    @property
    def status(self) -> str:
        """``ok`` or ``down`` (for /readyz)."""
        return "ok" if self.up else "down"

    def failed(self, err: BaseException) -> None:
        """A command failed: treat Redis as down until the monitor reaches it again."""
        if self.up:
            log.warning(
                "Redis is unreachable (%s: %s); using in-process coordination until it returns",
                type(err).__name__,
                err,
            )
            self.up = False
            self.changed.set()

    async def check(self) -> bool:
        """Ping once and record the result."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as err:
            self.failed(err)
            return False
        if not self.up:
            log.info("Redis is reachable; multi-worker coordination is on")
            self.up = True
            self.changed.set()
        return True

    async def start(self) -> None:
        """First check, then keep checking in the background."""
        if not await self.check():
            log.warning("Redis at startup is unreachable; serving with in-process coordination")
        self._task = asyncio.create_task(self._monitor(), name="redis-monitor")

    async def _monitor(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds if not self.up else self.check_seconds * 3)
            await self.check()

    async def close(self) -> None:
        """Stop checking and close the connections."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.client.aclose()


class RedisLocks:
    """Keyed locks shared by every worker; each also queues this worker's own waiters locally."""

    def __init__(self, link: RedisLink, ttl_seconds: float = 15.0) -> None:
        self.link = link
        self.ttl_ms = int(ttl_seconds * 1000)
        self.local = LocalLocks()

    def key(self, name: str) -> str:
        """The Redis key of lock ``name``."""
        return f"{self.link.prefix}lock:{name}"

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold lock ``key`` across workers (only in this worker while Redis is down)."""
        async with self.local.hold(key):
            token = await self._acquire(key)
            renewer = asyncio.create_task(self._renew(key, token)) if token else None
            try:
                yield
            finally:
                if renewer is not None:
                    renewer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await renewer
                if token is not None:
                    await self._release(key, token)

    async def _acquire(self, name: str) -> str | None:
        token = f"{HOLDER}:{uuid.uuid4().hex[:12]}"
        delay = 0.005
        while self.link.up:
            try:
                if await self.link.client.set(self.key(name), token, nx=True, px=self.ttl_ms):
                    return token
            except (RedisError, OSError) as err:
                self.link.failed(err)
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
        return None

    async def _renew(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                renewed = await self.link.client.eval(_RENEW, 1, self.key(name), token, self.ttl_ms)
                if not renewed:
                    # Expired (a stall longer than the TTL, or Redis restarted empty): take it
                    # again if nobody else did.
                    taken = await self.link.client.set(
                        self.key(name), token, nx=True, px=self.ttl_ms
                    )
                    if not taken:
                        log.warning("lock %s was lost to another worker while held", name)
            except (RedisError, OSError) as err:
                self.link.failed(err)

    async def _release(self, name: str, token: str) -> None:
        try:
            await self.link.client.eval(_RELEASE, 1, self.key(name), token)
        except (RedisError, OSError) as err:  # it expires by itself
            self.link.failed(err)


class RedisHub:
    """Wake-ups across workers; local listeners as with :class:`LocalHub`."""

    def __init__(self, link: RedisLink, resync_seconds: float = 2.0) -> None:
        self.link = link
        self.local = LocalHub()
        self.resync_seconds = resync_seconds
        self.channel_prefix = f"{link.prefix}hub:"
        self.received = 0  # events that came through Redis (for tests)
        self.stopping = False

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Publish through Redis; while it is down, to this worker's listeners only."""
        if self.link.up:
            try:
                await self.link.client.publish(self.channel_prefix + topic, orjson.dumps(event))
                return
            except (RedisError, OSError) as err:
                self.link.failed(err)
        await self.local.publish(topic, event)

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Register ``listener`` for ``topic``; returns the unsubscribe function."""
        return self.local.subscribe(topic, listener)

    def resync(self) -> None:
        """Wake every local listener to re-read the database (wake-ups may have been missed)."""
        for topic in self.local.topics():
            if topic == AGENTS_TOPIC:
                event: dict[str, Any] = {
                    "type": "conversation.updated",
                    "conversation_id": None,
                    "owner": "",
                    "seq": 0,
                    "resync": True,
                }
            else:
                event = {"kind": "message", "seq": RESYNC_SEQ, "resync": True}
            self.local.deliver(topic, event)

    async def run(self) -> None:
        """Relay Redis messages to local listeners until :attr:`stopping`."""
        while not self.stopping:
            if not self.link.up:
                self.resync()
                self.link.changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.resync_seconds):
                        await self.link.changed.wait()
                continue
            pubsub = self.link.client.pubsub()
            try:
                await pubsub.psubscribe(self.channel_prefix + "*")
                first = True
                while self.link.up and not self.stopping:
                    msg = await pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
                    if msg is None:
                        continue
                    if msg["type"] == "psubscribe":
                        if first:  # subscribed: catch up on what we may have missed
                            first = False
                            self.resync()
                        continue
                    if msg["type"] == "pmessage":
                        self._dispatch(msg["channel"], msg["data"])
            except (RedisError, OSError) as err:
                self.link.failed(err)
            finally:
                # redis-py types aclose() from 8.x on: a typed name for it keeps
                # mypy --strict clean on every supported release.
                close: Callable[[], Awaitable[object]] = pubsub.aclose
                with contextlib.suppress(Exception):
                    await close()

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        if isinstance(event, dict):
            self.received += 1
            self.local.deliver(channel.decode()[len(self.channel_prefix) :], event)


class RedisLimits:
    """Sliding-window rate limits shared by every worker."""

    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.local = LocalLimits()

    async def allow(self, key: str, limit: int, window: float) -> bool:
        """Record a hit for ``key``; False when the window's ``limit`` is used up."""
        if self.link.up:
            try:
                ok = await self.link.client.eval(
                    _ALLOW,
                    1,
                    f"{self.link.prefix}rate:{key}",
                    int(window * 1000),
                    limit,
                    uuid.uuid4().hex,
                )
                return bool(ok)
            except (RedisError, OSError) as err:
                self.link.failed(err)
        return await self.local.allow(key, limit, window)


@dataclass
class Coordination:
    """The coordination a worker uses: in-process, or Redis-backed with fallbacks."""

    locks: Locks
    hub: Hub
    limits: Limits
    link: RedisLink | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def redis_status(self) -> str:
        """``off`` (not configured), ``ok`` or ``down``."""
        return "off" if self.link is None else self.link.status

    async def start(self) -> None:
        """Connect (or note that Redis is down) and start relaying wake-ups."""
        if self.link is None:
            return
        await self.link.start()
        if isinstance(self.hub, RedisHub):
            self._tasks.append(asyncio.create_task(self.hub.run(), name="redis-hub"))

    async def close(self) -> None:
        """Stop the background tasks and close the connections."""
        if isinstance(self.hub, RedisHub):
            # Ask the relay to stop between reads: cancelling redis-py inside a pub/sub
            # read can leave it waiting; cancel only what has not stopped in time.
            self.hub.stopping = True
            if self.link is not None:
                self.link.changed.set()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=3.0)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=2.0)
        self._tasks.clear()
        if self.link is not None:
            await self.link.close()


def coordination(settings: Settings, prefix: str | None = None) -> Coordination:
    """Redis-backed coordination when ``redis_url`` is set, in-process otherwise."""
    url = settings.storage.redis_url
    if not url:
        return Coordination(LocalLocks(), LocalHub(), LocalLimits())
    link = RedisLink(url, settings.storage.redis_prefix if prefix is None else prefix)
    return Coordination(
        RedisLocks(link, settings.workers.lock_ttl_seconds),
        RedisHub(link),
        RedisLimits(link),
        link,
    )
