"""The learning page's API: missed and voted-down questions, grouped, and what to do with them.

    GET  /api/agent/learning?days=7|30        groups of questions, biggest first, and the
                                              questions customers labelled (suggestions)
    POST /api/agent/learning/similar          {"message_id", "entry_id"}: add the question to
                                              the entry's similar questions (KB authoring)
    POST /api/agent/learning/draft            {"message_id"}: the question, for a new draft
    POST /api/agent/learning/dismiss          {"message_ids": [...]}: not worth learning

Who may: agents with knowledge-base rights (``kb.authoring.AUTHORS``), on the conversations
their team may see. Adding to a published entry is an edit of it, so the authoring rules
apply as they do on the KB page (publishers only); the index is swapped before the answer
returns, so the bot's next answer already knows the question.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.context import SERVICES
from core.errors import BadRequest, Forbidden, NotFound
from core.models import Agent
from core.web import json_response, read_json
from handoff import learning, learning_groups, teams
from handoff.http import STATIC, current_agent
from kb.authoring import AUTHORS, Author
from kb.routes import AUTHORING, entry_json
from kb.text import normalize
from kb.types import EntryIn

MAX_DISMISS = 500


async def _kb_agent(request: web.Request) -> Agent:
    """The logged-in agent, if they have knowledge-base rights."""
    agent = await current_agent(request)
    if agent.role not in AUTHORS:
        raise Forbidden("This page needs knowledge-base rights.", code="no_kb_rights")
    return agent


def _message_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise BadRequest("message_id must be a message number.", code="bad_message_id")
    return value


async def list_groups(request: web.Request) -> web.Response:
    """GET /api/agent/learning?days=7|30."""
    agent = await _kb_agent(request)
    raw = request.query.get("days", "7")
    if raw not in {str(d) for d in learning.WINDOWS}:
        raise BadRequest("days must be 7 or 30.", code="bad_learning_days")
    days = int(raw)
    kb = request.app[AUTHORING].kb
    db, visible, since = request.app[SERVICES].db, teams.visible(agent), learning.since(days)
    every = await learning.questions(db, visible, since)
    found = every[: learning.MAX_QUESTIONS]
    result = learning_groups.grouped(found, await kb.embed([q.text for q in found]))
    labelled = learning_groups.suggest(await learning.examples(db, visible, since), every)
    groups = []
    for g in result.groups:
        entries = []
        for entry_id, count in g.entries:
            hit = await kb.get(entry_id)
            entries.append(
                {"id": entry_id, "question": hit.question if hit else None, "count": count}
            )
        groups.append(
            {
                "id": g.questions[0].message_id,
                "count": len(g.questions),
                "channels": g.channels,
                "entries": entries,
                "questions": [_question(q) for q in g.questions[: learning_groups.SAMPLES]],
                "message_ids": [q.message_id for q in g.questions],
            }
        )
    return json_response(
        {
            "days": days,
            "questions": result.questions,
            "left_over": result.left_over,
            "groups": groups,
            "suggestions": await _new_suggestions(request, labelled),
        }
    )


async def _new_suggestions(
    request: web.Request, found: list[learning_groups.Suggestion]
) -> list[dict[str, Any]]:
    """The suggestions whose entry is published and does not know the question yet."""
    authoring = request.app[AUTHORING]
    out = []
    for x in found:
        if await authoring.kb.get(x.entry_id) is None:
            continue  # archived or unpublished since
        record, _ = await authoring.get(x.entry_id)
        known = {normalize(t) for t in (record.question, *record.similar)}
        if normalize(x.text) in known:
            continue
        out.append(
            {
                "text": x.text,
                "entry": {"id": record.id, "question": record.question},
                "customers": x.customers,
                "picks": x.picks,
                "ups": x.ups,
                "message_id": x.message_ids[0],
                "message_ids": list(x.message_ids),
            }
        )
    return out


def _question(q: learning_groups.Question) -> dict[str, Any]:
    return {
        "message_id": q.message_id,
        "conversation_id": q.conversation_id,
        "text": q.text,
        "channel": q.channel,
        "why": q.why,
        "entry_id": q.entry_id,
        "at": q.at.isoformat(),
    }


async def add_similar(request: web.Request) -> web.Response:
    """POST /api/agent/learning/similar {"message_id", "entry_id"}."""
    agent = await _kb_agent(request)
    body = await read_json(request)
    entry_id = body.get("entry_id")
    if not isinstance(entry_id, str) or not entry_id.strip():
        raise BadRequest("Pick the entry the question belongs to.", code="bad_entry")
    db = request.app[SERVICES].db
    question = await learning.customer_question(
        db, teams.visible(agent), _message_id(body.get("message_id"))
    )
    authoring = request.app[AUTHORING]
    record, _ = await authoring.get(entry_id.strip())
    known = {record.question.casefold(), *(s.casefold() for s in record.similar)}
    if question.text.casefold() not in known:
        entry = EntryIn(
            id=record.id,
            question=record.question,
            answer=record.answer,
            similar=(*record.similar, question.text),
            category=record.category,
            language=record.language,
            group=record.group,
        )
        record = await authoring.edit(entry, _author(agent), version=record.version)
    await learning.mark(db, [question.message_id], "added", agent.id, entry_id=record.id)
    return json_response({"entry": entry_json(record)})


async def start_draft(request: web.Request) -> web.Response:
    """POST /api/agent/learning/draft {"message_id"}: the question, marked as drafted."""
    agent = await _kb_agent(request)
    body = await read_json(request)
    db = request.app[SERVICES].db
    question = await learning.customer_question(
        db, teams.visible(agent), _message_id(body.get("message_id"))
    )
    await learning.mark(db, [question.message_id], "drafted", agent.id)
    return json_response({"question": question.text})


async def dismiss(request: web.Request) -> web.Response:
    """POST /api/agent/learning/dismiss {"message_ids": [...]}."""
    agent = await _kb_agent(request)
    body = await read_json(request)
    ids = body.get("message_ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_DISMISS:
        raise BadRequest("message_ids must list the group's questions.", code="bad_message_id")
    db = request.app[SERVICES].db
    wanted = [_message_id(i) for i in ids]
    mine = await learning.customer_questions(db, teams.visible(agent), wanted)
    if len(mine) != len(set(wanted)):  # only questions the agent may see
        raise NotFound("There is no such customer question.", code="no_question")
    await learning.mark(db, [q.message_id for q in mine], "dismissed", agent.id)
    return json_response({"dismissed": len(mine)})


def _author(agent: Agent) -> Author:
    return Author(id=agent.id, name=agent.name or agent.email, role=agent.role)


async def page(_request: web.Request) -> web.FileResponse:
    """The learning page of the console."""
    return web.FileResponse(STATIC / "learning.html", headers={"Cache-Control": "no-cache"})
