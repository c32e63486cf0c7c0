"""Unread counts per conversation and agent (issue 15)."""

from __future__ import annotations

from typing import Any

from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS


async def unread_in_queue(agent: Any, cid: int) -> int:
    listing = await (await agent.get("/api/agent/conversations?owner=queued")).json()
    return int(next(c["unread"] for c in listing["conversations"] if c["id"] == cid))


async def test_customer_messages_are_unread_until_the_agent_has_seen_them(
    client: Any, aiohttp_client: Any
) -> None:
    await login(client)
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    v = await Visitor(client).start()
    await v.reply_to("你好")
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and f["sender"] == "bot" and f["seq"] > 3)
    cid = v.conversation_id
    assert await unread_in_queue(client, cid) == 2  # the customer's two messages, not the bot's

    detail = (await (await client.get(f"/api/agent/conversations/{cid}")).json())["conversation"]
    seen = max(m["seq"] for m in detail["messages"])
    read = await client.post(f"/api/agent/conversations/{cid}/read", json={"seq": seen}, headers=H)
    assert read.status == 200 and (await read.json())["unread"] == 0
    assert await unread_in_queue(client, cid) == 0

    await v.say("还在吗？")
    await v.until(lambda f: f["type"] == "message" and f.get("text") == "还在吗？")
    assert await unread_in_queue(client, cid) == 1
    # An older page reporting an earlier mark does not make read messages unread again.
    await client.post(f"/api/agent/conversations/{cid}/read", json={"seq": 1}, headers=H)
    assert await unread_in_queue(client, cid) == 1

    # Read marks are each agent's own.
    other = await aiohttp_client(client.server)
    await client.post(
        "/api/admin/agents",
        json={"email": "li@kefu.local", "name": "小李", "password": "pw-1234"},
        headers=H,
    )
    await login(other, "li@kefu.local", "pw-1234")
    await other.post("/api/agent/status", json={"status": "away"}, headers=H)
    assert await unread_in_queue(other, cid) == 3

    bad = await client.post(f"/api/agent/conversations/{cid}/read", json={"seq": "x"}, headers=H)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_seq"
