"""The console's own API: login, the conversation lists, a conversation and the agent's
moves in it (take over, reply, resolve, hand back), stored files, and the console page."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import String, select

from core.context import SERVICES
from core.conversations import messages_after
from core.errors import BadRequest, Unauthorized
from core.filetypes import file_response
from core.forwarded import client_ip
from core.models import OWNERS, Conversation, Message
from core.web import json_response, read_json
from handoff import filters, presence, teams, unread
from handoff.auth import authenticate, check_csrf
from handoff.http import STATIC, conversation_id, current_agent
from handoff.keys import HANDOFF, LOCKOUT, SESSIONS
from handoff.lockout import account_key, ip_key
from handoff.views import agent_json, conversation_response, conversations_json, message_json

log = logging.getLogger(__name__)


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
    return json_response({"agent": agent_json(await current_agent(request))})


async def list_channels(request: web.Request) -> web.Response:
    """GET /api/agent/channels: every channel's name and labels, from the channel registry."""
    await current_agent(request)
    channels = request.app[SERVICES].settings.channels
    data = [{"name": c.name, "label": {"zh": c.label_zh, "en": c.label_en}} for c in channels]
    return json_response({"channels": data})


async def list_conversations(request: web.Request) -> web.Response:
    """GET /api/agent/conversations?owner=queued|agent|bot|resolved|mine and the filters of
    ``handoff.filters`` (status, priority, assignee, team, channel, label, since, until)."""
    me_agent = await current_agent(request)
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
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    db = request.app[SERVICES].db
    async with db.reader() as session:
        conv = await teams.ensure_visible(session, agent, conv_id)
        data = (await conversations_json(session, [conv]))[0]
        msgs = await messages_after(session, conv_id, 0, include_private=True, limit=5000)
    data["messages"] = [message_json(m) for m in msgs]
    return json_response({"conversation": data})


async def takeover(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/takeover."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    await request.app[HANDOFF].takeover(agent, conv_id)
    return await conversation_response(request, conv_id)


async def post_message(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/messages {"text","private"}."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
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
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    await request.app[HANDOFF].resolve(agent, conv_id)
    return await conversation_response(request, conv_id)


async def handback(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/handback."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    await request.app[HANDOFF].handback(agent, conv_id)
    return await conversation_response(request, conv_id)


async def attachment(request: web.Request) -> web.Response:
    """GET /api/agent/attachments/{key}: a stored file, for logged-in agents only."""
    agent = await current_agent(request)
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


async def redirect_to_console(_request: web.Request) -> web.StreamResponse:
    """/agent -> /agent/."""
    raise web.HTTPFound("/agent/")
