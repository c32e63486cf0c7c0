"""Header regressions from real mail: threading headers written plainly, split encoded-words.

The ids come from RFC 5322 Appendix A.2 plus the long ones mailing-list managers write
(77+ characters: the Python email package used to RFC 2047-encode those, so no client
threaded our replies); the encoded-words from RFC 2047 section 8 plus a UTF-8 character
split across two words (allowed by RFC 2047 5, and written by real encoders).
"""

from __future__ import annotations

import base64
import dataclasses
import email
import re
from email.policy import default

import pytest

from channels.email.charsets import decode_header
from channels.email.compose import Outgoing, build_message, reply_subject
from channels.email.config import validate
from channels.email.outbound import smtp_send
from channels.email.parse import message_ids, parse_email
from channels.email.wire import fold_ids, render
from core.config import InboxSettings
from tests.channels.email_support.sink import start_sink
from tests.conftest import shared_missing

# RFC 5322 A.2 (a reply to a reply), then the lengths that broke threading.
RFC_IDS = ("1234@local.machine.example", "3456@example.net")
LONG_77 = "LISTMANAGER-12345-6789-2026.11.22-10.11.12--support#example.com@lists.example"
LONG_IDS = (
    LONG_77,
    "CAFx8=Zq9fq1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6p7q8r9s0t1u2v3w4x5y6z7+AbCdEf@mail.gmail.com",
    "0100018c" + "a1b2c3d4" * 25 + "@email.amazonses.com",  # 230 characters
)
NON_ASCII = "订单.2026@客户.example"


def reply(in_reply_to: str, references: tuple[str, ...]) -> Outgoing:
    """A bot reply threaded under ``in_reply_to``."""
    return Outgoing(
        message_id="kefu.7.0123456789abcdef@example.com",
        from_name="客服",
        from_address="support@example.com",
        reply_to="support+c7x0123456789ab@example.com",
        to="wang.fang@customer.example",
        subject="Re: 退货问题",
        text="您好",
        in_reply_to=in_reply_to,
        references=references,
        automatic=True,
    )


def header_lines(raw: bytes, name: str) -> list[str]:
    """The physical lines of header ``name`` (with its continuation lines) in ``raw``."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    out: list[str] = []
    inside = False
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t"):
            if inside:
                out.append(line)
            continue
        inside = line.lower().startswith(name.lower() + ":")
        if inside:
            out.append(line)
    return out


def test_long_message_ids_are_written_plainly_and_folded_between_ids() -> None:
    """Regression: ids of 77+ characters came out as ``=?utf-8?q?=3C...?=`` words."""
    assert len(LONG_77) == 77
    ids = (*RFC_IDS, *LONG_IDS)
    raw = render(build_message(reply(LONG_77, ids)))
    for name in ("Message-ID", "In-Reply-To", "References"):
        lines = header_lines(raw, name)
        assert lines, name
        assert all("=?" not in line for line in lines), lines
        assert all(len(line) <= 998 for line in lines)
    refs = header_lines(raw, "References")
    assert len(refs) > 1  # folded...
    for line in refs:  # ...only between ids: every physical line holds whole ids
        assert re.fullmatch(r"(References:)?( <[^<>\s]+>)+", line), line
    back = email.message_from_bytes(raw, policy=default)
    assert message_ids(str(back["In-Reply-To"])) == (LONG_77,)
    assert message_ids(str(back["References"])) == ids
    # Our own parser (what a customer's reply goes through) reads the same ids.
    assert parse_email(raw).references == ids


def test_fold_keeps_an_id_longer_than_the_line_whole() -> None:
    """A 250-character id is one token on its own line, never split or encoded."""
    long_id = "<" + "x" * 240 + "@example.org>"
    folded = fold_ids("References", f"<a@b> {long_id} <c@d>", "\r\n")
    assert folded == f"References: <a@b>\r\n {long_id}\r\n <c@d>\r\n"


def _inbox(port: int) -> object:
    return validate(
        InboxSettings(
            "mail",
            "email",
            {"address": "support@example.com", "smtp_url": f"smtp://127.0.0.1:{port}"},
        )
    )


@pytest.mark.parametrize("smtputf8", [True, False])
async def test_non_ascii_message_id_rfc6532_or_left_out(smtputf8: bool) -> None:
    """Regression: a reply to a mail whose Message-ID holds non-ASCII characters had no
    In-Reply-To at all. With SMTPUTF8 the id goes out as UTF-8 (RFC 6532); without it, it
    is left out (an encoded id threads nothing) and the ASCII ids of the thread stay."""
    sink = await start_sink(smtputf8=smtputf8)
    try:
        msg = build_message(reply(NON_ASCII, (RFC_IDS[0], NON_ASCII)))
        await smtp_send(_inbox(sink.port), msg, ["wang.fang@customer.example"])  # type: ignore[arg-type]
        [got] = await sink.wait_for(1)
    finally:
        await sink.close()
    head = got.raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?q?=3C" not in head.lower()
    if smtputf8:
        assert got.smtp_utf8
        assert message_ids(str(got.message["In-Reply-To"])) == (NON_ASCII,)
        assert message_ids(str(got.message["References"])) == (RFC_IDS[0], NON_ASCII)
        assert got.message["Subject"] == "Re: 退货问题"
    else:
        assert not got.smtp_utf8 and head.isascii()
        assert got.message["In-Reply-To"] is None
        assert message_ids(str(got.message["References"])) == (RFC_IDS[0],)
        assert got.message["Subject"] == "Re: 退货问题"  # still an RFC 2047 word


@pytest.mark.parametrize(
    ("encoded", "text"),
    [  # RFC 2047 section 8
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
    ],
)
def test_rfc2047_examples(encoded: str, text: str) -> None:
    """The examples of RFC 2047 section 8 decode as the RFC says."""
    decoded = decode_header(encoded)
    assert decoded.text == text and not decoded.damaged


def _split_words(text: str, cut: int, encoding: str = "B") -> str:
    """``text`` as two UTF-8 encoded-words, cut at byte ``cut`` (maybe inside a character)."""
    data = text.encode("utf-8")
    words = []
    for chunk in (data[:cut], data[cut:]):
        if encoding == "B":
            payload = base64.b64encode(chunk).decode()
        else:
            payload = "".join(f"={b:02X}" if b > 0x7E or b in b" =?_" else chr(b) for b in chunk)
        words.append(f"=?UTF-8?{encoding}?{payload}?=")
    return "\r\n ".join(words)


@pytest.mark.parametrize("encoding", ["B", "Q"])
def test_a_character_split_across_two_encoded_words(encoding: str) -> None:
    """Regression: "Domače omrežje" with the "ž" split between two words was stored as
    mojibake ("Domače omreÅ緅e"), and the garbled subject went out in the reply."""
    subject = "Domače omrežje"
    cut = subject.encode().index("ž".encode()) + 1  # between the two bytes of "ž"
    raw = (
        "From: Ana <ana@example.si>\r\nTo: support@example.com\r\n"
        f"Subject: {_split_words(subject, cut, encoding)}\r\n"
        "Message-ID: <split.1@example.si>\r\n\r\nPozdravljeni\r\n"
    ).encode()
    mail = parse_email(raw)
    assert mail.subject == subject
    assert mail.problems == ()
    out = dataclasses.replace(reply("split.1@example.si", ()), subject=reply_subject(subject, None))
    assert email.message_from_bytes(render(build_message(out)), policy=default)["Subject"] == (
        f"Re: {subject}"
    )


def test_a_header_that_cannot_be_decoded_is_flagged_not_guessed() -> None:
    """A word labelled UTF-8 whose bytes are not UTF-8 keeps U+FFFD and records a problem,
    instead of being read as some legacy charset that happens to accept the bytes."""
    raw = (
        b"From: =?UTF-8?Q?M=FCller?= <m@example.de>\r\nTo: support@example.com\r\n"
        b"Subject: =?UTF-8?Q?Rechnung_f=FCr_Mai?=\r\nMessage-ID: <bad.1@example.de>\r\n\r\nhi\r\n"
    )
    mail = parse_email(raw)
    assert mail.subject == "Rechnung f\ufffdr Mai"
    assert "Subject header has undecodable bytes" in mail.problems
    assert "From header has undecodable bytes" in mail.problems
    assert mail.sender == "m@example.de"
    assert reply_subject(mail.subject, None) == "Re: Rechnung fr Mai"  # no U+FFFD goes out


def test_raw_utf8_header_with_a_cut_character_is_not_read_as_windows_1252() -> None:
    """Raw 8-bit UTF-8 in a header whose last character was cut (one stray byte): read as
    UTF-8 with U+FFFD for that byte and a problem recorded, not as Windows-1252 mojibake of
    every letter ("Ð®Ð½Ð¸ÐºÐ¾Ð´")."""
    name = "Юникод запрещен".encode()
    raw = (
        b"From: " + name + b"\xd1 <headers@example.com>\r\nTo: support@example.com\r\n"
        b"Subject: " + "Возврат".encode() + b"\xd0\r\nMessage-ID: <cut.1@example.com>\r\n\r\nhi\r\n"
    )
    mail = parse_email(raw)
    assert mail.sender_name == "Юникод запрещен\ufffd"
    assert mail.subject == "Возврат\ufffd"
    assert "From header has undecodable bytes" in mail.problems
    assert "Subject header has undecodable bytes" in mail.problems
    # Latin-1 stays Latin-1: its bytes are no UTF-8 at all.
    latin = parse_email(
        raw.replace(b"Subject: " + "Возврат".encode() + b"\xd0", b"Subject: Forma\xe7\xe3o")
    )
    assert latin.subject == "Formação"


def test_a_reply_to_every_fixture_mail_cites_its_message_id_plainly() -> None:
    """Every Message-ID of the shared real-world corpus (56 of them were encoded before),
    cited by a reply, parses back unchanged; ids that cannot be written are left out."""
    from tests.channels.test_email_corpus import FILES

    if len(FILES) < 800:
        shared_missing("../shared/fixtures/email")
    cited = 0
    for path in FILES:
        mail = parse_email(path.read_bytes())
        if mail.derived_id:
            continue
        raw = render(build_message(reply(mail.message_id, (*RFC_IDS, mail.message_id))))
        for name in ("In-Reply-To", "References"):
            assert not any("=?" in line for line in header_lines(raw, name)), path
        back = parse_email(raw)
        if back.in_reply_to:
            assert back.in_reply_to == (mail.message_id,), path
            assert back.references == tuple(dict.fromkeys((*RFC_IDS, mail.message_id))), path
            cited += 1
    assert cited > 700
