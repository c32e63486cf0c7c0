"""Conversation labels: the labels of many conversations at once, adding and removing one.

Labels are admin-defined (name and colour); with ``[desk] labels_free_form`` an agent may
also label with a new name, which creates the label with the default colour.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BadRequest, NotFound
from handoff.tables import ConversationLabel, Label

DEFAULT_COLOR = "#64748b"
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_NAME = 64


def label_json(label: Label) -> dict[str, Any]:
    """A label as the console shows it."""
    return {"id": label.id, "name": label.name, "color": label.color}


def clean_name(raw: Any) -> str:
    """A label name: trimmed, inner spaces kept, 1 to 64 characters, no control characters."""
    if not isinstance(raw, str):
        raise BadRequest("A label name must be a string.", code="bad_label")
    name = " ".join("".join(ch for ch in raw if ch >= " ").split())
    if not name or len(name) > MAX_NAME:
        raise BadRequest(f"A label name has 1 to {MAX_NAME} characters.", code="bad_label")
    return name


def clean_color(raw: Any) -> str:
    """A colour as ``#rrggbb`` (lower case); the default when none is given."""
    if raw is None or raw == "":
        return DEFAULT_COLOR
    if not isinstance(raw, str) or not COLOR.fullmatch(raw):
        raise BadRequest("A label colour looks like #1e88e5.", code="bad_color")
    return raw.lower()


async def labels_of(session: AsyncSession, conv_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each conversation's labels, by name."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not conv_ids:
        return out
    rows = await session.execute(
        select(ConversationLabel.conversation_id, Label)
        .join(Label, Label.id == ConversationLabel.label_id)
        .where(ConversationLabel.conversation_id.in_(conv_ids))
        .order_by(Label.name)
    )
    for conv_id, label in rows.all():
        out.setdefault(conv_id, []).append(label_json(label))
    return out


async def find_or_make(session: AsyncSession, raw: Any, *, free_form: bool) -> Label:
    """The label with this id or name; a new one when free-form labels are allowed."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        found = await session.get(Label, raw) if 0 < raw < 2**31 else None
        if found is None:
            raise NotFound(f"Label {raw} does not exist.", code="no_label")
        return found
    name = clean_name(raw)
    found = (await session.execute(select(Label).where(Label.name == name))).scalar()
    if found is not None:
        return found
    if not free_form:
        raise BadRequest(f"There is no label {name!r}; an admin defines labels.", code="no_label")
    label = Label(name=name, color=DEFAULT_COLOR)
    session.add(label)
    await session.flush()
    return label


async def add(session: AsyncSession, conv_id: int, label: Label, agent_id: int | None) -> bool:
    """Put ``label`` on the conversation; False when it was already there."""
    there = await session.get(ConversationLabel, (conv_id, label.id))
    if there is not None:
        return False
    session.add(ConversationLabel(conversation_id=conv_id, label_id=label.id, agent_id=agent_id))
    await session.flush()
    return True


async def remove(session: AsyncSession, conv_id: int, label_id: int) -> None:
    """Take the label off the conversation (nothing when it was not there)."""
    await session.execute(
        delete(ConversationLabel).where(
            ConversationLabel.conversation_id == conv_id, ConversationLabel.label_id == label_id
        )
    )
