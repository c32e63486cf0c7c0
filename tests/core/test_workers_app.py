"""Whole apps as workers: a reply crosses workers, the database goes away and comes back,
Redis down is "degraded", and a draining worker says so and closes sockets with a hint."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType
from sqlalchemy import func, select

from bench.services import free_port
from core.app import COORDINATION, create_app
from core.config import Settings
from core.context import SERVICES
from core.db import Database
from core.models import Conversation
from core.redis_coord import RedisHub
from handoff.auth import create_agent
from tests.conftest import make_settings, services_missing
from tests.core.test_redis_coord import SHARED_REDIS
from tests.helpers import AGENT_HEADERS, Visitor, login


class TcpProxy:
    """A TCP forwarder we can cut and restore: the database 'goes down' for this app only."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self.links):
            w.transport.abort()  # the server "crashed": established connections break too
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.links.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()
            self.links.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def pg_only(database_url: str) -> str:
    """The PostgreSQL URL of the parametrized fixture (SQLite runs one worker only)."""
    if database_url.startswith("sqlite"):
        pytest.skip("several workers and this outage test need PostgreSQL")
    return database_url


async def test_database_outage_is_a_fast_503_and_heals_without_restart(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> None:
    url = pg_only(database_url)
    proxy = TcpProxy(5432)
    await proxy.start()
    settings = make_settings(tmp_path, url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
    client = await aiohttp_client(create_app(settings, embedder=embedder, migrate=False))
    created = await client.post("/api/webchat/sessions", json={})
    assert created.status == 200
    token = (await created.json())["token"]

    await proxy.stop()
    # A socket opened during the outage is closed with 1013 (try again later): never an
    # HTTP error response written after the upgrade, which reads as a corrupt frame.
    ws = await client.ws_connect(f"/api/webchat/ws?token={token}")
    closing = await ws.receive(timeout=15)
    assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED), closing
    assert ws.close_code == 1013
    resp = await client.post("/api/webchat/sessions", json={})
    assert resp.status == 503
    assert (await resp.json())["error"]["code"] == "unavailable"
    assert resp.headers["Retry-After"]
    ready = await client.get("/readyz")
    assert ready.status == 503 and (await ready.json())["database"] is False

    await proxy.start()
    for _ in range(50):  # the pool replaces its broken connections by itself
        resp = await client.post("/api/webchat/sessions", json={})
        if resp.status == 200:
            break
        await asyncio.sleep(0.1)
    assert resp.status == 200
    assert (await client.get("/readyz")).status == 200
    db = Database(url)  # nothing half-written: one conversation per successful session
    async with db.reader() as s:
        assert (await s.execute(select(func.count()).select_from(Conversation))).scalar() == 2
    await db.dispose()


async def test_redis_down_is_degraded_but_ready(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any
) -> None:
    settings = make_settings(
        demo_settings.data_path, storage={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200
    assert (body["status"], body["redis"], body["database"]) == ("degraded", "down", True)
    visitor = await Visitor(client).start()  # and the chat works
    reply = await visitor.reply_to("怎么申请退货？")
    assert "退货" in reply["text"]


async def test_a_draining_worker_is_not_ready_and_asks_sockets_to_reconnect(client: Any) -> None:
    visitor = await Visitor(client).start()
    await client.app.shutdown()  # what SIGTERM starts: the drain
    msg = await visitor.ws.receive(timeout=10)
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    assert visitor.ws.close_code == 1012  # "service restart": the widget reconnects
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503 and body["draining"] is True and body["status"] == "not_ready"


async def test_a_reply_made_on_one_worker_reaches_the_socket_on_another(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> None:
    url = pg_only(database_url)
    prefix = f"kefu-test-{uuid.uuid4().hex[:8]}:"

    def worker(name: str) -> Settings:
        return make_settings(
            tmp_path / name, url, storage={"redis_url": SHARED_REDIS, "redis_prefix": prefix}
        )

    app_a = create_app(worker("a"), embedder=embedder, migrate=False)
    app_b = create_app(worker("b"), embedder=embedder, migrate=False)
    a, b = await aiohttp_client(app_a), await aiohttp_client(app_b)
    if app_a[COORDINATION].redis_status != "ok":
        services_missing("Redis", ConnectionError(app_a[COORDINATION].redis_status))
    await create_agent(app_b[SERVICES].db, "wang@kefu.local", "小王", "pw-123456789", "agent")

    visitor = await Visitor(a).start()  # the socket lives on worker a
    await login(b, "wang@kefu.local", "pw-123456789")  # the agent's console on worker b
    conv = visitor.conversation_id
    taken = await b.post(f"/api/agent/conversations/{conv}/takeover", headers=AGENT_HEADERS)
    assert taken.status == 200, await taken.text()
    sent = await b.post(
        f"/api/agent/conversations/{conv}/messages",
        json={"text": "您好，我是客服小王。"},
        headers=AGENT_HEADERS,
    )
    assert sent.status == 201, await sent.text()
    frame = await visitor.until(lambda f: f["type"] == "message" and f["sender"] == "agent")
    assert frame["text"] == "您好，我是客服小王。"
    hub = app_a[SERVICES].hub
    assert isinstance(hub, RedisHub) and hub.received > 0  # it came through Redis
