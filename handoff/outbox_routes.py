"""Dead letters in the console: replies the outbox gave up on, their reason, and a retry.

``GET /api/agent/outbox/dead`` lists them; ``POST /api/agent/outbox/{id}/retry`` queues one
again with fresh attempts (supervisor or admin, CSRF header like every console POST);
``/agent/outbox`` is the page.
"""

from __future__ import annotations

from aiohttp import web

from core.context import SERVICES
from core.errors import BadRequest
from core.outbox_rows import DeadLetter, dead_letters, retry_dead
from core.web import json_response
from handoff.http import STATIC, current_agent, path_id, require_role

PREVIEW = 200  # characters of the reply shown in the list


def dead_json(d: DeadLetter) -> dict[str, object]:
    """A dead letter as the API shows it."""
    return {
        "id": d.outbox_id,
        "message_id": d.message_id,
        "conversation_id": d.conversation_id,
        "channel": d.channel,
        "attempts": d.attempts,
        "reason": d.reason,
        "text": d.text[:PREVIEW],
        "failed_at": d.failed_at.isoformat(),
    }


async def list_dead(request: web.Request) -> web.Response:
    """GET /api/agent/outbox/dead?limit=N (supervisor, admin)."""
    require_role(await current_agent(request), "admin", "supervisor")
    try:
        limit = max(1, min(int(request.query.get("limit", "100")), 500))
    except ValueError:
        raise BadRequest("limit must be a whole number.", code="bad_limit") from None
    rows = await dead_letters(request.app[SERVICES].db, limit)
    return json_response({"dead": [dead_json(d) for d in rows]})


async def retry(request: web.Request) -> web.Response:
    """POST /api/agent/outbox/{id}/retry (supervisor, admin): send it again."""
    require_role(await current_agent(request), "admin", "supervisor")
    outbox_id = path_id(request, "There is no such outbox row.")
    services = request.app[SERVICES]
    await retry_dead(services.db, outbox_id)
    services.outbox.notify()
    return json_response({"ok": True, "id": outbox_id, "status": "pending"})


async def page(_request: web.Request) -> web.FileResponse:
    """The dead-letter page of the console."""
    return web.FileResponse(STATIC / "outbox.html", headers={"Cache-Control": "no-cache"})
