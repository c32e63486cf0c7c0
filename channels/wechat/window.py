"""The customer service message window: 5 messages within 48 h of the user's last message.

WeChat only lets an Official Account (and WeCom 微信客服) write first within 48 hours
of the customer's last message, and at most 5 messages in that window. We track both per
user in ``channel_state`` so an agent whose reply cannot go out sees why at once
(the message's ``delivery_error``), with what they can do instead.
"""

from __future__ import annotations

import time

from core.channel_store import contact_email, read_state, write_state
from core.db import Database
from core.errors import PermanentDeliveryError

WINDOW_SECONDS = 48 * 3600
WINDOW_MESSAGES = 5


def _key(user: str) -> str:
    return f"window:{user}"


async def opened(db: Database, inbox: str, user: str, now: float | None = None) -> None:
    """The customer wrote: a fresh window of 48 h and 5 messages."""
    await write_state(db, inbox, _key(user), {"last_inbound": now or time.time(), "sent": 0})


async def check(db: Database, inbox: str, user: str, conversation_id: int) -> None:
    """Raise PermanentDeliveryError when we know the window is closed or used up."""
    state = await read_state(db, inbox, _key(user))
    if not state:
        return  # unknown (the customer wrote before kefu was set up): let WeChat decide
    if time.time() - float(state.get("last_inbound") or 0) > WINDOW_SECONDS:
        raise await refusal(db, 45015, conversation_id)
    if int(state.get("sent") or 0) >= WINDOW_MESSAGES:
        raise await refusal(db, 45047, conversation_id)


async def counted(db: Database, inbox: str, user: str) -> None:
    """One more message went out in the window."""
    state = await read_state(db, inbox, _key(user))
    if state:
        state["sent"] = int(state.get("sent") or 0) + 1
        await write_state(db, inbox, _key(user), state)


async def refusal(db: Database, errcode: int, conversation_id: int) -> PermanentDeliveryError:
    """A clear, bilingual reason for the console, with the alternatives that remain."""
    email = await contact_email(db, conversation_id)
    if errcode == 45015:
        why = (
            "微信 48 小时客服消息窗口已关闭：客户超过 48 小时未发消息，无法主动回复。"
            " / WeChat's 48-hour window is closed: the customer has not written for 48 hours."
        )
    else:
        why = (
            "本窗口内的 5 条客服消息额度已用完。"
            " / The 5 customer-service messages allowed in this window are used up."
        )
    ways = "可选：等待客户再次发消息（窗口会重新打开）"
    ways_en = "Options: wait for the customer to write again (this reopens the window)"
    if email:
        ways += f"，或发邮件至 {email}"
        ways_en += f", or email {email}"
    return PermanentDeliveryError(
        f"{why} {ways}。 / {ways_en}. (errcode {errcode})", code=f"wechat_{errcode}"
    )
