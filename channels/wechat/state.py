"""Small per-inbox state in the ``channel_state`` table: send windows, sync cursors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import Database
from core.models import ChannelState


async def read_state(db: Database, inbox: str, key: str) -> dict[str, Any]:
    """The stored value (an empty dict when none)."""
    async with db.reader() as session:
        row = (
            await session.execute(
                select(ChannelState.value).where(
                    ChannelState.inbox == inbox, ChannelState.key == key
                )
            )
        ).scalar_one_or_none()
    return dict(row) if isinstance(row, dict) else {}


async def write_state(db: Database, inbox: str, key: str, value: dict[str, Any]) -> None:
    """Store ``value`` under (inbox, key), inserting or replacing."""
    for attempt in range(2):
        try:
            async with db.transaction() as session:
                row = await session.get(ChannelState, (inbox, key))
                if row is None:
                    session.add(ChannelState(inbox=inbox, key=key, value=value))
                else:
                    row.value = value
            return
        except IntegrityError:
            if attempt == 1:  # a concurrent insert won twice: give up loudly
                raise
