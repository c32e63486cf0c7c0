"""The agent API: login, queue, takeover races, replies, notes, resolve, hand back."""

from __future__ import annotations

import asyncio
from typing import Any

from core.context import SERVICES
from handoff.auth import create_agent
from tests.helpers import AGENT_HEADERS, Visitor, login


async def queued_visitor(client: Any) -> Visitor:
    v = await Visitor(client).start()
    await v.reply_to("转人工")
    return v


async def test_login_rejects_bad_credentials_and_requires_csrf_header(client: Any) -> None:
    bad = await client.post(
        "/api/agent/login",
        json={"email": "demo@kefu.local", "password": "wrong"},
        headers=AGENT_HEADERS,
    )
    assert bad.status == 401 and (await bad.json())["error"]["code"] == "bad_credentials"
    unknown = await client.post(
        "/api/agent/login", json={"email": "nobody@x.cn", "password": "demo"}, headers=AGENT_HEADERS
    )
    assert unknown.status == 401
    no_header = await client.post(
        "/api/agent/login", json={"email": "demo@kefu.local", "password": "demo"}
    )
    assert no_header.status == 403
    ok = await login(client)
    cookie = ok.cookies["kefu_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    me = await (await client.get("/api/agent/me")).json()
    assert me["agent"]["email"] == "demo@kefu.local"
    assert "password" not in str(me)
    await client.post("/api/agent/logout", headers=AGENT_HEADERS)
    assert (await client.get("/api/agent/me")).status == 401


async def test_forged_session_cookie_is_refused(client: Any) -> None:
    client.session.cookie_jar.update_cookies({"kefu_session": "eyJhIjoxfQ.forged"})
    assert (await client.get("/api/agent/me")).status == 401
    assert (await client.get("/api/agent/conversations?owner=queued")).status == 401


async def test_full_handoff_cycle(client: Any) -> None:
    v = await queued_visitor(client)
    cid = v.conversation_id
    await login(client)
    detail = await (await client.get(f"/api/agent/conversations/{cid}")).json()
    conv = detail["conversation"]
    assert conv["owner"] == "queued" and conv["ticket"]["status"] == "new"
    assert [m["sender"] for m in conv["messages"]] == ["customer", "bot"]
    # Nobody is online yet: the bot's notice says so (issue 4).
    assert "没有客服在线" in conv["messages"][-1]["text"]

    taken = await client.post(
        f"/api/agent/conversations/{cid}/takeover", json={}, headers=AGENT_HEADERS
    )
    body = (await taken.json())["conversation"]
    assert body["owner"] == "agent" and body["assignee"]["name"] == "Demo Agent"
    assert body["ticket"]["status"] == "open"

    sent = await client.post(
        f"/api/agent/conversations/{cid}/messages",
        json={"text": "请提供订单号", "private": False},
        headers=AGENT_HEADERS,
    )
    assert sent.status == 201
    await v.until(lambda f: f["type"] == "message" and f["text"] == "请提供订单号")

    # The customer answers; the bot stays silent while the agent holds the conversation.
    await v.say("怎么申请退货")
    await asyncio.sleep(0.5)
    detail = await (await client.get(f"/api/agent/conversations/{cid}")).json()
    senders = [m["sender"] for m in detail["conversation"]["messages"]]
    assert senders[-1] == "customer" and senders.count("bot") == 1

    resolved = await client.post(
        f"/api/agent/conversations/{cid}/resolve", json={}, headers=AGENT_HEADERS
    )
    body = (await resolved.json())["conversation"]
    assert body["owner"] == "resolved" and body["ticket"]["status"] == "resolved"
    done = await v.until(
        lambda f: (
            f["type"] == "message"
            and f["sender"] == "system"
            and ("结束" in f["text"] or "resolved" in f["text"])
        )
    )
    assert done
    again = await client.post(
        f"/api/agent/conversations/{cid}/resolve", json={}, headers=AGENT_HEADERS
    )
    assert again.status == 409

    # Writing again reopens the conversation for the bot with fresh context.
    answer = await v.reply_to("怎么申请退货")
    assert "退货" in answer["text"]
    listing = await (await client.get("/api/agent/conversations?owner=bot")).json()
    assert cid in [c["id"] for c in listing["conversations"]]


async def test_handback_returns_the_conversation_to_the_bot(client: Any) -> None:
    v = await queued_visitor(client)
    await login(client)
    cid = v.conversation_id
    await client.post(f"/api/agent/conversations/{cid}/takeover", json={}, headers=AGENT_HEADERS)
    back = await client.post(
        f"/api/agent/conversations/{cid}/handback", json={}, headers=AGENT_HEADERS
    )
    assert (await back.json())["conversation"]["owner"] == "bot"
    answer = await v.reply_to("how do I return an item")
    assert "return" in answer["text"].lower()
    twice = await client.post(
        f"/api/agent/conversations/{cid}/handback", json={}, headers=AGENT_HEADERS
    )
    assert twice.status == 409


async def test_two_agents_take_over_at_once_exactly_one_wins(
    client: Any, aiohttp_client: Any
) -> None:
    v = await queued_visitor(client)
    db = client.app[SERVICES].db
    # Two plain agents (a supervisor or admin may claim a conversation another agent holds).
    await create_agent(db, "wang@kefu.local", "小王", "secret-1")
    await create_agent(db, "li@kefu.local", "小李", "secret-2")
    other = await aiohttp_client(client.server)  # a second browser: its own cookie jar
    await login(client, "li@kefu.local", "secret-2")
    await login(other, "wang@kefu.local", "secret-1")
    url = f"/api/agent/conversations/{v.conversation_id}/takeover"
    results = await asyncio.gather(
        client.post(url, json={}, headers=AGENT_HEADERS),
        other.post(url, json={}, headers=AGENT_HEADERS),
    )
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 409]
    loser = next(r for r in results if r.status == 409)
    assert (await loser.json())["error"]["code"] == "held_by_other"
    # The loser cannot reply publicly either, but may leave a private note.
    loser_client = other if results[1].status == 409 else client
    url_msg = f"/api/agent/conversations/{v.conversation_id}/messages"
    blocked = await loser_client.post(url_msg, json={"text": "hi"}, headers=AGENT_HEADERS)
    assert blocked.status == 409
    note = await loser_client.post(
        url_msg, json={"text": "FYI", "private": True}, headers=AGENT_HEADERS
    )
    assert note.status == 201


async def test_bad_requests(client: Any) -> None:
    await login(client)
    assert (await client.get("/api/agent/conversations?owner=everyone")).status == 400
    assert (await client.get("/api/agent/conversations/999999")).status == 404
    assert (await client.get("/api/agent/conversations/abc")).status == 404
    v = await queued_visitor(client)
    url = f"/api/agent/conversations/{v.conversation_id}/messages"
    assert (await client.post(url, json={"text": "  "}, headers=AGENT_HEADERS)).status == 400
    assert (await client.post(url, json={"text": 5}, headers=AGENT_HEADERS)).status == 400
    assert (
        await client.post(url, json={"text": "x", "private": "yes"}, headers=AGENT_HEADERS)
    ).status == 400
    assert (
        await client.post(
            url, data=b"{", headers={**AGENT_HEADERS, "Content-Type": "application/json"}
        )
    ).status == 400


async def test_console_socket_pushes_updates(client: Any) -> None:
    await login(client)
    # Away: the console is open but takes no new work, so the conversation stays queued.
    await client.post("/api/agent/status", json={"status": "away"}, headers=AGENT_HEADERS)
    ws = await client.ws_connect("/api/agent/ws")
    v = await Visitor(client).start()
    await v.say("转人工")
    while True:
        event = await ws.receive_json(timeout=10)
        if event.get("type") == "conversation.updated" and event["owner"] == "queued":
            break
    assert event["type"] == "conversation.updated"
    assert event["conversation_id"] == v.conversation_id


async def test_console_socket_requires_login(client: Any) -> None:
    ws = await client.ws_connect("/api/agent/ws")
    await ws.receive(timeout=5)
    assert ws.close_code == 4401


async def test_agents_see_media_customers_sent_and_nobody_else_does(client: Any) -> None:
    from core.conversations import record_inbound
    from core.domain import InboundMessage

    services = client.app[SERVICES]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    image = await services.attachments.save(png, kind="image", mime="image/png", name="leak.png")
    doc = await services.attachments.save(b"<script>x</script>", kind="file", mime="text/html")
    async with services.db.transaction() as s:
        rec = await record_inbound(
            s,
            InboundMessage(
                channel="wechat",
                inbox="wx-main",
                external_id="oUser",
                source_id="msg:1",
                text="[图片]",
                kind="image",
                attachments=(image, doc),
            ),
        )
    url = f"/api/agent/attachments/{image.key}"
    assert (await client.get(url)).status == 401  # not logged in
    await login(client)
    got = await client.get(url)
    assert got.status == 200 and await got.read() == png
    assert got.headers["Content-Type"] == "image/png"
    html = await client.get(f"/api/agent/attachments/{doc.key}")
    assert html.headers["Content-Type"] == "application/octet-stream"  # never rendered as a page
    # A download (with the file's name since attachments go both ways), never inline.
    disposition = html.headers["Content-Disposition"]
    assert disposition == "attachment" or disposition.startswith("attachment;")
    assert html.headers["X-Content-Type-Options"] == "nosniff"
    assert (await client.get("/api/agent/attachments/" + "0" * 64)).status == 404
    assert (await client.get("/api/agent/attachments/..%2Fsecret.key")).status == 404
    detail = await (await client.get(f"/api/agent/conversations/{rec.conversation.id}")).json()
    [msg] = detail["conversation"]["messages"]
    assert msg["kind"] == "image"
    assert [a["key"] for a in msg["attachments"]] == [image.key, doc.key]
