"""Outbound mail on the wire: a header policy that writes threading headers as they are.

Python's default policy treats ``In-Reply-To`` and ``References`` as unstructured text: a
token longer than the line (a 77+ character Message-ID with its brackets and the header
name) is RFC 2047-encoded (``=?utf-8?q?=3C...``), and no mail client threads on that. RFC
5322 (3.6.4) makes them lists of ``msg-id``, which are never encoded: this policy writes
``Message-ID``, ``In-Reply-To`` and ``References`` plainly, folded only at the whitespace
between ids, each id kept whole on its line (a line may pass 78 characters, never 998:
ids are at most 250).

Non-ASCII ids (RFC 6532 allows UTF-8 in them) are written only when the server announced
SMTPUTF8 and the mail is sent with it; otherwise they are left out of these headers (our
own thread index still holds them, see ``threads.py``). Nothing else in the message
changes: subjects and names stay RFC 2047 words unless the mail goes out as SMTPUTF8.
"""

from __future__ import annotations

import copy
import io
import re
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import EmailPolicy
from typing import Any

THREADING = frozenset({"message-id", "in-reply-to", "references"})
# RFC 5322 id-left/id-right characters we accept: printable ASCII but < > and white space;
# "=?" would look like an RFC 2047 word to lenient readers, so such ids are left out too.
_ASCII_ID = re.compile(r"^[\x21-\x3b\x3d\x3f-\x7e]{1,250}\Z")
# RFC 6532: the same plus any non-ASCII character that is not a control or a space.
_UTF8_ID = re.compile(r"^[^\x00-\x20\x7f-\x9f<>\s\u2028\u2029]{1,250}\Z")
_ID = re.compile(r"<[^<>]*>|\S+")
WIDTH = 78


def is_ascii(text: str) -> bool:
    """Whether ``text`` is 7-bit."""
    return text.isascii()


def id_ok(message_id: str, utf8: bool) -> bool:
    """Whether ``message_id`` (without <>) can be written between <> as it is.

    ``utf8``: the mail may carry RFC 6532 UTF-8 headers (the server supports SMTPUTF8).
    """
    if "=?" in message_id:
        return False
    return bool((_UTF8_ID if utf8 else _ASCII_ID).match(message_id))


def fold_ids(name: str, value: str, linesep: str = "\r\n") -> str:
    """``Name: <a> <b> ...`` folded at the spaces between ids only, long ids kept whole."""
    lines: list[str] = []
    line = f"{name}:"
    for token in _ID.findall(value):
        if len(line) + 1 + len(token) > WIDTH and line != f"{name}:":
            lines.append(line)
            line = ""
        line += f" {token}"
    lines.append(line)
    return linesep.join(lines) + linesep


class MailPolicy(EmailPolicy):
    """SMTP line endings, with threading headers written as lists of ids (never encoded)."""

    def fold(self, name: str, value: Any) -> str:
        """A header as text (used by ``str`` flattening)."""
        if name.lower() in THREADING:
            return fold_ids(name, str(value), self.linesep)
        folded: str = super().fold(name, value)
        return folded

    def fold_binary(self, name: str, value: Any) -> bytes:
        """A header as bytes for the wire: UTF-8 only when the policy says so."""
        if name.lower() in THREADING:
            ids = str(value)
            if not self.utf8:  # never an encoded id: one that cannot be written is left out
                ids = " ".join(i for i in _ID.findall(ids) if is_ascii(i))
            return fold_ids(name, ids, self.linesep).encode("utf-8", "surrogateescape")
        return super().fold_binary(name, value)


MAIL_POLICY = MailPolicy(linesep="\r\n")


def threading_ids(msg: EmailMessage) -> list[str]:
    """Every id in the message's In-Reply-To and References headers (with <>)."""
    out: list[str] = []
    for name in ("In-Reply-To", "References"):
        for value in msg.get_all(name, []):
            out.extend(_ID.findall(str(value)))
    return out


def without_utf8_ids(msg: EmailMessage) -> EmailMessage:
    """A copy of ``msg`` whose In-Reply-To / References hold only ASCII ids.

    For a server without SMTPUTF8: such an id cannot be written plainly, and an encoded one
    threads nothing, so it is left out (RFC 5322 allows citing only some of the thread).
    """
    out = copy.copy(msg)
    for name in ("In-Reply-To", "References"):
        ids = [i for i in _ID.findall(" ".join(str(v) for v in msg.get_all(name, []))) if i]
        kept = [i for i in ids if is_ascii(i)]
        del out[name]
        if kept:
            out[name] = " ".join(kept)
    return out


def needs_utf8(msg: EmailMessage) -> bool:
    """Whether a threading header of ``msg`` holds a non-ASCII id."""
    return not all(is_ascii(i) for i in threading_ids(msg))


def render(msg: EmailMessage, *, utf8: bool = False, eight_bit: bool = True) -> bytes:
    """The bytes to send: our policy; RFC 6532 headers only with ``utf8`` (SMTPUTF8)."""
    policy = MAIL_POLICY.clone(utf8=utf8, cte_type="8bit" if eight_bit else "7bit")
    with io.BytesIO() as buf:
        BytesGenerator(buf, policy=policy).flatten(msg)
        return buf.getvalue()
