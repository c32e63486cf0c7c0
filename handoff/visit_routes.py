"""On-site visits in the console's API: engineers, dispatching a visit, its status steps, the
engineer's day (for the phone-sized page ``/agent/engineer.html``) and the work-order report.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from core.context import SERVICES
from core.errors import BadRequest, Forbidden, NotFound
from core.models import Agent, Ticket
from core.web import json_response, read_json, row_id
from handoff import teams
from handoff.http import current_agent
from intake import engineers, ticket_types, visits
from intake.tickets import ticket_by_number

STATIC_PAGE = "/agent/engineer.html"


def _zone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[SERVICES].settings.sla.timezone)


def _int(request: web.Request, key: str, missing: str) -> int:
    value = row_id(request.match_info[key])
    if value is None:
        raise NotFound(missing)
    return value


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadRequest(f"{what} must be a list of names.", code="bad_engineer")
    return [v.strip() for v in value][:50]


async def add_engineer(request: web.Request) -> web.Response:
    """POST /api/admin/engineers {name, phone?, skills?, regions, daily_capacity?, agent_email?}."""
    agent = await current_agent(request)
    if agent.role not in teams.SEE_ALL:
        raise Forbidden("This needs the supervisor or admin role.", code="role_required")
    body = await read_json(request)
    name, phone = body.get("name"), body.get("phone", "")
    capacity = body.get("daily_capacity", 6)
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise BadRequest("name is required (at most 100 characters).", code="bad_engineer")
    if not isinstance(phone, str) or len(phone) > 40:
        raise BadRequest("phone must be text.", code="bad_engineer")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 50:
        raise BadRequest("daily_capacity must be 1 to 50.", code="bad_engineer")
    regions = _strings(body.get("regions"), "regions")
    if not regions:
        raise BadRequest(
            "regions: name at least one district, city or province.", code="bad_engineer"
        )
    email = body.get("agent_email")
    async with request.app[SERVICES].db.transaction() as session:
        out = await engineers.add(
            session,
            name=name.strip(),
            phone=phone.strip(),
            skills=_strings(body.get("skills"), "skills"),
            regions=regions,
            daily_capacity=capacity,
            agent_email=None if email is None else str(email),
        )
    return json_response({"engineer": out}, status=201)


async def edit_engineer(request: web.Request) -> web.Response:
    """PATCH /api/admin/engineers/{id} {name?, phone?, skills?, regions?, daily_capacity?,
    active?}: supervisors and admins; ``active: false`` deactivates."""
    agent = await current_agent(request)
    if agent.role not in teams.SEE_ALL:
        raise Forbidden("This needs the supervisor or admin role.", code="role_required")
    engineer_id = _int(request, "id", "There is no such engineer.")
    body = await read_json(request)
    changes: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise BadRequest("name is required (at most 100 characters).", code="bad_engineer")
        changes["name"] = name.strip()
    if "phone" in body:
        if not isinstance(body["phone"], str) or len(body["phone"]) > 40:
            raise BadRequest("phone must be text.", code="bad_engineer")
        changes["phone"] = body["phone"].strip()
    if "daily_capacity" in body:
        capacity = body["daily_capacity"]
        if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 50:
            raise BadRequest("daily_capacity must be 1 to 50.", code="bad_engineer")
        changes["daily_capacity"] = capacity
    if "skills" in body:
        changes["skills"] = _strings(body["skills"], "skills")
    if "regions" in body:
        changes["regions"] = _strings(body["regions"], "regions")
        if not changes["regions"]:
            raise BadRequest(
                "regions: name at least one district, city or province.", code="bad_engineer"
            )
    if "active" in body:
        if not isinstance(body["active"], bool):
            raise BadRequest("active must be true or false.", code="bad_engineer")
        changes["active"] = body["active"]
    async with request.app[SERVICES].db.transaction() as session:
        out = await engineers.edit(session, engineer_id, changes)
    return json_response({"engineer": out})


async def list_engineers(request: web.Request) -> web.Response:
    """GET /api/agent/engineers."""
    await current_agent(request)
    async with request.app[SERVICES].db.reader() as session:
        return json_response({"engineers": await engineers.every(session)})


async def _visible_ticket(request: web.Request, session: Any, agent: Agent) -> Ticket:
    ticket = await ticket_by_number(session, _int(request, "number", "There is no such ticket."))
    await teams.ensure_visible(session, agent, ticket.conversation_id)
    return ticket


async def add_visit(request: web.Request) -> web.Response:
    """POST /api/agent/tickets/{number}/visits {window?, engineer_id?} -> 201 the visit."""
    agent = await current_agent(request)
    body = await read_json(request)
    window, engineer_id = body.get("window"), body.get("engineer_id")
    if window is not None and not isinstance(window, str):
        raise BadRequest("window must be text like 2026-12-04 14:00-18:00.", code="bad_window")
    if engineer_id is not None and (
        not isinstance(engineer_id, int) or isinstance(engineer_id, bool)
    ):
        raise BadRequest("engineer_id must be a number.", code="no_engineer")
    zone = _zone(request)
    async with request.app[SERVICES].db.transaction() as session:
        ticket = await _visible_ticket(request, session, agent)
        visit, engineer = await visits.dispatch(
            session, ticket, zone, window, engineer_id, actor_id=agent.id
        )
        out = visits.visit_json(visit, engineer, zone)
    return json_response({"visit": out}, status=201)


async def ticket_visits(request: web.Request) -> web.Response:
    """GET /api/agent/tickets/{number}/visits."""
    agent = await current_agent(request)
    zone = _zone(request)
    async with request.app[SERVICES].db.reader() as session:
        ticket = await _visible_ticket(request, session, agent)
        return json_response({"visits": await engineers.ticket_visits(session, ticket.id, zone)})


async def visit_status(request: web.Request) -> web.Response:
    """POST /api/agent/visits/{id}/status {status, reason?, parts?, window?}: the engineer of
    the visit, or an agent who may see its ticket."""
    agent = await current_agent(request)
    body = await read_json(request)
    to, reason = body.get("status"), body.get("reason", "")
    if to not in visits.STATUSES or not isinstance(reason, str):
        raise BadRequest(f"status must be one of {', '.join(visits.STATUSES)}.", code="bad_status")
    zone = _zone(request)
    async with request.app[SERVICES].db.transaction() as session:
        visit, engineer = await engineers.visit_with_engineer(
            session, _int(request, "id", "There is no such visit.")
        )
        if engineer is None or engineer.agent_id != agent.id:
            ticket = await session.get(Ticket, visit.ticket_id)
            assert ticket is not None
            await teams.ensure_visible(session, agent, ticket.conversation_id)
        nxt = await visits.move_visit(
            session,
            visit,
            to,
            zone,
            reason=reason,
            parts=body.get("parts"),
            window=body.get("window"),
            actor_id=agent.id,
        )
        out = {"visit": visits.visit_json(visit, engineer, zone)}
        if nxt is not None:
            out["next"] = visits.visit_json(nxt, engineer, zone)
    return json_response(out)


async def engineer_day(request: web.Request) -> web.Response:
    """GET /api/agent/engineer/day?date=YYYY-MM-DD: my visits that day (I am an engineer)."""
    agent = await current_agent(request)
    zone = _zone(request)
    raw = request.query.get("date", "")
    try:
        day = date.fromisoformat(raw) if raw else datetime.now(zone).date()
    except ValueError:
        raise BadRequest("date must be YYYY-MM-DD.", code="bad_date") from None
    async with request.app[SERVICES].db.reader() as session:
        engineer = await engineers.of_agent(session, agent.id)
        if engineer is None:
            raise NotFound("You are not registered as an engineer.", code="not_engineer")
        rows = await visits.engineer_day(session, engineer.id, day, zone)
        values = await ticket_types.values_of(session, [t.id for _, t, _ in rows])
        items = []
        for v, t, _conv in rows:
            item = visits.visit_json(v, engineer, zone)
            item["ticket"] = {
                "number": t.number,
                "subject": t.subject,
                "fault": values[t.id].get("fault", ""),
                "phone": values[t.id].get("phone", ""),
            }
            items.append(item)
    return json_response(
        {"engineer": engineers.engineer_json(engineer), "date": day.isoformat(), "visits": items}
    )


async def workorder_report(request: web.Request) -> web.Response:
    """GET /api/agent/workorders/report?days=30 (supervisor, admin)."""
    agent = await current_agent(request)
    if agent.role not in teams.SEE_ALL:
        raise Forbidden("This needs the supervisor or admin role.", code="role_required")
    try:
        days = int(request.query.get("days", "30"))
    except ValueError:
        raise BadRequest("days must be a whole number.", code="bad_days") from None
    if not 1 <= days <= 366:
        raise BadRequest("days must be 1 to 366.", code="bad_days")
    since = datetime.now(_zone(request)) - timedelta(days=days)
    async with request.app[SERVICES].db.reader() as session:
        return json_response(await visits.report(session, since))
