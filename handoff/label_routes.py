"""Labels and macros in the console, and the labels report.

Labels: admins define them (name, colour); agents put them on and take them off
conversations, and may make new ones when ``[desk] labels_free_form`` is on. The reports
count conversations by label. Macros: a named list of actions (reply with the canned-reply
variables, label, priority, assign to an agent or a team, status) an agent applies to a
conversation at once; supervisors and admins manage them.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy import delete, func, select

from core.context import SERVICES
from core.errors import BadRequest, Conflict, KefuError, NotFound
from core.models import Agent, Contact, Conversation
from core.web import json_response, read_json
from handoff import canned, labels, teams
from handoff.assignment import choose, loads, online_agents
from handoff.http import conversation_id, current_agent, path_id, report_period, require_role
from handoff.keys import DESK, HANDOFF
from handoff.tables import ConversationLabel, Label, Macro, Team
from handoff.views import conversation_response, conversations_json
from intake.priority import PRIORITIES
from intake.tickets import latest_ticket

log = logging.getLogger(__name__)

MACRO_STATUSES = ("open", "pending", "resolved")
ACTION_TYPES = ("label", "priority", "reply", "assign", "status")  # the order they run in
MAX_ACTIONS = 20


# -- labels ---------------------------------------------------------------------------------


async def list_labels(request: web.Request) -> web.Response:
    """GET /api/agent/labels: every label with how many conversations carry it."""
    await current_agent(request)
    async with request.app[SERVICES].db.reader() as session:
        counts = dict(
            (
                await session.execute(
                    select(ConversationLabel.label_id, func.count()).group_by(
                        ConversationLabel.label_id
                    )
                )
            ).all()
        )
        rows = (await session.execute(select(Label).order_by(Label.name))).scalars()
        data = [{**labels.label_json(x), "conversations": int(counts.get(x.id, 0))} for x in rows]
    free = request.app[SERVICES].settings.desk.labels_free_form
    return json_response({"labels": data, "free_form": free})


async def create_label(request: web.Request) -> web.Response:
    """POST /api/admin/labels {"name","color"} (supervisor, admin)."""
    me = await current_agent(request)
    require_role(me, "admin", "supervisor")
    body = await read_json(request)
    name, color = labels.clean_name(body.get("name")), labels.clean_color(body.get("color"))
    async with request.app[SERVICES].db.transaction() as session:
        if (await session.execute(select(Label.id).where(Label.name == name))).scalar():
            raise Conflict(f"The label {name} exists.", code="label_taken")
        row = Label(name=name, color=color)
        session.add(row)
        await session.flush()
        out = labels.label_json(row)
    return json_response({"label": out}, status=201)


async def patch_label(request: web.Request) -> web.Response:
    """PATCH /api/admin/labels/{id} {"name","color"} (supervisor, admin)."""
    me = await current_agent(request)
    require_role(me, "admin", "supervisor")
    body = await read_json(request)
    async with request.app[SERVICES].db.transaction() as session:
        row = await session.get(Label, path_id(request, "There is no such label."))
        if row is None:
            raise NotFound("There is no such label.", code="no_label")
        if "name" in body:
            name = labels.clean_name(body["name"])
            other = (await session.execute(select(Label.id).where(Label.name == name))).scalar()
            if other is not None and other != row.id:
                raise Conflict(f"The label {name} exists.", code="label_taken")
            row.name = name
        if "color" in body:
            row.color = labels.clean_color(body["color"])
        out = labels.label_json(row)
    return json_response({"label": out})


async def delete_label(request: web.Request) -> web.Response:
    """DELETE /api/admin/labels/{id}: the label leaves every conversation (supervisor, admin)."""
    me = await current_agent(request)
    require_role(me, "admin", "supervisor")
    async with request.app[SERVICES].db.transaction() as session:
        row = await session.get(Label, path_id(request, "There is no such label."))
        if row is None:
            raise NotFound("There is no such label.", code="no_label")
        await session.execute(delete(ConversationLabel).where(ConversationLabel.label_id == row.id))
        await session.delete(row)
    return json_response({"ok": True})


async def add_conversation_label(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/labels {"label": id or name}."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    body = await read_json(request)
    free = request.app[SERVICES].settings.desk.labels_free_form
    async with request.app[SERVICES].db.transaction() as session:
        await teams.ensure_visible(session, agent, conv_id)
        label = await labels.find_or_make(session, body.get("label"), free_form=free)
        await labels.add(session, conv_id, label, agent.id)
    await _announce(request, conv_id)
    return await conversation_response(request, conv_id)


async def remove_conversation_label(request: web.Request) -> web.Response:
    """DELETE /api/agent/conversations/{id}/labels/{label_id}."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    raw = request.match_info["label_id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFound("There is no such label.", code="no_label")
    async with request.app[SERVICES].db.transaction() as session:
        await teams.ensure_visible(session, agent, conv_id)
        await labels.remove(session, conv_id, int(raw))
    await _announce(request, conv_id)
    return await conversation_response(request, conv_id)


async def _announce(request: web.Request, conv_id: int) -> None:
    """Tell the consoles the conversation changed (its labels show in every list)."""
    async with request.app[SERVICES].db.reader() as session:
        conv = await session.get(Conversation, conv_id)
    if conv is not None:
        await request.app[HANDOFF].events.conversation_updated(conv.id, conv.owner, conv.last_seq)


async def label_report(request: web.Request) -> web.Response:
    """GET /api/reports/labels?from=&to=: conversations labelled in the period, per label
    (supervisor, admin); dates in the configured zone, as the summary report."""
    me = await current_agent(request)
    require_role(me, "supervisor", "admin")
    start, end, tz = report_period(request)
    async with request.app[SERVICES].db.reader() as session:
        rows = (
            await session.execute(
                select(Label, func.count(ConversationLabel.conversation_id))
                .join(ConversationLabel, ConversationLabel.label_id == Label.id)
                .where(ConversationLabel.created_at >= start, ConversationLabel.created_at < end)
                .group_by(Label.id)
                .order_by(func.count(ConversationLabel.conversation_id).desc(), Label.name)
            )
        ).all()
    data = [{**labels.label_json(x), "conversations": int(n)} for x, n in rows]
    return json_response(
        {"from": start.date().isoformat(), "to": end.date().isoformat(), "tz": tz, "labels": data}
    )


# -- macros ---------------------------------------------------------------------------------


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise BadRequest(f"{what} must be an id.", code="bad_macro")
    return value


def clean_actions(raw: Any) -> list[dict[str, Any]]:
    """A macro's actions, checked; BadRequest (code bad_macro) names the bad one."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ACTIONS:
        raise BadRequest(f"Give 1 to {MAX_ACTIONS} actions.", code="bad_macro")
    out: list[dict[str, Any]] = []
    for a in raw:
        kind = a.get("type") if isinstance(a, dict) else None
        if kind == "reply":
            text, private = a.get("text"), a.get("private", False)
            if not isinstance(text, str) or not text.strip() or not isinstance(private, bool):
                raise BadRequest("A reply action needs its text.", code="bad_macro")
            out.append({"type": "reply", "text": text.strip()[:5000], "private": private})
        elif kind == "label":
            out.append({"type": "label", "label": labels.clean_name(a.get("label"))})
        elif kind == "priority":
            if a.get("priority") not in PRIORITIES:
                raise BadRequest(
                    f"priority must be one of {', '.join(PRIORITIES)}.", code="bad_priority"
                )
            out.append({"type": "priority", "priority": a["priority"]})
        elif kind == "status":
            if a.get("status") not in MACRO_STATUSES:
                raise BadRequest(
                    f"status must be one of {', '.join(MACRO_STATUSES)}.", code="bad_status"
                )
            out.append({"type": "status", "status": a["status"]})
        elif kind == "assign":
            if a.get("agent_id") is not None:
                out.append({"type": "assign", "agent_id": _int(a["agent_id"], "agent_id")})
            else:
                out.append({"type": "assign", "team_id": _int(a.get("team_id"), "team_id")})
        else:
            raise BadRequest(
                f"An action's type is one of {', '.join(ACTION_TYPES)}.", code="bad_macro"
            )
    return out


def macro_json(m: Macro) -> dict[str, Any]:
    """A macro as the console shows it."""
    return {"id": m.id, "name": m.name, "actions": list(m.actions)}


def _macro_name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > 100:
        raise BadRequest("A macro's name has 1 to 100 characters.", code="bad_macro")
    return raw.strip()


async def list_macros(request: web.Request) -> web.Response:
    """GET /api/agent/macros."""
    await current_agent(request)
    async with request.app[SERVICES].db.reader() as session:
        rows = (await session.execute(select(Macro).order_by(Macro.name))).scalars()
        data = [macro_json(m) for m in rows]
    return json_response({"macros": data})


async def save_macro(request: web.Request) -> web.Response:
    """POST /api/admin/macros {"name","actions"}; PUT /api/admin/macros/{id} (admin,
    supervisor)."""
    me = await current_agent(request)
    require_role(me, "admin", "supervisor")
    body = await read_json(request)
    name, actions = _macro_name(body.get("name")), clean_actions(body.get("actions"))
    editing = "id" in request.match_info
    async with request.app[SERVICES].db.transaction() as session:
        row = None
        if editing:
            row = await session.get(Macro, path_id(request, "There is no such macro."))
            if row is None:
                raise NotFound("There is no such macro.", code="no_macro")
        other = (await session.execute(select(Macro.id).where(Macro.name == name))).scalar()
        if other is not None and (row is None or other != row.id):
            raise Conflict(f"The macro {name} exists.", code="macro_taken")
        if row is None:
            row = Macro(name=name, actions=actions, created_by=me.id)
            session.add(row)
        else:
            row.name, row.actions = name, actions
        await session.flush()
        out = macro_json(row)
    return json_response({"macro": out}, status=200 if editing else 201)


async def delete_macro(request: web.Request) -> web.Response:
    """DELETE /api/admin/macros/{id} (admin, supervisor)."""
    me = await current_agent(request)
    require_role(me, "admin", "supervisor")
    async with request.app[SERVICES].db.transaction() as session:
        row = await session.get(Macro, path_id(request, "There is no such macro."))
        if row is None:
            raise NotFound("There is no such macro.", code="no_macro")
        await session.delete(row)
    return json_response({"ok": True})


async def _team_agent(request: web.Request, team_id: int, conv_id: int) -> int:
    """The team member who should take the conversation: online, least loaded."""
    async with request.app[SERVICES].db.reader() as session:
        if await session.get(Team, team_id) is None:
            raise NotFound(f"Team {team_id} does not exist.", code="no_team")
        online = [a for a in await online_agents(session) if a.team_id == team_id]
        conv = await session.get(Conversation, conv_id)
        holder = conv.assignee_id if conv is not None else None
        if holder is not None and any(a.id == holder for a in online):
            return holder  # one of the team holds it already
        pick = choose(online, await loads(session), set())
    if pick is None:
        raise Conflict("Nobody of that team is online.", code="team_offline")
    return pick.id


async def _reply_text(request: web.Request, agent: Agent, conv_id: int, text: str) -> str:
    """The reply with the canned-reply variables filled for this conversation."""
    async with request.app[SERVICES].db.reader() as session:
        conv = await session.get(Conversation, conv_id)
        assert conv is not None
        contact = await session.get(Contact, conv.contact_id)
        t = await latest_ticket(session, conv_id)
    values: dict[str, str | None] = {
        "agent_name": agent.name,
        "customer_name": canned.customer_name(contact.name if contact else None),
    }
    if t is not None:
        values["ticket_number"] = f"#{t.number}"
    return canned.render(text, values, conv.language or "zh")


async def _run(request: web.Request, agent: Agent, conv_id: int, action: dict[str, Any]) -> None:
    """One action of a macro, through the same service calls as the console's buttons."""
    kind = action["type"]
    db = request.app[SERVICES].db
    if kind == "label":
        free = request.app[SERVICES].settings.desk.labels_free_form
        async with db.transaction() as session:
            label = await labels.find_or_make(session, action["label"], free_form=free)
            await labels.add(session, conv_id, label, agent.id)
        return
    if kind == "reply":
        text = await _reply_text(request, agent, conv_id, action["text"])
        await request.app[HANDOFF].reply(agent, conv_id, text, action.get("private", False))
        return
    if kind == "assign":
        to = action.get("agent_id") or await _team_agent(request, action["team_id"], conv_id)
        async with db.reader() as session:
            conv = await session.get(Conversation, conv_id)
        if conv is not None and conv.owner == "agent" and conv.assignee_id == to:
            return  # already theirs
        await request.app[DESK].transfer(agent, conv_id, to, "")
        return
    async with db.reader() as session:
        t = await latest_ticket(session, conv_id)
    if kind == "status" and action["status"] == "resolved":
        await request.app[HANDOFF].resolve(agent, conv_id)
        return
    if t is None:
        raise Conflict("This conversation has no ticket.", code="no_ticket")
    if kind == "priority":
        await request.app[DESK].update_ticket(
            agent, t.number, priority=action["priority"], category=None
        )
    elif t.status != action["status"]:
        await request.app[DESK].set_ticket_status(agent, t.number, action["status"])


async def apply_macro(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/macros/{macro_id}: the macro's actions, in the
    order label, priority, reply, assign, status. Stops at the first that fails and says
    which (``applied`` lists those done, ``failed`` the one that did not work)."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    raw = request.match_info["macro_id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFound("There is no such macro.", code="no_macro")
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    async with request.app[SERVICES].db.reader() as session:
        macro = await session.get(Macro, int(raw))
        if macro is None:
            raise NotFound("There is no such macro.", code="no_macro")
        actions = sorted(macro.actions, key=lambda a: ACTION_TYPES.index(a["type"]))
    applied: list[str] = []
    failed: dict[str, Any] | None = None
    for action in actions:
        try:
            await _run(request, agent, conv_id, action)
        except KefuError as err:
            failed = {"type": action["type"], "code": err.code, "message": err.message}
            break
        applied.append(action["type"])
    log.info("agent %s applied macro %s to conversation %s", agent.id, macro.id, conv_id)
    await _announce(request, conv_id)
    async with request.app[SERVICES].db.reader() as session:
        conv = await session.get(Conversation, conv_id)
        assert conv is not None
        data = (await conversations_json(session, [conv]))[0]
    body = {"applied": applied, "failed": failed, "conversation": data}
    return json_response(body, status=200 if failed is None else 409)
