"""What the webhook tests share: a company's receiving endpoint (a real local HTTP server) and
the admin and API calls that subscribe it and make events happen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from sqlalchemy import select

from api.tables import WebhookDelivery
from core.context import SERVICES
from tests.api.conftest import bearer
from tests.helpers import AGENT_HEADERS


class Receiver:
    """A company's endpoint: records every request; can answer 500 or be switched off."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.failing = False
        self.hold: asyncio.Event | None = None  # set: answers wait for it (a slow receiver)
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        if self.hold is not None:
            await self.hold.wait()
        if self.failing:
            return web.Response(status=500, text="boom: database locked")
        return web.Response(text="ok")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hooks/kefu", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{self.port}/hooks/kefu"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def ok(self) -> list[dict[str, Any]]:
        """Bodies of the requests answered 2xx, in arrival order, with their headers."""
        return [
            {**orjson.loads(body), "_headers": headers, "_raw": body} for headers, body in self.got
        ]


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Poll ``check`` until it holds (a timeout fails the test)."""
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - the state is in the database
            await asyncio.sleep(0.05)


async def subscribe(client: Any, url: str, events: list[str]) -> tuple[int, str]:
    resp = await client.post(
        "/api/admin/webhooks", json={"url": url, "events": events}, headers=AGENT_HEADERS
    )
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert "secret" not in body["webhook"]
    return body["webhook"]["id"], body["secret"]


async def open_ticket(client: Any, secret: str, email: str) -> dict[str, Any]:
    resp = await client.post(
        "/api/v1/tickets",
        json={"contact": {"email": email}, "subject": "空调不制冷", "text": "型号 KF-35"},
        headers=bearer(secret),
    )
    assert resp.status == 201, await resp.text()
    return dict((await resp.json())["ticket"])


async def deliveries(client: Any) -> list[WebhookDelivery]:
    async with client.app[SERVICES].db.reader() as session:
        rows = await session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id))
        return list(rows.scalars())
