"""Typed, validated settings of a ``channel = "wechat"`` inbox (from ``[[inboxes]]``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.wechat.templates import DEFAULT_FIELDS, VALUES
from core.config import InboxSettings
from core.errors import ConfigError

APP_ID = re.compile(r"^wx[0-9a-f]{16}$")
AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")
TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")

DEFAULT_WELCOME = (
    "感谢关注！我是智能客服助手，可以解答退换货、退款、保修、维修预约、配送、发票等问题。"
    "直接发送您的问题即可；需要人工服务请回复“转人工”。\n"
    "Thanks for following! I'm the support assistant: ask about returns, refunds, warranty, "
    'repairs, delivery or invoices. Reply "human" to talk to a person.'
)


class Options:
    """Reads one inbox's options, naming ``[[inboxes]] <name> <key>`` in every error."""

    def __init__(self, inbox: InboxSettings, known: set[str]) -> None:
        self.inbox = inbox
        unknown = sorted(set(inbox.options) - known)
        if unknown:
            raise ConfigError(
                f"Config [[inboxes]] {inbox.name} {unknown[0]} is unknown; "
                f"known keys: {', '.join(sorted(known))}."
            )

    def fail(self, key: str, why: str) -> ConfigError:
        """A ConfigError naming the key."""
        return ConfigError(f"Config [[inboxes]] {self.inbox.name} {key} {why}")

    def text(
        self,
        key: str,
        default: str | None = None,
        pattern: re.Pattern[str] | None = None,
        what: str = "",
    ) -> str:
        """A string option; required when ``default`` is None."""
        value = self.inbox.options.get(key, default)
        if value is None or value == "":
            if default is not None:
                return default
            raise self.fail(key, "is required.")
        if not isinstance(value, str):
            raise self.fail(key, "must be a string.")
        value = value.strip()
        if pattern is not None and not pattern.match(value):
            raise self.fail(key, f"must be {what}.")
        return value

    def number(self, key: str, default: float, lo: float, hi: float) -> float:
        """A number option within [lo, hi]."""
        value = self.inbox.options.get(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.fail(key, "must be a number.") from None
        if not lo <= number <= hi:
            raise self.fail(key, f"must be between {lo:g} and {hi:g}.")
        return number

    def flag(self, key: str, default: bool) -> bool:
        """A boolean option (environment values "true"/"false" accepted)."""
        value = self.inbox.options.get(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        raise self.fail(key, "must be true or false.")

    def table(self, key: str) -> dict[str, str]:
        """A table of strings (``menu = { KEY = "text" }``)."""
        value = self.inbox.options.get(key, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
        ):
            raise self.fail(key, "must be a table of non-empty strings.")
        return {k: v.strip() for k, v in value.items()}

    def url(self, key: str, default: str) -> str:
        """An http(s) base URL without a trailing slash."""
        value = self.text(key, default)
        if not value.startswith(("https://", "http://")):
            raise self.fail(key, "must start with https:// (or http:// for a local test server).")
        return value.rstrip("/")


@dataclass(frozen=True)
class WechatInbox:
    """One Official Account inbox."""

    name: str
    token: str
    app_id: str
    app_secret: str
    encoding_aes_keys: tuple[str, ...] = ()  # current first, then the previous one
    api_base: str = "https://api.weixin.qq.com"
    welcome: str = DEFAULT_WELCOME
    menu: Mapping[str, str] = field(default_factory=dict)
    reply_deadline_seconds: float = 4.0
    stable_token: bool = True
    max_clock_skew_seconds: float = 600.0
    template_id: str = ""  # notices and the survey after the 48-hour window (templates.py)
    template_fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def safe_mode(self) -> bool:
        """Whether messages must arrive encrypted (an EncodingAESKey is configured)."""
        return bool(self.encoding_aes_keys)


KNOWN = {
    "token", "app_id", "app_secret", "encoding_aes_key", "previous_encoding_aes_key",
    "api_base", "welcome", "menu", "reply_deadline_seconds", "stable_token",
    "max_clock_skew_seconds", "template_id", "template_fields",
}  # fmt: skip
TEMPLATE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def parse(inbox: InboxSettings) -> WechatInbox:
    """The typed settings of ``inbox``; ConfigError naming the bad key."""
    o = Options(inbox, KNOWN)
    keys = [
        o.text(k, "", AES_KEY, "43 letters and digits (the EncodingAESKey)")
        for k in ("encoding_aes_key", "previous_encoding_aes_key")
    ]
    if keys[1] and not keys[0]:
        raise o.fail("previous_encoding_aes_key", "needs encoding_aes_key as well.")
    return WechatInbox(
        name=inbox.name,
        token=o.text("token", None, TOKEN, "3 to 32 letters or digits"),
        app_id=o.text("app_id", None, APP_ID, '"wx" followed by 16 hex digits'),
        app_secret=o.text("app_secret"),
        encoding_aes_keys=tuple(k for k in keys if k),
        api_base=o.url("api_base", "https://api.weixin.qq.com"),
        welcome=o.text("welcome", DEFAULT_WELCOME),
        menu=o.table("menu"),
        reply_deadline_seconds=o.number("reply_deadline_seconds", 4.0, 0.05, 4.5),
        stable_token=o.flag("stable_token", True),
        max_clock_skew_seconds=o.number("max_clock_skew_seconds", 600.0, 0, 86400),
        template_id=o.text("template_id", "", TEMPLATE_ID, "a template id (letters, digits, _ -)"),
        template_fields=_template_fields(o),
    )


def _template_fields(o: Options) -> dict[str, str]:
    """``template_fields`` (template key -> title|ticket|text|footer), or the classic keys."""
    fields = o.table("template_fields") or dict(DEFAULT_FIELDS)
    for key, value in fields.items():
        if value not in VALUES:
            raise o.fail(
                "template_fields", f"maps {key!r} to {value!r}; use one of {', '.join(VALUES)}."
            )
    return fields


def validate(inbox: InboxSettings) -> None:
    """Check an inbox's settings (for ``kefu check-config``); ConfigError when bad."""
    parse(inbox)
