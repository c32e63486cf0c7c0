"""Typed feedback on WeChat and email is recorded as the widget's votes are (issue 19).

"没用" after an answer is a vote down on that answer (a ``feedback`` row of kind "helpful" on
the bot's message, and the entry's not-helpful count), "有用" a vote up, and "还是不行" twice
hands the customer to a person. Each channel receives through its own path (a signed Official
Account push to a local server speaking WeChat's wire format, a raw email through the email
intake), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.context import SERVICES
from core.models import Conversation, Message
from intake.tables import Feedback
from kb.tables import KbEntry
from tests.bot.test_ticket_status import customer, env, settle

__all__ = ["env"]  # the fixture, shared with the ticket status tests


async def votes_of(services: Any, conv_id: int) -> list[tuple[str, int]]:
    """(entry id of the message voted on, vote) for every helpful vote in the conversation."""
    async with services.db.reader() as session:
        rows = await session.execute(
            select(Message.meta, Feedback.value)
            .join(Message, Message.id == Feedback.message_id)
            .where(Feedback.conversation_id == conv_id, Feedback.kind == "helpful")
            .order_by(Feedback.id)
        )
        return [(str((meta or {}).get("entry_id")), int(value)) for meta, value in rows]


@pytest.mark.parametrize("channel", ["wechat", "email"])
async def test_typed_feedback_is_a_vote_and_still_not_working_escalates(
    env: Any, channel: str
) -> None:
    services = env.app[SERVICES]
    conv, send = await customer(env, channel)  # asked "怎么申请退货" and got an answer
    assert await votes_of(services, conv) == []

    await send("没用")
    await settle(services)
    assert await votes_of(services, conv) == [("returns-apply-zh", 0)]
    async with services.db.reader() as session:
        entry = await session.get(KbEntry, "returns-apply-zh")
        assert entry is not None and entry.unhelpful >= 1

    await send("有用")  # a change of mind: the same answer, the latest vote
    await settle(services)
    assert await votes_of(services, conv) == [("returns-apply-zh", 1)]

    await send("还是不行")
    await settle(services)
    async with services.db.reader() as session:
        assert (await session.get(Conversation, conv)).owner == "bot"
    await send("还是不行")
    await settle(services)
    async with services.db.reader() as session:
        assert (await session.get(Conversation, conv)).owner in ("queued", "agent")
    assert await votes_of(services, conv) == [("returns-apply-zh", 0)]
