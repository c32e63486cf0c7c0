"""Typed, validated settings of a ``channel = "sms"`` inbox (from ``[[inboxes]]``).

```toml
[[inboxes]]
name = "sms"
channel = "sms"
access_key_id = "LTAI..."
access_key_secret = "..."          # signs requests; never logged
sign_name = "某某家电"              # the approved signature (签名)
template_code = "SMS_123456789"   # an approved template with one variable, e.g. ${content}
template_param = "content"
callback_secret = "..."            # verifies receipts and inbound SMS posted to us
per_number = "5/3600"              # SMS per number and seconds (beyond: retried later)
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from channels.wechat.config import Options
from core.config import InboxSettings

ACCESS_KEY = re.compile(r"^[A-Za-z0-9]{8,64}\Z")
TEMPLATE = re.compile(r"^SMS_\d{4,20}\Z")
PARAM = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}\Z")
RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class SmsInbox:
    """One SMS gateway account and its approved signature and template."""

    name: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    template_code: str
    template_param: str = "content"
    callback_secret: str = ""
    api_base: str = "https://dysmsapi.aliyuncs.com"
    region: str = "cn-hangzhou"
    per_number: tuple[int, float] = (5, 3600.0)
    max_chars: int = 300
    strip_links: bool = True
    timeout_seconds: float = 10.0


KNOWN = {
    "access_key_id", "access_key_secret", "sign_name", "template_code", "template_param",
    "callback_secret", "api_base", "region", "per_number", "max_chars", "strip_links",
    "timeout_seconds",
}  # fmt: skip


def parse(inbox: InboxSettings) -> SmsInbox:
    """The typed settings of ``inbox``; ConfigError naming the bad key."""
    o = Options(inbox, KNOWN)
    rate = RATE.match(o.text("per_number", "5/3600"))
    if rate is None or int(rate.group(1)) < 1 or float(rate.group(2)) <= 0:
        raise o.fail("per_number", 'must be "sends/seconds", e.g. "5/3600".')
    return SmsInbox(
        name=inbox.name,
        access_key_id=o.text("access_key_id", None, ACCESS_KEY, "the AccessKey id"),
        access_key_secret=o.text("access_key_secret"),
        sign_name=o.text("sign_name"),
        template_code=o.text("template_code", None, TEMPLATE, 'an approved code, "SMS_..."'),
        template_param=o.text("template_param", "content", PARAM, "a variable name"),
        callback_secret=o.text("callback_secret", ""),
        api_base=o.url("api_base", "https://dysmsapi.aliyuncs.com"),
        region=o.text("region", "cn-hangzhou"),
        per_number=(int(rate.group(1)), float(rate.group(2))),
        max_chars=int(o.number("max_chars", 300, 10, 1000)),
        strip_links=o.flag("strip_links", True),
        timeout_seconds=o.number("timeout_seconds", 10.0, 0.5, 60.0),
    )


def validate(inbox: InboxSettings) -> None:
    """Check an inbox's settings (for ``kefu check-config``); ConfigError when bad."""
    cfg = parse(inbox)
    if not cfg.callback_secret:
        raise Options(inbox, KNOWN).fail(
            "callback_secret", "is required: receipts and inbound SMS are verified with it."
        )
