"""Raw MIME to a parsed email: headers decoded, body text, HTML, attachments, loop verdict.

Parsing never raises on bad input (missing boundaries, wrong charsets, 8-bit headers,
broken base64): what can be read is read, and ``problems`` says what could not, for the log
and for agents. The bytes of attachments are returned, not unpacked (a zip bomb named as an
attachment is just a file); the caller stores them within its size limits.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message as MimeMessage
from email.policy import compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from channels.email.bulk import FORWARD_SUBJECT, bulk_reason
from channels.email.charsets import decode_bytes, decode_header
from channels.email.content import html_to_text, sanitize_html, trim_reply
from channels.email.loops import automatic_reason
from channels.email.signs import Sign, collect_signs, decide

_MSGID = re.compile(r"<([^<>\s]{1,500})>")
MAX_SOURCE_ID = 255
SIGN_SCAN = 300_000  # characters of text and HTML read for the weighed signs


@dataclass(frozen=True)
class Part:
    """An attachment or inline image of a message (its bytes, not yet stored)."""

    data: bytes
    mime: str
    name: str
    inline: bool = False
    content_id: str = ""


@dataclass(frozen=True)
class ParsedEmail:
    """One email, decoded."""

    message_id: str  # without <>; derived from the headers when the mail has none
    derived_id: bool
    sender: str  # lower-cased address ("" when missing)
    sender_name: str
    recipients: tuple[str, ...]  # To, Cc, Delivered-To, X-Original-To (lower-cased)
    subject: str
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str  # the full body as text
    reply_text: str  # what the customer wrote this time (quotes and signature trimmed)
    html: str  # sanitized HTML ("" for text mail)
    parts: tuple[Part, ...]
    auto_reason: str | None  # why not to answer, None for a person's mail
    charsets: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())
    # The weighed signs of automatic mail it carries (``signs.py``), when no rule decided.
    signs: tuple[Sign, ...] = ()


def message_ids(value: str) -> tuple[str, ...]:
    """The Message-IDs in a References / In-Reply-To header, in order, without <>."""
    found = _MSGID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip()]  # a bare id without brackets
    return tuple(dict.fromkeys(found))


def source_id_of(message_id: str) -> str:
    """A Message-ID shortened to fit the source_id column (hashed when longer)."""
    if len(message_id) <= MAX_SOURCE_ID:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()


_TRACE = re.compile(
    r"^(received|return-path|delivered-to|x-original-to|dkim-signature|arc-.*|x-.*|"
    r"authentication-results|received-spf|envelope-to)$",
    re.I,
)


def _derived_id(msg: MimeMessage, raw: bytes) -> str:
    """A stable id for a mail without Message-ID: the same mail always gets the same id.

    Built from every header a relay does not add (trace headers are left out, so a second
    delivery of the same mail gets the same id) and the body.
    """
    h = hashlib.sha256()
    for name, value in msg.raw_items():
        if not _TRACE.match(name):
            h.update(f"{name.lower()}:{value}".encode("utf-8", "surrogateescape") + b"\0")
    split = re.search(rb"\r?\n\r?\n", raw)
    h.update(raw[split.end() :] if split else raw)
    return f"derived-{h.hexdigest()[:40]}@kefu.invalid"


def _filename(part: MimeMessage) -> str:
    name = part.get_param("filename", None, "content-disposition") or part.get_param("name")
    if isinstance(name, tuple):  # RFC 2231: (charset, language, value)
        cs, _lang, value = name
        raw = value.encode("latin-1", "replace") if isinstance(value, str) else bytes(value)
        return decode_bytes(raw, cs or "utf-8").text
    return decode_header(name).text if name else ""


def _payload(part: MimeMessage, problems: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as err:  # the email package can fail on truly broken encodings
        problems.append(f"undecodable part {part.get_content_type()}: {type(err).__name__}")
        raw = part.get_payload()
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    if data is None:
        return b""
    if isinstance(data, str):  # pragma: no cover - compat32 returns bytes
        return data.encode("utf-8", "surrogateescape")
    return bytes(data)


def _walk_body(
    msg: MimeMessage, problems: list[str], charsets: list[str]
) -> tuple[list[str], list[str], list[Part]]:
    plains: list[str] = []
    htmls: list[str] = []
    parts: list[Part] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if part.is_multipart():
            continue
        disposition = str(part.get("Content-Disposition", "") or "").split(";", 1)[0]
        disposition = disposition.strip().lower()
        name = _filename(part)
        if ctype == "message/rfc822" or (part is not msg and ctype.startswith("message/")):
            inner = part.get_payload()
            try:
                first = inner[0] if isinstance(inner, list) and inner else None
                data = (
                    first.as_bytes() if isinstance(first, MimeMessage) else _payload(part, problems)
                )
            except Exception:
                data = _payload(part, problems)
            parts.append(Part(data, ctype, name or "message.eml"))
            continue
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # a multipart whose boundary is missing: read it as text
        is_text = ctype in ("text/plain", "text/html") and disposition != "attachment"
        if is_text and not (name and disposition == "attachment"):
            data = _payload(part, problems)
            decoded = decode_bytes(data, part.get_content_charset())
            charsets.append(decoded.charset)
            if decoded.damaged:
                problems.append(f"{ctype} part is not valid {decoded.charset}: kept with U+FFFD")
            (plains if ctype == "text/plain" else htmls).append(decoded.text)
            continue
        data = _payload(part, problems)
        if not data and not name:
            continue
        cid = str(part.get("Content-ID", "") or "").strip().strip("<>")
        inline = disposition == "inline" or (bool(cid) and ctype.startswith("image/"))
        parts.append(Part(data, ctype, name, inline=inline, content_id=cid[:200]))
    return plains, htmls, parts


def _charset_hint(msg: MimeMessage) -> str | None:
    """The body's declared charset: raw 8-bit headers are usually in the same one."""
    try:
        for part in msg.walk():
            charset = part.get_content_charset()
            if charset:
                return str(charset)
    except Exception:  # a broken structure gives no hint
        return None
    return None


def parse_email(raw: bytes, own_addresses: frozenset[str] = frozenset()) -> ParsedEmail:
    """Parse one raw message; never raises on malformed mail."""
    problems: list[str] = []
    msg = email.message_from_bytes(raw, policy=compat32)
    for defect in getattr(msg, "defects", [])[:5]:
        problems.append(type(defect).__name__)

    hint = _charset_hint(msg)

    def header(name: str) -> str:
        values = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
        decoded = [decode_header(v, hint) for v in values]
        if any(d.damaged for d in decoded):
            problems.append(f"{name} header has undecodable bytes")
        return " ".join(d.text for d in decoded)

    def raw_header(name: str) -> str:
        return " ".join(str(v) for k, v in msg.raw_items() if k.lower() == name.lower())

    def address(name: str) -> tuple[str, str]:
        # Split name and address BEFORE decoding RFC 2047 words: a decoded name may hold
        # , < > or quotes ("Müller, Hans") that would break the address apart and lose it.
        display, addr = parseaddr(raw_header(name))
        shown, mailbox = decode_header(display, hint), decode_header(addr, hint)
        if shown.damaged or mailbox.damaged:
            problems.append(f"{name} header has undecodable bytes")
        return shown.text, mailbox.text

    subject = header("Subject")
    sender_name, sender = address("From")
    if not sender:
        sender_name, sender = address("Sender")
    if not sender:
        sender_name, sender = address("Reply-To")
    sender = sender.strip().lower() if "@" in sender else ""
    recipients = tuple(
        dict.fromkeys(
            decode_header(addr, hint).text.strip().lower()
            for _n, addr in getaddresses(
                [raw_header(h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]
            )
            if "@" in addr
        )
    )
    ids = message_ids(header("Message-ID"))
    derived = not ids
    message_id = ids[0] if ids else _derived_id(msg, raw)
    try:
        date = parsedate_to_datetime(header("Date")) if header("Date") else None
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        date = None
    charsets: list[str] = []
    try:
        plains, htmls, parts = _walk_body(msg, problems, charsets)
    except Exception as err:  # the last line of defence: keep the raw text readable
        problems.append(f"body not parsed: {type(err).__name__}: {err}")
        split = re.search(rb"\r?\n\r?\n", raw)
        plains, htmls, parts = [decode_bytes(raw[split.end() :] if split else raw).text], [], []
    html_raw = "\n".join(htmls)
    if plains:
        text = "\n\n".join(p.strip("\r\n") for p in plains)
    else:
        text = html_to_text(html_raw) if html_raw else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
    reply_text = trim_reply(text) if text else ""
    reply = bool(header("In-Reply-To") or header("References"))
    auto_reason = automatic_reason(msg, sender, subject, own_addresses) or bulk_reason(
        msg, sender, subject, reply_text, html_raw, reply=reply
    )
    signs: list[Sign] = []
    if auto_reason is None:
        forward = bool(FORWARD_SUBJECT.match(subject))
        # Bounded work on huge mail: a mailing's markers are in its head and its foot.
        html = (
            html_raw
            if len(html_raw) <= SIGN_SCAN
            else html_raw[: SIGN_SCAN // 2] + (html_raw[-SIGN_SCAN // 2 :])
        )
        signs = collect_signs(
            msg,
            sender,
            subject[:500],
            reply_text[:SIGN_SCAN],
            html,
            bool(plains),
            reply,
            forward,
            own_addresses,
        )
        auto_reason = decide(signs)
    return ParsedEmail(
        message_id=message_id,
        derived_id=derived,
        sender=sender,
        sender_name=sender_name.strip()[:200],
        recipients=recipients,
        subject=subject[:500],
        date=date,
        in_reply_to=message_ids(header("In-Reply-To")),
        references=message_ids(header("References")),
        text=text,
        reply_text=reply_text,
        html=sanitize_html(html_raw) if html_raw else "",
        parts=tuple(parts),
        auto_reason=auto_reason,
        charsets=tuple(dict.fromkeys(charsets)),
        problems=tuple(problems),
        signs=tuple(signs),
    )
