"""One search box for the console: conversations (by their messages or their contact) and
tickets (by number, subject, or the conversation they track), each with the matching snippet.

``GET /api/agent/search?q=`` answers what an agent types: a word from the middle of an old
Chinese message (退货 in 我想申请退货), a customer's name, phone or email, a ticket number
(#1001). Resolved conversations are found like any other. Agents only find what their team
may see. Messages come from the index in :mod:`handoff.search_index`, kept up to date by a
background task and topped up before each search, so a message sent a moment ago is found.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import and_, or_, select

from core.context import SERVICES
from core.errors import BadRequest
from core.models import OWNERS, Agent, Contact, Conversation, Ticket
from core.web import json_response, row_id
from handoff import teams
from handoff.http import current_agent
from handoff.keys import INDEX
from handoff.search_index import BATCH, MessageIndex, normalize, pieces
from handoff.views import conversations_json, ticket_brief

log = logging.getLogger(__name__)

MAX_QUERY = 100
SNIPPET_CONTEXT = 30
# Message hits fetched per search: enough to fill the page after grouping by conversation.
CANDIDATES = 200
IDLE_SECONDS = 2.0


def snippet(text: str, words: list[str]) -> dict[str, Any]:
    """The part of ``text`` around the first word found, with where that word is in it."""
    folded = normalize(text)
    at, size = -1, 0
    if len(folded) == len(text):  # offsets of the folded text are the original's
        for w in words:
            at = folded.find(w)
            if at >= 0:
                size = len(w)
                break
    if at < 0:
        return {"text": text[: 2 * SNIPPET_CONTEXT], "start": None, "end": None}
    lo = max(0, at - SNIPPET_CONTEXT)
    hi = min(len(text), at + size + SNIPPET_CONTEXT)
    lead = "…" if lo > 0 else ""
    out = lead + text[lo:hi] + ("…" if hi < len(text) else "")
    start = len(lead) + at - lo
    return {"text": out, "start": start, "end": start + size}


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(
    session: Any,
    index: MessageIndex,
    agent: Agent,
    query: str,
    limit: int,
    narrow: list[Any] | None = None,
) -> dict[str, Any]:
    """Conversations and tickets matching ``query`` that ``agent`` may see, newest first;
    ``narrow`` are further conditions on Conversation (the filters)."""
    words = pieces(query)
    seen = [teams.visible(agent), *(narrow or [])]
    found: dict[int, dict[str, Any]] = {}  # conversation id -> why it matched

    hits = await index.candidates(session, query, seen, CANDIDATES)
    for m in hits:
        text = normalize(m.text or "")
        if m.conversation_id in found or not all(w in text for w in words):
            continue  # a newer hit of this conversation is shown, or the pairs were apart
        found[m.conversation_id] = {
            "matched": "message",
            "snippet": {**snippet(m.text or "", words), "seq": m.seq, "sender": m.sender},
        }
        if len(found) >= limit:
            break

    contact_match = [
        or_(*(col.ilike(_like(w), escape="\\") for col in _CONTACT_FIELDS)) for w in words
    ]
    contacts = {
        c.id: c
        for c in (
            await session.execute(select(Contact).where(*contact_match).limit(limit))
        ).scalars()
    }
    if contacts:
        for conv in (
            await session.execute(
                select(Conversation)
                .where(Conversation.contact_id.in_(contacts), *seen)
                .order_by(Conversation.last_activity_at.desc())
                .limit(limit)
            )
        ).scalars():
            if conv.id in found:
                continue
            c = contacts[conv.contact_id]
            shown = " · ".join(str(v) for v in (c.name, c.phone, c.email, c.company) if v)
            found[conv.id] = {"matched": "contact", "snippet": snippet(shown, words)}

    convs = {
        c.id: c
        for c in (
            await session.execute(select(Conversation).where(Conversation.id.in_(found)))
        ).scalars()
    }
    ordered = [convs[i] for i in found if i in convs][:limit]
    conversations = []
    for data in await conversations_json(session, ordered):
        data.update(found[data["id"]])
        conversations.append(data)

    tickets = await _tickets(session, seen, query, words, found, limit)
    return {"query": query, "conversations": conversations, "tickets": tickets}


_CONTACT_FIELDS = (Contact.name, Contact.phone, Contact.email, Contact.company)


async def _tickets(
    session: Any,
    seen: list[Any],
    query: str,
    words: list[str],
    found: dict[int, dict[str, Any]],
    limit: int,
) -> list[dict[str, Any]]:
    """Tickets by number or subject, then the tickets of the conversations found above."""
    direct: Any = and_(
        *(or_(Ticket.subject.ilike(_like(w), escape="\\"), Ticket.category == w) for w in words)
    )
    number = query.strip().lstrip("#")
    if number.isdigit() and len(number) < 10:
        direct = or_(direct, Ticket.number == int(number))
    tracked = Ticket.conversation_id.in_(list(found)) if found else None
    where = or_(direct, tracked) if tracked is not None else direct
    rows = list(
        (
            await session.execute(
                select(Ticket)
                .join(Conversation, Conversation.id == Ticket.conversation_id)
                .where(where, *seen)
                .order_by(Ticket.id.desc())
                .limit(limit)
            )
        ).scalars()
    )
    out = []
    for t in rows:
        data = ticket_brief(t)
        data["conversation_id"] = t.conversation_id
        why = found.get(t.conversation_id)
        if why is not None and not any(w in normalize(t.subject or "") for w in words):
            data["snippet"] = why["snippet"]
        else:
            data["snippet"] = snippet(f"#{t.number} {t.subject or ''}", words)
        out.append(data)
    return out


def filters(request: web.Request, agent: Agent) -> list[Any]:
    """``owner``, ``channel``, ``assignee`` (``me`` or an id), ``since`` and ``until``
    (dates, in the configured time zone) as conditions on Conversation; 400 when malformed."""
    q = request.query
    out: list[Any] = []
    owner = q.get("owner")
    if owner:
        if owner not in OWNERS:
            raise BadRequest(f"owner must be one of {', '.join(OWNERS)}.", code="bad_owner")
        out.append(Conversation.owner == owner)
    if q.get("channel"):
        out.append(Conversation.channel == q["channel"])
    assignee = q.get("assignee")
    if assignee:
        who = agent.id if assignee == "me" else row_id(assignee)
        if who is None:
            raise BadRequest("assignee must be me or an agent id.", code="bad_assignee")
        out.append(Conversation.assignee_id == who)
    zone = ZoneInfo(request.app[SERVICES].settings.sla.timezone)
    for key, late in (("since", False), ("until", True)):
        value = q.get(key)
        if not value:
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"{key} must be a date like 2026-12-03.", code="bad_date") from None
        edge = datetime.combine(day + timedelta(days=1 if late else 0), time(), tzinfo=zone)
        out.append(
            Conversation.last_activity_at < edge if late else Conversation.last_activity_at >= edge
        )
    return out


async def search_route(request: web.Request) -> web.Response:
    """GET /api/agent/search?q=&limit=&owner=&channel=&assignee=&since=&until=:
    conversations and tickets with the matching snippet."""
    agent = await current_agent(request)
    # Control characters match nothing and PostgreSQL refuses NUL in text: drop them.
    query = "".join(ch for ch in request.query.get("q") or "" if ch >= " ").strip()
    if not query:
        raise BadRequest("Type something to search for.", code="bad_query")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"Search for at most {MAX_QUERY} characters.", code="bad_query")
    try:
        limit = max(1, min(int(request.query.get("limit", "20")), 50))
    except ValueError:
        raise BadRequest("limit must be a whole number.", code="bad_limit") from None
    narrow = filters(request, agent)
    index = request.app[INDEX]
    await index.catch_up()  # what was said a moment ago is findable now
    async with request.app[SERVICES].db.reader() as session:
        body = await search(session, index, agent, query, limit, narrow)
    return json_response(body)


async def keep_indexing(app: web.Application) -> AsyncIterator[None]:
    """Fill the index behind the messages table for as long as the app runs."""
    index = app[INDEX]

    async def loop() -> None:
        while True:
            try:
                done = await index.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: try again later, lose nothing
                log.warning("search index: catching up failed; retrying", exc_info=True)
                done = 0
            # Caught up: wait, so that under load one batch carries many messages (the
            # per-batch cost is fixed); a search catches up itself, so nothing is missed.
            if done < BATCH:
                await asyncio.sleep(IDLE_SECONDS)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


__all__ = ["keep_indexing", "search", "search_route", "snippet"]
