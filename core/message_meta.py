"""What a message remembers besides its columns (``messages.meta``, JSON): one typed structure.

Every key any writer puts there is declared here, with who writes it; ``mypy --strict`` then
refuses a key that is not (a misspelt read, a new key nobody documented). Facts that decide
what happens next live in columns instead (``answered``, ``no_reply``, ``private``,
``delivery``); these keys carry what the bot said and why, what the console shows, and what
a channel kept of the original.
"""

from __future__ import annotations

from typing import Any, TypedDict


class ChoiceMeta(TypedDict):
    """One numbered choice the bot offered (a reply "2" picks it: bot/choices.py)."""

    n: int
    label: str
    entry_id: str


# The keys of ``messages.meta``; every one is optional. ("from" is a keyword: hence the
# functional form.)
MessageMeta = TypedDict(
    "MessageMeta",
    {
        # The bot's replies (core/turn_commit.py)
        "entry_id": str,  # the knowledge-base entry answered with (votes, learning, ratings)
        "category": str,  # that entry's category (what a ticket opened later is about)
        "choices": list[ChoiceMeta],  # the choices offered when unsure
        "decision": str,  # answer | clarify | fallback (kb.types.Decision)
        "confidence": float,
        "generated": bool,  # worded by the chat model from the entry
        "escalated": bool,  # the bot's "a person is coming" notice
        "ticket": int,  # the ticket number that notice or a survey is about
        # System and agent lines (handoff, intake)
        "agent_name": str,  # who wrote an agent's reply, as the customer sees it
        "survey": bool,  # the satisfaction survey's question (the next reply rates)
        "sla": dict[str, Any],  # an SLA note's facts: what, kind, number, due_local
        "queue": dict[str, int],  # the queue notice's facts: agents online
        "visit": int,  # a visit's appointment notice
        "notice": list[str],  # the kinds of ticket change a customer notice tells
        "erased": bool,  # personal data erased (privacy/redact.py)
        # Inbound: recorded by core/conversations.py
        "thread": str | None,  # how an email found its conversation (None: it started one)
        # Email (channels/email/intake.py): the original's headers and what was kept of it
        "email_message_id": str,
        "from": str,  # the sender as written
        "subject": str,
        "to": list[str],
        "in_reply_to": list[str],
        "references": list[str],
        "charsets": list[str],
        "derived_id": bool,  # the Message-ID was missing and made from the content
        "auto": str,  # why the sender is automatic (auto-reply, bounce, list...)
        "auto_signs": list[str],  # the weighed signs that made it so (channels/email/signs.py)
        "rate_limited": bool,
        "problems": list[str],  # headers that could not be read as sent
        "full_text": str,  # the whole text when the stored text is the reply only
        "html": str,
        "raw_key": str,  # where the raw message is kept (attachments store)
        "raw_dropped": int,  # bytes of a raw message too large to keep
        "dropped_attachments": list[dict[str, Any]],
        # SMS (channels/sms/adapter.py)
        "sms_dest_code": str,
    },
    total=False,
)


def empty() -> MessageMeta:
    """A new, empty meta (the column's default)."""
    return {}
