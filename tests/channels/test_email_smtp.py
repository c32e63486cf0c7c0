"""SMTP both ways: our listener (no relay, SIZE, dedupe, limits) and outbound TLS rules."""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from channels.email.compose import Outgoing, build_message
from channels.email.config import EmailInbox, ServerUrl, validate
from channels.email.outbound import smtp_send
from core.config import InboxSettings, Settings
from core.errors import ConfigError, DeliveryError, PermanentDeliveryError
from tests.channels.email_support.app import (
    ADDRESS,
    EmailEnv,
    customer_mail,
    email_env,
    free_port,
)
from tests.channels.email_support.certs import make_pki
from tests.channels.email_support.sink import start_sink


@pytest.fixture
async def env(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[EmailEnv]:
    """An app whose listener takes 200 KB mail and stores attachments up to 64 KB."""
    storage = dataclasses.replace(demo_settings.storage, max_attachment_bytes=64 * 1024)
    settings = dataclasses.replace(demo_settings, storage=storage)
    async with email_env(settings, aiohttp_client, embedder, max_message_bytes=200_000) as env:
        yield env


async def test_listener_refuses_to_relay(env: EmailEnv) -> None:
    """Only our address and its plus-addresses are accepted; anything else is 550."""
    msg = customer_mail("hi", "hello")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as err:
        await env.deliver(msg, rcpt="victim@elsewhere.example")
    assert err.value.recipients[0].code == 550
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await env.deliver(msg, rcpt="support@example.com.evil.test")
    assert await env.deliver(msg, rcpt="SUPPORT+anything@example.com")


async def test_listener_enforces_size_limit(env: EmailEnv) -> None:
    """Over max_message_bytes is refused by the SMTP layer (552), never stored."""
    msg = customer_mail("big", "x" * 300_000)
    with pytest.raises(aiosmtplib.SMTPResponseException) as err:
        await env.deliver(msg)
    assert err.value.code == 552
    ehlo = aiosmtplib.SMTP(hostname="127.0.0.1", port=env.listen_port)
    await ehlo.connect()
    try:
        await ehlo.ehlo()
        assert ehlo.supports_extension("size")
        assert ehlo.esmtp_extensions["size"] == "200000"
    finally:
        await ehlo.quit()


async def test_attachments_stored_within_limits_and_duplicates_once(env: EmailEnv) -> None:
    """A big attachment is not stored but named; a zip 'bomb' is kept as bytes; resent once."""
    msg = customer_mail("发票和照片", "附件是发票和照片。")
    msg.add_attachment(b"\x89PNG" + b"1" * 1000, maintype="image", subtype="png", filename="a.png")
    msg.add_attachment(
        b"PK\x03\x04" + b"\0" * 30_000, maintype="application", subtype="zip", filename="bomb.zip"
    )
    msg.add_attachment(b"2" * 100_000, maintype="application", subtype="pdf", filename="big.pdf")
    mid = await env.deliver(msg)
    await env.deliver(msg)  # the sending server retried
    stored = await env.message_by_source(mid)
    names = sorted(a["name"] for a in stored.attachments)
    assert names == ["a.png", "bomb.zip"]
    assert stored.meta["dropped_attachments"] == [
        {"name": "big.pdf", "size": 100_000, "reason": "too_large"}
    ]
    zipped = next(a for a in stored.attachments if a["name"] == "bomb.zip")
    assert await env.services.attachments.read(zipped["key"]) == b"PK\x03\x04" + b"\0" * 30_000
    msgs = await env.messages(stored.conversation_id)
    assert [m.source_id for m in msgs].count(mid) == 1
    raw = await env.services.attachments.read(stored.meta["raw_key"])
    assert b"bomb.zip" in raw  # the original is kept for audit


async def test_eight_bit_headers_and_wrong_charset_stored_readable(env: EmailEnv) -> None:
    """Raw GBK headers and a body labelled UTF-8 but written in GBK arrive as real text."""
    raw = (
        "From: 赵敏 <zhao@customer.example>\r\nTo: support@example.com\r\n"
        "Subject: 空调不制冷\r\nMessage-ID: <gbk-1@customer.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n空调不制冷，怎么报修？\r\n"
    ).encode("gbk")
    await aiosmtplib.send(
        raw,
        sender="zhao@customer.example",
        recipients=[ADDRESS],
        hostname="127.0.0.1",
        port=env.listen_port,
    )
    stored = await env.message_by_source("gbk-1@customer.example")
    assert stored.text == "空调不制冷，怎么报修？"
    assert stored.meta["subject"] == "空调不制冷"


async def test_null_envelope_sender_is_never_answered(env: EmailEnv) -> None:
    """MAIL FROM:<> (how bounces and auto-replies travel) is stored, not answered."""
    raw = customer_mail("Delivery report", "Your message could not be delivered?").as_bytes()
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=env.listen_port)
    await smtp.connect()
    try:
        await smtp.sendmail("", [ADDRESS], raw)
    finally:
        await smtp.quit()
    (mid,) = [
        line.split(b"<", 1)[1].split(b">")[0]
        for line in raw.split(b"\n")
        if line.startswith(b"Message-ID")
    ]
    stored = await env.message_by_source(mid.decode())
    assert stored.meta["auto"] == "null_return_path"
    await env.services.pipeline.drain()
    assert (await env.messages(stored.conversation_id))[-1].id == stored.id


def _inbox(url: str, ca_file: Path | None = None) -> EmailInbox:
    options: dict[str, Any] = {"address": ADDRESS, "smtp_url": url, "send_timeout_seconds": 10}
    if ca_file:
        options["ca_file"] = str(ca_file)
    return validate(InboxSettings("mail", "email", options))


def _mail() -> EmailMessage:
    return build_message(
        Outgoing(
            message_id="o1@example.com",
            from_name="客服",
            from_address=ADDRESS,
            reply_to="support+t@example.com",
            to="cust@customer.example",
            subject="Re: hi",
            text="你好",
            in_reply_to=None,
            references=(),
            automatic=False,
        )
    )


async def test_starttls_required_and_certificate_validated(tmp_path: Path) -> None:
    """smtp+starttls:// with our CA trusted works over TLS; an untrusted certificate fails;
    a server that does not offer STARTTLS is an error, never a plaintext fallback."""
    pki = make_pki(tmp_path / "pki")
    tls_sink = await start_sink(tls_context=pki.server_context(), require_starttls=True)
    plain_sink = await start_sink()
    try:
        url = f"smtp+starttls://127.0.0.1:{tls_sink.port}"
        await smtp_send(_inbox(url, pki.ca_file), _mail(), ["cust@customer.example"])
        assert len(tls_sink.mails) == 1 and tls_sink.sessions_tls == [True]
        assert tls_sink.mails[0].message["Subject"] == "Re: hi"
        with pytest.raises(DeliveryError) as err:
            await smtp_send(_inbox(url), _mail(), ["cust@customer.example"])
        assert "CERTIFICATE_VERIFY_FAILED" in err.value.message or "certificate" in str(err.value)
        with pytest.raises(DeliveryError):
            await smtp_send(
                _inbox(f"smtp+starttls://127.0.0.1:{plain_sink.port}", pki.ca_file),
                _mail(),
                ["cust@customer.example"],
            )
        assert plain_sink.mails == []
    finally:
        await tls_sink.close()
        await plain_sink.close()


async def test_unreachable_server_is_retryable_and_no_smtp_url_is_permanent() -> None:
    """A refused connection retries through the outbox; a missing smtp_url does not."""
    with pytest.raises(DeliveryError) as err:
        await smtp_send(_inbox(f"smtp://127.0.0.1:{free_port()}"), _mail(), ["c@x.example"])
    assert not isinstance(err.value, PermanentDeliveryError)
    bare = validate(InboxSettings("mail", "email", {"address": ADDRESS}))
    with pytest.raises(PermanentDeliveryError):
        await smtp_send(bare, _mail(), ["c@x.example"])


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    """Each bad value is reported as [[inboxes]] <name> <key>."""
    cases: dict[str, dict[str, Any]] = {
        "address": {"address": "not-an-address"},
        "imap_url": {"address": ADDRESS, "imap_url": "http://x"},
        "smtp_url": {"address": ADDRESS, "smtp_url": "smtp+tls://x"},
        "smtp_listen": {"address": ADDRESS, "smtp_listen": "2525"},
        "max_message_bytes": {"address": ADDRESS, "max_message_bytes": 10},
        "ca_file": {"address": ADDRESS, "ca_file": str(tmp_path / "missing.pem")},
        "imap_idle_seconds": {"address": ADDRESS, "imap_idle_seconds": 3600},
        "colour": {"address": ADDRESS, "colour": "blue"},
    }
    for key, options in cases.items():
        with pytest.raises(ConfigError) as err:
            validate(InboxSettings("support-mail", "email", options))
        assert f"[[inboxes]] support-mail {key}" in str(err.value), (key, err.value)
    ok = validate(
        InboxSettings(
            "m",
            "email",
            {
                "address": "Support@Example.com",
                "imap_url": "imaps://me%40example.com:p%40ss@imap.example.com/Support",
                "smtp_url": "smtp+starttls://me:pw@smtp.example.com",
            },
        )
    )
    assert ok.address == "support@example.com"
    assert ok.imap == ServerUrl(
        "imaps", "imap.example.com", 993, "me@example.com", "p@ss", "Support"
    )
    assert ok.smtp is not None and ok.smtp.port == 587


def test_ssl_context_trusts_ca_file(tmp_path: Path) -> None:
    """The configured CA is loaded in a verifying context."""
    from channels.email.outbound import tls_context

    pki = make_pki(tmp_path)
    ctx = tls_context(_inbox("smtps://127.0.0.1:465", pki.ca_file))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert any(c["subject"][0][0][1] == "kefu test CA" for c in ctx.get_ca_certs())
