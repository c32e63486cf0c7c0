"""Admin and supervisor routes: agents, canned replies, SLA policies, reports (JSON, CSV, page)."""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web
from sqlalchemy import select

from core.context import SERVICES
from core.errors import BadRequest, Conflict, NotFound
from core.models import Agent, utcnow
from core.web import json_response, read_json
from handoff import presence
from handoff.auth import ROLES, create_agent
from handoff.http import STATIC, current_agent, path_id, report_period, require_role
from handoff.keys import HANDOFF
from handoff.tables import CannedReply
from handoff.views import agent_json
from intake import reports
from intake.sla import POLICY_KEYS
from intake.sla_policies import policies as sla_policies_of
from intake.sla_policies import reset_policy, set_policy

log = logging.getLogger(__name__)


async def add_canned(request: web.Request) -> web.Response:
    """POST /api/admin/canned {"shortcut","title","text"} (admin)."""
    agent = await current_agent(request)
    require_role(agent, "admin", "supervisor")
    body = await read_json(request)
    shortcut, title, text = body.get("shortcut"), body.get("title", ""), body.get("text")
    if not isinstance(shortcut, str) or not re.fullmatch(r"[\w-]{1,64}", shortcut or ""):
        raise BadRequest("shortcut must be 1-64 letters, digits, _ or -.", code="bad_shortcut")
    if not isinstance(text, str) or not text.strip() or not isinstance(title, str):
        raise BadRequest("Give the text of the reply.", code="bad_text")
    async with request.app[SERVICES].db.transaction() as session:
        taken = (
            await session.execute(select(CannedReply).where(CannedReply.shortcut == shortcut))
        ).scalar_one_or_none()
        if taken is not None:
            raise Conflict(f"The shortcut {shortcut} is taken.", code="shortcut_taken")
        row = CannedReply(shortcut=shortcut, title=title.strip(), text=text.strip())
        session.add(row)
        await session.flush()
        out = {"id": row.id, "shortcut": row.shortcut, "title": row.title, "text": row.text}
    return json_response({"canned": out}, status=201)


async def delete_canned(request: web.Request) -> web.Response:
    """DELETE /api/admin/canned/{id} (admin)."""
    agent = await current_agent(request)
    require_role(agent, "admin", "supervisor")
    async with request.app[SERVICES].db.transaction() as session:
        row = await session.get(CannedReply, path_id(request, "There is no such canned reply."))
        if row is None:
            raise NotFound("There is no such canned reply.", code="no_canned")
        await session.delete(row)
    return json_response({"ok": True})


async def admin_create_agent(request: web.Request) -> web.Response:
    """POST /api/admin/agents {"email","name","password","role","skills","max_concurrent"}."""
    me = await current_agent(request)
    require_role(me, "admin")
    body = await read_json(request)
    email, name, password = body.get("email"), body.get("name", ""), body.get("password")
    role = body.get("role", "agent")
    if not (
        isinstance(email, str)
        and isinstance(name, str)
        and isinstance(password, str)
        and isinstance(role, str)
    ):
        raise BadRequest("Give email, name, password and role as strings.", code="bad_agent")
    db = request.app[SERVICES].db
    created = await create_agent(db, email, name, password, role)
    await _update_agent(request, created.id, body)
    async with db.reader() as session:
        agent = await session.get(Agent, created.id)
        assert agent is not None
    return json_response({"agent": agent_json(agent)}, status=201)


async def admin_patch_agent(request: web.Request) -> web.Response:
    """PATCH /api/admin/agents/{id} {"skills","max_concurrent","role","active"}."""
    me = await current_agent(request)
    require_role(me, "admin")
    agent_id = path_id(request, "There is no such agent.")
    agent = await _update_agent(request, agent_id, await read_json(request))
    return json_response({"agent": agent_json(agent)})


async def _update_agent(request: web.Request, agent_id: int, body: dict[str, Any]) -> Agent:
    skills, cap = body.get("skills"), body.get("max_concurrent")
    role, active = body.get("role"), body.get("active")
    if skills is not None and (
        not isinstance(skills, list) or not all(isinstance(s, str) and s.strip() for s in skills)
    ):
        raise BadRequest("skills must be a list of names.", code="bad_skills")
    if cap is not None and (
        not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 1000
    ):
        raise BadRequest("max_concurrent must be a whole number from 1 to 1000.", code="bad_max")
    if role is not None and role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}.", code="bad_role")
    if active is not None and not isinstance(active, bool):
        raise BadRequest("active must be true or false.", code="bad_active")
    async with request.app[SERVICES].db.transaction() as session:
        agent = await session.get(Agent, agent_id)
        if agent is None or agent.removed_at is not None:
            raise NotFound(f"Agent {agent_id} does not exist.", code="no_agent")
        if skills is not None:
            agent.skills = sorted({s.strip() for s in skills})
        if cap is not None:
            agent.max_concurrent = cap
        elif "max_concurrent" not in body and request.method == "POST":
            agent.max_concurrent = request.app[SERVICES].settings.assignment.default_max_concurrent
        if role is not None:
            agent.role = role
        was_active = agent.active
        if active is not None:
            agent.active = active
    if was_active and active is False:
        # Their sessions end (Sessions.agent checks ``active``); their customers are not left
        # waiting on them: back to the queue, or to a colleague who is there.
        await presence.left(request.app[SERVICES].db, agent_id)
        await request.app[HANDOFF].release_agent(
            agent_id, f"{agent.name} 已停用，会话回到队列 / was deactivated; back in the queue"
        )
    return agent


async def admin_remove_agent(request: web.Request) -> web.Response:
    """DELETE /api/admin/agents/{id}: the agent is gone from the console (lists, sign-in,
    assignment); their conversations go back to the queue; their name stays on what they
    wrote; their email address is free for a new account. Not oneself."""
    me = await current_agent(request)
    require_role(me, "admin")
    agent_id = path_id(request, "There is no such agent.")
    if agent_id == me.id:
        raise BadRequest("You cannot remove yourself.", code="remove_self")
    async with request.app[SERVICES].db.transaction() as session:
        agent = await session.get(Agent, agent_id)
        if agent is None or agent.removed_at is not None:
            raise NotFound(f"Agent {agent_id} does not exist.", code="no_agent")
        agent.removed_at = utcnow()
        agent.active = False
        agent.status = "offline"
        agent.email = f"removed-{agent.id}@removed.invalid"
        agent.password_hash = ""
        agent.session_version += 1
        name = agent.name
    await presence.left(request.app[SERVICES].db, agent_id)
    await request.app[HANDOFF].release_agent(
        agent_id, f"{name} 已被移除，会话回到队列 / was removed; back in the queue"
    )
    return json_response({"ok": True})


async def _sla_body(request: web.Request) -> dict[str, Any]:
    clock = request.app[HANDOFF].clock
    async with request.app[SERVICES].db.reader() as session:
        rows = await sla_policies_of(session, clock)
    sla = clock.settings
    return {"sla": {k: getattr(sla, k) for k in sla.__dataclass_fields__}, "policies": rows}


async def sla_policies(request: web.Request) -> web.Response:
    """GET /api/admin/sla: business hours (kefu.toml) and the policies in effect, by source."""
    me = await current_agent(request)
    require_role(me, "admin", "supervisor")
    return json_response(await _sla_body(request))


def _policy_key(request: web.Request) -> str:
    key = request.match_info["key"]
    if key not in POLICY_KEYS:
        raise NotFound(
            f"There is no SLA policy {key!r}; they are {', '.join(POLICY_KEYS)}.", code="no_policy"
        )
    return key


async def put_sla_policy(request: web.Request) -> web.Response:
    """PUT /api/admin/sla/policies/{key} {first_response_minutes, resolution_minutes, clock}."""
    me = await current_agent(request)
    require_role(me, "admin")
    key = _policy_key(request)
    body = await read_json(request)
    clock = request.app[HANDOFF].clock
    async with request.app[SERVICES].db.transaction() as session:
        try:
            policy = await set_policy(session, clock, key, body, me.id)
        except ValueError as err:
            raise BadRequest(str(err), code="bad_policy") from None
    log.info("SLA policy %s set by agent %s: %s", key, me.id, policy)
    return json_response(await _sla_body(request))


async def delete_sla_policy(request: web.Request) -> web.Response:
    """DELETE /api/admin/sla/policies/{key}: back to the policy kefu.toml sets."""
    me = await current_agent(request)
    require_role(me, "admin")
    key = _policy_key(request)
    clock = request.app[HANDOFF].clock
    async with request.app[SERVICES].db.transaction() as session:
        await reset_policy(session, clock, key)
    log.info("SLA policy %s reset to the configured one by agent %s", key, me.id)
    return json_response(await _sla_body(request))


# -- reports ------------------------------------------------------------------------------------


async def report_summary(request: web.Request) -> web.StreamResponse:
    """GET /api/reports/summary?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv] (supervisor, admin)."""
    me = await current_agent(request)
    require_role(me, "supervisor", "admin")
    start, end, tz = report_period(request)
    async with request.app[SERVICES].db.reader() as session:
        result = await reports.summary(session, start, end, tz)
        backlog = await reports.backlog_now(session)
    if request.query.get("format") == "csv" or request.path.endswith(".csv"):
        return web.Response(
            text=result.to_csv(),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="kefu-report.csv"'},
        )
    return json_response({**result.to_json(), "backlog_now": backlog})


async def dashboard(_request: web.Request) -> web.FileResponse:
    """The reports dashboard page."""
    return web.FileResponse(STATIC / "reports.html", headers={"Cache-Control": "no-cache"})


async def settings_page(_request: web.Request) -> web.FileResponse:
    """The settings page: SLA policies, agents, canned replies."""
    return web.FileResponse(STATIC / "settings.html", headers={"Cache-Control": "no-cache"})
