"""Ticket status questions over SMS (issue 16): the new channel gets the same answers as
every other one, from the customer's own tickets only; a forged number learns nothing.
The gateway is the local one of test_sms.py (real signatures); SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

from core.context import SERVICES
from tests.bot.test_ticket_status import (
    agent_reply,
    escalate_and_take,
    first_agent,
    said_after,
    settle,
)
from tests.channels.test_sms import conversation_of, env, outbox_of, signed, sms

__all__ = ["env"]  # the SMS app and its local gateway


async def test_status_over_sms_and_nothing_of_a_forged_number(env: Any) -> None:
    client, gw = env
    services = client.app[SERVICES]

    async def text(phone: str, body: str) -> None:
        resp = await client.post("/channels/sms/sms/inbound", **signed(sms(phone, body)))
        assert resp.status == 200
        await settle(services)

    other_phone, phone = "13600001111", "13600002222"
    await text(other_phone, "怎么申请退货")
    other = await conversation_of(client, other_phone)
    foreign = await escalate_and_take(services, other.id)
    await agent_reply(services, other.id, "王女士您好，工程师周五上门")

    await text(phone, "怎么申请退货")
    conv = await conversation_of(client, phone)
    mine = await escalate_and_take(services, conv.id)
    await agent_reply(services, conv.id, "已更换主板，请您试用")
    await services.pipeline.handoff.resolve(await first_agent(services), conv.id)
    await settle(services)

    asked = f"我的工单 #{mine} 处理到哪一步了？"
    await text(phone, asked)
    answer = await said_after(services, conv.id, asked)
    assert f"工单 #{mine}" in answer and "已解决" in answer and "已更换主板" in answer, answer

    forged = f"#{foreign} 维修进度"
    await text(phone, forged)
    refused = await said_after(services, conv.id, forged)
    assert f"没有找到工单 #{foreign}" in refused and "工程师周五" not in refused, refused

    # Our own per-number limit (3 an hour here): the bot's first answer, the agent joining
    # and the agent's reply went out; the rest waits in the outbox, said plainly.
    async def held() -> bool:
        rows = await outbox_of(client, conv.id)
        return len(rows) >= 6 and all("过于频繁" in (e or "") for _, e in rows[3:])

    for _ in range(100):
        if await held():
            break
        await asyncio.sleep(0.1)
    assert await held(), await outbox_of(client, conv.id)
    assert len(gw.texts(phone)) == 3 and "已更换主板" in gw.texts(phone)[-1]
    assert not any("工程师周五" in t for t in gw.texts(phone))
