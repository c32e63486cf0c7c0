"""Console routes for files, typing and the customer's read state (issue 15).

- ``POST /api/agent/conversations/{id}/attachments``: an agent sends a file (multipart
  ``file``, optional ``text`` caption). The type is read from the bytes (core/filetypes.py),
  the size is capped by ``[attachments] upload_max_bytes``, the channel must deliver that
  kind of file (its ``capabilities.media_kinds``). Stored once (content-addressed) and sent
  as a reply through the outbox like any other.
- ``GET /api/agent/upload-limits``: what the console may send, to check before uploading.
- ``POST /api/agent/conversations/{id}/typing {"on"}``: the agent is writing; the customer's
  widget shows it (throttled: one "on" per conversation and agent every 2 s).
- ``GET /api/agent/conversations/{id}/receipts``: how far the customer's widget has received
  and read the conversation.
"""

from __future__ import annotations

import time

from aiohttp import web

from core.context import SERVICES
from core.errors import BadRequest
from core.filetypes import check, clean_name, read_upload
from core.receipts import read_marks
from core.web import json_response, read_json
from handoff import teams
from handoff.http import conversation_id, current_agent
from handoff.keys import HANDOFF, TYPING
from handoff.views import message_json

TYPING_EVERY = 2.0  # seconds between two "on" events of one agent in one conversation


def _media_kinds(request: web.Request, channel: str) -> frozenset[str]:
    sender = request.app[SERVICES].outbox.senders.get(channel)
    caps = getattr(sender, "capabilities", None)
    return frozenset(getattr(caps, "media_kinds", frozenset()))


async def send_file(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/attachments (multipart: file, text?, private?)."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    services = request.app[SERVICES]
    async with services.db.reader() as session:
        conv = await teams.ensure_visible(session, agent, conv_id)
        channel = conv.channel
    limit = services.settings.attachments.upload_max_bytes
    upload = await read_upload(request, limit)
    ftype = check(upload.data, upload.name)
    private = upload.fields.get("private", "false") == "true"
    if not private and ftype.kind not in _media_kinds(request, channel):
        raise BadRequest(
            f"The {channel} channel cannot deliver this kind of file ({ftype.kind}).",
            code="channel_no_files",
        )
    saved = await services.attachments.save(
        upload.data, kind=ftype.kind, mime=ftype.mime, name=clean_name(upload.name, ftype)
    )
    text = upload.fields.get("text", "")
    msg = await request.app[HANDOFF].reply(agent, conv_id, text, private, attachments=(saved,))
    return json_response({"message": message_json(msg)}, status=201)


async def upload_limits(request: web.Request) -> web.Response:
    """GET /api/agent/upload-limits: the size limit and the kinds each channel delivers."""
    await current_agent(request)
    senders = request.app[SERVICES].outbox.senders
    return json_response(
        {
            "max_bytes": request.app[SERVICES].settings.attachments.upload_max_bytes,
            "channels": {name: sorted(_media_kinds(request, name)) for name in senders},
        }
    )


async def typing(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/typing {"on": true|false}."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    body = await read_json(request, max_bytes=1024)
    on = body.get("on")
    if not isinstance(on, bool):
        raise BadRequest("on must be true or false.", code="bad_typing")
    services = request.app[SERVICES]
    marks: dict[tuple[int, int], float] = request.app[TYPING]
    key, now = (agent.id, conv_id), time.monotonic()
    if on and now - marks.get(key, 0.0) < TYPING_EVERY:
        return json_response({"sent": False})  # throttled: the widget shows it already
    await teams.check(services.db, agent, conv_id)
    if on:
        marks[key] = now
        if len(marks) > 10_000:
            marks.clear()
    else:
        marks.pop(key, None)
    await services.events.typing(conv_id, "agent", on)
    return json_response({"sent": True})


async def receipts(request: web.Request) -> web.Response:
    """GET /api/agent/conversations/{id}/receipts: the customer's delivered and read marks."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    delivered, read = await read_marks(request.app[SERVICES].db, conv_id)
    return json_response({"conversation_id": conv_id, "delivered_seq": delivered, "read_seq": read})
