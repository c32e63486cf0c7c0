"""Messages nobody answers, and why: the console's view of ``Message.no_reply``.

Auto-replies, bounces, mailing-list and bulk mail, mail without a usable sender and senders
over their rate limit are stored and never answered (``core/inbound.py``). Agents still
need to see them (a customer's out-of-office may say when they are back; a bounce says an
address is dead), so ``GET /api/agent/unanswered`` lists them newest first, filtered by
reason and channel, with the count of each reason; ``/agent/unanswered`` is the page. Every
agent sees the conversations their team may see.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from core.context import SERVICES
from core.errors import BadRequest
from core.models import Contact, Conversation, Message
from core.web import json_response, row_id
from handoff import teams
from handoff.routes import STATIC, _agent

PREVIEW = 200  # characters of the message shown in the list
_CODE = re.compile(r"^[a-z0-9_]{1,32}$")


def _code(request: web.Request, name: str) -> str | None:
    """A reason or channel code from the query string (None when absent)."""
    value = request.query.get(name, "").strip()
    if not value:
        return None
    if not _CODE.match(value):
        raise BadRequest(f"{name} must be a code such as rate_limited.", code=f"bad_{name}")
    return value


def unanswered_json(row: Any) -> dict[str, Any]:
    """One unanswered message as the API shows it."""
    meta: dict[str, Any] = row.meta or {}
    created: datetime = row.created_at
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "seq": row.seq,
        "channel": row.channel,
        "reason": row.no_reply,
        "contact": row.name or "",
        "from": meta.get("from") or "",
        "subject": meta.get("subject") or "",
        "text": (row.text or "")[:PREVIEW],
        "created_at": created.isoformat(),
    }


async def list_unanswered(request: web.Request) -> web.Response:
    """GET /api/agent/unanswered?reason=&channel=&before=<id>&limit=N."""
    agent = await _agent(request)
    reason, channel = _code(request, "reason"), _code(request, "channel")
    try:
        limit = max(1, min(int(request.query.get("limit", "100")), 500))
    except ValueError:
        raise BadRequest("limit must be a whole number.", code="bad_limit") from None
    before = row_id(request.query.get("before", "")) if request.query.get("before") else None
    where = [
        Message.no_reply.is_not(None),
        Message.sender == "customer",
        teams.visible(agent),
        *((Conversation.channel == channel,) if channel else ()),
    ]
    rows_q = (
        select(
            Message.id,
            Message.conversation_id,
            Message.seq,
            Message.no_reply,
            Message.text,
            Message.meta,
            Message.created_at,
            Conversation.channel,
            Contact.name,
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(*where)
        .where(*((Message.no_reply == reason,) if reason else ()))
        .where(*((Message.id < before,) if before else ()))
        .order_by(Message.id.desc())
        .limit(limit)
    )
    counts_q = (
        select(Message.no_reply, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(*where)
        .group_by(Message.no_reply)
    )
    async with request.app[SERVICES].db.reader() as session:
        rows = (await session.execute(rows_q)).all()
        counts = (await session.execute(counts_q)).all()
    ranked = sorted(((str(r), int(n)) for r, n in counts), key=lambda rn: (-rn[1], rn[0]))
    reasons = [{"reason": r, "count": n} for r, n in ranked]
    return json_response(
        {"messages": [unanswered_json(r) for r in rows], "reasons": reasons, "limit": limit}
    )


async def page(_request: web.Request) -> web.FileResponse:
    """The unanswered-messages page of the console."""
    return web.FileResponse(STATIC / "unanswered.html", headers={"Cache-Control": "no-cache"})


def setup(app: web.Application) -> None:
    """Mount the unanswered-messages API and page."""
    app.router.add_get("/api/agent/unanswered", list_unanswered)
    app.router.add_get("/agent/unanswered", page)
