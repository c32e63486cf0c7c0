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
from typing import Any

from aiohttp import web

from core.context import SERVICES
from core.errors import BadRequest
from core.unanswered import Unanswered, unanswered
from core.web import json_response, row_id
from handoff import teams
from handoff.http import STATIC, current_agent

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


def unanswered_json(m: Unanswered) -> dict[str, Any]:
    """One unanswered message as the API shows it."""
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "channel": m.channel,
        "reason": m.reason,
        "contact": m.contact,
        "from": m.sender,
        "subject": m.subject,
        "text": m.text,
        "created_at": m.created_at.isoformat(),
        "signs": list(m.signs),
    }


async def list_unanswered(request: web.Request) -> web.Response:
    """GET /api/agent/unanswered?reason=&channel=&before=<id>&limit=N."""
    agent = await current_agent(request)
    reason, channel = _code(request, "reason"), _code(request, "channel")
    try:
        limit = max(1, min(int(request.query.get("limit", "100")), 500))
    except ValueError:
        raise BadRequest("limit must be a whole number.", code="bad_limit") from None
    before = row_id(request.query.get("before", "")) if request.query.get("before") else None
    page = await unanswered(
        request.app[SERVICES].db,
        teams.visible(agent),
        reason=reason,
        channel=channel,
        before=before,
        limit=limit,
        preview=PREVIEW,
    )
    return json_response(
        {
            "messages": [unanswered_json(m) for m in page.messages],
            "reasons": [{"reason": r, "count": n} for r, n in page.reasons],
            "limit": limit,
        }
    )


async def page(_request: web.Request) -> web.FileResponse:
    """The unanswered-messages page of the console."""
    return web.FileResponse(STATIC / "unanswered.html", headers={"Cache-Control": "no-cache"})
