"""The console's contact routes: edit a customer's details and merge two contacts.

Every change is audited in ``contact_events`` (who, which fields, old and new values; which
contact was merged into which). An agent reaches a contact through a conversation they may
see (team rules of ``handoff.teams``); supervisors and admins reach every contact.
Phone numbers and emails are cleaned as the customer importers clean them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import exists, func, or_, select

from core.contacts import TIERS
from core.context import SERVICES
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.models import Agent, Contact, Conversation
from core.web import json_response, read_json, row_id
from handoff import teams
from handoff.http import current_agent
from handoff.tables import ContactEvent
from intake.imports.cleaning import Invalid, clean_email, clean_phone
from intake.products import merge_customers
from privacy.masking import mask_contact, sees_full

EDITABLE = ("name", "phone", "email", "company", "tier", "note")
LIMITS = {"name": 200, "company": 200, "note": 5000}


def _contact_id(request: web.Request, key: str = "id") -> int:
    value = row_id(request.match_info[key])
    if value is None:
        raise NotFound("There is no such contact.", code="no_contact")
    return value


async def ensure_contact(session: Any, agent: Agent, contact_id: int) -> Contact:
    """The contact, if ``agent`` may see one of its conversations (or sees everything)."""
    contact: Contact | None = await session.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        raise NotFound(f"Contact {contact_id} does not exist.", code="no_contact")
    if agent.role in teams.SEE_ALL:
        return contact
    seen = (
        await session.execute(
            select(Conversation.id)
            .where(Conversation.contact_id == contact_id, teams.visible(agent))
            .limit(1)
        )
    ).scalar()
    if seen is None:
        raise Forbidden(teams.OTHER_TEAM, code="other_team")
    return contact


def cleaned(body: dict[str, Any]) -> dict[str, Any]:
    """The editable fields of ``body``, validated and cleaned; each error has its own code
    so the console words it in the agent's language."""
    out: dict[str, Any] = {}
    for key in EDITABLE:
        if key not in body:
            continue
        value = body[key]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise BadRequest(f"{key} must be a string.", code="bad_contact")
        value = value.strip()
        if key == "phone":
            try:
                out[key] = clean_phone(value) or None
            except Invalid as err:
                raise BadRequest(f"{err}.", code="bad_phone") from None
        elif key == "email":
            try:
                out[key] = clean_email(value) or None
            except Invalid as err:
                raise BadRequest(f"{err}.", code="bad_email") from None
        elif key == "tier":
            if value not in TIERS:
                raise BadRequest(f"tier must be one of {', '.join(TIERS)}.", code="bad_tier")
            out[key] = value
        else:
            if len(value) > LIMITS[key]:
                raise BadRequest(
                    f"{key} is longer than {LIMITS[key]} characters.", code="contact_too_long"
                )
            out[key] = value if key == "name" else (value or None)
    if not out:
        raise BadRequest("Give at least one field to change.", code="bad_contact")
    return out


def contact_json(c: Contact) -> dict[str, Any]:
    """A contact as the console shows it."""
    return {
        "id": c.id,
        "name": c.name,
        "phone": c.phone,
        "email": c.email,
        "company": c.company,
        "tier": c.tier,
        "note": c.note,
        "updated_at": c.updated_at.isoformat() if c.updated_at else None,
    }


async def _events(session: Any, contact_id: int, masked: bool) -> list[dict[str, Any]]:
    names = {a.id: a.name for a in (await session.execute(select(Agent))).scalars()}
    rows = (
        await session.execute(
            select(ContactEvent)
            .where(ContactEvent.contact_id == contact_id)
            .order_by(ContactEvent.id.desc())
            .limit(50)
        )
    ).scalars()
    out = []
    for e in rows:
        detail = dict(e.detail)
        if masked and "changes" in detail:  # which fields, not the values
            detail["changes"] = {k: {} for k in detail["changes"]}
        out.append(
            {
                "action": e.action,
                "agent": names.get(e.agent_id) if e.agent_id else None,
                "detail": detail,
                "created_at": e.created_at.isoformat(),
            }
        )
    return out


async def _response(request: web.Request, agent: Agent, contact_id: int) -> web.Response:
    privacy = request.app[SERVICES].settings.privacy
    async with request.app[SERVICES].db.reader() as session:
        contact = await ensure_contact(session, agent, contact_id)
        data = contact_json(contact)
        masked = not sees_full(agent, privacy)
        if masked:
            mask_contact(data, [])
        events = await _events(session, contact_id, masked)
    return json_response({"contact": data, "events": events})


async def get_contact(request: web.Request) -> web.Response:
    """GET /api/agent/contacts/{id}: the contact's fields and its change history."""
    agent = await current_agent(request)
    return await _response(request, agent, _contact_id(request))


async def patch_contact(request: web.Request) -> web.Response:
    """PATCH /api/agent/contacts/{id} {"name","phone","email","company","tier","note"}."""
    agent = await current_agent(request)
    contact_id = _contact_id(request)
    fields = cleaned(await read_json(request))
    async with request.app[SERVICES].db.transaction() as session:
        contact = await ensure_contact(session, agent, contact_id)
        for key in ("phone", "email"):
            value = fields.get(key)
            if not value or value == getattr(contact, key):
                continue
            column = getattr(Contact, key)
            query = select(Contact.id).where(column == value, Contact.id != contact.id)
            other = (await session.execute(query)).scalar()
            if other is not None:
                raise Conflict(
                    f"Contact {other} already has this {key}; merge the two instead.",
                    code="contact_exists",
                )
        changes = {
            k: {"from": getattr(contact, k), "to": v}
            for k, v in fields.items()
            if getattr(contact, k) != v
        }
        for key in changes:
            setattr(contact, key, fields[key])
        if changes:
            session.add(
                ContactEvent(
                    contact_id=contact.id,
                    agent_id=agent.id,
                    action="edit",
                    detail={"changes": changes},
                )
            )
    return await _response(request, agent, contact_id)


async def merge_route(request: web.Request) -> web.Response:
    """POST /api/agent/contacts/{id}/merge {"into": other contact id}: conversations,
    identities and tickets move to ``into``; contact ``id`` disappears; both are recorded."""
    agent = await current_agent(request)
    source_id = _contact_id(request)
    body = await read_json(request)
    into = body.get("into")
    if not isinstance(into, int) or isinstance(into, bool) or not 0 < into < 2**31:
        raise BadRequest("into must be a contact id.", code="bad_into")
    async with request.app[SERVICES].db.transaction() as session:
        source = await ensure_contact(session, agent, source_id)
        await ensure_contact(session, agent, into)
        moved = (
            await session.execute(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.contact_id == source_id)
            )
        ).scalar_one()
        before = contact_json(source)
        try:
            await merge_customers(session, source_id, into)
        except Conflict as err:  # merging into itself has the console's own code
            if err.code != "merge_self":
                raise
            raise Conflict(err.message, code="merge_contact_self") from None
        session.add(
            ContactEvent(
                contact_id=into,
                agent_id=agent.id,
                action="merge",
                detail={"merged": source_id, "name": before["name"], "conversations": moved},
            )
        )
        session.add(
            ContactEvent(
                contact_id=source_id,
                agent_id=agent.id,
                action="merged_into",
                detail={"into": into, "was": before},
            )
        )
    return await _response(request, agent, into)


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_contacts(request: web.Request) -> web.Response:
    """GET /api/agent/contacts?q=: up to 20 contacts by name, phone, email or company (the
    merge picker); only contacts with a conversation the agent may see."""
    agent = await current_agent(request)
    query = "".join(ch for ch in request.query.get("q") or "" if ch >= " ").strip()[:100]
    if not query:
        raise BadRequest("Type something to search for.", code="bad_query")
    pattern = _like(query)
    cond = or_(
        *(
            col.ilike(pattern, escape="\\")
            for col in (Contact.name, Contact.phone, Contact.email, Contact.company)
        )
    )
    if query.isascii() and query.isdigit():
        cond = or_(cond, Contact.id == int(query[:9]))
    seen = exists().where(Conversation.contact_id == Contact.id, teams.visible(agent))
    privacy = request.app[SERVICES].settings.privacy
    async with request.app[SERVICES].db.reader() as session:
        rows = (
            await session.execute(
                select(Contact)
                .where(cond, seen, Contact.erased_at.is_(None))
                .order_by(Contact.id)
                .limit(20)
            )
        ).scalars()
        out = []
        for c in rows:
            data = contact_json(c)
            if not sees_full(agent, privacy):
                mask_contact(data, [])
            out.append(data)
    return json_response({"contacts": out})


def readable_identity(channel: str, external_id: str) -> str | None:
    """An identity a person can read (an email address, a phone number); None for opaque
    tokens (web visitor ids, WeChat openids), which the console does not show."""
    return external_id if channel in ("email", "sms", "phone") else None
