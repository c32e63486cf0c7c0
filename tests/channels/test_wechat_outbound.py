"""Official Account replies that WeChat refuses: a closed 48-hour window reaches the agent as
a clear reason, a known-closed window is not even tried, rate limits are retried."""

from __future__ import annotations

from typing import Any

import pytest

from core.context import SERVICES
from core.models import ChannelState, Message
from tests.channels.fakes.wechat_client import (
    PLAIN,
    WechatUser,
    all_settled,
    messages,
    outbox_rows,
)
from tests.helpers import agent_reply, login, until

# -- outbound errors --------------------------------------------------------------------


async def message_where(client: Any, text: str) -> Message:
    for m in await messages(client):
        if m.text == text:
            return m
    raise AssertionError(text)


@pytest.mark.parametrize("errcode", [45015, 45047])
async def test_closed_window_reaches_the_agent_as_a_clear_reason(wx: Any, errcode: int) -> None:
    client, fake = wx
    user = WechatUser(client, PLAIN)
    await user.say("转人工")
    conv_id = (await messages(client))[0].conversation_id
    await login(client)
    fake.fail_next = [{"errcode": errcode, "errmsg": "refused"}] * 2  # "joined" + the reply
    await agent_reply(client, conv_id, "请提供订单号")
    await until(lambda: _delivery_settled(client, "请提供订单号"))
    msg = await message_where(client, "请提供订单号")
    assert msg.delivery == "failed"
    assert f"errcode {errcode}" in (msg.delivery_error or "")
    assert ("48 小时" if errcode == 45015 else "5 条") in (msg.delivery_error or "")
    assert "wait for the customer" in (msg.delivery_error or "")


async def _delivery_settled(client: Any, text: str) -> bool:
    m = await message_where(client, text)
    return m.delivery in ("sent", "failed")


async def test_known_closed_window_is_refused_without_calling_wechat(wx: Any) -> None:
    client, fake = wx
    user = WechatUser(client, PLAIN)
    await user.say("转人工")
    conv_id = (await messages(client))[0].conversation_id
    async with client.app[SERVICES].db.transaction() as s:
        state = await s.get(ChannelState, ("wx-main", "window:oUser0001"))
        assert state is not None
        state.value = {"last_inbound": 1_000_000.0, "sent": 0}
    await login(client)
    await agent_reply(client, conv_id, "还在吗")
    await until(lambda: _delivery_settled(client, "还在吗"))
    msg = await message_where(client, "还在吗")
    assert msg.delivery == "failed" and "48" in (msg.delivery_error or "")
    assert not any(b["text"]["content"] == "还在吗" for b in fake.sent)


async def test_rate_limit_is_retried_with_backoff_and_delivered(wx: Any) -> None:
    client, fake = wx
    user = WechatUser(client, PLAIN)
    await user.say("转人工")
    conv_id = (await messages(client))[0].conversation_id
    await login(client)
    fake.fail_next = [{"errcode": 45009, "errmsg": "reach max api daily quota limit"}]
    await agent_reply(client, conv_id, "马上为您处理")
    await until(lambda: _delivery_settled(client, "马上为您处理"), 30)
    msg = await message_where(client, "马上为您处理")
    assert msg.delivery == "sent"
    # The first send (the "agent joined" notice) met the rate limit and was retried.
    await until(lambda: all_settled(client), 30)
    assert sorted(r.attempts for r in await outbox_rows(client) if r.status == "sent")[-1] == 2
    contents = [b["text"]["content"] for b in fake.sent]
    assert contents.count("马上为您处理") == 1 and len(contents) == len(set(contents))
