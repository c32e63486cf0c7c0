"""True presence and who holds a conversation (issue 15, bugs 1-5).

Each test walks what a support team did in the console and fails on the code before true
presence: a status that only said "online", assignments to agents who had closed the
browser, conversations left with deactivated agents, tickets left resolved after a takeover.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from core.context import SERVICES
from core.models import Agent, utcnow
from handoff import presence
from tests.handoff.test_desk import escalate, system_text
from tests.helpers import AGENT_HEADERS, login, open_console

H = AGENT_HEADERS


async def new_agent(client: Any, aiohttp_client: Any, email: str, name: str) -> tuple[Any, int]:
    """An agent created by the demo admin and logged in on a client of their own."""
    await login(client)
    resp = await client.post(
        "/api/admin/agents",
        json={"email": email, "name": name, "password": "pw-1234"},
        headers=H,
    )
    assert resp.status == 201, await resp.text()
    other = await aiohttp_client(client.server)
    await login(other, email, "pw-1234")
    return other, (await resp.json())["agent"]["id"]


async def conversation(agent: Any, cid: int) -> dict[str, Any]:
    found: dict[str, Any] = (await (await agent.get(f"/api/agent/conversations/{cid}")).json())[
        "conversation"
    ]
    return found


async def agents_by_name(agent: Any) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in (await (await agent.get("/api/agent/agents")).json())["agents"]}


async def close_console(watcher: Any, console: Any, name: str) -> None:
    """Close a console socket and wait until the server has recorded it (the close
    handshake completes before the server's bookkeeping does)."""
    await console.close()
    for _ in range(100):
        if not (await agents_by_name(watcher))[name]["connected"]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name}'s console still counts as connected")


async def test_login_restores_the_chosen_status_and_a_new_agent_is_there_at_once(
    client: Any, aiohttp_client: Any
) -> None:
    await login(client)
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)  # admin busy
    li, _ = await new_agent(client, aiohttp_client, "li@kefu.local", "小李")
    me = (await (await li.get("/api/agent/me")).json())["agent"]
    assert me["status"] == "online"  # bug 1: a fresh login showed 离线
    li.console = await open_console(li)
    v = await escalate(client, "我的订单什么时候发货")
    await v.until(system_text(v, "小李"))  # assigned, not "目前没有客服在线"

    # The chosen status survives logging out and in again.
    await li.post("/api/agent/status", json={"status": "away"}, headers=H)
    await li.post("/api/agent/logout", json={}, headers=H)
    relogged = await login(li, "li@kefu.local", "pw-1234")
    assert (await relogged.json())["agent"]["status"] == "away"


async def test_an_agent_who_closed_the_browser_gets_no_new_customers(
    client: Any, aiohttp_client: Any
) -> None:
    await login(client)
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    li, li_id = await new_agent(client, aiohttp_client, "li@kefu.local", "小李")
    await li.post("/api/agent/status", json={"status": "online"}, headers=H)
    console = await open_console(li)
    await close_console(client, console, "小李")  # closes the browser without logging out

    # Within the grace period the team still sees 小李 online (a reload is not a departure).
    seen = await agents_by_name(client)
    assert seen["小李"]["status"] == "online" and seen["小李"]["presence"] == "online"

    v = await escalate(client, "洗衣机坏了，不转了")
    notice = await v.until(lambda f: f["type"] == "message" and f["sender"] == "bot")
    assert "没有客服在线" in notice["text"]
    assert (await conversation(client, v.conversation_id))["owner"] == "queued"
    assert not any("小李" in f.get("text", "") for f in v.frames)

    # After the grace period nobody is fooled: 小李 shows as away.
    db = client.server.app[SERVICES].db
    async with db.transaction() as session:
        await session.execute(
            update(Agent)
            .where(Agent.id == li_id)
            .values(last_seen_at=utcnow() - timedelta(hours=1))
        )
    assert (await agents_by_name(client))["小李"]["presence"] == "away"

    # The admin comes back to the console: the waiting customer is handed over at once.
    await client.post("/api/agent/status", json={"status": "online"}, headers=H)
    assert (await conversation(client, v.conversation_id))["owner"] == "queued"  # no console
    await open_console(client)
    await v.until(system_text(v, "Demo Agent"))


async def test_a_supervisor_claims_a_conversation_a_colleague_holds(
    client: Any, aiohttp_client: Any
) -> None:
    await login(client)
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    li, _ = await new_agent(client, aiohttp_client, "li@kefu.local", "小李")
    li.console = await open_console(li)
    v = await escalate(client, "转人工")
    await v.until(system_text(v, "小李"))
    cid = v.conversation_id

    taken = await client.post(f"/api/agent/conversations/{cid}/takeover", json={}, headers=H)
    assert taken.status == 200, await taken.text()  # was 409 "Another agent holds..."
    body = (await taken.json())["conversation"]
    assert body["owner"] == "agent" and body["assignee"]["name"] == "Demo Agent"
    await v.until(system_text(v, "Demo Agent"))
    sent = await client.post(
        f"/api/agent/conversations/{cid}/messages", json={"text": "我来处理"}, headers=H
    )
    assert sent.status == 201
    notes = [m["text"] for m in (await conversation(client, cid))["messages"] if m["private"]]
    assert any("小李" in n and "Demo Agent" in n for n in notes)
    # A plain agent still cannot take a colleague's conversation.
    refused = await li.post(f"/api/agent/conversations/{cid}/takeover", json={}, headers=H)
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "held_by_other"


async def test_going_offline_hands_conversations_only_to_agents_really_there(
    client: Any, aiohttp_client: Any
) -> None:
    await login(client)
    await client.post("/api/agent/status", json={"status": "online"}, headers=H)
    admin_console = await open_console(client)
    li, _ = await new_agent(client, aiohttp_client, "li@kefu.local", "小李")
    await li.post("/api/agent/status", json={"status": "online"}, headers=H)
    await close_console(client, await open_console(li), "小李")  # left, still "online"
    v1 = await escalate(client, "我要人工")
    await v1.until(system_text(v1, "Demo Agent"))
    v2 = await escalate(client, "人工客服")
    await v2.until(system_text(v2, "Demo Agent"))

    await client.post("/api/agent/status", json={"status": "offline"}, headers=H)
    for v in (v1, v2):
        conv = await conversation(client, v.conversation_id)
        assert conv["owner"] == "queued" and conv["assignee"] is None  # not 小李
        assert not any("小李" in f.get("text", "") for f in v.frames)
    await admin_console.close()


async def test_deactivating_an_agent_releases_their_conversations(
    client: Any, aiohttp_client: Any
) -> None:
    await login(client)
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    li, li_id = await new_agent(client, aiohttp_client, "li@kefu.local", "小李")
    li.console = await open_console(li)
    v = await escalate(client, "转人工")
    await v.until(system_text(v, "小李"))

    off = await client.patch(f"/api/admin/agents/{li_id}", json={"active": False}, headers=H)
    assert off.status == 200, await off.text()
    conv = await conversation(client, v.conversation_id)
    assert conv["owner"] == "queued" and conv["assignee"] is None
    assert conv["ticket"]["assignee_id"] is None
    assert any("停用" in m["text"] for m in conv["messages"] if m["private"])
    assert (await li.get("/api/agent/me")).status == 401  # their session ended too
    # Someone who is there picks the customer up.
    await client.post("/api/agent/status", json={"status": "online"}, headers=H)
    await open_console(client)
    await v.until(system_text(v, "Demo Agent"))


async def test_hand_back_then_take_over_reopens_the_ticket(client: Any) -> None:
    await login(client)
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    v = await escalate(client, "转人工")
    cid = v.conversation_id
    await client.post(f"/api/agent/conversations/{cid}/takeover", json={}, headers=H)
    back = await client.post(f"/api/agent/conversations/{cid}/handback", json={}, headers=H)
    assert (await back.json())["conversation"]["ticket"]["status"] == "resolved"

    again = await client.post(f"/api/agent/conversations/{cid}/takeover", json={}, headers=H)
    conv = (await again.json())["conversation"]
    assert conv["owner"] == "agent"
    assert conv["ticket"]["status"] == "open"  # was left 已解决 while 处理中
    number = conv["ticket"]["number"]
    ticket = (await (await client.get(f"/api/agent/tickets/{number}")).json())["ticket"]
    assert ticket["assignee"]["name"] == "Demo Agent"
    moves = [e["detail"].get("to") for e in ticket["events"] if e["action"] == "status"]
    assert moves[-2:] == ["resolved", "open"]


async def test_presence_follows_console_sockets(db: Any) -> None:
    """On SQLite and PostgreSQL: live while a console beats, the grace after it closes."""
    async with db.transaction() as session:
        agent = Agent(email="p@kefu.local", name="P", password_hash="x", role="agent")
        session.add(agent)
    first = await presence.console_opened(db, agent.id)
    second = await presence.console_opened(db, agent.id)
    async with db.reader() as session:
        assert agent.id in await presence.live_agent_ids(session)
    await presence.console_closed(db, first, agent.id)
    async with db.reader() as session:
        assert agent.id in await presence.live_agent_ids(session)  # the other tab is open
    await presence.heartbeat(db, second, agent.id)
    later = utcnow() + timedelta(seconds=presence.STALE_SECONDS + 1)
    async with db.reader() as session:
        assert agent.id not in await presence.live_agent_ids(session, later)  # worker died
    await presence.console_closed(db, second, agent.id)
    async with db.reader() as session:
        fresh = await session.get(Agent, agent.id)
        assert fresh is not None and agent.id not in await presence.live_agent_ids(session)
    assert presence.presence(fresh, False, 120) == "online"  # just closed: grace
    assert presence.presence(fresh, False, 120, utcnow() + timedelta(seconds=121)) == "away"
    await presence.left(db, agent.id)
    async with db.reader() as session:
        gone = await session.get(Agent, agent.id)
    assert gone is not None and presence.presence(gone, False, 120) == "away"  # logged out
