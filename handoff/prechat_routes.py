"""Admins set each web chat inbox's pre-chat form: name, phone and email, each off, optional
or required (``inboxes.prechat``; the widget reads it through ``GET /api/webchat/profile``).
An inbox never set follows ``[desk] prechat_fields`` / ``prechat_required``."""

from __future__ import annotations

from aiohttp import web

from core.context import SERVICES
from core.conversations import inbox_id
from core.errors import BadRequest
from core.models import Inbox
from core.web import json_response, read_json
from handoff.http import current_agent, require_role
from handoff.prechat import FIELDS, MODES, form_of
from handoff.team_routes import inbox_channel


def _webchat_inbox(request: web.Request) -> str:
    name = request.match_info["name"]
    if inbox_channel(request, name) != "webchat":
        raise BadRequest("Only a web chat inbox has a pre-chat form.", code="not_webchat")
    return name


async def get_prechat(request: web.Request) -> web.Response:
    """GET /api/admin/inboxes/{name}/prechat: the inbox's form and whether it is the default."""
    require_role(await current_agent(request), "admin", "supervisor")
    name = _webchat_inbox(request)
    async with request.app[SERVICES].db.transaction() as session:
        inbox = await session.get(Inbox, await inbox_id(session, name, "webchat"))
        assert inbox is not None
        form = form_of(inbox, request.app[SERVICES].settings.desk)
        default = inbox.prechat is None
    return json_response({"inbox": name, "form": form, "default": default})


async def put_prechat(request: web.Request) -> web.Response:
    """PUT /api/admin/inboxes/{name}/prechat {"name","phone","email": "off"|"optional"|
    "required"} (admin); a field left out is off; ``{"default": true}`` goes back to the
    ``[desk]`` defaults."""
    require_role(await current_agent(request), "admin")
    name = _webchat_inbox(request)
    body = await read_json(request)
    form: dict[str, str] | None = None
    if body.get("default") is not True:
        if unknown := sorted(set(body) - set(FIELDS)):
            raise BadRequest(f"Unknown field {unknown[0][:40]!r}.", code="bad_prechat")
        if any(body.get(f, "off") not in MODES for f in FIELDS):
            raise BadRequest("Each field is off, optional or required.", code="bad_prechat")
        form = {f: str(body.get(f, "off")) for f in FIELDS}
    async with request.app[SERVICES].db.transaction() as session:
        inbox = await session.get(Inbox, await inbox_id(session, name, "webchat"))
        assert inbox is not None
        inbox.prechat = form
        shown = form_of(inbox, request.app[SERVICES].settings.desk)
    return json_response({"inbox": name, "form": shown, "default": form is None})
