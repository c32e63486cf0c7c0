"""The web chat channel, driven over real HTTP and WebSocket like the widget does."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from core.context import SERVICES
from core.models import Message, OutboxItem
from core.security import TokenSigner
from tests.helpers import AGENT_HEADERS, Visitor, login


async def stored_messages(client: Any) -> int:
    async with client.app[SERVICES].db.reader() as s:
        return int((await s.execute(select(func.count()).select_from(Message))).scalar() or 0)


async def test_bot_answers_in_chinese_and_english(client: Any) -> None:
    v = await Visitor(client).start()
    zh = await v.reply_to("怎么申请退货")
    assert "退货" in zh["text"] and zh["client_msg_id"] is None
    en = await v.reply_to("how do I return an item")
    assert "return" in en["text"].lower()
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en["text"])  # answered in English
    seqs = [m["seq"] for m in v.messages()]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


async def test_own_message_is_echoed_with_seq_and_client_id(client: Any) -> None:
    v = await Visitor(client).start()
    cmid = await v.say("你好")
    echo = await v.until(lambda f: f["type"] == "message" and f["sender"] == "customer")
    assert echo["client_msg_id"] == cmid and echo["seq"] == 1 and echo["text"] == "你好"


async def test_resent_client_msg_id_is_stored_once(client: Any) -> None:
    v = await Visitor(client).start()
    cmid = await v.say("怎么申请退货")
    await v.until(lambda f: f["type"] == "message" and f["sender"] == "bot")
    before = await stored_messages(client)
    await v.say("怎么申请退货", client_msg_id=cmid)
    echo = await v.until(lambda f: f["type"] == "message" and f.get("client_msg_id") == cmid)
    assert echo["seq"] == 1
    await asyncio.sleep(0.3)
    assert await stored_messages(client) == before  # neither stored nor answered again


async def test_resume_after_reconnect_returns_what_was_missed(client: Any) -> None:
    v = await Visitor(client).start()
    await v.reply_to("怎么申请退货")
    last_seen = v.messages()[-1]["seq"]
    await v.ws.close()
    # While the visitor is away an agent answers.
    await login(client)
    resp = await client.post(
        f"/api/agent/conversations/{v.conversation_id}/messages",
        json={"text": "您好，我是客服，订单号发我一下", "private": False},
        headers=AGENT_HEADERS,
    )
    assert resp.status == 201
    again = await Visitor(client).start(token=v.token)
    assert again.conversation_id == v.conversation_id
    await again.ws.close()
    fresh = Visitor(client)
    fresh.token = again.token
    await fresh.connect(after_seq=last_seen)
    missed = fresh.messages()
    assert all(m["seq"] > last_seen for m in missed)
    assert any(m["sender"] == "agent" and "订单号" in m["text"] for m in missed)
    assert any(m["sender"] == "system" for m in missed)  # "agent joined"


async def test_bad_frames_get_errors_and_the_socket_survives(client: Any) -> None:
    v = await Visitor(client).start()
    await v.ws.send_str("{not json")
    assert (await v.until(lambda f: f["type"] == "error"))["code"] == "bad_frame"
    await v.ws.send_json({"type": "teleport"})
    assert (await v.until(lambda f: f["type"] == "error"))["code"] == "unknown_type"
    await v.ws.send_json({"type": "message", "text": "no id"})
    assert (await v.until(lambda f: f["type"] == "error"))["code"] == "bad_frame"
    await v.ws.send_json({"type": "message", "client_msg_id": "x1", "text": "   "})
    assert (await v.until(lambda f: f["type"] == "error"))["code"] == "bad_frame"
    await v.ws.send_json({"type": "resume", "after_seq": "zero"})
    assert (await v.until(lambda f: f["type"] == "error"))["code"] == "bad_frame"
    await v.ws.send_json(["a", "list"])
    assert (await v.until(lambda f: f["type"] == "error"))["code"] == "bad_frame"
    await v.ws.send_json({"type": "message", "client_msg_id": "big", "text": "退" * 2001})
    err = await v.until(lambda f: f["type"] == "error")
    assert err["code"] == "too_long" and err["client_msg_id"] == "big"
    assert await stored_messages(client) == 0  # nothing half-stored
    await v.ws.send_json({"type": "ping"})
    assert (await v.until(lambda f: f["type"] in ("pong", "error")))["type"] == "pong"
    reply = await v.reply_to("怎么申请退货")  # still works
    assert "退货" in reply["text"]


async def test_invalid_or_expired_token(client: Any) -> None:
    resp = await client.post("/api/webchat/sessions", json={"token": "forged.token"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "invalid_token"
    ws = await client.ws_connect("/api/webchat/ws?token=nope")
    frame = await ws.receive_json(timeout=5)
    assert frame["type"] == "error" and frame["code"] == "invalid_token"
    closing = await ws.receive(timeout=5)
    assert ws.close_code == 4401 or closing.data == 4401
    secret = client.app[SERVICES].secret
    expired = TokenSigner(secret, "webchat-visitor").sign({"v": "abc", "c": 1}, -10)
    resp = await client.post("/api/webchat/sessions", json={"token": expired})
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "token_expired"


async def test_token_for_unknown_conversation(client: Any) -> None:
    secret = client.app[SERVICES].secret
    token = TokenSigner(secret, "webchat-visitor").sign({"v": "abc", "c": 99999}, 3600)
    resp = await client.post("/api/webchat/sessions", json={"token": token})
    assert resp.status == 401
    ws = await client.ws_connect(f"/api/webchat/ws?token={token}")
    assert (await ws.receive_json(timeout=5))["code"] == "invalid_token"


async def test_session_endpoint_rejects_bad_bodies(client: Any) -> None:
    resp = await client.post(
        "/api/webchat/sessions", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "bad_json"
    resp = await client.post("/api/webchat/sessions", json={"locale": "fr"})
    assert resp.status == 400
    resp = await client.post("/api/webchat/sessions", data=b"x" * 10_000)
    assert resp.status == 413


async def test_human_request_queues_and_bot_goes_silent(client: Any) -> None:
    v = await Visitor(client).start()
    notice = await v.reply_to("转人工")
    assert "人工" in notice["text"] and "#10" in notice["text"]
    resp = await client.get("/api/agent/conversations?owner=queued")
    assert resp.status == 401  # not logged in
    await login(client)
    queued = await (await client.get("/api/agent/conversations?owner=queued")).json()
    assert [c["id"] for c in queued["conversations"]] == [v.conversation_id]
    assert queued["conversations"][0]["ticket"]["number"] >= 1001
    # While queued, the bot says nothing.
    await v.say("怎么申请退货")
    await v.until(
        lambda f: (
            f["type"] == "message" and f["sender"] == "customer" and f["text"] == "怎么申请退货"
        )
    )
    await asyncio.sleep(0.5)
    assert not [
        m
        for m in v.messages()
        if m["sender"] == "bot" and "退货" in m["text"] and "人工" not in m["text"]
    ]


async def test_agent_reply_is_delivered_live_and_notes_never(client: Any) -> None:
    v = await Visitor(client).start()
    await v.reply_to("转人工")
    await login(client)
    cid = v.conversation_id
    resp = await client.post(
        f"/api/agent/conversations/{cid}/takeover", json={}, headers=AGENT_HEADERS
    )
    assert resp.status == 200 and (await resp.json())["conversation"]["owner"] == "agent"
    joined = await v.until(lambda f: f["type"] == "message" and f["sender"] == "system")
    assert "Demo Agent" in joined["text"]
    await client.post(
        f"/api/agent/conversations/{cid}/messages",
        json={"text": "内部：客户很着急", "private": True},
        headers=AGENT_HEADERS,
    )
    await client.post(
        f"/api/agent/conversations/{cid}/messages",
        json={"text": "您好，我来处理", "private": False},
        headers=AGENT_HEADERS,
    )
    live = await v.until(lambda f: f["type"] == "message" and f["sender"] == "agent")
    assert live["text"] == "您好，我来处理" and live["agent_name"] == "Demo Agent"
    await asyncio.sleep(0.3)
    assert all("内部" not in m["text"] for m in v.messages())
    # The note is stored, and seen in the console.
    detail = await (await client.get(f"/api/agent/conversations/{cid}")).json()
    notes = [m for m in detail["conversation"]["messages"] if m["private"]]
    assert [n["text"] for n in notes] == ["内部：客户很着急"]


async def test_sends_are_rate_limited(
    demo_settings: Any, embedder: Any, aiohttp_client: Any
) -> None:
    from core.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(demo_settings.data_path, webchat={"messages_per_minute": 3})
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    v = await Visitor(client).start()
    for i in range(3):
        await v.say(f"你好 {i}")
    await v.say("你好 again", client_msg_id="fourth")
    err = await v.until(lambda f: f["type"] == "error")
    assert err["code"] == "rate_limited" and err["client_msg_id"] == "fourth"


async def test_health_and_readiness(client: Any) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["database"] is True


async def test_pages_and_widget_are_served_with_csp(client: Any) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "/webchat/widget.js" in await page.text()
    widget = await client.get("/webchat/widget.js")  # the loader: it imports the modules
    assert widget.status == 200 and "widget/main.js" in await widget.text()
    socket = await client.get("/webchat/widget/socket.js")
    assert socket.status == 200 and "WebSocket" in await socket.text()
    console = await client.get("/agent/")
    assert console.status == 200 and "Content-Security-Policy" in console.headers


async def test_two_visitors_at_once_get_their_own_answers(client: Any) -> None:
    """Two visitors chat at once; each gets its own answers (no cross-talk)."""
    a, b = await Visitor(client).start(), await Visitor(client).start()
    ra, rb = await asyncio.gather(a.reply_to("怎么申请退货"), b.reply_to("how do I return an item"))
    assert "退货" in ra["text"] and "return" in rb["text"].lower()
    assert a.conversation_id != b.conversation_id
    assert all(m["sender"] != "customer" or m["text"] == "怎么申请退货" for m in a.messages())


async def test_other_sites_need_to_be_allowed(
    demo_settings: Any, embedder: Any, aiohttp_client: Any
) -> None:
    from core.app import create_app
    from tests.conftest import make_settings

    evil = {"Origin": "https://evil.example"}
    client = await aiohttp_client(create_app(demo_settings, embedder=embedder))
    refused = await client.post("/api/webchat/sessions", json={}, headers=evil)
    assert refused.status == 403
    assert (await client.options("/api/webchat/sessions", headers=evil)).status == 403
    ok = await client.post("/api/webchat/sessions", json={})
    token = (await ok.json())["token"]
    ws = await client.ws_connect(f"/api/webchat/ws?token={token}", headers=evil)
    await ws.receive(timeout=5)
    assert ws.close_code == 4403

    settings = make_settings(
        demo_settings.data_path, webchat={"allowed_origins": ["https://shop.example"]}
    )
    shop = {"Origin": "https://shop.example"}
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    pre = await client.options("/api/webchat/sessions", headers=shop)
    assert pre.status == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    created = await client.post("/api/webchat/sessions", json={}, headers=shop)
    assert created.status == 200
    assert created.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    v = Visitor(client)
    v.token = (await created.json())["token"]
    await v.connect()
    assert "退货" in (await v.reply_to("怎么申请退货"))["text"]


async def test_bot_reply_is_recorded_as_delivered_when_it_reaches_the_socket(client: Any) -> None:
    v = await Visitor(client).start()
    reply = await v.reply_to("怎么申请退货")
    async with client.app[SERVICES].db.reader() as s:
        msg = (
            await s.execute(
                select(Message).where(
                    Message.conversation_id == v.conversation_id, Message.seq == reply["seq"]
                )
            )
        ).scalar_one()
        rows = (await s.execute(select(OutboxItem.id).where(OutboxItem.message_id == msg.id))).all()
    assert msg.delivery == "sent"  # what the console shows for it
    assert rows == []  # delivered on the live socket: nothing for the outbox dispatcher
