"""Plain notification mail (supervisor alerts) through an email inbox's own SMTP path.

The same aiosmtplib send as customer replies (:func:`channels.email.outbound.smtp_send`:
required STARTTLS or implicit TLS, verified certificates, an overall timeout, 5xx answers
permanent), from the inbox's address, marked automatic. The Message-ID is derived from the
caller's key, so a retried alert carries the same id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from channels.email.compose import Outgoing, build_message
from channels.email.config import EmailInbox, validate
from channels.email.intake import CHANNEL
from channels.email.loops import usable_address
from channels.email.outbound import smtp_send
from core.config import Settings
from core.errors import ConfigError, PermanentDeliveryError

Mailer = Callable[[str, str, str, str], Awaitable[None]]  # (to, subject, text, key)


def mailer(settings: Settings, inbox_name: str) -> Mailer | None:
    """A mailer sending through email inbox ``inbox_name`` (None when the name is empty)."""
    if not inbox_name:
        return None
    found = next((i for i in settings.inboxes_of(CHANNEL) if i.name == inbox_name), None)
    if found is None:
        raise ConfigError(
            f"Config key [alerts] email_inbox names {inbox_name!r}, which is not an email inbox."
        )
    inbox = validate(found)
    if inbox.smtp is None:
        raise ConfigError(
            f"Config key [alerts] email_inbox: inbox {inbox_name!r} has no smtp_url to send with."
        )
    return lambda to, subject, text, key: send(inbox, to, subject, text, key)


async def send(inbox: EmailInbox, to: str, subject: str, text: str, key: str) -> None:
    """Send one notification mail; DeliveryError (retry) / PermanentDeliveryError."""
    if not usable_address(to):
        raise PermanentDeliveryError(f"Not a usable email address: {to!r}.")
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    msg = build_message(
        Outgoing(
            message_id=f"kefu.alert.{digest}@{inbox.domain}",
            from_name=inbox.from_name,
            from_address=inbox.address,
            reply_to=inbox.address,
            to=to,
            subject=subject,
            text=text,
            in_reply_to=None,
            references=(),
            automatic=True,
        )
    )
    msg.replace_header("Auto-Submitted", "auto-generated")
    await smtp_send(inbox, msg, [to])
