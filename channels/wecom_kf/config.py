"""Typed, validated settings of a ``channel = "wecom_kf"`` inbox (from ``[[inboxes]]``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from channels.wechat.config import AES_KEY, TOKEN, Options
from core.config import InboxSettings

CORP_ID = re.compile(r"^w[wx][0-9a-f]{16}$")
OPEN_KFID = re.compile(r"^wk[A-Za-z0-9_-]{6,62}$")


@dataclass(frozen=True)
class WecomKfInbox:
    """One WeCom 微信客服 account (one ``open_kfid``)."""

    name: str
    corp_id: str
    secret: str
    token: str
    encoding_aes_keys: tuple[str, ...]  # current first, then the previous one
    open_kfid: str
    api_base: str = "https://qyapi.weixin.qq.com"
    sync_limit: int = 1000
    sync_on_start: bool = True


KNOWN = {
    "corp_id", "secret", "token", "encoding_aes_key", "previous_encoding_aes_key", "open_kfid",
    "api_base", "sync_limit", "sync_on_start",
}  # fmt: skip


def parse(inbox: InboxSettings) -> WecomKfInbox:
    """The typed settings of ``inbox``; ConfigError naming the bad key."""
    o = Options(inbox, KNOWN)
    key = o.text("encoding_aes_key", None, AES_KEY, "43 letters and digits (the EncodingAESKey)")
    previous = o.text("previous_encoding_aes_key", "", AES_KEY, "43 letters and digits")
    return WecomKfInbox(
        name=inbox.name,
        corp_id=o.text("corp_id", None, CORP_ID, '"ww" (or "wx") followed by 16 hex digits'),
        secret=o.text("secret"),
        token=o.text("token", None, TOKEN, "3 to 32 letters or digits"),
        encoding_aes_keys=(key, previous) if previous else (key,),
        open_kfid=o.text("open_kfid", None, OPEN_KFID, 'the account\'s id, "wk..."'),
        api_base=o.url("api_base", "https://qyapi.weixin.qq.com"),
        sync_limit=int(o.number("sync_limit", 1000, 1, 1000)),
        sync_on_start=o.flag("sync_on_start", True),
    )


def validate(inbox: InboxSettings) -> None:
    """Check an inbox's settings (for ``kefu check-config``); ConfigError when bad."""
    parse(inbox)
