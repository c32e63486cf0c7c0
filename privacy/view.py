"""The customer 360 as an agent may see it: masked by role, and recorded in the trail.

Called by the console's customer route (``handoff/desk_routes.py``) with the body it built;
keeps the console and the agent API on one rule.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.context import SERVICES
from core.forwarded import client_ip
from core.models import Agent
from privacy import trail
from privacy.masking import mask_contact, may_reveal, sees_full


async def customer_view(
    request: web.Request, agent: Agent, contact_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """``body`` (contact + identities) masked for ``agent``'s role; the view is recorded."""
    services = request.app[SERVICES]
    settings = services.settings.privacy
    masked: list[str] = []
    if not sees_full(agent, settings):
        masked = mask_contact(body["contact"], body.get("identities", []))
    body["privacy"] = {"masked": masked, "can_reveal": bool(masked) and may_reveal(agent, settings)}
    actor = trail.Actor.of(agent, client_ip(request))
    await trail.record(services.db, actor, "view", contact_id, {"masked": masked})
    return body
