"""The console's side of supervisor alerts: the list of alerts and acknowledging one.

``GET /api/agent/alerts?open=1&limit=N`` lists the alerts an agent may see (team rules:
the ticket's conversation must be visible to them), newest first, with the ticket, why,
the due time in ``[sla] timezone`` and how each delivery went (email / WeCom robot: sent,
pending, dead and the last error). ``POST /api/agent/alerts/{id}/ack`` marks one handled
(supervisors and admins). ``/agent/alerts`` is a minimal page over it; the console's SLA
at-risk list can read the same API.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from core.context import SERVICES
from core.errors import BadRequest, Forbidden, NotFound
from core.web import json_response, row_id
from handoff import teams
from handoff.alerts import deliveries_of
from handoff.http import STATIC, current_agent
from handoff.state import SUPERVISORS
from intake import alert_list


async def list_alerts(request: web.Request) -> web.Response:
    """GET /api/agent/alerts."""
    agent = await current_agent(request)
    services = request.app[SERVICES]
    zone = ZoneInfo(services.settings.sla.timezone)
    try:
        limit = max(1, min(int(request.query.get("limit", "100")), 500))
    except ValueError:
        raise BadRequest("limit must be a whole number.", code="bad_limit") from None
    async with services.db.reader() as session:
        rows = await alert_list.listed(
            session,
            teams.visible(agent),
            limit=limit,
            open_only=request.query.get("open") in ("1", "true"),
        )
        deliveries = await deliveries_of(session, [a.id for a in rows])

    def local(moment: Any) -> str | None:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else None

    out = []
    for a in rows:
        t = a.ticket
        target = a.detail.get("kind")
        due = t.first_response_due if target == "first_response" else t.resolution_due
        out.append(
            {
                "id": a.id,
                "kind": a.kind,
                "ticket": t.number,
                "conversation_id": t.conversation_id,
                "subject": t.subject,
                "priority": t.priority,
                "status": t.status,
                "reasons": list(a.detail.get("kinds") or ([target] if target else [])),
                "due": local(due) if a.kind != "urgent" else None,
                "created_at": a.created_at.isoformat(),
                "created_local": local(a.created_at),
                "acknowledged": a.acknowledged,
                "deliveries": deliveries.get(a.id, []),
            }
        )
    return json_response({"alerts": out, "timezone": services.settings.sla.timezone})


async def acknowledge(request: web.Request) -> web.Response:
    """POST /api/agent/alerts/{id}/ack: a supervisor has it in hand."""
    agent = await current_agent(request)
    if agent.role not in SUPERVISORS:
        raise Forbidden("Only supervisors and admins acknowledge alerts.", code="not_supervisor")
    alert_id = row_id(request.match_info["id"])
    if alert_id is None:
        raise NotFound("There is no such alert.")
    async with request.app[SERVICES].db.transaction() as session:
        if not await alert_list.acknowledge(session, alert_id, agent.id):
            raise NotFound("There is no such alert.")
    return json_response({"id": alert_id, "acknowledged": True})


async def page(_request: web.Request) -> web.FileResponse:
    """The alerts page of the console."""
    return web.FileResponse(STATIC / "alerts.html", headers={"Cache-Control": "no-cache"})
