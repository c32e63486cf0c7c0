"""Wires the public API into the app: its context, its routes, the webhook lane's task."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from api import admin_routes, kb_routes, v1_routes, webhooks
from api.auth import API, ApiContext
from api.idempotency import Idempotency
from api.inbox import API_CHANNEL, ApiInboxSender
from api.tokens import TokenStore
from api.webhook_feed import MessageFeed
from api.webhook_lane import WebhookLane
from api.webhook_store import WebhookStore
from core.context import SERVICES
from core.coordination import Limits
from core.outbox import Sender

STATIC = Path(__file__).resolve().parent.parent / "handoff" / "static"
LANE = web.AppKey("webhook_lane", WebhookLane)


async def integrations_page(_request: web.Request) -> web.FileResponse:
    """The console's integrations page: API tokens and webhooks (admins)."""
    return web.FileResponse(STATIC / "integrations.html", headers={"Cache-Control": "no-cache"})


def setup(app: web.Application, limits: Limits, senders: dict[str, Sender]) -> None:
    """Mount ``/api/v1`` and the admin routes, add the ``api`` inbox's sender, run the lane."""
    senders[API_CHANNEL] = ApiInboxSender()
    services = app[SERVICES]
    settings = services.settings.api
    app[API] = ApiContext(
        tokens=TokenStore(services.db, services.secret),
        limits=limits,
        idempotency=Idempotency(services.db, settings.idempotency_hours),
    )
    lane = app[LANE] = WebhookLane(services.db, settings)
    store = app[admin_routes.WEBHOOKS] = WebhookStore(services.db)
    feed = MessageFeed(services.db, services.hub, settings)

    def wake() -> None:
        lane.notify()
        feed.forget_hooks()

    store.wake = wake
    webhooks.install()
    v1_routes.setup(app)
    kb_routes.setup(app)
    admin_routes.setup(app)
    app.router.add_get("/agent/integrations", integrations_page)

    async def run_lane(_app: web.Application) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(lane.run(), name="webhooks"),
            asyncio.create_task(feed.run(), name="webhook-feed"),
        ]
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.cleanup_ctx.append(run_lane)
