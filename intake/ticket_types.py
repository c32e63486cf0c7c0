"""Ticket types and their fields: definitions, versions, values, and the fields a status needs.

A type (``repair`` 报修) has fields of a kind (text, number, choice, date, phone, address,
product, photo), each with a zh/en label and optionally the status it is required before:
``required_at = "resolved"`` blocks every move of the ticket to ``resolved`` or ``closed``
while the field is empty. Types are seeded from ``[workorders] ticket_types`` the first time
and edited by admins afterwards; every edit adds a version, and a ticket keeps the version it
was typed with. How a type is written (its fields' kinds, keys and labels): intake/type_lines.py.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BadRequest, Conflict, NotFound
from core.models import Conversation, Ticket
from intake.address import ADDRESS_PROBLEMS, parse_address, problem
from intake.imports.cleaning import Invalid, clean_phone, clean_text
from intake.lifecycle import audit
from intake.products import clean_date
from intake.tables import Product, TicketFieldValue, TicketType
from intake.type_lines import KEY, STATUS_NAMES, check_fields, check_label
from intake.type_lines import parse_type_line as parse_type_line  # core/cli, handoff

RANK = {"new": 0, "open": 1, "pending": 1, "resolved": 2, "closed": 3}


# The language of the agent's request (set by handoff/workorders.py for /api/agent and
# /api/admin from the console's language cookie or Accept-Language).
LANGUAGE: ContextVar[str] = ContextVar("kefu_agent_language", default="zh")


@dataclass(frozen=True)
class Missing:
    """A required field that is empty, with its labels."""

    key: str
    zh: str
    en: str


def type_json(t: TicketType) -> dict[str, Any]:
    """A type version as the API shows it."""
    return {
        "id": t.id,
        "key": t.key,
        "version": t.version,
        "name": {"zh": t.name_zh, "en": t.name_en},
        "fields": list(t.fields or []),
        "created_at": t.created_at.isoformat(),
    }


async def seed(session: AsyncSession, lines: Sequence[str]) -> None:
    """Add version 1 of each configured type that has no version yet."""
    have = set((await session.execute(select(TicketType.key).distinct())).scalars())
    for line in lines:
        key, name, fields = parse_type_line(line)
        if key not in have:
            session.add(
                TicketType(
                    key=key, version=1, name_zh=name["zh"], name_en=name["en"], fields=fields
                )
            )
            have.add(key)
    await session.flush()


async def latest_types(session: AsyncSession) -> list[TicketType]:
    """The newest version of every type, by key."""
    newest = (
        select(TicketType.key, func.max(TicketType.version).label("v"))
        .group_by(TicketType.key)
        .subquery()
    )
    rows = await session.execute(
        select(TicketType)
        .join(newest, (newest.c.key == TicketType.key) & (newest.c.v == TicketType.version))
        .order_by(TicketType.id)
    )
    return list(rows.scalars())


async def latest_type(session: AsyncSession, key: str) -> TicketType:
    """The newest version of type ``key``; NotFound otherwise."""
    row = (
        await session.execute(
            select(TicketType)
            .where(TicketType.key == key)
            .order_by(TicketType.version.desc())
            .limit(1)
        )
    ).scalar()
    if row is None:
        raise NotFound(f"There is no ticket type {key!r}.", code="no_ticket_type")
    return row


async def new_version(
    session: AsyncSession, key: str, name: Any, fields: Any, agent_id: int | None
) -> TicketType:
    """Add a version of type ``key`` (a new type when none exists); BadRequest if invalid."""
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise BadRequest("A type key is a-z, 0-9 and _, starting with a letter.", code="bad_type")
    try:
        label = check_label(name, "name")
        checked = check_fields(fields)
    except ValueError as err:
        raise BadRequest(f"Ticket type {key}: {err}.", code="bad_type") from None
    current = (
        await session.execute(select(func.max(TicketType.version)).where(TicketType.key == key))
    ).scalar()
    row = TicketType(
        key=key,
        version=(current or 0) + 1,
        name_zh=label["zh"],
        name_en=label["en"],
        fields=checked,
        created_by=agent_id,
    )
    session.add(row)
    await session.flush()
    return row


async def ticket_type(session: AsyncSession, ticket: Ticket) -> TicketType | None:
    """The type version the ticket was typed with."""
    return await session.get(TicketType, ticket.type_id) if ticket.type_id else None


async def values_of(session: AsyncSession, ticket_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """{ticket id: {field key: value}}."""
    out: dict[int, dict[str, str]] = {i: {} for i in ticket_ids}
    for i in range(0, len(ticket_ids), 500):
        rows = await session.execute(
            select(TicketFieldValue.ticket_id, TicketFieldValue.key, TicketFieldValue.value).where(
                TicketFieldValue.ticket_id.in_(ticket_ids[i : i + 500])
            )
        )
        for tid, key, value in rows:
            out[tid][key] = value
    return out


async def _contact_of(session: AsyncSession, ticket: Ticket) -> int | None:
    return (
        await session.execute(
            select(Conversation.contact_id).where(Conversation.id == ticket.conversation_id)
        )
    ).scalar()


async def clean_value(
    session: AsyncSession,
    field: Mapping[str, Any],
    raw: Any,
    contact_id: int | None,
    zone: ZoneInfo,
) -> str:
    """A field's value as stored ("" = empty); Invalid says what is wrong with it."""
    if raw is None:
        return ""
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise Invalid("must be text or a number")
    text = clean_text(str(raw), 2000)
    if not text:
        return ""
    kind = field["kind"]
    if kind == "number":
        try:
            number = float(unicodedata.normalize("NFKC", text).replace(",", ""))
        except ValueError:
            raise Invalid(f"{text} is not a number") from None
        return str(int(number)) if number.is_integer() else str(number)
    if kind == "choice":
        low = text.lower()
        for o in field.get("options", []):
            if low in (o["key"], o["zh"].lower(), o["en"].lower()):
                return str(o["key"])
        raise Invalid(f"{text}: choose one of {', '.join(o['zh'] for o in field['options'])}")
    if kind == "date":
        day = clean_date(text, zone)
        return day.isoformat() if day else ""
    if kind == "phone":
        return clean_phone(text)
    if kind == "address":
        parsed = parse_address(text)
        if parsed is None:
            raise Invalid(f"{text}: {ADDRESS_PROBLEMS[problem(text) or 'not_address']}")
        return parsed.text
    if kind == "product":
        query = select(Product.id).where(Product.contact_id == contact_id)
        if text.isdigit():
            query = query.where(Product.id == int(text))
        else:
            query = query.where(Product.serial == text.upper().replace(" ", ""))
        found = (await session.execute(query)).scalar() if contact_id is not None else None
        if found is None:
            raise Invalid(f"{text}: not one of this customer's products")
        return str(found)
    if kind == "photo" and len(text) > 500:
        raise Invalid("longer than 500 characters")
    return text


async def set_fields(
    session: AsyncSession,
    ticket: Ticket,
    values: Mapping[str, Any],
    zone: ZoneInfo,
    type_key: str | None = None,
) -> tuple[TicketType, dict[str, str], dict[str, Any]]:
    """Type the ticket (the newest version of ``type_key``) and store ``values``.

    Returns the type, every stored value after the change, and the changes {key: [old, new]}.
    BadRequest names every bad value. Values of fields the type does not have are refused;
    changing the type drops the values its new version has no field for."""
    current = await ticket_type(session, ticket)
    if type_key is not None and (current is None or current.key != type_key):
        current = await latest_type(session, type_key)
        ticket.type_id = current.id
    if current is None:
        raise BadRequest("Give the ticket a type first.", code="no_ticket_type")
    fields = {f["key"]: f for f in current.fields}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise BadRequest(
            f"Ticket type {current.key} has no field {', '.join(unknown)}.", code="bad_field"
        )
    contact_id = await _contact_of(session, ticket)
    cleaned: dict[str, str] = {}
    problems: list[str] = []
    for key, raw in values.items():
        try:
            cleaned[key] = await clean_value(session, fields[key], raw, contact_id, zone)
        except Invalid as err:
            problems.append(f"{fields[key]['label']['en']} ({key}): {err}")
    if problems:
        raise BadRequest("; ".join(problems), code="bad_field")
    stored = (await values_of(session, [ticket.id]))[ticket.id]
    stale = [k for k in stored if k not in fields]
    if stale:
        await session.execute(
            delete(TicketFieldValue).where(
                TicketFieldValue.ticket_id == ticket.id, TicketFieldValue.key.in_(stale)
            )
        )
    changes: dict[str, Any] = {}
    for key, value in cleaned.items():
        old = stored.get(key, "")
        if old == value:
            continue
        changes[key] = [old, value]
        row = (
            await session.execute(
                select(TicketFieldValue).where(
                    TicketFieldValue.ticket_id == ticket.id, TicketFieldValue.key == key
                )
            )
        ).scalar()
        if not value:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(TicketFieldValue(ticket_id=ticket.id, key=key, value=value))
        else:
            row.value = value
    await session.flush()
    after = {k: v for k, v in {**stored, **cleaned}.items() if v and k in fields}
    return current, after, changes


async def retype(
    session: AsyncSession,
    ticket: Ticket,
    values: Mapping[str, Any],
    zone: ZoneInfo,
    type_key: str | None,
    agent_id: int,
) -> TicketType:
    """:func:`set_fields` on the audit trail: a change of type, then the values changed."""
    before = ticket.type_id
    kind, _, changes = await set_fields(session, ticket, values, zone, type_key)
    if ticket.type_id != before:
        audit(
            session,
            ticket,
            "type",
            actor="agent",
            agent_id=agent_id,
            type=kind.key,
            version=kind.version,
        )
    if changes:
        audit(session, ticket, "fields", actor="agent", agent_id=agent_id, changes=changes)
    return kind


async def missing_for(session: AsyncSession, ticket: Ticket, to: str) -> list[Missing]:
    """The required fields still empty for a move of ``ticket`` to status ``to``."""
    kind = await ticket_type(session, ticket)
    if kind is None or to not in RANK:
        return []
    values = (await values_of(session, [ticket.id]))[ticket.id]
    return [
        Missing(f["key"], f["label"]["zh"], f["label"]["en"])
        for f in kind.fields
        if f.get("required_at") and RANK[to] >= RANK[f["required_at"]] and not values.get(f["key"])
    ]


def missing_message(missing: Sequence[Missing], to: str, language: str) -> str:
    """ "请先填写「故障原因」「更换配件」，工单才能改为已解决。" in the agent's language."""
    zh_status, en_status = STATUS_NAMES.get(to, (to, to))
    if language == "en":
        names = ", ".join(m.en for m in missing)
        return f"Fill in {names} before the ticket can become {en_status}."
    names = "".join(f"「{m.zh}」" for m in missing)
    return f"请先填写{names}，工单才能改为{zh_status}。"


async def require_fields(
    session: AsyncSession, ticket: Ticket, to: str, language: str | None = None
) -> None:
    """Conflict ``field_required`` naming the empty required fields, in ``language`` (by
    default the language of the agent's request, :data:`LANGUAGE`)."""
    missing = await missing_for(session, ticket, to)
    if missing:
        text = missing_message(missing, to, language or LANGUAGE.get())
        raise Conflict(text, code="field_required")


def typed_tickets(
    visible: ColumnElement[bool], filters: Mapping[str, str]
) -> Select[Ticket, TicketType]:
    """Typed tickets (not merged away) whose conversation matches ``visible`` (the caller's
    team rules), newest first, with their type: filtered by ``type``, ``status`` and
    ``field.<key>`` (a field's exact value). BadRequest names an unknown filter."""
    query = (
        select(Ticket, TicketType)
        .join(TicketType, TicketType.id == Ticket.type_id)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(visible, Ticket.merged_into.is_(None))
    )
    for name, value in filters.items():
        if name == "type":
            query = query.where(TicketType.key == value)
        elif name == "status":
            query = query.where(Ticket.status == value)
        elif name.startswith("field."):
            query = query.where(
                exists().where(
                    TicketFieldValue.ticket_id == Ticket.id,
                    TicketFieldValue.key == name[len("field.") :],
                    TicketFieldValue.value == value,
                )
            )
        else:
            raise BadRequest(
                f"Unknown filter {name!r}: use type, status or field.<key>.", code="bad_filter"
            )
    return query.order_by(Ticket.id.desc())


async def is_type_key(session: AsyncSession, key: str) -> bool:
    """Whether ``key`` is the key of a ticket type (any version)."""
    found = await session.execute(select(TicketType.id).where(TicketType.key == key).limit(1))
    return found.first() is not None
