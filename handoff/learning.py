"""The learning loop: questions the bot missed or answered badly, grouped by meaning.

A question is *missed* when the bot could not answer it: it said it did not understand (a
reply with the decision ``escalate``), or it handed the customer to a person after repeated
misses (a ticket with the reason ``repeated_failure``); it was *answered badly* when the
customer voted the answer down (👎 in the web chat, "没用" / "还是不行" in words, both stored
as ``helpful = 0`` feedback on the bot's message). The question is the customer's last
message before the bot's reply.

The newest ``MAX_QUESTIONS`` of a window (7 or 30 days) are embedded with the knowledge
base's own embedder and grouped greedily (:mod:`handoff.learning_groups`): each question
joins the group whose first question is closest, if that is at least ``SIMILARITY`` in
cosine, else it starts a group (at most ``MAX_GROUPS``; later questions that fit none are
counted as left over). A question an agent dealt with (added to an entry, drafted,
dismissed) is marked in ``learning_marks`` and leaves the list.

Customers also label questions: picking one of the choices offered for a question, or voting
an answer up, says "this question means that entry". Such pairs are *suggested* as similar
questions once enough different customers agree (:func:`suggest`: the review rule and the
caps), and an agent accepts or dismisses them; accepted, they are similar questions like any
other, which the dense index, BM25 and the intent classifier all learn from at the next build.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, insert_on_conflict
from core.errors import NotFound
from core.models import Conversation, Message, Ticket, utcnow
from handoff.learning_groups import Example, Question
from handoff.tables import LearningMark
from intake import feedback

WINDOWS = (7, 30)  # days the page offers
MAX_EVENTS = 2000  # newest misses and down-votes read per kind
MAX_QUESTIONS = 500  # newest questions grouped
MAX_TEXT = 500  # characters of a question kept
MISSED_REASONS = frozenset({"repeated_failure", "low_confidence"})
ACTIONS = ("added", "drafted", "dismissed")


async def questions(db: Database, visible: ColumnElement[bool], since: datetime) -> list[Question]:
    """Missed and voted-down questions since ``since`` in visible conversations, newest first."""
    async with db.reader() as session:
        found = await _missed(session, visible, since) + await _voted_down(session, visible, since)
        asked = await _asked_before(session, found)
        marked = await _marked(session, [m.id for m in asked.values()])
    out: dict[int, Question] = {}
    for bot_id, conv_id, channel, why, entry_id, at in found:
        m = asked.get(bot_id)
        if m is None or m.id in marked or m.id in out:
            continue
        text = m.text.strip()[:MAX_TEXT]
        out[m.id] = Question(m.id, conv_id, text, channel, why, entry_id, at)
    return sorted(out.values(), key=lambda q: (q.at, q.message_id), reverse=True)


_Found = tuple[int, int, str, str, str | None, datetime]  # bot msg, conv, channel, why, entry, at


async def _missed(
    session: AsyncSession, visible: ColumnElement[bool], since: datetime
) -> list[_Found]:
    """The bot's "I did not understand" replies and its escalations after repeated misses."""
    m = Message
    said = (m.meta["decision"].as_string() == "escalate") | m.meta["ticket"].as_integer().is_not(
        None
    )
    rows = (await session.execute(_bot_said(visible, since, said))).all()
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
    rows = (
        await session.execute(feedback.votes_on_bot_messages(visible, since, 0, MAX_EVENTS))
    ).all()
    return [
        (msg_id, conv_id, channel, "down", str((meta or {}).get("entry_id") or "") or None, at)
        for msg_id, conv_id, channel, meta, at in rows
    ]


def _bot_said(
    visible: ColumnElement[bool], since: datetime, said: ColumnElement[bool]
) -> Select[Any]:
    """The newest public bot messages since ``since`` matching ``said``, in visible
    conversations: (id, conversation, channel, meta, at)."""
    m = Message
    return (
        select(m.id, m.conversation_id, Conversation.channel, m.meta, m.created_at)
        .join(Conversation, Conversation.id == m.conversation_id)
        .where(visible, m.sender == "bot", m.private.is_(False), m.created_at >= since, said)
        .order_by(m.id.desc())
        .limit(MAX_EVENTS)
    )


@dataclass(frozen=True)
class _Msg:
    id: int
    seq: int
    sender: str
    text: str
    meta: dict[str, Any]


async def _conversations(session: AsyncSession, conv_ids: Iterable[int]) -> dict[int, list[_Msg]]:
    """The public customer and bot messages of these conversations, in order."""
    ids = sorted(set(conv_ids))
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(
                Message.conversation_id,
                Message.id,
                Message.seq,
                Message.sender,
                Message.text,
                Message.meta,
            )
            .where(
                Message.conversation_id.in_(ids),
                Message.sender.in_(("customer", "bot")),
                Message.private.is_(False),
            )
            .order_by(Message.conversation_id, Message.seq)
        )
    ).all()
    out: dict[int, list[_Msg]] = {}
    for conv_id, msg_id, seq, sender, text, meta in rows:
        out.setdefault(conv_id, []).append(_Msg(msg_id, seq, sender, text or "", meta or {}))
    return out


def _question_for(msgs: Sequence[_Msg], bot_id: int) -> _Msg | None:
    """The customer's question a bot message answers: the last customer message with words
    before it, or, when that message picked one of the choices the bot offered (the answer's
    entry was among them), the question the choices were offered for."""
    at = next((i for i, m in enumerate(msgs) if m.id == bot_id), None)
    if at is None:
        return None
    entry_id = msgs[at].meta.get("entry_id")
    asked = _customer_before(msgs, at)
    if asked is None or not entry_id:
        return msgs[asked] if asked is not None else None
    offer = asked - 1
    offered = msgs[offer].meta.get("choices") if offer >= 0 else None
    if isinstance(offered, list) and msgs[offer].sender == "bot":
        if any(isinstance(c, dict) and c.get("entry_id") == entry_id for c in offered):
            before = _customer_before(msgs, offer)
            return msgs[before] if before is not None else None
    return msgs[asked]


def _customer_before(msgs: Sequence[_Msg], at: int) -> int | None:
    """The index of the last customer message with words before index ``at``."""
    for i in range(at - 1, -1, -1):
        if msgs[i].sender == "customer" and msgs[i].text.strip():
            return i
    return None


async def _asked_before(session: AsyncSession, found: Sequence[_Found]) -> dict[int, _Msg]:
    """For each bot message, the customer's question it answered (see :func:`_question_for`)."""
    convs = await _conversations(session, (f[1] for f in found))
    out: dict[int, _Msg] = {}
    for bot_id, conv_id, *_ in found:
        asked = _question_for(convs.get(conv_id, []), bot_id)
        if asked is not None:
            out[bot_id] = asked
    return out


async def examples(db: Database, visible: ColumnElement[bool], since: datetime) -> list[Example]:
    """Questions customers labelled since ``since`` (picks and up-votes), newest first."""
    clarified = Message.meta["decision"].as_string() == "clarify"
    async with db.reader() as session:
        picked = [(r[0], r[1]) for r in await session.execute(_bot_said(visible, since, clarified))]
        upvoted = [
            (r[0], r[1])
            for r in await session.execute(
                feedback.votes_on_bot_messages(visible, since, 1, MAX_EVENTS)
            )
        ]
        conv_ids = {c for _, c in picked} | {c for _, c in upvoted}
        convs = await _conversations(session, conv_ids)
        contacts = dict(
            (
                await session.execute(
                    select(Conversation.id, Conversation.contact_id).where(
                        Conversation.id.in_(conv_ids)
                    )
                )
            ).all()
        )
        marked = await _marked(session, [x.id for msgs in convs.values() for x in msgs])
    labelled: list[tuple[int, int, str]] = []  # (conversation, bot answer, source)
    for clarify_id, conv_id in picked:
        msgs = convs.get(conv_id, [])
        at = next((i for i, x in enumerate(msgs) if x.id == clarify_id), None)
        answer = _answer_after(msgs, at) if at is not None else None
        if answer is not None:
            labelled.append((conv_id, answer.id, "pick"))
    labelled += [(conv_id, bot_id, "up") for bot_id, conv_id in upvoted]
    out: list[Example] = []
    for conv_id, bot_id, source in labelled:
        msgs = convs.get(conv_id, [])
        answer = next((x for x in msgs if x.id == bot_id), None)
        asked = _question_for(msgs, bot_id)
        entry_id = answer.meta.get("entry_id") if answer is not None else None
        if asked is None or asked.id in marked or not isinstance(entry_id, str) or not entry_id:
            continue
        text = asked.text.strip()[:MAX_TEXT]
        out.append(Example(asked.id, contacts.get(conv_id, 0), text, entry_id, source))
    return sorted(out, key=lambda e: e.message_id, reverse=True)


def _answer_after(msgs: Sequence[_Msg], at: int) -> _Msg | None:
    """The bot's answer to a pick right after the clarifying message at index ``at``: the
    next customer message, then a bot answer from one of the entries offered."""
    offered = msgs[at].meta.get("choices")
    entries = {c.get("entry_id") for c in offered if isinstance(c, dict)} if offered else set()
    rest = msgs[at + 1 : at + 3]
    if len(rest) < 2 or rest[0].sender != "customer" or rest[1].sender != "bot":
        return None
    return rest[1] if rest[1].meta.get("entry_id") in entries else None


async def _marked(session: AsyncSession, message_ids: Sequence[int]) -> set[int]:
    """Those of the customer messages an agent already dealt with on the learning page."""
    if not message_ids:
        return set()
    return set(
        (
            await session.execute(
                select(LearningMark.message_id).where(LearningMark.message_id.in_(message_ids))
            )
        ).scalars()
    )


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
