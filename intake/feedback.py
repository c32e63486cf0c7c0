"""Customer feedback: "helpful" thumbs on bot answers and CSAT scores from the survey (回访).

``helpful_counts`` is the hook the knowledge base reads to rank or review its entries.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Conversation, Message
from intake.tables import Feedback

WORDS = {
    "非常满意": 5,
    "很满意": 5,
    "满意": 4,
    "一般": 3,
    "不满意": 2,
    "很不满意": 1,
    "非常不满意": 1,
    "very satisfied": 5,
    "satisfied": 4,
    "ok": 3,
    "okay": 3,
    "neutral": 3,
    "dissatisfied": 2,
    "unsatisfied": 2,
    "very dissatisfied": 1,
}
_NUMBER = re.compile(r"^\s*([1-5])\s*(分|星|stars?|points?)?\s*[。.!！]?\s*$", re.IGNORECASE)
_FULLWIDTH = str.maketrans("１２３４５", "12345")

SURVEY = {
    "zh": (
        "请为本次服务打分（工单 #{ticket}）：回复 1-5（5 = 非常满意），"
        "或回复 满意 / 一般 / 不满意。"
    ),
    "en": (
        "How did we do (ticket #{ticket})? Reply 1-5 (5 = very satisfied), "
        "or satisfied / okay / dissatisfied."
    ),
}
THANKS = {
    "zh": "感谢您的评价（{score} 分）！",
    "en": "Thank you for your rating ({score}/5)!",
}
THANKS_LOW = {
    "zh": "感谢您的评价（{score} 分），很抱歉没能让您满意，主管会尽快联系您。",
    "en": "Thank you for your rating ({score}/5). We're sorry; a supervisor will contact you soon.",
}


def parse_rating(text: str) -> int | None:
    """A 1-5 score from a survey reply ("5", "５分", "满意", "very satisfied"), else None."""
    t = (text or "").translate(_FULLWIDTH).strip().strip("。.!！~～ ").lower()
    m = _NUMBER.match(t)
    if m:
        return int(m.group(1))
    return WORDS.get(t)


async def record(
    session: AsyncSession,
    *,
    conversation_id: int,
    message_id: int | None,
    kind: str,
    value: int,
    comment: str = "",
) -> Feedback:
    """Store (or update) the feedback of ``kind`` on one message."""
    row = None
    if message_id is not None:
        row = (
            await session.execute(
                select(Feedback).where(Feedback.message_id == message_id, Feedback.kind == kind)
            )
        ).scalar_one_or_none()
    if row is None:
        row = Feedback(
            conversation_id=conversation_id, message_id=message_id, kind=kind, value=value
        )
        session.add(row)
    row.value = value
    if comment:
        row.comment = comment[:2000]
    await session.flush()
    return row


async def helpful_vote(session: AsyncSession, message_id: int) -> int | None:
    """The customer's current helpful (1) / not helpful (0) vote on a bot reply, if any."""
    return (
        await session.execute(
            select(Feedback.value).where(
                Feedback.message_id == message_id, Feedback.kind == "helpful"
            )
        )
    ).scalar_one_or_none()


async def helpful_counts(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """Per knowledge-base entry id: (helpful votes, not-helpful votes) on bot answers."""
    # JSON columns can't be grouped on PostgreSQL: count in Python (one row per vote).
    rows = await session.execute(
        select(Message.meta, Feedback.value)
        .join(Message, Message.id == Feedback.message_id)
        .where(Feedback.kind == "helpful")
    )
    out: dict[str, tuple[int, int]] = {}
    for meta, value in rows:
        n = 1
        entry = (meta or {}).get("entry_id")
        if not entry:
            continue
        up, down = out.get(entry, (0, 0))
        out[entry] = (up + n, down) if value else (up, down + n)
    return out


def votes_on_bot_messages(
    visible: ColumnElement[bool], since: datetime, value: int, limit: int
) -> Select[Any]:
    """The newest helpful votes of ``value`` (1 up, 0 down) since ``since`` on bot messages in
    conversations matching ``visible``: (message id, conversation, channel, meta, voted at)."""
    m = Message
    return (
        select(m.id, m.conversation_id, Conversation.channel, m.meta, Feedback.created_at)
        .select_from(Feedback)
        .join(m, m.id == Feedback.message_id)
        .join(Conversation, Conversation.id == m.conversation_id)
        .where(
            visible,
            Feedback.kind == "helpful",
            Feedback.value == value,
            Feedback.created_at >= since,
        )
        .order_by(Feedback.id.desc())
        .limit(limit)
    )
