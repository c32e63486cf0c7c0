"""Ticket types and their fields through the public API.

The console's ticket types (``intake.ticket_types``: 报修 repair, 安装 install...) with their
fields: a ticket opened with ``"type"`` and ``"fields"`` is typed and its values checked as the
console checks them; ``PATCH`` changes them (on the audit trail, so webhooks announce
``ticket.updated``); every ticket the API shows carries its type and values. A ``"type"``
that names no ticket type stays the free category it always was.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BadRequest
from core.models import Ticket
from intake import ticket_types


def fields_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The request's ``"fields"`` object (None when not given); BadRequest otherwise."""
    fields = body.get("fields")
    if fields is not None and not isinstance(fields, dict):
        raise BadRequest("fields must be an object of field key: value.", code="bad_field")
    return fields


async def names_type(session: AsyncSession, key: str | None) -> bool:
    """Whether ``key`` is the key of a ticket type (else it is a free category)."""
    return bool(key) and await ticket_types.is_type_key(session, str(key))


def need_type(key: str | None) -> str:
    """The type key fields are given with; BadRequest when there is none."""
    if not key:
        raise BadRequest('fields need a ticket type: give "type" too.', code="no_ticket_type")
    return key


async def type_json(session: AsyncSession, ticket: Ticket) -> dict[str, Any]:
    """``{"type": {key, version, name} | null, "fields": {key: value}}`` of a ticket."""
    kind = await ticket_types.ticket_type(session, ticket)
    values = (await ticket_types.values_of(session, [ticket.id]))[ticket.id]
    brief = None
    if kind is not None:
        name = {"zh": kind.name_zh, "en": kind.name_en}
        brief = {"key": kind.key, "version": kind.version, "name": name}
    return {"type": brief, "fields": values}
