"""Signs that a mail was written by a spam tool or a script, not by a person's mail client.

Every mail client and webmail a customer uses (Gmail, Outlook, Foxmail, QQ Mail, Apple Mail,
a phone's mail app) writes a readable ``Date``, a ``Message-ID`` with a host, and MIME headers
from RFC 2045's short list. Spam tools write their own headers and get them wrong: a
``Content-Transfer-Encoding`` of ``plain``, ``text/html`` or ``quoted printable``, a part with
an empty ``Content-Type``, a date nobody can read, a Message-ID with a macro the tool forgot to
fill in (``$RND_WORD``) or none at all, raw Latin-1 bytes in the subject, the same mail to a
row of strangers. Scripts say who they are in ``X-Mailer`` (``PHP/5.2``, ``MIME::Lite``).

These are weighed with the other signs (``signs.py``): a broken MIME header weighs 2 (no
client writes one), the others 1 each, because mail libraries' own test messages and a
forwarding gateway can lack a Date or a Message-ID, and a person copies a few colleagues.
The text signs (letters swapped for digits, "Tuuurn oooff", "site . com") count only where
the body's signs count: never in a reply, a forward or a mail written in the first person.
"""

from __future__ import annotations

import re
from email.message import Message as MimeMessage
from email.utils import getaddresses, parsedate_to_datetime

from channels.email.charsets import decode_header

# RFC 2045 section 6.1, and the uuencode names old clients write.
_ENCODINGS = frozenset(
    {"7bit", "8bit", "binary", "quoted-printable", "base64", "x-uuencode", "uuencode", "x-uue"}
)
_MEDIA_TYPE = re.compile(r"^\s*[\w.+-]+/[\w.+-]+\s*(?:;|$)")
# A spam tool's macro left unfilled: $RND_WORD, %RND_DIGIT, [RANDOM], {%NAME%} (in capitals;
# Outlook's ids hold "$" between lower-case hex digits).
_MACRO = re.compile(r"[$%\[{]+(?:RND|RAND|RANDOM|DIGIT|CHAR|LETTER|NAME|EMAIL|USER|DOMAIN|WORD)")
_LOCAL_HOST = re.compile(r"@\[?(?:localhost(?:\.localdomain)?|\d{1,3}(?:\.\d{1,3}){3})\]?$", re.I)
# Programming languages' and libraries' own X-Mailer: a program sent it, not a mail client.
_SCRIPT_MAILER = re.compile(
    r"^\s*(?:php\b|phpmailer|mime::lite|mail::|perl\b|python\b|aspmail|aspemail|jmail|cdo\b"
    r"|curl\b|wget\b|swiftmailer|swift mailer|nodemailer|blat\b|sendblaster|atomic mail"
    r"|group mail|massmail|mass mailer|send-safe|dark mailer)",
    re.I,
)
MASS = 3  # strangers in To/Cc, none of them us, make a mailing

# Words with letters swapped for digits (st0ck, m0rtgage, 0ff), letters stretched (Tuuuurn
# oooff), a host written apart so no filter sees a link ("hotnewsoft . com").
_LEET = re.compile(r"(?<![\w@./-])(?:[a-z]{2,}0[a-z]+|[a-z]+0[a-z]{2,}|0ff)(?![\w@/-])")
_STRETCHED = re.compile(r"\b[a-z]*([a-z])\1\1[a-z]*\b", re.I)
TEXT_SCAN = 20_000  # characters read at the head and at the foot of the text
_SPACED_HOST = re.compile(r"\b[a-z0-9-]{3,}\s+\.\s+(?:com|net|org|info|biz|cn|ru)\b", re.I)


def _bad_encoding(value: str) -> bool:
    return value.strip().lower() not in _ENCODINGS


def broken_mime(msg: MimeMessage) -> bool:
    """A Content-Transfer-Encoding that is no encoding, or a part whose Content-Type has no
    media type (``Content-Type: ; name="x.jpg"``): MIME no mail client writes. A mail
    attached to it (``message/rfc822``: a customer sends on the spam they got) is not looked
    into."""
    encoding = msg.get("Content-Transfer-Encoding")
    if encoding is not None and _bad_encoding(str(encoding)):
        return True
    ctype = msg.get("Content-Type")
    if ctype is not None and not _MEDIA_TYPE.match(str(ctype)):
        return True
    if msg.get_content_maintype() != "multipart" or not isinstance(msg.get_payload(), list):
        return False
    return any(broken_mime(part) for part in msg.get_payload() if isinstance(part, MimeMessage))


def _readable_date(value: str) -> bool:
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


def _bad_message_id(value: str) -> bool:
    inner = value.strip().strip("<>").strip()
    return (
        not inner
        or "@" not in inner
        or bool(_MACRO.search(inner))
        or bool(_LOCAL_HOST.search(inner))
    )


def _raw_bytes(value: str) -> bool:
    """Raw 8-bit bytes in a header (read as ASCII with surrogate escapes) that are not UTF-8:
    RFC 6532 allows UTF-8 only."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return False
    try:
        value.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _replacement_char(value: str) -> bool:
    """U+FFFD in a sender's name as sent (raw or in an encoded-word): the replacement
    character is what a program writes after it failed to convert the text (a mailing's
    template), never what a person types or their client writes. (A subject is not read for
    it: a reply inherits the subject of the mail it answers.)"""
    decoded = decode_header(value)
    return "\ufffd" in decoded.text and not decoded.damaged


def header_signs(msg: MimeMessage, own_addresses: frozenset[str]) -> list[tuple[str, int]]:
    """The signs of a spam tool or a script in ``msg``'s headers, as (name, weight)."""
    signs: list[tuple[str, int]] = []
    if broken_mime(msg):
        signs.append(("broken_mime", 2))
    if not _readable_date(str(msg.get("Date", "") or "")):
        signs.append(("no_date", 1))
    if _bad_message_id(str(msg.get("Message-ID", "") or "")):
        signs.append(("bad_message_id", 1))
    mailer = str(msg.get("X-Mailer", "") or msg.get("User-Agent", "") or "")
    if _SCRIPT_MAILER.match(mailer):
        signs.append(("script_mailer", 1))
    fields = [str(v) for k, v in msg.items() if k.lower() in ("to", "cc")]
    recipients = {a.strip().lower() for _n, a in getaddresses(fields) if "@" in a}
    if len(recipients) >= MASS and not any(_ours(a, own_addresses) for a in recipients):
        signs.append(("mass_recipients", 1))
    heads = [(k.lower(), str(v)) for k, v in msg.raw_items() if k.lower() in ("subject", "from")]
    if any(_raw_bytes(v) or (k == "from" and _replacement_char(v)) for k, v in heads):
        signs.append(("raw_header_bytes", 1))
    return signs


def _ours(address: str, own_addresses: frozenset[str]) -> bool:
    local, _, host = address.partition("@")
    return address in own_addresses or f"{local.split('+', 1)[0]}@{host}" in own_addresses


def _stretched(word: str) -> bool:
    """A word with a letter written three times or more ("Tuuurn"), not a row of one letter
    ("xxxx", a redaction) nor a short one ("www")."""
    return len(word) >= 4 and len(set(word.lower())) > 1


def text_signs(subject: str, text: str) -> list[tuple[str, int]]:
    """Text written to slip past a filter: digits for letters, stretched words, a spaced host
    (read at the text's head and foot, where a mailing puts them)."""
    if len(text) > 2 * TEXT_SCAN:
        text = text[:TEXT_SCAN] + "\n" + text[-TEXT_SCAN:]
    sample = f"{subject}\n{text}"
    stretched = (m.group(0) for m in _STRETCHED.finditer(sample))
    if (
        _LEET.search(sample)
        or _SPACED_HOST.search(sample)
        or sum(1 for word in stretched if _stretched(word)) >= 3
    ):
        return [("obfuscated_text", 1)]
    return []
