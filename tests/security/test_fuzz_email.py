"""Fuzzing the email channel: raw MIME in (headers, charsets, multipart), headers out."""

from __future__ import annotations

import base64
import email
import email.headerregistry
import email.message
from email.policy import default as default_policy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.email.charsets import decode_bytes, decode_header
from channels.email.compose import Outgoing, build_message, reply_subject, sender_header
from channels.email.content import html_to_text, sanitize_html, text_to_html, trim_reply
from channels.email.parse import parse_email
from tests.security.fuzzing import Tally, budget

# Real labels, aliases, non-text codecs and nonsense: every one must decode or be flagged.
CHARSETS = [
    "utf-8",
    "gb2312",
    "gbk",
    "gb18030",
    "big5",
    "iso-2022-jp",
    "shift_jis",
    "euc-kr",
    "us-ascii",
    "latin1",
    "cp1252",
    "utf-7",
    "utf-16",
    "utf-32",
    "idna",
    "punycode",
    "rot13",
    "hex",
    "base64",
    "zlib",
    "uu",
    "unicode_escape",
    "raw_unicode_escape",
    "x-unknown",
    "",
    '"utf-8"',
    "utf-8*en",
    "\x00",
]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus"]
TYPES = [
    "text/plain",
    "text/html",
    "image/png",
    "application/octet-stream",
    "message/rfc822",
    "multipart/mixed",
    "multipart/alternative",
    "text/calendar",
    "x/y",
]

words = st.text(max_size=30) | st.sampled_from(["<script>alert(1)</script>", "\r\nBcc: x@y", "=?"])


@st.composite
def encoded_word(draw: st.DrawFn) -> str:
    """An RFC 2047 word with any charset and a payload that may be broken."""
    charset = draw(st.sampled_from(CHARSETS))
    enc = draw(st.sampled_from("BQbq"))
    raw = draw(st.binary(max_size=20))
    payload = base64.b64encode(raw).decode() if enc in "Bb" else raw.hex("=")
    if draw(st.booleans()):
        payload = payload[: draw(st.integers(0, len(payload)))]
    return f"=?{charset}?{enc}?{payload}?="


@st.composite
def mime(draw: st.DrawFn, depth: int = 0) -> bytes:
    """A MIME message: hostile headers, nested parts, wrong charsets and encodings."""
    lines: list[bytes] = []
    for name in draw(
        st.lists(
            st.sampled_from(
                [
                    "From",
                    "To",
                    "Cc",
                    "Subject",
                    "Message-ID",
                    "Date",
                    "In-Reply-To",
                    "References",
                    "Auto-Submitted",
                    "Precedence",
                    "X-X",
                ]
            ),
            max_size=8,
        )
    ):
        value = draw(
            st.one_of(
                words, encoded_word(), st.binary(max_size=30).map(lambda b: b.decode("latin1"))
            )
        )
        lines.append(f"{name}: {value}".encode("utf-8", "surrogateescape"))
    ctype = draw(st.sampled_from(TYPES))
    boundary = draw(st.sampled_from(["b1", "", '"', "a" * 80, "--"]))
    charset = draw(st.sampled_from(CHARSETS))
    lines.append(f'Content-Type: {ctype}; charset="{charset}"; boundary="{boundary}"'.encode())
    lines.append(f"Content-Transfer-Encoding: {draw(st.sampled_from(ENCODINGS))}".encode())
    if draw(st.booleans()):
        lines.append(
            f'Content-Disposition: attachment; filename="{draw(words)}"'.encode(
                "utf-8", "surrogateescape"
            )
        )
    body: bytes
    if ctype.startswith("multipart/") and depth < 2:
        children = draw(st.lists(mime(depth + 1), max_size=3))
        sep = b"--" + boundary.encode()
        body = b"\r\n".join(sep + b"\r\n" + c for c in children)
        if draw(st.booleans()):
            body += b"\r\n" + sep + b"--"
    else:
        body = draw(
            st.binary(max_size=200) | words.map(lambda t: t.encode("utf-8", "surrogatepass"))
        )
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


PARSE = Tally("email: MIME parser")


@budget()
@given(st.one_of(mime(), st.binary(max_size=600)))
def _parse(raw: bytes) -> None:
    parsed = PARSE.run(lambda: parse_email(raw, frozenset({"support@example.com"})), ())
    assert parsed is not None
    # Normalized: one-line subject and name, lower-case addresses, no NUL in the text.
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert "\n" not in parsed.sender_name and len(parsed.subject) <= 500
    assert parsed.sender == parsed.sender.lower() and "\x00" not in parsed.text
    assert "<script" not in parsed.html.lower()


def test_any_mime_parses_without_raising() -> None:
    """parse_email's promise: what can be read is read, never an exception."""
    _parse()
    PARSE.record()


CHARS = Tally("email: charsets and encoded words")


@budget()
@given(
    data=st.binary(max_size=200),
    declared=st.sampled_from(CHARSETS) | st.text(max_size=12),
    header=st.lists(encoded_word() | words, max_size=4),
)
def _charsets(data: bytes, declared: str, header: list[str]) -> None:
    out = CHARS.run(lambda: decode_bytes(data, declared), ())
    assert out is not None and isinstance(out.text, str)
    word = CHARS.run(lambda: decode_header(" ".join(header), declared), ())
    assert word is not None and "\n" not in word.text


def test_charsets_decode_or_flag_damage() -> None:
    """Any bytes under any declared charset decode (flagged when lossy), never raise."""
    _charsets()
    CHARS.record()


@pytest.mark.parametrize("label", ["idna", "punycode", "rot13", "hex", "utf-7"])
def test_odd_codec_labels_do_not_raise(label: str) -> None:
    """Regression guard: codecs that raise UnicodeError (not UnicodeDecodeError) or are not
    text codecs must fall back instead of escaping the parser."""
    assert decode_bytes(b"\xff\xfe-\x80a", label).text
    assert decode_header(f"=?{label}?B?//4tgGE=?=").text


CONTENT = Tally("email: HTML and reply trimming")


@budget()
@given(
    st.text(max_size=400)
    | st.sampled_from(
        [
            "<script>x</script>",
            "<img src=x onerror=alert(1)>",
            "<a href='javascript:alert(1)'>x</a>",
            "<" * 500,
            "<!--" * 50,
            "<svg><style>",
        ]
    )
)
def _content(markup: str) -> None:
    clean = CONTENT.run(lambda: sanitize_html(markup), ())
    assert clean is not None
    low = clean.lower()
    assert "<script" not in low and "onerror" not in low and "javascript:" not in low
    CONTENT.run(lambda: html_to_text(markup), ())
    CONTENT.run(lambda: trim_reply(markup), ())
    html = CONTENT.run(lambda: text_to_html(markup), ())
    assert html is not None and "<script" not in html.lower()


def test_html_is_sanitized_and_text_escaped() -> None:
    """Sanitized HTML keeps no script, handler or javascript: URL; text becomes escaped HTML."""
    _content()
    CONTENT.record()


HEADERS = Tally("email: outbound headers")
hostile = st.text(max_size=60) | st.sampled_from(
    [
        "x\r\nBcc: victim@example.com",
        "x\nSubject: pwned",
        "x\rTo: a@b",
        "\x00\x85\u2028",
        "=?utf-8?q?=0D=0ABcc:_a@b?=",
    ]
)


@budget()
@given(subject=hostile, name=hostile, filename=hostile, ref=hostile, text=st.text(max_size=80))
def _headers(subject: str, name: str, filename: str, ref: str, text: str) -> None:
    out = Outgoing(
        message_id="kefu.1.abc@example.com",
        from_name=name,
        from_address="support@example.com",
        reply_to="support+t@example.com",
        to="customer@example.org",
        subject=reply_subject(subject, 7),
        text=text,
        in_reply_to=ref or None,
        references=(ref,) if ref else (),
        automatic=False,
        attachments=((b"x", "text/plain", filename),),
    )
    msg = HEADERS.run(lambda: build_message(out), ())
    assert msg is not None
    wire = msg.as_bytes(policy=default_policy)
    back = email.message_from_bytes(wire, policy=default_policy)
    # Exactly the headers we set: nothing a customer typed became a header of its own.
    assert back.get_all("Bcc") is None
    assert len(back.get_all("To") or []) == 1 and str(back["To"]) == "customer@example.org"
    assert len(back.get_all("Subject") or []) == 1
    assert "\n" not in str(back["Subject"]) and "\r" not in str(back["Subject"])
    assert "\n" not in sender_header(name, "support@example.com")


def test_no_field_can_inject_an_email_header() -> None:
    """Subject, sender name, references and attachment names never add or split headers."""
    _headers()
    HEADERS.record()


@pytest.mark.parametrize(
    "evil", ["=?utf-8?q?=0D=0ABcc:_victim@example.com?=", "=?utf-8?b?DQpCY2M6IHZAeC55?="]
)
def test_an_encoded_crlf_in_a_message_id_or_subject_injects_nothing(evil: str) -> None:
    """Regression: the email package decoded an RFC 2047 word in In-Reply-To/References/Subject
    after our cleaning, so a customer's Message-ID ``<=?utf-8?q?=0D=0ABcc:...?=>`` added a Bcc
    header to our reply (kefu as a spam relay)."""
    out = Outgoing(
        message_id="kefu.1.abc@example.com",
        from_name=evil,
        from_address="support@example.com",
        reply_to="support+t@example.com",
        to="customer@example.org",
        subject=reply_subject(evil, 3),
        text="hello",
        in_reply_to=evil,
        references=(evil, "ok.1@example.org"),
        automatic=False,
    )
    wire = build_message(out).as_bytes(policy=default_policy)
    back = email.message_from_bytes(wire, policy=default_policy)
    assert back.get_all("Bcc") is None and b"\nBcc" not in wire
    assert str(back["References"]) == "<ok.1@example.org>"  # the odd id is left out
    assert back["In-Reply-To"] is None


@pytest.mark.parametrize(
    ("display", "address"),
    [
        ("Müller, Hans", "hans@example.de"),
        ("王, 芳", "wang@example.cn"),
        ("<b>x</b>", "x@example.org"),
    ],
)
def test_a_sender_whose_encoded_name_holds_specials_keeps_the_address(
    display: str, address: str
) -> None:
    """Regression (found by the browser XSS test): names were decoded before the address was
    split off, so ``=?utf-8?…?= <hans@…>`` decoding to "Müller, Hans <…>" lost the sender."""
    msg = email.message.EmailMessage()
    msg["From"] = email.headerregistry.Address(display, addr_spec=address)
    msg["To"] = '"Support, Team" <support@example.com>'
    msg["Subject"] = "hi"
    msg.set_content("hello")
    parsed = parse_email(msg.as_bytes())
    assert (parsed.sender, parsed.sender_name) == (address, display)
    assert parsed.recipients == ("support@example.com",)
