"""Redis-backed coordination: locks with a lease, wake-ups across workers, shared limits.

Two :class:`Coordination` objects on one Redis stand for two worker processes. The shared
Redis (127.0.0.1:6379) is used with a unique key prefix per test and only those keys are
deleted; the outage tests start a private redis-server on a free port.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bench.services import RedisServer, redis_available
from core.events import Events
from core.redis_coord import RESYNC_SEQ, Coordination, RedisHub, RedisLocks, coordination
from tests.conftest import make_settings, services_missing

SHARED_REDIS = "redis://127.0.0.1:6379/0"


async def eventually(check: Callable[[], bool], seconds: float = 15.0) -> None:
    """Wait until ``check()`` holds (a generous bound: this is not a speed test)."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test on the shared Redis; its keys are removed afterwards."""
    client = aioredis.Redis.from_url(SHARED_REDIS, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as err:
        await client.aclose()
        services_missing("Redis", err)
    name = f"kefu-test-{uuid.uuid4().hex[:8]}:"
    yield name
    keys = [k async for k in client.scan_iter(match=f"{name}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def worker(tmp_path: Path, prefix: str, url: str = SHARED_REDIS, ttl: float = 15.0) -> Coordination:
    """The coordination one worker would build from its settings."""
    settings = make_settings(
        tmp_path, storage={"redis_url": url}, workers={"lock_ttl_seconds": ttl}
    )
    return coordination(settings, prefix=prefix)


@pytest.fixture
async def two_workers(tmp_path: Path, prefix: str) -> AsyncIterator[tuple[Coordination, ...]]:
    """Two started coordinations on the shared Redis."""
    pair = (worker(tmp_path, prefix), worker(tmp_path, prefix))
    for c in pair:
        await c.start()
        assert c.redis_status == "ok"
    yield pair
    for c in pair:
        await c.close()


async def test_a_lock_excludes_the_other_worker(two_workers: tuple[Coordination, ...]) -> None:
    a, b = two_workers
    a_in, a_go = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with a.locks.hold("turn:1"):
            order.append("a in")
            a_in.set()
            await a_go.wait()
            order.append("a out")

    async def second() -> None:
        await a_in.wait()
        async with b.locks.hold("turn:1"):
            order.append("b in")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await a_in.wait()
    await asyncio.sleep(0.3)  # give worker b every chance to (wrongly) get in
    assert order == ["a in"]
    a_go.set()
    await asyncio.gather(*tasks)
    assert order == ["a in", "a out", "b in"]


async def test_a_dead_workers_lock_expires(tmp_path: Path, prefix: str) -> None:
    live = worker(tmp_path, prefix)
    await live.start()
    client = live.link.client  # type: ignore[union-attr]
    key = f"{prefix}lock:turn:9"
    # What a worker killed while holding the lock leaves behind: a key nobody renews.
    await client.set(key, "dead-host:4242:abc", px=800)
    async with live.locks.hold("turn:9"):
        held_by = await client.get(key)
        assert isinstance(held_by, bytes) and not held_by.startswith(b"dead-host")
    assert await client.get(key) is None
    await live.close()


async def test_release_only_removes_our_own_lock(tmp_path: Path, prefix: str) -> None:
    live = worker(tmp_path, prefix)
    await live.start()
    client = live.link.client  # type: ignore[union-attr]
    key = f"{prefix}lock:turn:5"
    async with live.locks.hold("turn:5"):
        # Our lease ran out during a long stall and another worker took the lock.
        await client.set(key, "other-worker-token", px=10_000)
    assert await client.get(key) == b"other-worker-token"
    await live.close()


async def test_a_held_lock_is_renewed_past_its_ttl(tmp_path: Path, prefix: str) -> None:
    short = worker(tmp_path, prefix, ttl=1.0)
    await short.start()
    assert isinstance(short.locks, RedisLocks)
    client = short.link.client  # type: ignore[union-attr]
    async with short.locks.hold("turn:3"):
        token = await client.get(short.locks.key("turn:3"))
        await asyncio.sleep(2.5)  # longer than the TTL: only renewal keeps it
        assert await client.get(short.locks.key("turn:3")) == token
    assert await client.get(short.locks.key("turn:3")) is None
    await short.close()


async def test_wakeups_reach_the_worker_holding_the_socket(
    two_workers: tuple[Coordination, ...],
) -> None:
    a, b = two_workers
    got: list[dict[str, Any]] = []
    b.hub.subscribe("conv:7", lambda _t, e: got.append(e))
    await eventually(lambda: any(e.get("resync") for e in got))  # b is subscribed
    await Events(a.hub).message(7, 3)
    await eventually(lambda: {"kind": "message", "seq": 3} in got)


async def test_rate_limits_are_shared_by_workers(two_workers: tuple[Coordination, ...]) -> None:
    a, b = two_workers
    assert [await a.limits.allow("outbox:wechat:wx", 3, 60.0) for _ in range(2)] == [True] * 2
    assert await b.limits.allow("outbox:wechat:wx", 3, 60.0)
    assert not await b.limits.allow("outbox:wechat:wx", 3, 60.0)
    assert not await a.limits.allow("outbox:wechat:wx", 3, 60.0)
    assert await a.limits.allow("outbox:wechat:other-inbox", 3, 60.0)


async def test_redis_down_keeps_serving_and_recovers(
    tmp_path: Path, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    if not redis_available():
        services_missing("redis-server", FileNotFoundError("redis-server"))
    server = RedisServer()
    server.start()
    a, b = worker(tmp_path, prefix, server.url), worker(tmp_path, prefix, server.url)
    try:
        for c in (a, b):
            await c.start()
        got: list[dict[str, Any]] = []
        a.hub.subscribe("conv:1", lambda _t, e: got.append(e))
        caplog.set_level(logging.WARNING, logger="core.redis_coord")
        server.stop()

        # Locks, limits and local wake-ups keep working, in-process.
        async with a.locks.hold("turn:1"):
            pass
        assert await a.limits.allow("k", 1, 60.0)
        assert not await a.limits.allow("k", 1, 60.0)
        await Events(a.hub).message(1, 4)
        assert {"kind": "message", "seq": 4} in got
        assert a.redis_status == "down"
        assert "Redis is unreachable" in caplog.text
        # Wake-ups from other workers cannot arrive: local sockets are told to re-read.
        got.clear()
        await eventually(lambda: {"kind": "message", "seq": RESYNC_SEQ, "resync": True} in got)

        server.start()
        await eventually(lambda: a.redis_status == "ok" and b.redis_status == "ok")
        for _ in range(300):  # until worker a has subscribed again
            await Events(b.hub).message(1, 5)
            if {"kind": "message", "seq": 5} in got:
                break
            await asyncio.sleep(0.05)
        assert {"kind": "message", "seq": 5} in got
        assert isinstance(b.hub, RedisHub)
        assert b.hub.local.subscribers("conv:1") == 0  # it came through Redis, not locally
    finally:
        for c in (a, b):
            await c.close()
        server.stop()


async def test_without_a_redis_url_coordination_is_in_process(tmp_path: Path) -> None:
    local = coordination(make_settings(tmp_path))
    await local.start()
    assert local.redis_status == "off"
    got: list[dict[str, Any]] = []
    local.hub.subscribe("conv:2", lambda _t, e: got.append(e))
    await Events(local.hub).message(2, 1)
    assert got == [{"kind": "message", "seq": 1}]
    await local.close()
