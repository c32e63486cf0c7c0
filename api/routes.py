"""The public API's side of the app: every URL it serves, in one table (:data:`ROUTES`), and
its wiring: the token door's context, the ``api`` inbox's sender, the webhook lane's task.

The app factory calls :func:`setup` once; no other api module mounts anything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from api import admin_routes, kb_routes, v1_routes, webhooks
from api.idempotency import Idempotency
from api.inbox import API_CHANNEL, ApiInboxSender
from api.keys import API, LANE, WEBHOOKS, ApiContext
from api.tokens import TokenStore
from api.webhook_feed import MessageFeed
from api.webhook_lane import WebhookLane
from api.webhook_store import WebhookStore
from core.context import SERVICES
from core.coordination import Limits
from core.outbox import Sender

STATIC = Path(__file__).resolve().parent.parent / "handoff" / "static"


async def integrations_page(_request: web.Request) -> web.FileResponse:
    """The console's integrations page: API tokens and webhooks (admins)."""
    return web.FileResponse(STATIC / "integrations.html", headers={"Cache-Control": "no-cache"})


ROUTES = [
    # /api/v1: bearer tokens, scoped (api/auth.py)
    web.post("/api/v1/contacts", v1_routes.post_contact),
    web.get("/api/v1/contacts", v1_routes.get_contacts),
    web.get("/api/v1/contacts/{id}", v1_routes.get_contact),
    web.patch("/api/v1/contacts/{id}", v1_routes.patch_contact),
    web.post("/api/v1/contacts/{id}/merge", v1_routes.merge_contact),
    web.get("/api/v1/contacts/{id}/products", v1_routes.get_products),
    web.post("/api/v1/contacts/{id}/products", v1_routes.post_product),
    web.patch("/api/v1/products/{id}", v1_routes.patch_product),
    web.post("/api/v1/tickets", v1_routes.post_ticket),
    web.get("/api/v1/tickets", v1_routes.get_tickets),
    web.get("/api/v1/tickets/{number}", v1_routes.get_ticket),
    web.patch("/api/v1/tickets/{number}", v1_routes.patch_ticket),
    web.post("/api/v1/tickets/{number}/status", v1_routes.post_ticket_status),
    web.post("/api/v1/tickets/{number}/comments", v1_routes.post_ticket_comment),
    web.post("/api/v1/conversations/{id}/messages", v1_routes.post_message),
    web.get("/api/v1/conversations/{id}/messages", v1_routes.get_messages),
    web.get("/api/v1/reports/summary", v1_routes.get_summary),
    web.post("/api/v1/kb/entries", kb_routes.post_entry),
    web.get("/api/v1/kb/entries/{id}", kb_routes.get_entry),
    web.put("/api/v1/kb/entries/{id}", kb_routes.put_entry),
    *(
        web.post(f"/api/v1/kb/entries/{{id}}/{action}", kb_routes.status_handler(action))
        for action in kb_routes.STATUS_OF
    ),
    # the console's integrations (admins, session cookie)
    web.get("/api/admin/tokens", admin_routes.list_tokens),
    web.post("/api/admin/tokens", admin_routes.create_token),
    web.get("/api/admin/tokens/calls", admin_routes.list_calls),
    web.post("/api/admin/tokens/{id}/rotate", admin_routes.rotate_token),
    web.delete("/api/admin/tokens/{id}", admin_routes.revoke_token),
    web.get("/api/admin/webhooks", admin_routes.list_webhooks),
    web.post("/api/admin/webhooks", admin_routes.create_webhook),
    web.patch("/api/admin/webhooks/{id}", admin_routes.patch_webhook),
    web.delete("/api/admin/webhooks/{id}", admin_routes.delete_webhook),
    web.get("/api/admin/webhooks/{id}/deliveries", admin_routes.list_deliveries),
    web.post("/api/admin/webhooks/deliveries/{id}/retry", admin_routes.retry_delivery),
    web.get("/agent/integrations", integrations_page),
]


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
    store = app[WEBHOOKS] = WebhookStore(services.db)
    feed = MessageFeed(services.db, services.hub, settings)

    def wake() -> None:
        lane.notify()
        feed.forget_hooks()

    store.wake = wake
    webhooks.install()
    app.router.add_routes(ROUTES)

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
