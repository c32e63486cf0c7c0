"""Webhook subscriptions as the admins manage them: create (with a secret shown once), list,
change, delete, and their deliveries (read, retried by hand). The events and the signing are
in ``api.webhooks``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from api.tables import Webhook, WebhookDelivery
from api.webhooks import EVENTS
from core.db import Database
from core.errors import BadRequest, Conflict, NotFound
from core.models import utcnow


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def webhook_json(h: Webhook) -> dict[str, Any]:
    """A webhook as the admin API shows it (never its secret)."""
    return {
        "id": h.id,
        "url": h.url,
        "events": list(h.events or []),
        "active": h.active,
        "disabled_reason": h.disabled_reason,
        "created_at": _iso(h.created_at),
        "updated_at": _iso(h.updated_at),
    }


def delivery_json(d: WebhookDelivery) -> dict[str, Any]:
    """A delivery with its last response, for the console."""
    return {
        "id": d.id,
        "uid": d.uid,
        "webhook_id": d.webhook_id,
        "event": d.event,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": _iso(d.next_attempt_at) if d.status == "pending" else None,
        "last_status": d.last_status,
        "last_response": d.last_response,
        "last_error": d.last_error,
        "delivered_at": _iso(d.delivered_at),
        "created_at": _iso(d.created_at),
    }


def _url(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > 2000:
        raise BadRequest("url must be an http(s) URL. 地址须为 http(s) 网址。", code="bad_url")
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("url must be an http(s) URL. 地址须为 http(s) 网址。", code="bad_url")
    return raw.strip()


def _events(raw: Any) -> list[str]:
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(e, str) and e in EVENTS for e in raw)
    ):
        raise BadRequest(
            f"events must be a non-empty list of: {', '.join(EVENTS)}. 请至少选择一个事件。",
            code="bad_events",
        )
    return sorted(set(raw))


class WebhookStore:
    """The only door to ``webhooks`` and ``webhook_deliveries`` for the admin routes."""

    events = EVENTS

    def __init__(self, db: Database) -> None:
        self.db = db
        self.wake: Callable[[], None] = lambda: None

    async def create(self, url: Any, events: Any, created_by: int) -> tuple[dict[str, Any], str]:
        """A new subscription and its signing secret (shown this once)."""
        clean_url, clean_events = _url(url), _events(events)
        secret = "whsec_" + secrets.token_urlsafe(32)
        async with self.db.transaction() as session:
            hook = Webhook(
                url=clean_url,
                events=clean_events,
                secret=secret,
                active=True,
                created_by=created_by,
            )
            session.add(hook)
            await session.flush()
            return webhook_json(hook), secret

    async def all(self) -> list[dict[str, Any]]:
        """Every subscription, with its state."""
        async with self.db.reader() as session:
            rows = (await session.execute(select(Webhook).order_by(Webhook.id))).scalars()
            return [webhook_json(h) for h in rows]

    async def update(self, hook_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Change the URL or events; ``active`` pauses it or enables it again."""
        async with self.db.transaction() as session:
            hook = await session.get(Webhook, hook_id, with_for_update=True)
            if hook is None:
                raise NotFound("There is no such webhook.")
            if "url" in body:
                hook.url = _url(body["url"])
            if "events" in body:
                hook.events = _events(body["events"])
            if "active" in body:
                if not isinstance(body["active"], bool):
                    raise BadRequest("active must be true or false.", code="bad_active")
                hook.active = body["active"]
                hook.disabled_reason = None
            return webhook_json(hook)

    async def delete(self, hook_id: int) -> None:
        """Remove a subscription and its deliveries."""
        async with self.db.transaction() as session:
            hook = await session.get(Webhook, hook_id)
            if hook is None:
                raise NotFound("There is no such webhook.")
            await session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook_id)
            )
            await session.delete(hook)

    async def deliveries(self, hook_id: int, limit: int) -> list[dict[str, Any]]:
        """The webhook's latest deliveries, newest first."""
        async with self.db.reader() as session:
            if await session.get(Webhook, hook_id) is None:
                raise NotFound("There is no such webhook.")
            rows = (
                await session.execute(
                    select(WebhookDelivery)
                    .where(WebhookDelivery.webhook_id == hook_id)
                    .order_by(WebhookDelivery.id.desc())
                    .limit(limit)
                )
            ).scalars()
            return [delivery_json(d) for d in rows]

    async def retry(self, delivery_id: int) -> dict[str, Any]:
        """Send a delivery again now, same id and body; its webhook is enabled again."""
        async with self.db.transaction() as session:
            d = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if d is None:
                raise NotFound("There is no such delivery.")
            if d.status == "sending":
                raise Conflict("The delivery is being sent right now.", code="in_flight")
            d.status, d.attempts, d.next_attempt_at = "pending", 0, utcnow()
            hook = await session.get(Webhook, d.webhook_id)
            if hook is not None and not hook.active:
                hook.active, hook.disabled_reason = True, None
            return delivery_json(d)
