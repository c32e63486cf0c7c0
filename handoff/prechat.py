"""What the web chat widget asks a customer for: the optional pre-chat form and, when no
agent is online, an email or phone so the answer can reach the customer later.

``GET /api/webchat/profile?token=`` tells the widget which pre-chat fields to show (the
conversation's inbox's form, set by an admin, else ``[desk] prechat_fields`` /
``prechat_required``), whether the customer waits in the queue with no
agent online, and whether we already have a way to reach them. ``POST /api/webchat/profile``
``{"token", "name", "phone", "email"}`` stores what the customer gave on their contact
(cleaned as the importers clean, recorded in ``contact_events`` with no agent).
The visitor token of the widget is the only credential: it names one conversation.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from core.channel_store import users_conversation
from core.context import SERVICES
from core.errors import BadRequest, Forbidden, Unauthorized
from core.models import Contact, Conversation, Inbox
from core.security import TokenSigner
from core.web import error_body, json_response, read_json
from handoff.assignment import online_agents
from handoff.contacts_routes import cleaned
from handoff.settings import DeskSettings
from handoff.tables import ContactEvent

CHANNEL = "webchat"
FIELDS = ("name", "phone", "email")
MODES = ("off", "optional", "required")


def form_of(inbox: Inbox | None, desk: DeskSettings) -> dict[str, str]:
    """The pre-chat form of a web chat inbox: each field off, optional or required. An inbox
    an admin has not set follows ``[desk] prechat_fields`` / ``prechat_required`` (in their
    order)."""
    stored = inbox.prechat if inbox is not None else None
    if isinstance(stored, dict):
        return {f: stored[f] if stored.get(f) in MODES else "off" for f in FIELDS}
    order = [*desk.prechat_fields, *(f for f in FIELDS if f not in desk.prechat_fields)]
    return {
        f: ("required" if f in desk.prechat_required else "optional")
        if f in desk.prechat_fields
        else "off"
        for f in order
    }


def _origin_ok(request: web.Request) -> bool:
    """Same rule as the widget's session endpoint: its own site or ``allowed_origins``."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    allowed = request.app[SERVICES].settings.webchat.allowed_origins
    if "*" in allowed or origin.rstrip("/") in {o.rstrip("/") for o in allowed}:
        return True
    return origin.split("://", 1)[-1] == request.host


def _cors(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin and _origin_ok(request):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


async def _conversation(request: web.Request, token: Any) -> int:
    """The conversation the visitor token names (401 when it is not a live token)."""
    if not _origin_ok(request):
        raise Forbidden("This site may not embed the chat.", code="origin_not_allowed")
    if not isinstance(token, str) or not token:
        raise Unauthorized("The token is malformed.", code="invalid_token")
    services = request.app[SERVICES]
    payload = TokenSigner(services.secret, "webchat-visitor").verify(token)
    visitor, conv_id = payload.get("v"), payload.get("c")
    if not isinstance(visitor, str) or not isinstance(conv_id, int):
        raise Unauthorized("The token is malformed.", code="invalid_token")
    if await users_conversation(services.db, CHANNEL, visitor, conv_id) is None:
        raise Unauthorized("The conversation of this token no longer exists.", code="invalid_token")
    return conv_id


async def get_profile(request: web.Request) -> web.StreamResponse:
    """GET /api/webchat/profile?token=: the pre-chat form and the offline ask."""
    conv_id = await _conversation(request, request.query.get("token"))
    desk = request.app[SERVICES].settings.desk
    async with request.app[SERVICES].db.reader() as session:
        conv = await session.get(Conversation, conv_id)
        assert conv is not None
        contact = await session.get(Contact, conv.contact_id)
        online = bool(await online_agents(session))
        form = form_of(await session.get(Inbox, conv.inbox_id), desk)
    reachable = bool(contact and (contact.email or contact.phone))
    body = {
        "prechat": {
            "fields": [f for f, mode in form.items() if mode != "off"],
            "required": [f for f, mode in form.items() if mode == "required"],
            "form": form,
        },
        "known": {f: bool(contact and getattr(contact, f)) for f in FIELDS},
        "agents_online": online,
        # Waiting for a person who is not there, and we could not tell them the answer.
        "ask_contact": desk.offline_contact
        and conv.owner == "queued"
        and not online
        and not reachable,
    }
    return _cors(request, json_response(body))


async def post_profile(request: web.Request) -> web.StreamResponse:
    """POST /api/webchat/profile {"token","name","phone","email"}: saved on the contact."""
    body = await read_json(request, max_bytes=8192)
    conv_id = await _conversation(request, body.get("token"))
    given = {k: body[k] for k in FIELDS if isinstance(body.get(k), str) and body[k].strip()}
    if not given:
        raise BadRequest("Give a name, a phone or an email.", code="bad_contact")
    fields = cleaned(given)
    desk = request.app[SERVICES].settings.desk
    async with request.app[SERVICES].db.transaction() as session:
        conv = await session.get(Conversation, conv_id)
        assert conv is not None
        contact = await session.get(Contact, conv.contact_id, with_for_update=True)
        assert contact is not None
        extra = []
        for key in ("phone", "email"):
            value = fields.get(key)
            if not value or value == getattr(contact, key):
                continue
            column = getattr(Contact, key)
            query = select(Contact.id).where(column == value, Contact.id != contact.id)
            if (await session.execute(query)).scalar() is not None:
                # Another customer has it: an agent merges the two; keep it in the note.
                extra.append(f"{key}: {fields.pop(key)}")
        form = form_of(await session.get(Inbox, conv.inbox_id), desk)
        required = [f for f, mode in form.items() if mode == "required"]
        missing = [f for f in required if f not in fields and f not in extra_keys(extra)]
        if any(not getattr(contact, f) for f in missing):
            raise BadRequest("Fill in the required fields.", code="prechat_required")
        changes = {
            k: {"from": getattr(contact, k), "to": v}
            for k, v in fields.items()
            if getattr(contact, k) != v
        }
        for key in changes:
            setattr(contact, key, fields[key])
        if extra:
            contact.note = "\n".join([*([contact.note] if contact.note else []), *extra])
        if changes or extra:
            session.add(
                ContactEvent(
                    contact_id=contact.id,
                    agent_id=None,
                    action="customer",
                    detail={"changes": changes, "conversation_id": conv_id},
                )
            )
        known = {f: bool(getattr(contact, f)) for f in FIELDS}
    return _cors(request, json_response({"ok": True, "known": known}))


def extra_keys(extra: list[str]) -> set[str]:
    """The fields kept in the note (``"phone: 138..."``): given, though not stored as such."""
    return {e.split(":", 1)[0] for e in extra}


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight of the widget on a customer's site."""
    if not _origin_ok(request):
        return json_response(
            error_body("origin_not_allowed", "This site may not embed the chat."), status=403
        )
    response = web.Response(status=204)
    _cors(request, response)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return response
