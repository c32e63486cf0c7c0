"""Contacts over the public API: their fields checked, found by email or phone, created
once (the same email or phone is the same person) and changed.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.contacts import TIERS
from core.errors import BadRequest, Conflict, NotFound
from core.models import Contact, utcnow
from intake.imports.cleaning import Invalid, clean_email, clean_phone

CONTACT_FIELDS = ("name", "email", "phone", "company", "note", "tier", "language", "external_id")
# A company system's customer number: printable, no spaces at the ends, at most 255.
EXTERNAL_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")


def contact_json(c: Contact) -> dict[str, Any]:
    """A contact as the public API shows it."""
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "company": c.company,
        "note": c.note,
        "tier": c.tier,
        "language": c.language,
        "external_id": c.external_id,
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat() if c.updated_at else None,
    }


def contact_fields(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The contact fields of a request body, cleaned; BadRequest names the bad one."""
    out: dict[str, Any] = {}
    for key in CONTACT_FIELDS:
        if key not in body:
            continue
        value = body[key]
        if value is None and key not in ("name", "tier"):
            out[key] = None
            continue
        if not isinstance(value, str):
            raise BadRequest(f"{key} must be a string.", code="bad_contact")
        try:
            if key == "email":
                out[key] = clean_email(value) or None
            elif key == "phone":
                out[key] = clean_phone(value) or None
            elif key == "tier":
                if value not in TIERS:
                    raise Invalid(f"tier must be one of {', '.join(TIERS)}")
                out[key] = value
            elif key == "external_id":
                value = value.strip()
                if not EXTERNAL_ID.match(value):
                    raise Invalid("external_id must be 1-255 printable characters")
                out[key] = value
            elif key == "language":
                if value not in ("zh", "en"):
                    raise Invalid("language must be zh or en")
                out[key] = value
            else:
                limit = 200 if key in ("name", "company") else 5000
                if len(value) > limit:
                    raise Invalid(f"{key} is longer than {limit} characters")
                out[key] = value.strip()
        except Invalid as err:
            raise BadRequest(f"{err}.", code="bad_contact") from None
    if not partial and not any(out.get(k) for k in ("email", "phone", "name", "external_id")):
        raise BadRequest(
            "Give at least a name, an email, a phone or an external_id. "
            "请至少提供姓名、邮箱、手机号或外部编号。",
            code="bad_contact",
        )
    return out


async def find_contacts(
    session: AsyncSession,
    *,
    email: str | None,
    phone: str | None,
    external_id: str | None = None,
) -> list[Contact]:
    """Contacts with this email, phone or external id (after the same cleaning as on
    create)."""
    conds = []
    if external_id:
        conds.append(Contact.external_id == external_id.strip())
    try:
        if email:
            conds.append(Contact.email == clean_email(email))
        if phone:
            conds.append(Contact.phone == clean_phone(phone))
    except Invalid as err:
        raise BadRequest(f"{err}.", code="bad_query") from None
    if not conds:
        raise BadRequest(
            "Give phone=, email= or external_id= to find contacts. 请提供手机号、邮箱或外部编号。",
            code="bad_query",
        )
    rows = await session.execute(select(Contact).where(or_(*conds)).order_by(Contact.id).limit(50))
    return list(rows.scalars())


async def create_contact(session: AsyncSession, fields: dict[str, Any]) -> Contact:
    """A new contact; Conflict (with the existing id) when the email or phone is known."""
    existing = await _same_person(session, fields)
    if existing is not None:
        raise Conflict(
            f"Contact {existing.id} already has this email, phone or external id. "
            f"该邮箱、手机号或外部编号已属于联系人 {existing.id}。",
            code="contact_exists",
        )
    contact = Contact(**{"name": "", **fields})
    session.add(contact)
    await session.flush()
    return contact


async def _same_person(
    session: AsyncSession, fields: dict[str, Any], exclude: int | None = None
) -> Contact | None:
    """The first other contact with one of the email, phone or external id in ``fields``."""
    conds = [
        getattr(Contact, k) == fields[k] for k in ("email", "phone", "external_id") if fields.get(k)
    ]
    if not conds:
        return None
    stmt = select(Contact).where(or_(*conds)).order_by(Contact.id).limit(1)
    if exclude is not None:
        stmt = stmt.where(Contact.id != exclude)
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_contact(session: AsyncSession, contact_id: int, fields: dict[str, Any]) -> Contact:
    """Change a contact's fields; Conflict when the new email/phone is someone else's."""
    contact = await session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise NotFound("There is no such contact.")
    other = await _same_person(session, fields, exclude=contact.id)
    if other is not None:
        raise Conflict(
            f"Contact {other.id} already has this email, phone or external id. "
            f"该邮箱、手机号或外部编号已属于联系人 {other.id}。",
            code="contact_exists",
        )
    for key, value in fields.items():
        setattr(contact, key, value if value is not None or key != "name" else "")
    contact.updated_at = utcnow()
    return contact


async def contact_for_ticket(session: AsyncSession, spec: Any) -> Contact:
    """The ticket's contact: by ``id``, else the one with the email/phone, else a new one."""
    if not isinstance(spec, dict):
        raise BadRequest(
            'contact must be an object: {"id"} or {"name","email","phone"}.', code="bad_contact"
        )
    if "id" in spec:
        cid = spec["id"]
        if not isinstance(cid, int) or isinstance(cid, bool):
            raise BadRequest("contact.id must be a number.", code="bad_contact")
        contact = await session.get(Contact, cid) if 0 < cid < 2**31 else None
        if contact is None:
            raise NotFound(f"Contact {cid} does not exist.")
        return contact
    fields = contact_fields(spec, partial=False)
    return await _same_person(session, fields) or await create_contact(session, fields)
