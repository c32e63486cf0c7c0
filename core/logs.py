"""Logging, configured once by the CLI: text or JSON lines, personal data and secrets masked.

Masking happens in the handler, after the message is formatted with its arguments and
after any traceback is rendered, so no code path (ours or a library's) can log a raw phone
number, email address, WeChat openid, WeCom external_userid, ID-card number, or a known
secret: every line written through :func:`configure_logging`'s handler is masked, whatever
the format. Masking keeps enough to correlate lines (138****5678, z***@example.com, oAbC***).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

import orjson

from core.config import SECRET_KEYS, Settings

NOISY = ("jieba", "faiss.loader", "alembic.runtime", "aiosqlite", "asyncio")

_URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][\w+.-]*://[^\s:/@]*:)[^\s@/]+(?=@)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_SECRET_PARAM = re.compile(
    r"(?i)(?P<key>\b(?:access_token|refresh_token|token|secret|corpsecret|appsecret|secret_key|"
    r"password|passwd|pwd|api_key|apikey|encoding_aes_key|aes_key)"
    r"[\"']?\s*[=:]\s*[\"']?)(?P<value>[^\s\"'&,;}]{3,})"
)
# 18-digit resident ID: region, birth date, sequence, check digit (X allowed).
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])([1-9]\d{2})\d{3}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{2}(\d[\dXx])(?![0-9A-Za-z])"
)
# Mainland mobile numbers, optionally with +86 / 86, spaces or dashes in the usual places.
_MOBILE = re.compile(
    r"(?<![\d])(?P<cc>(?:\+|00)?86[\s-]?)?(?P<head>1[3-9]\d)[\s-]?\d{4}[\s-]?(?P<tail>\d{4})(?!\d)"
)
_EMAIL = re.compile(
    r"(?P<first>[A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
# WeChat openid/unionid (28 chars from "o") and WeCom external_userid ("wm"/"wo", 20+ chars):
# ASCII only (Chinese text may touch them) and with a capital or digit, so words do not match.
_OPENID = re.compile(
    r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]{28}(?![A-Za-z0-9_-]))(?=[a-z_-]*[A-Z0-9])"
    r"(?P<prefix>o[A-Za-z0-9_-]{5})[A-Za-z0-9_-]{22}"
)
_EXTERNAL_USERID = re.compile(
    r"(?<![A-Za-z0-9_-])(?=w[mo][a-z_-]*[A-Z0-9])(?P<prefix>w[mo][A-Za-z0-9_-]{4})"
    r"[A-Za-z0-9_-]{14,}(?![A-Za-z0-9_-])"
)


class Masker:
    """Masks personal data and the configured secrets in a string."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """``text`` with personal data and secrets masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        text = _URL_CREDENTIALS.sub(r"\g<head>***", text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
        text = _SECRET_PARAM.sub(r"\g<key>***", text)
        text = _ID_CARD.sub(lambda m: f"{m.group(1)}{'*' * 13}{m.group(2)}", text)
        text = _MOBILE.sub(
            lambda m: f"{m.group('cc') or ''}{m.group('head')}****{m.group('tail')}", text
        )
        text = _EMAIL.sub(r"\g<first>***@\g<domain>", text)
        text = _OPENID.sub(r"\g<prefix>***", text)
        return _EXTERNAL_USERID.sub(r"\g<prefix>***", text)


class MaskingFilter(logging.Filter):
    """Formats a record's message with its args, masked, so later handlers see no raw data."""

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask ``record.msg`` (with its args merged in); never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.masker(message), None
        return True


class TextFormatter(logging.Formatter):
    """``time level logger: message`` with the traceback masked too.

    The message itself was masked by :class:`MaskingFilter` on the same handler; tracebacks
    and stacks are rendered here, and can quote personal data from exception messages.
    """

    def __init__(self, masker: Masker) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.masker = masker

    def formatException(self, ei: Any) -> str:
        """The traceback, masked."""
        return self.masker(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        """The stack, masked."""
        return self.masker(super().formatStack(stack_info))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, and exc when there is one."""

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def format(self, record: logging.LogRecord) -> str:
        """The record as a masked JSON line."""
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),  # masked by MaskingFilter on the handler
            "pid": record.process,
        }
        if record.exc_info:
            body["exc"] = self.masker(self.formatException(record.exc_info))
        if record.stack_info:
            body["stack"] = self.masker(self.formatStack(record.stack_info))
        return orjson.dumps(body).decode()


def known_secrets(settings: Settings) -> list[str]:
    """Secret values from the settings, to be replaced wherever they would appear."""
    found: list[str] = []
    for section, key in SECRET_KEYS:  # every value the settings call secret, whole and in part
        value = getattr(getattr(settings, section, None), key, None)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                # "team: robot key", "Authorization: Bearer token": the part after the name too
                found += [item, item.partition(":")[2].strip(), *item.split()[-1:]]
    for url in (settings.storage.database_url, settings.storage.redis_url):
        m = re.match(r"^[\w+.-]+://[^:/@]*:([^@]+)@", url)
        if m:
            found.append(m.group(1))
    for inbox in settings.inboxes:
        for key, value in inbox.options.items():
            if isinstance(value, str) and any(
                w in key for w in ("secret", "password", "token", "aes_key", "key")
            ):
                found.append(value)
    return found


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Install the one root handler: level and format from ``[server]``, masking always on."""
    masker = Masker(known_secrets(settings))
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(MaskingFilter(masker))
    json_lines = settings.server.log_format == "json"
    handler.setFormatter(JsonFormatter(masker) if json_lines else TextFormatter(masker))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.server.log_level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return handler
