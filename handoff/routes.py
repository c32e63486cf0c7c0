"""The agent console (static pages at /agent/) and its JSON API under /api/agent/."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import orjson
from aiohttp import WSMsgType, web
from sqlalchemy import String, select

from core.context import SERVICES
from core.conversations import messages_after
from core.errors import BadRequest, NotFound, ServiceUnavailable, Unauthorized
from core.events import AGENTS_TOPIC
from core.filetypes import file_response
from core.forwarded import client_ip
from core.models import OWNERS, Agent, Contact, Conversation, Message, Ticket
from core.web import json_response, read_json, row_id
from handoff import filters, labels, presence, teams, unread
from handoff.auth import SESSIONS, authenticate, check_csrf
from handoff.lockout import LOCKOUT, Lockout, account_key, ip_key
from handoff.service import HandoffService
from kb.service import KnowledgeBase

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
HANDOFF = web.AppKey("handoff", HandoffService)


def agent_json(agent: Agent) -> dict[str, Any]:
    """An agent as the API shows it."""
    return {
        "id": agent.id,
        "name": agent.name,
        "email": agent.email,
        "role": agent.role,
        "status": agent.status,
        "skills": list(agent.skills or []),
        "max_concurrent": agent.max_concurrent,
        "team_id": agent.team_id,
    }


def message_json(m: Message) -> dict[str, Any]:
    """A message as the console API shows it."""
    return {
        "id": m.id,
        "seq": m.seq,
        "sender": m.sender,
        "direction": m.direction,
        "text": m.text,
        "private": m.private,
        "created_at": m.created_at.isoformat(),
        "agent_name": m.meta.get("agent_name"),
        "delivery": m.delivery,
        "delivery_error": m.delivery_error,
        "choices": m.meta.get("choices"),
        "kind": m.kind,
        "attachments": [
            {k: a.get(k) for k in ("key", "kind", "mime", "size", "name")} for a in m.attachments
        ],
        "entry_id": m.meta.get("entry_id"),
        "survey": bool(m.meta.get("survey")),
        "sla": m.meta.get("sla"),  # an SLA note's facts, worded by the console in its language
        "no_reply": m.no_reply,  # why nobody answers it (an auto-reply, a bounce...), or None
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_brief(t: Ticket) -> dict[str, Any]:
    """A ticket's fields as lists and the console show them (SLA due times included)."""
    return {
        "number": t.number,
        "status": t.status,
        "priority": t.priority,
        "category": t.category,
        "sentiment": t.sentiment,
        "tier": t.tier,
        "channel": t.channel,
        "skills": list(t.skills or []),
        "subject": t.subject,
        "assignee_id": t.assignee_id,
        "first_response_due": _iso(t.first_response_due) if t.first_response_at is None else None,
        "first_response_at": _iso(t.first_response_at),
        "resolution_due": _iso(t.resolution_due),
        "pending_since": _iso(t.pending_since),
        "csat": t.csat,
        "survey_state": t.survey_state,
        "merged_into": t.merged_into,
        "created_at": _iso(t.created_at),
        "resolved_at": _iso(t.resolved_at),
    }


async def conversations_json(session: Any, convs: list[Conversation]) -> list[dict[str, Any]]:
    """Conversations with their contact, assignee, latest ticket and last message."""
    if not convs:
        return []
    ids = [c.id for c in convs]
    contacts = {
        c.id: c
        for c in (
            await session.execute(
                select(Contact).where(Contact.id.in_({c.contact_id for c in convs}))
            )
        ).scalars()
    }
    agent_ids = {c.assignee_id for c in convs if c.assignee_id}
    agents: dict[int, Agent] = {}
    if agent_ids:
        agents = {
            a.id: a
            for a in (await session.execute(select(Agent).where(Agent.id.in_(agent_ids)))).scalars()
        }
    tickets: dict[int, Ticket] = {}
    for t in (
        await session.execute(
            select(Ticket).where(Ticket.conversation_id.in_(ids)).order_by(Ticket.id)
        )
    ).scalars():
        tickets[t.conversation_id] = t
    last: dict[int, Message] = {}
    for m in (
        await session.execute(
            select(Message).where(
                Message.conversation_id.in_(ids),
                Message.seq
                == select(Conversation.last_seq)
                .where(Conversation.id == Message.conversation_id)
                .scalar_subquery(),
            )
        )
    ).scalars():
        last[m.conversation_id] = m
    tags = await labels.labels_of(session, ids)
    out = []
    for c in convs:
        contact = contacts.get(c.contact_id)
        assignee = agents.get(c.assignee_id) if c.assignee_id else None
        ticket = tickets.get(c.id)
        lm = last.get(c.id)
        out.append(
            {
                "id": c.id,
                "owner": c.owner,
                "channel": c.channel,
                "language": c.language,
                "contact": {
                    "id": c.contact_id,
                    "name": (
                        contact.name if contact and contact.name else f"Visitor #{c.contact_id}"
                    ),
                },
                "assignee": {"id": assignee.id, "name": assignee.name} if assignee else None,
                "ticket": ticket_brief(ticket) if ticket else None,
                "last_message": (
                    {
                        "text": lm.text[:200],
                        "sender": lm.sender,
                        "private": lm.private,
                        "created_at": lm.created_at.isoformat(),
                    }
                    if lm
                    else None
                ),
                "last_seq": c.last_seq,
                "labels": tags.get(c.id, []),
                "updated_at": c.last_activity_at.isoformat(),
                "created_at": c.created_at.isoformat(),
            }
        )
    return out


async def _agent(request: web.Request) -> Agent:
    check_csrf(request)
    return await request.app[SESSIONS].agent(request)


def _conversation_id(request: web.Request) -> int:
    return path_id(request, "There is no such conversation.")


def path_id(request: web.Request, missing: str) -> int:
    """The ``{id}`` of the path as a row id; NotFound (never a 500) when it cannot be one."""
    value = row_id(request.match_info["id"])
    if value is None:
        raise NotFound(missing)
    return value


async def login(request: web.Request) -> web.Response:
    """POST /api/agent/login {"email","password"} -> session cookie."""
    check_csrf(request)
    body = await read_json(request)
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise BadRequest("Give an email and a password.", code="missing_credentials")
    lockout = request.app[LOCKOUT]
    keys = (account_key(email), ip_key(client_ip(request)))
    await lockout.check(*keys)  # 429 "locked" while the account or the address is locked
    try:
        agent = await authenticate(request.app[SERVICES].db, email, password)
    except Unauthorized:
        await lockout.failed(*keys)
        await lockout.check(*keys)  # the failure that locks says so at once
        raise
    await lockout.succeeded(keys[0])
    response = json_response({"agent": agent_json(agent)})
    request.app[SESSIONS].start(response, agent, request)  # always a new token (no fixation)
    log.info("agent %s logged in", agent.id)
    return response


async def logout(request: web.Request) -> web.Response:
    """POST /api/agent/logout: ends every session of the agent, this cookie included."""
    check_csrf(request)
    sessions = request.app[SESSIONS]
    with contextlib.suppress(Unauthorized):
        agent = await sessions.agent(request)
        await sessions.revoke(request.app[SERVICES].db, agent.id)
        await presence.left(request.app[SERVICES].db, agent.id)  # gone now, no grace
    response = json_response({"ok": True})
    sessions.end(response)
    return response


async def me(request: web.Request) -> web.Response:
    """GET /api/agent/me."""
    return json_response({"agent": agent_json(await _agent(request))})


async def list_channels(request: web.Request) -> web.Response:
    """GET /api/agent/channels: every channel's name and labels, from the channel registry."""
    await _agent(request)
    channels = request.app[SERVICES].settings.channels
    data = [{"name": c.name, "label": {"zh": c.label_zh, "en": c.label_en}} for c in channels]
    return json_response({"channels": data})


async def list_conversations(request: web.Request) -> web.Response:
    """GET /api/agent/conversations?owner=queued|agent|bot|resolved|mine and the filters of
    ``handoff.filters`` (status, priority, assignee, team, channel, label, since, until)."""
    me_agent = await _agent(request)
    owner = request.query.get("owner", "queued")
    mine = owner == "mine"
    if mine:
        owner = "agent"
    if owner not in OWNERS:
        raise BadRequest(f"owner must be one of {', '.join(OWNERS)}, mine.", code="bad_owner")
    try:
        limit = max(1, min(int(request.query.get("limit", "100")), 500))
    except ValueError:
        raise BadRequest("limit must be a whole number.", code="bad_limit") from None
    db = request.app[SERVICES].db
    async with db.reader() as session:
        order = (
            Conversation.last_activity_at.asc()
            if owner == "queued"
            else Conversation.last_activity_at.desc()
        )
        convs = list(
            (
                await session.execute(
                    select(Conversation)
                    .where(
                        Conversation.owner == owner,
                        teams.visible(me_agent),
                        *((Conversation.assignee_id == me_agent.id,) if mine else ()),
                        *filters.conversation_filters(request, me_agent),
                    )
                    .order_by(order)
                    .limit(limit)
                )
            ).scalars()
        )
        data = await conversations_json(session, convs)
        await unread.attach(session, me_agent.id, data)
    return json_response({"conversations": data})


async def get_conversation(request: web.Request) -> web.Response:
    """GET /api/agent/conversations/{id} with its messages (private notes included)."""
    agent = await _agent(request)
    conv_id = _conversation_id(request)
    db = request.app[SERVICES].db
    async with db.reader() as session:
        conv = await teams.ensure_visible(session, agent, conv_id)
        data = (await conversations_json(session, [conv]))[0]
        msgs = await messages_after(session, conv_id, 0, include_private=True, limit=5000)
    data["messages"] = [message_json(m) for m in msgs]
    return json_response({"conversation": data})


async def _conversation_response(
    request: web.Request, conv_id: int, status: int = 200
) -> web.Response:
    db = request.app[SERVICES].db
    async with db.reader() as session:
        conv = await session.get(Conversation, conv_id)
        if conv is None:
            raise NotFound(f"Conversation {conv_id} does not exist.")
        data = (await conversations_json(session, [conv]))[0]
    return json_response({"conversation": data}, status=status)


async def takeover(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/takeover."""
    agent = await _agent(request)
    conv_id = _conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    await request.app[HANDOFF].takeover(agent, conv_id)
    return await _conversation_response(request, conv_id)


async def post_message(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/messages {"text","private"}."""
    agent = await _agent(request)
    conv_id = _conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    body = await read_json(request)
    text, private = body.get("text"), body.get("private", False)
    if not isinstance(text, str):
        raise BadRequest("text must be a string.", code="bad_text")
    if not isinstance(private, bool):
        raise BadRequest("private must be true or false.", code="bad_private")
    msg = await request.app[HANDOFF].reply(agent, conv_id, text, private)
    return json_response({"message": message_json(msg)}, status=201)


async def resolve(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/resolve."""
    agent = await _agent(request)
    conv_id = _conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    await request.app[HANDOFF].resolve(agent, conv_id)
    return await _conversation_response(request, conv_id)


async def handback(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/handback."""
    agent = await _agent(request)
    conv_id = _conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    await request.app[HANDOFF].handback(agent, conv_id)
    return await _conversation_response(request, conv_id)


async def agent_ws(request: web.Request) -> web.WebSocketResponse:
    """WS /api/agent/ws: pushes conversation.updated events to logged-in consoles."""
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=4096)
    await ws.prepare(request)
    try:
        agent = await request.app[SESSIONS].agent(request)
    except Unauthorized:
        await ws.close(code=4401, message=b"login required")
        return ws
    db = request.app[SERVICES].db
    try:
        console = await presence.console_opened(db, agent.id)
    except ServiceUnavailable:  # the database is down: the console retries with backoff
        await ws.close(code=1011, message=b"unavailable")
        return ws
    allowed = teams.SocketFilter(db, agent)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)

    def listener(_topic: str, event: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(event)

    unsubscribe = request.app[SERVICES].hub.subscribe(AGENTS_TOPIC, listener)

    async def pump() -> None:
        while True:
            event = await queue.get()
            try:
                if not await allowed.allows(event):
                    continue
            except Exception:  # the database is down: say nothing rather than too much
                log.warning("console socket: could not check an event's team; dropped")
                continue
            await ws.send_str(orjson.dumps(event).decode())

    sender = asyncio.create_task(pump())
    beat = asyncio.create_task(_heartbeat(request, ws, console, agent.id))
    try:
        if agent.status == "online":
            await request.app[HANDOFF].assign_waiting()  # someone is there now: the queue moves
        # Counted as present from here on (clients and tests wait for this frame).
        await ws.send_str(orjson.dumps({"type": "ready", "status": agent.status}).decode())
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == '{"type":"ping"}':
                await ws.send_str('{"type":"pong"}')
    finally:
        sender.cancel()
        beat.cancel()
        unsubscribe()
        try:
            await asyncio.shield(presence.console_closed(db, console, agent.id))
        except Exception:  # the database is down; the row goes stale and is swept
            log.warning("console socket: could not record its close")
    return ws


async def _heartbeat(
    request: web.Request, ws: web.WebSocketResponse, console: str, agent_id: int
) -> None:
    """Keep this console's presence fresh while the session still holds (logout, deactivate
    and password changes end it: the socket is closed with 4401)."""
    db = request.app[SERVICES].db
    while not ws.closed:
        await asyncio.sleep(presence.HEARTBEAT_SECONDS)
        try:
            await request.app[SESSIONS].agent(request)
        except Unauthorized:
            await ws.close(code=4401, message=b"login required")
            return
        try:
            await presence.heartbeat(db, console, agent_id)
        except Exception:  # the database is down: try again at the next beat
            log.warning("console socket: heartbeat not recorded")


async def attachment(request: web.Request) -> web.Response:
    """GET /api/agent/attachments/{key}: a stored file, for logged-in agents only."""
    agent = await _agent(request)
    key = request.match_info["key"]
    store = request.app[SERVICES].attachments
    data = await store.read(key)  # NotFound for unknown or malformed keys
    async with request.app[SERVICES].db.reader() as session:
        found = (
            await session.execute(
                select(Message.attachments, Message.conversation_id)
                .where(Message.attachments.cast(String).contains(key))
                .limit(1)
            )
        ).first()
        if found is not None:
            await teams.ensure_visible(session, agent, found.conversation_id)
    row = found.attachments if found is not None else None
    meta: dict[str, Any] = next((a for a in row or [] if a.get("key") == key), {})
    mime = str(meta.get("mime") or "application/octet-stream")
    return file_response(data, mime, str(meta.get("name") or meta.get("kind") or "file"))


async def console_index(request: web.Request) -> web.FileResponse:
    """The console's single page."""
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def setup(app: web.Application, handoff: HandoffService, kb: KnowledgeBase | None = None) -> None:
    """Mount the console and its API on ``app``."""
    app[HANDOFF] = handoff
    app[LOCKOUT] = Lockout(app[SERVICES].db, app[SERVICES].settings.agents)
    r = app.router
    from handoff import (
        attachment_routes,
        contacts_routes,
        desk_routes,
        label_routes,
        prechat,
        search,
        sla_list,
    )

    attachment_routes.setup(app)
    desk_routes.setup(app, kb)  # these read this module's JSON shapes
    contacts_routes.setup(app)
    label_routes.setup(app)
    sla_list.setup(app)
    prechat.setup(app)  # the web chat widget's pre-chat form and offline contact
    search.setup(app)
    unread.setup(app)
    r.add_post("/api/agent/login", login)
    r.add_post("/api/agent/logout", logout)
    r.add_get("/api/agent/me", me)
    r.add_get("/api/agent/channels", list_channels)
    r.add_get("/api/agent/conversations", list_conversations)
    r.add_get("/api/agent/conversations/{id}", get_conversation)
    r.add_get("/api/agent/attachments/{key}", attachment)
    r.add_post("/api/agent/conversations/{id}/takeover", takeover)
    r.add_post("/api/agent/conversations/{id}/messages", post_message)
    r.add_post("/api/agent/conversations/{id}/resolve", resolve)
    r.add_post("/api/agent/conversations/{id}/handback", handback)
    r.add_get("/api/agent/ws", agent_ws)
    r.add_get("/agent", _redirect_to_console)
    r.add_get("/agent/", console_index)
    r.add_static("/agent/", STATIC, append_version=False)


async def _redirect_to_console(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/agent/")
