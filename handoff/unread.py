"""Unread counts: customer messages an agent has not seen yet, per conversation.

Each agent has a read mark per conversation (the highest ``seq`` their console showed them
with the page in view). Unread = the customer's public messages after that mark; a
conversation the agent never opened counts all of them, as Chatwoot and Zendesk do. The
console sums the counts of its queue and its own conversations into the tab's title.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import SERVICES
from core.db import insert_on_conflict
from core.errors import BadRequest, NotFound
from core.models import Message, utcnow
from core.web import json_response, read_json, row_id
from handoff import teams
from handoff.auth import check_csrf
from handoff.keys import SESSIONS
from handoff.tables import ConversationRead


async def counts(session: AsyncSession, agent_id: int, ids: list[int]) -> dict[int, int]:
    """Unread customer messages of ``agent_id`` in each of the conversations ``ids``."""
    if not ids:
        return {}
    mark = func.coalesce(ConversationRead.seq, 0)
    rows = await session.execute(
        select(Message.conversation_id, func.count())
        .select_from(Message)
        .outerjoin(
            ConversationRead,
            and_(
                ConversationRead.conversation_id == Message.conversation_id,
                ConversationRead.agent_id == agent_id,
            ),
        )
        .where(
            Message.conversation_id.in_(ids),
            Message.sender == "customer",
            Message.private.is_(False),
            Message.seq > mark,
        )
        .group_by(Message.conversation_id)
    )
    return {int(c): int(n) for c, n in rows}


async def attach(session: AsyncSession, agent_id: int, conversations: list[dict[str, Any]]) -> None:
    """Add ``unread`` to each conversation of a console list."""
    found = await counts(session, agent_id, [c["id"] for c in conversations])
    for c in conversations:
        c["unread"] = found.get(c["id"], 0)


async def mark_read(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/read {"seq"}: the agent has seen up to ``seq``."""
    check_csrf(request)
    agent = await request.app[SESSIONS].agent(request)
    conv_id = row_id(request.match_info["id"])
    if conv_id is None:
        raise NotFound("There is no such conversation.")
    body = await read_json(request)
    seq = body.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**31:
        raise BadRequest("seq must be a message number.", code="bad_seq")
    db = request.app[SERVICES].db
    async with db.reader() as session:
        conv = await teams.ensure_visible(session, agent, conv_id)
    seq = min(seq, conv.last_seq)
    async with db.transaction() as session:
        stmt = insert_on_conflict(session, ConversationRead).values(
            agent_id=agent.id, conversation_id=conv_id, seq=seq, updated_at=utcnow()
        )
        # Never backwards: a slow request from an older page must not make messages unread.
        stmt = stmt.on_conflict_do_update(
            index_elements=["agent_id", "conversation_id"],
            set_={"seq": func.max(stmt.excluded.seq, ConversationRead.seq)}
            if session.bind is not None and session.bind.dialect.name == "sqlite"
            else {"seq": func.greatest(stmt.excluded.seq, ConversationRead.seq)},
        )
        await session.execute(stmt)
        unread = (await counts(session, agent.id, [conv_id])).get(conv_id, 0)
    return json_response({"conversation_id": conv_id, "seq": seq, "unread": unread})
