"""Signs of a forged client or trace (channels/email/forgery.py), and U+FFFD sent in the
sender's name (channels/email/ratware.py): what each sees, and the real clients and servers
it leaves alone.

Every sign weighs 1: the labelled people of samples_forgery.py come close to each one and are
answered; the spam tools' mail there carries several and is not.
"""

from __future__ import annotations

import pytest

from channels.email import forgery, ratware
from channels.email.parse import parse_email
from tests.channels.email_support.app import ADDRESS
from tests.channels.email_support.samples import mail, raw
from tests.channels.email_support.samples_forgery import FORGERY_PEOPLE, FORGERY_ROBOTS

OWN = frozenset({ADDRESS})
BY = "by mx.example.com (Postfix) with ESMTP id 6EF7F2E0BAB; Sun, 13 May 2018 04:32:23 +0000"


def received(value: str) -> bool:
    return forgery.forged_helo(mail("Hi", "Hi", headers={"Received": value}))


@pytest.mark.parametrize(
    "hop",
    [
        f"from hotmail.com (unknown [96.202.181.20]) {BY}",  # Postfix, no name for the address
        f"from gmail.com ([96.202.181.20]) {BY}",  # Sendmail, no name
        f"from 163.com (dsl-96-202-181-20.isp.example [96.202.181.20]) {BY}",  # a name elsewhere
        "from unknown (HELO yahoo.com) (61.219.40.12) by mail.example.com with SMTP",  # qmail
        "from [61.219.40.12] (helo=qq.com) by mx.example.com with esmtp (Exim 4.96)",  # Exim
    ],
)
def test_a_host_greeting_as_a_webmail_provider_without_its_name(hop: str) -> None:
    assert received(hop)


@pytest.mark.parametrize(
    "hop",
    [
        # Providers' own servers, named in their reverse DNS (163.com and the old Hotmail
        # greet with the bare domain).
        f"from 163.com (m12.mail.163.com [220.181.12.198]) {BY}",
        f"from hotmail.com (f135.law8.hotmail.com [216.33.241.135]) {BY}",
        f"from mail-wr1-f54.google.com (mail-wr1-f54.google.com [209.85.221.54]) {BY}",
        # a provider's internal hop, by its own server, from a loopback or empty address
        "from qq.com (unknown [127.0.0.1]) by smtp.qq.com (ESMTP) with SMTP id 0",
        "from 163.com (unknown []) by gzsmtp4 (Coremail) with SMTP id PygvCgB33JKy8lxoEFQFAQ",
        # a person's client submitting with a login (RFC 3848), whatever it greets with
        "from hotmail.com ([137.118.186.11]) by smtp.gmail.com with ESMTPSA id v14sm76",
        # a greeting that is no provider's, and Exchange's form, which records no name
        f"from mypc.home.example (unknown [96.202.181.20]) {BY}",
        "from hotmail.com (96.202.181.20) by EX01.corp.example (10.0.0.5) with Microsoft SMTP",
    ],
)
def test_real_traces_are_not_forged(hop: str) -> None:
    assert not received(hop)


def test_an_outlook_express_without_mimeole_is_forged() -> None:
    def forged(mailer: str, **extra: str) -> bool:
        headers = {"X-Mailer": mailer, **{k.replace("_", "-"): v for k, v in extra.items()}}
        return forgery.forged_mailer(mail("Hi", "Hi", headers=headers))

    assert forged("Microsoft Outlook Express 5.00.2919.6700")
    assert forged("Microsoft Office Outlook, Build 11.0.5510")
    assert forged("Microsoft Windows Live Mail 14.0.8117.416")
    mimeole = "Produced By Microsoft MimeOLE V6.00.2900.5512"
    assert not forged("Microsoft Outlook Express 6.00.2900.5512", X_MimeOLE=mimeole)
    assert not forged("Microsoft Outlook 16.0")  # Outlook 2007 and later write none
    assert not forged("Microsoft Office Outlook 12.0")
    assert not forged("Microsoft-Outlook-Express-Macintosh-Edition/5.02.2106")


def test_binary_transfer_encoding_of_the_message_itself() -> None:
    top = raw(
        b"From: a@shop.example\r\nContent-Transfer-Encoding: binary\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nHi\r\n--b--\r\n'
    )
    part = raw(
        b'From: a@home.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"'
        b"\r\n\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        b"\xff\xd8\r\n--b--\r\n"
    )
    assert forgery.binary_transfer(top) and not forgery.binary_transfer(part)


def test_a_legacy_label_on_utf8_text() -> None:
    def labelled(charset: str, body: bytes) -> bool:
        return forgery.mislabelled_charset(
            raw(
                f"From: a@b.example\r\nContent-Type: text/plain; charset={charset}\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n".encode()
                + body
            )
        )

    text = "你好！我公司可代开各类发票，点数优惠。"
    assert labelled("gb2312", text.encode())
    assert labelled("big5", "企業貸款，三天到帳。".encode())
    assert not labelled("gb2312", text.encode("gb18030"))  # what a client writes
    assert not labelled("utf-8", text.encode())
    assert not labelled("us-ascii", text.encode())  # a default label, read as UTF-8 anyway
    assert not labelled("gb2312", b"plain ascii")
    # A mail attached to it is someone else's.
    outer = raw(
        b'From: a@b.example\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n--b\r\n"
        b"Content-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\n\r\n" + text.encode() + b"\r\n--b--\r\n"
    )
    assert not forgery.mislabelled_charset(outer)


def test_a_replacement_character_as_sent_in_a_header() -> None:
    def signs(head: bytes) -> list[str]:
        msg = raw(head + b"To: support@example.com\r\n\r\nHi\r\n")
        return [n for n, _w in ratware.header_signs(msg, OWN) if n == "raw_header_bytes"]

    assert "raw_header_bytes" in signs(b"From: Shop\xef\xbf\xbd <a@shop.example>\r\n")
    assert "raw_header_bytes" in signs(b"From: =?UTF-8?B?U2hvcO+/vQ==?= <a@shop.example>\r\n")
    # a subject may be inherited from the mail a reply answers: not read for U+FFFD
    assert signs(b"From: a@home.example\r\nSubject: Re: =?UTF-8?B?77+9?=\r\n") == []
    assert signs(b"From: =?UTF-8?B?5byg5LiJ?= <zhang@home.example>\r\n") == []
    assert signs("From: Jürgen <j@home.example>\r\n".encode()) == []  # RFC 6532 UTF-8


@pytest.mark.parametrize(("name", "msg"), FORGERY_PEOPLE, ids=[n for n, _ in FORGERY_PEOPLE])
def test_people_close_to_the_signs_carry_none(name: str, msg: object) -> None:
    parsed = parse_email(msg.as_bytes(), OWN)  # type: ignore[attr-defined]
    assert parsed.auto_reason is None and parsed.signs == (), (name, parsed.signs)


def test_spam_tools_carry_several() -> None:
    for name, msg, reason in FORGERY_ROBOTS:
        parsed = parse_email(msg.as_bytes(), OWN)
        assert parsed.auto_reason == reason, name
        assert len(parsed.signs) >= 4 and all(s.weight == 1 for s in parsed.signs), name
