"""The public API's app keys, in one place: what its routes share, built once by
:func:`api.routes.setup`."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from api.idempotency import Idempotency
from api.tokens import TokenStore
from api.webhook_lane import WebhookLane
from api.webhook_store import WebhookStore
from core.coordination import Limits


@dataclass
class ApiContext:
    """The token door's parts: token look-ups, per-token rate limits, idempotency keys."""

    tokens: TokenStore
    limits: Limits
    idempotency: Idempotency


API = web.AppKey("api", ApiContext)  # the token door (api/auth.py)
LANE = web.AppKey("webhook_lane", WebhookLane)  # the webhooks' delivery lane
WEBHOOKS = web.AppKey("webhooks", WebhookStore)  # registered webhooks (the admin routes)
