"""Outbound email: our Message-ID, threading headers, a stable subject, text + HTML.

Every header value we build passes through :func:`clean_header` (CR, LF and NUL removed), so
no customer- or agent-supplied text can inject a header. Automatic (bot) mail carries
``Auto-Submitted: auto-replied`` (RFC 3834) so well-behaved systems do not answer it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from channels.email.charsets import decode_header
from channels.email.content import text_to_html
from channels.email.wire import MAIL_POLICY, id_ok

_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|vs|回复|答复|回覆|转发|轉寄)\s*[:：]\s*)+", re.I)
_TICKET_TOKEN = re.compile(r"\s*\[#\d{1,12}\]\s*")
DEFAULT_SUBJECT = "您的咨询 Your request"
BOT_FOOTER = (
    "—\n"
    "这是客服机器人的自动回复。如需人工客服，请直接回复本邮件并写“转人工”。\n"
    'This is an automatic answer from our support bot. To reach a person, reply with "human".'
)
MAX_REFERENCES = 20


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean_header(value: str, limit: int = 900) -> str:
    """A header value with CR, LF, NUL and other control characters replaced by spaces."""
    for _ in range(5):
        if "=?" not in value:
            break
        # The email package decodes RFC 2047 words in the values it is given: decode them
        # first, so an encoded CR LF cannot turn into a header break after our cleaning.
        value = decode_header(value).text
    value = value.replace("=?", "= ?")
    return _CONTROL.sub(" ", value).strip()[:limit]


def safe_id(message_id: str, utf8: bool = True) -> str | None:
    """``message_id`` when it can go between <> in a header as it is, else None.

    Non-ASCII ids (RFC 6532) pass here; :mod:`channels.email.wire` leaves them out when the
    server cannot take UTF-8 headers.
    """
    return message_id if id_ok(message_id, utf8) else None


def base_subject(subject: str) -> str:
    """The subject without reply prefixes and ticket tokens."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _TICKET_TOKEN.sub(" ", _PREFIX.sub("", subject)).strip()
    return subject


def reply_subject(original: str, ticket: int | None) -> str:
    """``Re: <original> [#1234]``: stable across the thread, the ticket when there is one."""
    # A subject that could not be decoded keeps U+FFFD in storage (and a recorded problem);
    # the customer's reply gets the readable rest, never replacement marks.
    base = base_subject(clean_header(original.replace("\ufffd", ""), 300)) or DEFAULT_SUBJECT
    return f"Re: {base}" + (f" [#{ticket}]" if ticket is not None else "")


def fold_references(ids: list[str]) -> list[str]:
    """The ids to cite: the thread's first and the latest ones, at most MAX_REFERENCES."""
    ids = list(dict.fromkeys(i for i in ids if i))
    if len(ids) <= MAX_REFERENCES:
        return ids
    return [ids[0], *ids[-(MAX_REFERENCES - 1) :]]


@dataclass(frozen=True)
class Outgoing:
    """What an outbound email says, before it becomes MIME."""

    message_id: str  # without <>
    from_name: str
    from_address: str
    reply_to: str
    to: str
    subject: str
    text: str
    in_reply_to: str | None
    references: tuple[str, ...]
    automatic: bool
    bot_footer: bool = False
    attachments: tuple[tuple[bytes, str, str], ...] = ()  # (data, mime, filename)


def build_message(out: Outgoing) -> EmailMessage:
    """The MIME message for ``out`` (multipart/alternative, attachments mixed in).

    It carries our header policy: flatten it with :func:`channels.email.wire.render`.
    """
    msg = EmailMessage(policy=MAIL_POLICY)
    local, _, domain = out.from_address.partition("@")
    msg["From"] = Address(clean_header(out.from_name, 100), local, domain)
    msg["To"] = clean_header(out.to, 320)
    msg["Reply-To"] = clean_header(out.reply_to, 320)
    msg["Subject"] = clean_header(out.subject, 500)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<{clean_header(out.message_id, 250)}>"
    # A customer's Message-ID comes back in these: odd ones are left out, never rewritten.
    in_reply_to = safe_id(out.in_reply_to or "")
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    references = [r for r in map(safe_id, out.references) if r]
    if references:
        # MAIL_POLICY folds this header at the whitespace between ids, never inside one.
        msg["References"] = " ".join(f"<{r}>" for r in references)
    if out.automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Mailer"] = "kefu"
    body = out.text + (f"\n\n{BOT_FOOTER}" if out.bot_footer else "")
    msg.set_content(body, subtype="plain", charset="utf-8")
    msg.add_alternative(text_to_html(body), subtype="html", charset="utf-8")
    for data, mime, filename in out.attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=clean_header(filename, 200) or "attachment",
        )
    return msg


def sender_header(name: str, address: str) -> str:
    """``"Name" <address>`` with the name cleaned."""
    return formataddr((clean_header(name, 100), address))
