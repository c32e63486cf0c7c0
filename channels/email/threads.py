"""Threading: which conversation an inbound email belongs to.

In order (CHANNELS.md, Email 3): a reply token in the recipient address
(``support+c42x1f2e3d4c5b@example.com``, signed with the instance secret so it cannot be
guessed), then In-Reply-To / References against the Message-IDs we stored (our outbound
``Message.external_id``, inbound ``Message.source_id``), then ``[#<ticket>]`` in the subject.
A match counts only when the sender is the conversation's contact; never on subject alone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.email.config import EmailInbox
from channels.email.parse import ParsedEmail, source_id_of
from core.models import Conversation, Message, Ticket

_TOKEN = re.compile(r"^c(\d{1,12})x([0-9a-f]{12})$")
_SUBJECT_TICKET = re.compile(r"\[#(\d{1,12})\]")


def reply_token(secret: bytes, conversation_id: int) -> str:
    """The signed token that routes replies to ``conversation_id``."""
    mac = hmac.new(secret, f"email-reply:{conversation_id}".encode(), hashlib.sha256)
    return f"c{conversation_id}x{mac.hexdigest()[:12]}"


def token_conversation(secret: bytes, token: str) -> int | None:
    """The conversation a token names, or None for a forged or malformed one."""
    m = _TOKEN.match(token.lower())
    if not m:
        return None
    conv_id = int(m.group(1))
    return conv_id if hmac.compare_digest(reply_token(secret, conv_id), token.lower()) else None


def reply_address(inbox: EmailInbox, secret: bytes, conversation_id: int) -> str:
    """``support+<token>@example.com`` for a conversation."""
    return f"{inbox.local_part}+{reply_token(secret, conversation_id)}@{inbox.domain}"


def is_our_address(inbox: EmailInbox, address: str) -> bool:
    """True for the inbox address and its plus-addressed variants."""
    local, _, domain = address.lower().partition("@")
    return domain == inbox.domain and local.split("+", 1)[0] == inbox.local_part


def tokens_in(inbox: EmailInbox, addresses: tuple[str, ...]) -> list[str]:
    """The plus-address tokens of our inbox among ``addresses``."""
    out = []
    for addr in addresses:
        local, _, _domain = addr.lower().partition("@")
        if is_our_address(inbox, addr) and "+" in local:
            out.append(local.split("+", 1)[1])
    return out


def subject_ticket(subject: str) -> int | None:
    """The ticket number of a ``[#1234]`` subject token, if any."""
    m = _SUBJECT_TICKET.search(subject)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class ThreadMatch:
    """A conversation an email threads into, and by which rule."""

    conversation_id: int
    rule: str  # token | headers | subject


async def find_thread(
    session: AsyncSession,
    inbox: EmailInbox,
    inbox_row_id: int,
    secret: bytes,
    mail: ParsedEmail,
    envelope_recipients: tuple[str, ...],
    identity_id: int | None,
) -> ThreadMatch | None:
    """The conversation ``mail`` replies to, when its sender is that conversation's contact."""
    if identity_id is None:
        return None
    candidates: list[tuple[int, str]] = []
    for token in tokens_in(inbox, envelope_recipients + mail.recipients):
        conv_id = token_conversation(secret, token)
        if conv_id is not None:
            candidates.append((conv_id, "token"))
    ids = [source_id_of(i) for i in (*mail.in_reply_to, *reversed(mail.references))][:50]
    if ids:
        rows = (
            await session.execute(
                select(Message.conversation_id)
                .where(
                    Message.inbox_id == inbox_row_id,
                    or_(Message.external_id.in_(ids), Message.source_id.in_(ids)),
                )
                .order_by(Message.id.desc())
                .limit(5)
            )
        ).scalars()
        candidates.extend((int(c), "headers") for c in rows)
    number = subject_ticket(mail.subject)
    if number is not None:
        conv_id = (
            await session.execute(select(Ticket.conversation_id).where(Ticket.number == number))
        ).scalar()
        if conv_id is not None:
            candidates.append((int(conv_id), "subject"))
    for conv_id, rule in candidates:
        conv = await session.get(Conversation, conv_id)
        if conv is not None and conv.inbox_id == inbox_row_id and conv.identity_id == identity_id:
            return ThreadMatch(conv.id, rule)
    return None
