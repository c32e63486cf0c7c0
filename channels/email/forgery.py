"""Signs that a mail's headers were forged or written by a bulk tool, not by a mail client.

Spam tools dress their mail up as a person's: an ``X-Mailer`` naming Outlook Express, a
``Received`` trace that starts at "hotmail.com". The disguise leaves gaps that real clients
and servers never leave, and these are read here (as SpamAssassin's FORGED_MUA_OUTLOOK,
MISSING_MIMEOLE, NO_RDNS_DOTCOM_HELO and FORGED_HOTMAIL_RCVD rules read them):

- ``forged_mailer``: the X-Mailer of a client built on Microsoft's MimeOLE (Outlook Express
  4-6, Windows Mail, Windows Live Mail, Outlook 98-2003 in Internet mode), without the
  ``X-MimeOLE: Produced By Microsoft MimeOLE ...`` header that MimeOLE writes on every
  message it builds;
- ``forged_helo``: a hop into a server outside a big webmail provider, from a public
  address whose greeting (HELO/EHLO) was the provider's bare domain ("hotmail.com",
  "163.com") while the receiving server found no name for the address, or a name outside
  the provider. Providers' servers have reverse DNS under their own domains (RFC 5321 4.1.4
  lets a server record the name it verified beside the one claimed); a provider's own
  internal hops (``from qq.com (unknown [127.0.0.1]) by smtp.qq.com``) and a person's
  authenticated submission (``with ESMTPSA``, RFC 3848) are not looked at;
- ``binary_transfer``: the message itself declared ``Content-Transfer-Encoding: binary``,
  which SMTP carries only with the BINARYMIME extension (RFC 3030); mail clients write
  7bit, 8bit, quoted-printable or base64, while Perl's MIME::Lite and MIME-tools write
  binary at the top of the multipart mail they build;
- ``mislabelled_charset``: a text part labelled with a legacy charset (GB2312, Big5,
  Shift_JIS, Windows-1252...) whose bytes are not in that charset but are UTF-8: a
  template's fixed label on text from elsewhere; a client encodes its text in the charset
  it declares (RFC 2046 4.1.2).

Each weighs 1 (``signs.py``): a mail library's test message or a gateway can lack a header
or mislabel a part, and a receiving server may fail to look a name up.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
from email.message import Message as MimeMessage

from channels.email.charsets import codec_for

# Clients whose MIME is built by MimeOLE, as they name themselves in X-Mailer. (Outlook
# 2007 and later, and Outlook through Exchange, write no X-MimeOLE: not listed; nor the
# Macintosh edition of Outlook Express, "Microsoft-Outlook-Express-Macintosh-Edition".)
_MIMEOLE_CLIENT = re.compile(
    r"^\s*microsoft\s+(?:outlook\s+express\s+\d|windows\s+(?:live\s+)?mail\s+\d"
    r"|(?:office\s+)?outlook,\s+build\s+\d|outlook\s+(?:cws|imo),\s+build\s+\d|outlook\s+8\.)",
    re.I,
)
# Big webmail providers: the bare domains a forger greets with, and the domains their
# servers' reverse DNS is under.
_PROVIDERS: tuple[tuple[str, ...], ...] = (
    ("hotmail.com", "outlook.com", "live.com", "msn.com", "live.cn"),
    ("gmail.com", "googlemail.com", "google.com"),
    ("yahoo.com", "ymail.com", "rocketmail.com", "aol.com", "yahoo.net", "yahoodns.net"),
    ("qq.com", "foxmail.com"),
    ("163.com", "126.com", "yeah.net", "netease.com", "126.net", "163.net"),
    ("sina.com", "sina.cn", "sina.com.cn", "sina.net"),
    ("sohu.com", "sohu.net"),
    ("aliyun.com", "alibaba.com"),
    ("139.com", "10086.cn"),
)
_FAMILY = {domain: family for family in _PROVIDERS for domain in family}
_IP = r"\[?(?:IPv6:)?([0-9a-fA-F.:]+)\]?"
# How MTAs record a hop: Postfix / Sendmail "from HELO (NAME [IP])" with NAME "unknown" (or
# absent) when the address has none; qmail "from NAME (HELO HELO) (IP)"; Exim "from [IP]
# (helo=HELO)" and "from NAME ([HELO]) [IP]".
_POSTFIX = re.compile(r"^from\s+(\S+)\s+\((?:(\S+)\s+)?\[(?:IPv6:)?([0-9a-fA-F.:]+)\]", re.I)
_QMAIL = re.compile(rf"^from\s+(\S+)\s+\(HELO\s+([^)\s]+)\)\s+\({_IP}\)", re.I)
_EXIM_BARE = re.compile(
    r"^from\s+\[(?:IPv6:)?([0-9a-fA-F.:]+)\](?::\d+)?\s+\(helo=([^)\s]+)\)", re.I
)
_EXIM_NAMED = re.compile(rf"^from\s+(\S+)\s+\(\[([^\]\s]+)\](?::\d+)?\)\s+{_IP}", re.I)
_AUTHENTICATED = re.compile(r"\bwith\s+(?:e?smtp|lmtp|utf8smtp)s?a\b|\bauthenticated\b", re.I)
_BY = re.compile(r"\bby\s+([^\s;()]+)", re.I)
MISLABEL_SCAN = 65_536  # bytes of a text part read for its charset
_UNICODE = frozenset({"ascii", "utf-8", "utf-7", "utf-16", "utf-32"})


def forged_mailer(msg: MimeMessage) -> bool:
    """An X-Mailer of a MimeOLE client (Outlook Express...) without ``X-MimeOLE``."""
    mailer = str(msg.get("X-Mailer", "") or "")
    return bool(_MIMEOLE_CLIENT.match(mailer)) and msg.get("X-MimeOLE") is None


def _hop(value: str) -> tuple[str, str | None, str] | None:
    """(HELO, verified name or None, IP) of a ``Received`` value in a known MTA's form."""
    text = " ".join(value.split())
    found = _EXIM_NAMED.match(text)
    if found and not found.group(2).replace(".", "").isdigit():
        return found.group(2), found.group(1), found.group(3)
    found = _QMAIL.match(text)
    if found:
        name = found.group(1)
        unverified = name.lower() == "unknown" or name.replace(".", "").isdigit()
        return found.group(2), None if unverified else name, found.group(3)
    found = _EXIM_BARE.match(text)
    if found:
        return found.group(2), None, found.group(1)
    found = _POSTFIX.match(text)
    if found:
        name = found.group(2)
        verified = name if name and name.lower() != "unknown" else None
        return found.group(1), verified, found.group(3)
    return None


def _under(host: str, family: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in family)


def _public(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


def forged_helo(msg: MimeMessage) -> bool:
    """A hop from a host that greeted as a big webmail provider's bare domain but whose
    address has no name of that provider (see the module)."""
    for key, value in msg.raw_items():
        if key.lower() != "received":
            continue
        text = str(value)
        hop = _hop(text)
        if hop is None or _AUTHENTICATED.search(text):
            continue
        helo, name, ip = hop
        family = _FAMILY.get(helo.lower().strip("[]").rstrip("."))
        if family is None or not _public(ip):
            continue
        by = _BY.search(text)
        if by and _under(by.group(1), family):
            continue  # the provider's own hop
        if name is None or not _under(name, family):
            return True
    return False


def binary_transfer(msg: MimeMessage) -> bool:
    """The message declares ``Content-Transfer-Encoding: binary`` (RFC 3030: BINARYMIME)."""
    return str(msg.get("Content-Transfer-Encoding", "") or "").strip().lower() == "binary"


def _text_parts(msg: MimeMessage) -> list[MimeMessage]:
    """The text parts of ``msg``, not those of a mail attached to it (``message/rfc822``)."""
    if msg.get_content_maintype() == "multipart" and isinstance(msg.get_payload(), list):
        return [
            part
            for sub in msg.get_payload()
            if isinstance(sub, MimeMessage)
            for part in _text_parts(sub)
        ]
    return [msg] if msg.get_content_maintype() == "text" else []


def mislabelled_charset(msg: MimeMessage) -> bool:
    """A text part in a legacy charset label whose bytes are UTF-8 and not that charset."""
    for part in _text_parts(msg):
        codec = codec_for(part.get_content_charset())
        if codec is None or codec.replace("_", "-") in _UNICODE:
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:  # a broken transfer encoding is another sign's business
            continue
        if not isinstance(data, bytes) or all(b < 0x80 for b in data[:MISLABEL_SCAN]):
            continue
        data = data[:MISLABEL_SCAN]
        if _decodes(data, codec):
            continue
        if _decodes(data, "utf-8"):
            return True
    return False


def _decodes(data: bytes, codec: str) -> bool:
    """Whether ``data`` (possibly cut mid-character at the end) is valid in ``codec``."""
    try:
        codecs.getincrementaldecoder(codec)().decode(data, final=False)
    except (UnicodeError, LookupError):
        return False
    return True


def header_signs(msg: MimeMessage) -> list[tuple[str, int]]:
    """The forgery signs of ``msg`` (see the module), as (name, weight)."""
    checks = (
        ("forged_mailer", forged_mailer),
        ("forged_helo", forged_helo),
        ("binary_transfer", binary_transfer),
        ("mislabelled_charset", mislabelled_charset),
    )
    return [(name, 1) for name, check in checks if check(msg)]
