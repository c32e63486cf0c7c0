"""Sending stored replies as email: threading from the conversation, SMTP with aiosmtplib.

``smtp://`` is plain (local relays and tests), ``smtp+starttls://`` *requires* STARTTLS
(``start_tls=True``: a server that does not offer it is an error, never a silent downgrade),
``smtps://`` is implicit TLS. Certificates are always validated, against ``ca_file`` when the
inbox sets one. An overall timeout bounds the whole send; 5xx answers are permanent failures,
anything else is retried by the outbox.
"""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage

import aiosmtplib

from channels.email.compose import Outgoing, build_message, fold_references, reply_subject
from channels.email.config import EmailInbox
from channels.email.loops import usable_address
from channels.email.threads import reply_address
from channels.email.wire import needs_utf8, render, without_utf8_ids
from core.channel_store import conversation_messages, latest_ticket_number, set_external_id
from core.context import Services
from core.domain import OutboundDelivery
from core.errors import DeliveryError, PermanentDeliveryError


def tls_context(inbox: EmailInbox) -> ssl.SSLContext:
    """A verifying TLS context; trusts ``ca_file`` when set (a private CA)."""
    ctx = ssl.create_default_context(cafile=inbox.ca_file) if inbox.ca_file else None
    return ctx or ssl.create_default_context()


async def smtp_send(inbox: EmailInbox, msg: EmailMessage, recipients: list[str]) -> None:
    """Send ``msg`` through the inbox's SMTP server; DeliveryError / PermanentDeliveryError."""
    url = inbox.smtp
    if url is None:
        raise PermanentDeliveryError(f"Email inbox {inbox.name} has no smtp_url to send with.")
    try:
        async with asyncio.timeout(inbox.send_timeout_seconds):
            smtp = aiosmtplib.SMTP(
                hostname=url.host,
                port=url.port,
                username=url.username or None,
                password=url.password or None,
                use_tls=url.scheme == "smtps",
                start_tls=url.scheme == "smtp+starttls",
                tls_context=tls_context(inbox) if url.scheme != "smtp" else None,
                timeout=inbox.send_timeout_seconds,
            )
            async with smtp:
                if smtp.is_ehlo_or_helo_needed:
                    await smtp.ehlo()  # the extensions decide the form of the mail
                raw, options = _wire_form(smtp, msg, recipients)
                await smtp.sendmail(inbox.address, recipients, raw, mail_options=options)
    except TimeoutError as err:
        raise DeliveryError(f"SMTP send timed out after {inbox.send_timeout_seconds}s.") from err
    except aiosmtplib.SMTPRecipientsRefused as err:
        raise PermanentDeliveryError(f"The mail server refused the recipient: {err}") from err
    except aiosmtplib.SMTPResponseException as err:
        if 500 <= err.code < 600:
            raise PermanentDeliveryError(f"The mail server refused the mail: {err}") from err
        raise DeliveryError(f"The mail server answered {err.code}: {err.message}") from err
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as err:
        raise DeliveryError(f"Could not send mail: {type(err).__name__}: {err}") from err


def _wire_form(
    smtp: aiosmtplib.SMTP, msg: EmailMessage, recipients: list[str]
) -> tuple[bytes, list[str]]:
    """The bytes and MAIL options for this server (see :mod:`channels.email.wire`).

    A customer's internationalized address (RFC 6531, ``jdöe@mächine.example``) needs
    SMTPUTF8: without it the reply cannot be sent at all, which is said plainly.
    """
    utf8_server = smtp.supports_extension("smtputf8")
    if not all(r.isascii() for r in recipients):
        if not utf8_server:
            raise PermanentDeliveryError(
                "The customer's address has non-ASCII characters and the mail server does "
                "not support SMTPUTF8."
            )
        utf8 = True
    else:
        utf8 = needs_utf8(msg)
        if utf8 and not utf8_server:
            msg, utf8 = without_utf8_ids(msg), False  # a non-ASCII id cannot go plainly
    eight_bit = smtp.supports_extension("8bitmime")
    options = (["SMTPUTF8"] if utf8 else []) + (["BODY=8BITMIME"] if eight_bit else [])
    return render(msg, utf8=utf8, eight_bit=eight_bit), options


async def deliver(services: Services, inbox: EmailInbox, d: OutboundDelivery) -> str:
    """Send one stored reply as an email threaded into its conversation; returns its Message-ID."""
    to = d.external_id
    if not usable_address(to):
        raise PermanentDeliveryError(f"The customer has no usable email address ({to!r}).")
    db = services.db
    ids: list[str] = []
    subject = ""
    last_inbound: str | None = None
    mine = None
    for m in await conversation_messages(db, d.conversation_id):
        if m.id == d.message_id:
            mine = m
            continue
        if m.direction == "in" and m.meta.get("derived_id"):
            # Mail without a Message-ID: the id we derived is ours alone, never cited.
            subject = subject or str(m.meta.get("subject") or "")
        elif m.direction == "in" and m.meta.get("email_message_id"):
            ids.append(str(m.meta["email_message_id"]))
            subject = subject or str(m.meta.get("subject") or "")
            if m.seq < d.seq:
                last_inbound = str(m.meta["email_message_id"])
        elif m.direction == "out" and m.external_id and m.seq < d.seq:
            ids.append(m.external_id)
    if mine is None:
        raise PermanentDeliveryError(f"Message {d.message_id} no longer exists.")
    # Stored before sending (a fast reply still threads); a retry keeps the first one.
    message_id = await set_external_id(
        db, d.message_id, f"kefu.{d.message_id}.{d.idempotency_key[:16]}@{inbox.domain}"
    )
    if message_id is None:
        raise PermanentDeliveryError(f"Message {d.message_id} no longer exists.")
    ticket = await latest_ticket_number(db, d.conversation_id)
    if ticket is None and isinstance(mine.meta.get("ticket"), int):
        ticket = mine.meta["ticket"]
    attachments = []
    for a in d.attachments:
        attachments.append((await services.attachments.read(a.key), a.mime, a.name))
    msg = build_message(
        Outgoing(
            message_id=message_id,
            from_name=inbox.from_name,
            from_address=inbox.address,
            reply_to=reply_address(inbox, services.secret, d.conversation_id),
            to=to,
            subject=reply_subject(subject, ticket),
            text=d.text,
            in_reply_to=last_inbound,
            references=tuple(fold_references(ids)),
            automatic=d.sender in ("bot", "system"),
            bot_footer=d.sender == "bot",
            attachments=tuple(attachments),
        )
    )
    await smtp_send(inbox, msg, [to])
    return message_id
