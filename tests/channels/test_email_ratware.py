"""Signs of spam tools (channels/email/ratware.py): what they see, and what they leave alone.

Each sign is weighed with the others (``signs.decide``): none decides alone, and the mail of
a person's client — Gmail, Outlook, a forwarded spam sent on as an attachment, a plus-address
of ours among many recipients, UTF-8 written raw as RFC 6532 allows — carries none of them.
"""

from __future__ import annotations

from email.message import EmailMessage

from channels.email import ratware
from channels.email.parse import parse_email
from channels.email.signs import Sign, decide
from tests.channels.email_support.app import ADDRESS, customer_mail
from tests.channels.email_support.samples import CUSTOMERS, mail, raw

OWN = frozenset({ADDRESS})


def names(msg: EmailMessage) -> list[str]:
    return [name for name, _w in ratware.header_signs(msg, OWN)]


def test_a_clients_mail_carries_none() -> None:
    gmail = mail(
        "Broken handle",
        "The handle came off.",
        html='<div dir="ltr">The handle came off.<br><img src="https://ci3.example/logo.png"></div>',
        msgid_domain="mail.gmail.com",
        sender="kate.w@gmail.example",
    )
    outlook = customer_mail("RE: Order 7781", "See below.")
    outlook.replace_header("Message-ID", "<000301d9f1c2$fabe1230$de5184b0$@bigco.example>")
    assert names(gmail) == [] and names(outlook) == []
    for _name, msg in CUSTOMERS[:40]:
        assert names(msg) == [], _name


def test_mime_no_client_writes() -> None:
    msg = customer_mail("Hi", "Hi")
    msg.replace_header("Content-Transfer-Encoding", "quoted printable")
    assert names(msg) == ["broken_mime"]
    msg.replace_header("Content-Transfer-Encoding", "Quoted-Printable")
    assert names(msg) == []
    msg.replace_header("Content-Type", '; name="a.jpg"')
    assert names(msg) == ["broken_mime"]


def test_an_attached_mail_is_not_looked_into() -> None:
    spam = customer_mail("Win", "Win")
    spam.replace_header("Content-Transfer-Encoding", "plain")
    outer = customer_mail("Is this yours?", "I got this, see attached.")
    outer.add_attachment(spam)
    assert names(outer) == []


def test_headers_a_tool_forgot() -> None:
    assert names(customer_mail("Hi", "Hi", headers={"Date": "Pn, 29 paX 2007 21:13:00"})) == [
        "no_date"
    ]
    for bad in ("<11107978796724623>", "<abc$RND_WORD@x.example>", "<a1b2$c3@localhost>"):
        msg = customer_mail("Hi", "Hi")
        msg.replace_header("Message-ID", bad)
        assert names(msg) == ["bad_message_id"], bad
    assert names(customer_mail("Hi", "Hi", headers={"X-Mailer": "PHP/5.2.6"})) == ["script_mailer"]
    assert names(customer_mail("Hi", "Hi", headers={"X-Mailer": "Microsoft Outlook 16.0"})) == []


def test_a_row_of_strangers_but_not_with_us_among_them() -> None:
    strangers = "a@x.example, b@x.example, c@y.example"
    assert names(customer_mail("Hi", "Hi", to=strangers)) == ["mass_recipients"]
    plus = ADDRESS.replace("@", "+orders@")
    assert names(customer_mail("Hi", "Hi", to=f"{strangers}, {plus}")) == []
    assert names(customer_mail("Hi", "Hi", to="a@x.example, b@x.example")) == []


def test_raw_bytes_that_are_not_utf8() -> None:
    head = (
        b"From: a@x.example\r\nTo: support@example.com\r\n"
        b"Date: Fri, 04 Dec 2026 09:12:00 +0800\r\nMessage-ID: <1@x.example>\r\n"
    )
    latin = raw(head + b"Subject: Ver\xe3o\r\n\r\nx\r\n")
    utf8 = raw(head + "Subject: 退货\r\n\r\nx\r\n".encode())
    assert names(latin) == ["raw_header_bytes"] and names(utf8) == []


def test_text_written_past_a_filter() -> None:
    assert ratware.text_signs("", "This st0ck is a big mover") == [("obfuscated_text", 1)]
    assert ratware.text_signs("", "Visit hotnewsoft . com") == [("obfuscated_text", 1)]
    assert ratware.text_signs("", "Tuuurn oooff notiiifications") == [("obfuscated_text", 1)]
    # One stretched word, a redaction, a model number, a web address: a person's.
    plain = "Sooo sorry, order xxxx-1200, model XQB80, see www.shop.example/a0b"
    assert ratware.text_signs("", plain) == []


def test_no_sign_decides_alone() -> None:
    assert decide([Sign("broken_mime", 2)]) is None
    assert decide([Sign("broken_mime", 2), Sign("no_date", 1)]) == "broken_mime"
    weak = ["no_date", "bad_message_id", "mass_recipients"]
    assert decide([Sign(n, 1) for n in weak]) is None
    assert decide([Sign(n, 1) for n in [*weak, "raw_header_bytes"]]) == "bad_message_id"


def test_parse_gives_the_reason() -> None:
    msg = customer_mail("Get in on IGTS", "This st0ck gets our top rating.", sender="r@hq.example")
    msg.replace_header("Content-Transfer-Encoding", "plain")
    parsed = parse_email(msg.as_bytes(), OWN)
    assert parsed.auto_reason == "broken_mime"
    assert [s.name for s in parsed.signs] == ["broken_mime", "obfuscated_text"]
