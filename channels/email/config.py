"""Email inbox settings: ``[[inboxes]]`` entries with ``channel = "email"``, validated.

Keys: ``address`` (required), ``smtp_listen`` ("host:port", receive directly), ``imap_url``
(``imap://`` or ``imaps://user:pass@host[:port]/FOLDER``), ``smtp_url`` (``smtp://``,
``smtp+starttls://``, ``smtps://``), ``ca_file``, ``max_message_bytes``, ``send_timeout_seconds``,
``imap_poll_seconds``, ``imap_idle_seconds``, ``replies_per_hour``, ``from_name``. Secrets can
come from ``KEFU_INBOXES__<NAME>__<KEY>`` (for example ``..._IMAP_URL``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from core.config import InboxSettings
from core.errors import ConfigError

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\Z|^[^@\s]+@localhost\Z")
IDLE_MAX_SECONDS = 29 * 60  # RFC 2177: servers may drop an IDLE after 30 minutes


@dataclass(frozen=True)
class ServerUrl:
    """A mail server endpoint from a URL."""

    scheme: str
    host: str
    port: int
    username: str
    password: str
    path: str


@dataclass(frozen=True)
class EmailInbox:
    """One email inbox, typed."""

    name: str
    address: str
    smtp_listen: tuple[str, int] | None = None
    imap: ServerUrl | None = None
    smtp: ServerUrl | None = None
    ca_file: str | None = None
    max_message_bytes: int = 25 * 1024 * 1024
    send_timeout_seconds: float = 60.0
    imap_poll_seconds: float = 60.0
    imap_idle_seconds: float = float(IDLE_MAX_SECONDS)
    replies_per_hour: int = 10
    from_name: str = "客服 Support"

    @property
    def local_part(self) -> str:
        """``support`` of ``support@example.com``."""
        return self.address.split("@", 1)[0]

    @property
    def domain(self) -> str:
        """``example.com`` of ``support@example.com``."""
        return self.address.split("@", 1)[1]


def _err(name: str, key: str, what: str) -> ConfigError:
    return ConfigError(f"Config [[inboxes]] {name} {key} {what}.")


def _url(name: str, key: str, value: Any, schemes: dict[str, int]) -> ServerUrl:
    if not isinstance(value, str) or "://" not in value:
        raise _err(name, key, f"must be a URL like {next(iter(schemes))}://user:pass@host:port")
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise _err(name, key, f"must start with one of {', '.join(s + '://' for s in schemes)}")
    try:
        port = parts.port or schemes[scheme]
    except ValueError:
        raise _err(name, key, "has a bad port") from None
    if not parts.hostname:
        raise _err(name, key, "has no host")
    return ServerUrl(
        scheme=scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        path=unquote(parts.path.lstrip("/")),
    )


def _number(name: str, key: str, value: Any, lo: float, hi: float, cast: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _err(name, key, f"must be a number between {lo} and {hi}")
    try:
        number = cast(value)
    except ValueError:
        raise _err(name, key, f"must be a number between {lo} and {hi}") from None
    if not lo <= number <= hi:
        raise _err(name, key, f"must be between {lo} and {hi}, got {number}")
    return number


KNOWN = {
    "address", "smtp_listen", "imap_url", "smtp_url", "ca_file", "max_message_bytes",
    "send_timeout_seconds", "imap_poll_seconds", "imap_idle_seconds", "replies_per_hour",
    "from_name",
}  # fmt: skip


def validate(inbox: InboxSettings) -> EmailInbox:
    """The typed settings of an email inbox; ConfigError naming ``[[inboxes]] <name> <key>``."""
    name, o = inbox.name, inbox.options
    for key in o:
        if key not in KNOWN:
            raise _err(name, key, "is unknown for an email inbox")
    address = o.get("address")
    if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
        raise _err(name, "address", "must be an email address like support@example.com")
    listen = None
    if o.get("smtp_listen"):
        raw = str(o["smtp_listen"])
        host, _, port = raw.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise _err(name, "smtp_listen", "must be host:port, like 127.0.0.1:2525")
        listen = (host.strip("[]"), int(port))
    imap = (
        _url(name, "imap_url", o["imap_url"], {"imaps": 993, "imap": 143})
        if o.get("imap_url")
        else None
    )
    smtp = (
        _url(name, "smtp_url", o["smtp_url"], {"smtp+starttls": 587, "smtps": 465, "smtp": 25})
        if o.get("smtp_url")
        else None
    )
    ca_file = o.get("ca_file") or None
    if ca_file is not None and not Path(str(ca_file)).is_file():
        raise _err(name, "ca_file", f"is not a readable file: {ca_file}")
    return EmailInbox(
        name=name,
        address=address.strip().lower(),
        smtp_listen=listen,
        imap=imap,
        smtp=smtp,
        ca_file=str(ca_file) if ca_file else None,
        max_message_bytes=_number(
            name,
            "max_message_bytes",
            o.get("max_message_bytes", 25 * 1024 * 1024),
            1024,
            200 * 1024 * 1024,
            int,
        ),
        send_timeout_seconds=_number(
            name, "send_timeout_seconds", o.get("send_timeout_seconds", 60.0), 1, 600, float
        ),
        imap_poll_seconds=_number(
            name, "imap_poll_seconds", o.get("imap_poll_seconds", 60.0), 0.1, 3600, float
        ),
        imap_idle_seconds=_number(
            name,
            "imap_idle_seconds",
            o.get("imap_idle_seconds", IDLE_MAX_SECONDS),
            1,
            IDLE_MAX_SECONDS,
            float,
        ),
        replies_per_hour=_number(
            name, "replies_per_hour", o.get("replies_per_hour", 10), 1, 10_000, int
        ),
        from_name=str(o.get("from_name", "客服 Support")).replace("\r", " ").replace("\n", " "),
    )
