"""Normalize a parsed Official Account push into what kefu stores and how it reacts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

from core.errors import BadRequest

Action = Literal["bot", "welcome", "notice", "store", "system"]
"""bot: the bot answers the text; welcome: the welcome message; notice: tell the customer
we got a non-text message (the bot cannot read it); store: keep it for agents, no reply;
system: the platform reporting on something we did (a template message delivered, a mass
send finished, a store order changed): never a customer's message, no contact is made."""

# Platform notifications that arrive as pushes "from" a user but are not the user talking.
SYSTEM_EVENTS = frozenset(
    {
        "TEMPLATESENDJOBFINISH",  # delivery receipt of a template message
        "MASSSENDJOBFINISH",  # a mass send finished
        "merchant_order",  # a WeChat store order changed
        "qualification_verify_success",
        "qualification_verify_fail",
        "naming_verify_success",
        "naming_verify_fail",
        "annual_renew",
        "verify_expired",
    }
)
# The fields of a system push worth keeping (its receipt), and nothing else.
RECEIPT_FIELDS = (
    "MsgID", "Status", "OrderId", "OrderStatus", "ProductId", "TotalCount", "FilterCount",
    "SentCount", "ErrorCount",
)  # fmt: skip

MEDIA_KINDS = {"image": "image", "voice": "voice", "video": "video", "shortvideo": "video"}
LABELS = {
    "image": "[图片 / image]",
    "voice": "[语音 / voice message]",
    "video": "[视频 / video]",
    "shortvideo": "[小视频 / short video]",
}
MAX_TEXT = 4000
NOTICE_LABELS = {
    "image": ("图片", "image"),
    "voice": ("语音", "voice message"),
    "video": ("视频", "video"),
    "location": ("位置", "location"),
    "link": ("链接", "link"),
    "unknown": ("消息", "message"),
}

NOTICE = (
    "已收到您的{zh}。智能助手目前只能阅读文字：请用文字描述您的问题，或回复“转人工”由客服为您查看。\n"
    "We received your {en}. The assistant reads text only: describe your question in words, "
    'or reply "human" and an agent will look at it.'
)


def notice_text(kind: str) -> str:
    """What the bot answers to a message it cannot read (an image, a location...)."""
    zh, en = NOTICE_LABELS.get(kind, NOTICE_LABELS["unknown"])
    return NOTICE.format(zh=zh, en=en)


@dataclass(frozen=True)
class Incoming:
    """One push, normalized."""

    user: str  # FromUserName: the customer's openid
    account: str  # ToUserName: our account's id (gh_...)
    created: int
    msg_type: str
    source_id: str
    kind: str  # a core.models.MESSAGE_KINDS value
    text: str
    action: Action
    media_id: str = ""
    event: str = ""
    receipt: tuple[tuple[str, str], ...] = ()  # a system push's fields (RECEIPT_FIELDS)


def normalize(f: dict[str, str], menu: dict[str, str] | None = None) -> Incoming:
    """``f`` (the push's fields) as an :class:`Incoming`; BadRequest when a field is missing."""
    user, account, msg_type = f.get("FromUserName"), f.get("ToUserName"), f.get("MsgType")
    created_raw = f.get("CreateTime", "")
    if not user or not account or not msg_type or not created_raw.isdigit():
        raise BadRequest(
            "The push lacks FromUserName, ToUserName, MsgType or CreateTime.", code="bad_push"
        )
    if len(user) > 128 or len(msg_type) > 64:
        raise BadRequest("The push has oversized ids.", code="bad_push")
    created = int(created_raw)
    msg_id = f.get("MsgId", "")
    source = f"msg:{msg_id}" if msg_id.isdigit() else f"ev:{user}:{created}:{f.get('Event', '')}"
    mk = partial(
        Incoming, user=user, account=account, created=created, msg_type=msg_type, source_id=source
    )

    if msg_type == "text":
        text = f.get("Content", "").strip()[:MAX_TEXT]
        return mk(kind="text", text=text, action="bot")
    if msg_type in MEDIA_KINDS:
        recognition = f.get("Recognition", "").strip()
        if msg_type == "voice" and recognition:
            return mk(
                kind="voice", text=recognition[:MAX_TEXT],
                action="bot", media_id=f.get("MediaId", ""),
            )  # fmt: skip
        return mk(
            kind=MEDIA_KINDS[msg_type], text=LABELS[msg_type],
            action="notice", media_id=f.get("MediaId", ""),
        )  # fmt: skip
    if msg_type == "location":
        text = (
            f"[位置 / location] {f.get('Label', '')} "
            f"({f.get('Location_X', '?')}, {f.get('Location_Y', '?')})"
        )
        return mk(kind="location", text=text, action="notice")
    if msg_type == "link":
        parts = [f.get("Title", ""), f.get("Description", ""), f.get("Url", "")]
        text = "[链接 / link] " + "\n".join(p for p in parts if p)
        return mk(kind="link", text=text[:MAX_TEXT], action="notice")
    if msg_type == "event":
        return _event(f, user, account, created, source, menu or {})
    return mk(
        kind="unknown",
        text=f"[不支持的消息类型 / unsupported message type: {msg_type[:64]}]", action="notice",
    )  # fmt: skip


def _event(
    f: dict[str, str], user: str, account: str, created: int, source: str, menu: dict[str, str]
) -> Incoming:
    event, key = f.get("Event", ""), f.get("EventKey", "")
    kind = "event"
    action: Action = "store"
    if event in SYSTEM_EVENTS:
        receipt = tuple((k, f[k][:128]) for k in RECEIPT_FIELDS if f.get(k))
        return Incoming(
            user=user, account=account, created=created, msg_type="event", source_id=source,
            kind=kind, text=f"[系统通知 / platform notice: {event}]", action="system",
            event=event, receipt=receipt,
        )  # fmt: skip
    if event == "subscribe":
        text, action = "[关注 / followed]" + (f" ({key[:128]})" if key else ""), "welcome"
    elif event == "unsubscribe":
        text = "[取消关注 / unfollowed]"
    elif event == "CLICK" and key in menu:
        # A menu button mapped to words the customer could have typed ("转人工"...).
        text, kind, action = menu[key], "text", "bot"
    elif event == "CLICK":
        text = f"[菜单点击 / menu click: {key[:128]}]"
    elif event == "VIEW":
        text = f"[打开菜单链接 / opened menu link: {key[:500]}]"
    elif event == "SCAN":
        text = f"[扫码 / scanned QR code: {key[:128]}]"
    elif event == "LOCATION":
        text = f"[上报位置 / location report] ({f.get('Latitude', '?')}, {f.get('Longitude', '?')})"
    else:
        text = f"[事件 / event: {event[:64] or '?'}]"
    return Incoming(
        user=user, account=account, created=created, msg_type="event", source_id=source,
        kind=kind, text=text, action=action, event=event,
    )  # fmt: skip
