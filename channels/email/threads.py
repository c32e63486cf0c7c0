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

from channels.email.config import EmailInbox
from channels.email.parse import ParsedEmail, source_id_of
from core.domain import ThreadHint

_TOKEN = re.compile(r"^c(\d{1,12})x([0-9a-f]{12})\Z")
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


def thread_hint(
    inbox: EmailInbox, secret: bytes, mail: ParsedEmail, envelope_recipients: tuple[str, ...]
) -> ThreadHint:
    """What ``mail`` says about the conversation it continues; the core looks it up.

    Signed reply tokens first, then the Message-IDs it answers (newest reference first),
    then a ``[#ticket]`` subject; unmatched mail starts a new conversation (one per thread).
    """
    conversation_ids: list[int] = []
    for token in tokens_in(inbox, envelope_recipients + mail.recipients):
        conv_id = token_conversation(secret, token)
        if conv_id is not None and conv_id not in conversation_ids:
            conversation_ids.append(conv_id)
    refs = [source_id_of(i) for i in (*mail.in_reply_to, *reversed(mail.references))][:50]
    return ThreadHint(
        conversation_ids=tuple(conversation_ids),
        references=tuple(refs),
        ticket_number=subject_ticket(mail.subject),
        new_conversation=True,
    )
