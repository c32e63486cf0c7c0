"""Abuse of the customer doors: WeChat webhooks (forged, replayed, bombs) and web chat."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import aiohttp
from sqlalchemy import func, select

from channels.wechat.codec import sign
from core.context import SERVICES
from core.models import Message
from core.security import TokenSigner
from tests.channels.fakes.wechat_client import PLAIN, SAFE, WechatUser
from tests.helpers import Visitor
from tests.security.abuse import ROUNDS, Door
from tests.security.test_abuse_http import stored_customer_messages
from tests.security.test_fuzz_wechat import NASTY

OPENID = "oLegitUser"


async def customer_rows(client: Any, source_like: str) -> int:
    """Stored customer messages whose source id matches ``source_like``."""
    async with client.app[SERVICES].db.reader() as s:
        q = (
            select(func.count())
            .select_from(Message)
            .where(Message.sender == "customer", Message.source_id.like(source_like))
        )
        return int((await s.execute(q)).scalar() or 0)


async def test_wechat_forged_replayed_and_hostile_pushes(kefu: Any) -> None:
    """Forged signatures and stale timestamps get 403, bombs 400/413; a replay is stored once."""
    door = Door("wechat: webhook")
    legit_user = WechatUser(kefu, PLAIN, openid=OPENID)
    attacker = WechatUser(kefu, PLAIN, openid="oAttacker")
    safe = WechatUser(kefu, SAFE, openid="oSafe")
    url = f"/channels/wechat/{PLAIN['name']}"
    for _ in range(ROUNDS):
        xml = attacker.text_xml("我要退款")
        ts, nonce = str(int(time.time())), "123"
        forged = [
            {"signature": "0" * 40, "timestamp": ts, "nonce": nonce},
            {"signature": sign("wrongtoken", ts, nonce), "timestamp": ts, "nonce": nonce},
            {
                "signature": sign(PLAIN["token"], "1", nonce),
                "timestamp": "1",
                "nonce": nonce,
            },  # stale
            {
                "signature": sign(PLAIN["token"], ts, nonce),
                "timestamp": ts,
                "nonce": nonce,
                "openid": "oOther",
            },
            {},
        ]
        for params in forged:
            status = await door.hit(
                "forged",
                lambda p=params, x=xml: kefu.post(url, params=p, data=x),  # type: ignore[misc]
            )
            assert status == 403 or (status == 400 and not params), params
        good = {"signature": sign(PLAIN["token"], ts, nonce), "timestamp": ts, "nonce": nonce}
        for body in [*NASTY, b"", b"<xml>" + b"x" * 70_000 + b"</xml>", b"\xff\xfe<xml/>"]:
            status = await door.hit("bomb", lambda b=body, g=good: kefu.post(url, params=g, data=b))  # type: ignore[misc]
            assert status is not None and 400 <= status < 500
        # Encrypted inbox: a push in plaintext, or sealed for another appid, is refused.
        await door.hit("safe plaintext", lambda: safe.post(safe.text_xml("hi"), encrypt=False))
        await door.hit("safe wrong appid", lambda: safe.post(safe.text_xml("hi"), app_id="wx0"))
        # The same push replayed (WeChat retries, or an attacker with a captured request).
        replay = legit_user.text_xml("发票怎么开")
        for _ in range(3):
            resp = await legit_user.post(replay)
            assert resp.status == 200
            door.accepted()
        door.legit_sent += 1
        reply = await legit_user.say("怎么申请退货")
        assert reply
        door.legit_sent += 1
    stored = await customer_rows(kefu, "msg:%")
    await door.finish(kefu, stored)


def forged_tokens(client: Any) -> dict[str, str]:
    """Visitor tokens an attacker could try: wrong key, expired, tampered, junk."""
    secret = client.app[SERVICES].secret
    ours = TokenSigner(secret, "webchat-visitor")
    theirs = TokenSigner(b"attacker-secret-0123456789", "webchat-visitor")
    agent_purpose = TokenSigner(secret, "agent-session")  # a token for another purpose
    valid = ours.sign({"v": "someone", "c": 1}, 3600)
    body, sig = valid.split(".")
    return {
        "wrong key": theirs.sign({"v": "x", "c": 1}, 3600),
        "expired": ours.sign({"v": "x", "c": 1}, -10),
        "other purpose": agent_purpose.sign({"v": "x", "c": 1}, 3600),
        "tampered": body[:-2] + "AA." + sig,
        "no signature": body + ".",
        "junk": "a.b.c",
        "huge": "a" * 10_000 + "." + "b",
        "unknown conversation": ours.sign({"v": "nobody", "c": 999999}, 3600),
        "wrong types": ours.sign({"v": ["x"], "c": "1"}, 3600),
    }


async def test_webchat_forged_tokens_and_hostile_frames(kefu: Any) -> None:
    """Forged or expired tokens get 401 / a 4401 close; hostile frames get error frames."""
    door = Door("webchat: sessions and socket")
    visitor = await Visitor(kefu).start()
    tokens = forged_tokens(kefu)
    for _ in range(ROUNDS):
        for what, token in tokens.items():
            status = await door.hit(
                f"session {what}",
                lambda t=token: kefu.post("/api/webchat/sessions", json={"token": t}),  # type: ignore[misc]
            )
            assert status in (400, 401, 413, 429), (what, status)  # 429: sessions per IP
            ws = await kefu.ws_connect(f"/api/webchat/ws?token={token[:4000]}")
            msg = await ws.receive(timeout=10)
            while msg.type == aiohttp.WSMsgType.TEXT:
                msg = await ws.receive(timeout=10)
            assert ws.close_code == 4401, what
            door.refused()
        # Frames: junk, bombs, binary, invalid UTF-8 (the socket closes with 1007), too big.
        ws = await kefu.ws_connect(f"/api/webchat/ws?token={visitor.token}")
        await ws.receive_json(timeout=10)  # ready
        junk = [
            "{",
            "[" * 3000,
            '{"type":"message"}',
            '{"type":"message","client_msg_id":"x","text":""}',
            '{"type":"resume","after_seq":-1}',
            '{"type":"feedback","seq":1e999}',
            '{"type":"x"}',
            '{"type":"message","client_msg_id":"' + "x" * 100 + '","text":"hi"}',
            '{"type":"message","client_msg_id":"big","text":"' + "长" * 3000 + '"}',
        ]
        for frame in junk:
            await ws.send_str(frame)
            reply = await ws.receive_json(timeout=10)
            while reply["type"] in ("typing", "message"):  # the bot still answering earlier ones
                reply = await ws.receive_json(timeout=10)
            assert reply["type"] == "error", (frame[:40], reply)
            door.refused()
        await ws.send_bytes(b"\x00\x01")
        reply = await ws.receive_json(timeout=10)
        while reply["type"] in ("typing", "message"):
            reply = await ws.receive_json(timeout=10)
        assert reply["type"] == "error"
        door.refused()
        await ws.close()
        # Invalid UTF-8 in a text frame: aiohttp closes the socket (1007), the server lives on.
        ws = await kefu.ws_connect(f"/api/webchat/ws?token={visitor.token}")
        await ws.receive_json(timeout=10)
        writer = ws._writer  # the raw frame writer: aiohttp's client refuses to send bad UTF-8
        await writer.send_frame(b"\xff\xfe", aiohttp.WSMsgType.TEXT)
        msg = await ws.receive(timeout=10)
        assert msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
        )
        door.refused()
        await ws.close()
        for text in [
            "<script>alert(1)</script>",
            "'; DROP TABLE messages; --",
            "正常的问题：怎么退货",
        ]:
            cmid = await visitor.say(text)
            echo = await visitor.until(
                lambda f, c=cmid: f["type"] == "message" and f.get("client_msg_id") == c  # type: ignore[misc]
            )
            assert echo["text"] == text  # stored and echoed verbatim: rendering is the page's job
            door.legit_sent += 1
    await door.finish(kefu, await stored_customer_messages(kefu))


async def test_concurrent_visitors_lose_nothing_under_junk(kefu: Any) -> None:
    """Several visitors write while another floods junk: every real message is stored once."""
    door = Door("webchat: concurrent load with junk")
    visitors = [await Visitor(kefu).start() for _ in range(3)]
    flood = await kefu.ws_connect(f"/api/webchat/ws?token={visitors[0].token}")
    await flood.receive_json(timeout=10)

    async def junk() -> None:
        for _ in range(30 * ROUNDS):
            await flood.send_str(secrets.token_hex(8))
            await flood.receive_json(timeout=10)
            door.refused()

    async def talk(v: Visitor, n: int) -> None:
        for i in range(3 * ROUNDS):
            cmid = await v.say(f"visitor {n} message {i}")
            await v.until(lambda f, c=cmid: f["type"] == "message" and f.get("client_msg_id") == c)  # type: ignore[misc]
            door.legit_sent += 1

    await asyncio.gather(junk(), *(talk(v, n) for n, v in enumerate(visitors)))
    await flood.close()
    await door.finish(kefu, await stored_customer_messages(kefu))
