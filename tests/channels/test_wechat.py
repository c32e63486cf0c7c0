"""The Official Account channel end to end: webhook, passive replies, API sends, bad input."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select

from channels.wechat.codec import sign
from core.app import create_app
from core.context import SERVICES
from core.domain import BotTurn, TurnInput
from core.models import Conversation
from tests.channels.fakes.wechat_api import JPEG, FakeWechat
from tests.channels.fakes.wechat_client import (
    PLAIN,
    SAFE,
    WechatUser,
    all_settled,
    count,
    fixture_xml,
    messages,
    outbox_rows,
    wechat_inboxes,
    with_inboxes,
)
from tests.helpers import AGENT_HEADERS, agent_reply, login, until


class SlowBot:
    """A responder that thinks longer than WeChat waits (a slow knowledge base)."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self.calls = 0

    async def respond(self, turn: TurnInput) -> BotTurn:
        self.calls += 1
        await asyncio.sleep(self.delay)
        answered: BotTurn = await self.inner.respond(turn)
        return answered


def slow_down(client: Any, delay: float) -> SlowBot:
    pipeline = client.app[SERVICES].pipeline
    slow = SlowBot(pipeline.responder, delay)
    pipeline.responder = slow
    return slow


# -- URL check and authentication -------------------------------------------------------


async def test_url_check_echoes_only_with_a_good_signature(wx: Any) -> None:
    client, _ = wx
    ts = str(int(time.time()))
    ok = await client.get(
        "/channels/wechat/wx-main",
        params={
            "signature": sign("kefutoken", ts, "42"),
            "timestamp": ts,
            "nonce": "42",
            "echostr": "e5",
        },
    )
    assert ok.status == 200 and await ok.text() == "e5"
    bad = await client.get(
        "/channels/wechat/wx-main",
        params={"signature": "0" * 40, "timestamp": ts, "nonce": "42", "echostr": "e5"},
    )
    assert bad.status == 403 and "e5" not in await bad.text()
    assert (await client.get("/channels/wechat/nope")).status == 404


async def test_plaintext_text_gets_a_passive_bot_answer(wx: Any) -> None:
    client, fake = wx
    user = WechatUser(client, PLAIN)
    reply = await user.say("怎么申请退货")
    assert "退货" in reply
    stored = await messages(client)
    assert [(m.sender, m.kind) for m in stored] == [("customer", "text"), ("bot", "text")]
    await until(lambda: all_settled(client))
    assert (await messages(client))[1].delivery == "sent"
    await asyncio.sleep(0.3)
    assert fake.sent == []  # answered passively only, never also through the API
    assert {r.status for r in await outbox_rows(client)} == {"sent"}


async def test_safe_mode_with_current_and_previous_key(wx: Any) -> None:
    client, _ = wx
    user = WechatUser(client, SAFE, openid="oSafeUser")
    assert "退货" in await user.say("怎么申请退货")  # reply encrypted; read_reply decrypts
    old = await user.post(user.text_xml("发票怎么开"), key=SAFE["previous_encoding_aes_key"])
    assert old.status == 200
    plain = await user.post(user.text_xml("你好"), encrypt=False)
    assert plain.status == 403
    assert await count(client) == 4  # two questions, two answers


async def test_forged_pushes_get_403_and_nothing_is_stored(wx: Any) -> None:
    client, _ = wx
    user = WechatUser(client, SAFE)
    xml = user.text_xml("怎么申请退货")
    attempts = {
        "bad_signature": user.post(xml, token="wrongtoken"),
        "wrong_appid": user.post(xml, app_id="wx0000000000000000"),
        "wrong_token": WechatUser(client, {**SAFE, "token": "another"}).post(xml),
        "openid_mismatch": WechatUser(client, SAFE, openid="oOther").post(xml),
    }
    for name, attempt in attempts.items():
        resp = await attempt
        assert resp.status == 403, name
    assert await count(client) == 0


BAD_BODIES = {
    "truncated": b"<xml><ToUserName><![CDATA[gh]]></ToUserName><Content>hi",
    "xxe": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<xml><FromUserName>oUser0001</FromUserName><Content>&e;</Content></xml>",
    "billion_laughs": b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b"<xml><Content>&b;</Content></xml>",
    "missing_fields": b"<xml><MsgType>text</MsgType><Content>no sender</Content></xml>",
    "empty": b"",
    "oversized": b"<xml>" + b"<a>x</a>" * 20000 + b"</xml>",
}


async def test_bad_bodies_get_4xx_and_nothing_is_stored(wx: Any) -> None:
    client, _ = wx
    for name, body in BAD_BODIES.items():
        resp = await WechatUser(client, PLAIN).post(body)
        assert 400 <= resp.status < 500, name
        assert await count(client) == 0, name
    # The server is unharmed: the next good message is answered.
    assert "退货" in await WechatUser(client, PLAIN).say("怎么申请退货")


# -- deadline, retries, dedupe ----------------------------------------------------------


async def test_retried_push_is_stored_and_answered_once(wx: Any) -> None:
    client, fake = wx
    user = WechatUser(client, PLAIN)
    xml = user.text_xml("怎么申请退货")
    first, second = await asyncio.gather(user.post(xml), user.post(xml))
    replies = sorted([user.read_reply(await first.read()), user.read_reply(await second.read())])
    stored = await messages(client)
    assert [m.sender for m in stored] == ["customer", "bot"]
    # The reply is settled: passive in one of the responses, or (a turn slower than the
    # passive deadline, on a loaded machine) sent through the API by the outbox.
    await until(lambda: all_settled(client))
    await asyncio.sleep(0.3)  # a second delivery, if there were one, would show by now
    # Exactly one delivery: either passive in one of the responses, or through the API.
    passive = [r for r in replies if r != "success"]
    assert len(passive) + len(fake.sent) == 1
    third = await user.post(xml)
    assert user.read_reply(await third.read()) == "success"
    assert await count(client) == 2


async def test_slow_bot_acknowledges_then_sends_through_the_api(
    demo_settings: Any, embedder: Any, aiohttp_client: Any, fake_wechat: Any
) -> None:
    fake, base = fake_wechat
    settings = with_inboxes(demo_settings, wechat_inboxes(base, reply_deadline_seconds=0.3))
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    slow = slow_down(client, 1.0)
    user = WechatUser(client, PLAIN)
    xml = user.text_xml("怎么申请退货")
    assert user.read_reply(await (await user.post(xml)).read()) == "success"
    # WeChat retries after its deadline: still success, still one bot turn.
    assert user.read_reply(await (await user.post(xml)).read()) == "success"
    await until(lambda: _has_sent(fake))
    body = fake.sent[0]
    assert body["touser"] == "oUser0001" and body["msgtype"] == "text"
    assert "退货" in body["text"]["content"]
    assert slow.calls == 1
    assert any(t["command"] == "Typing" for t in fake.typing)  # shown while the bot thinks
    await until(lambda: all_settled(client))  # the outbox records the delivery after the send
    stored = await messages(client)
    assert [m.sender for m in stored] == ["customer", "bot"] and stored[1].delivery == "sent"


async def _has_sent(fake: FakeWechat, n: int = 1) -> bool:
    return len(fake.sent) >= n


# -- events and non-text messages -------------------------------------------------------


async def test_subscribe_gets_the_welcome_and_is_deduped(wx: Any) -> None:
    client, _ = wx
    user = WechatUser(client, PLAIN)
    xml = user.as_user(fixture_xml("test_events__test_subscribe_event__1.xml"))
    first = user.read_reply(await (await user.post(xml)).read())
    assert "转人工" in first and "human" in first
    again = user.read_reply(await (await user.post(xml)).read())
    assert again == "success"
    stored = await messages(client)
    assert [(m.sender, m.kind) for m in stored] == [("customer", "event"), ("bot", "text")]


async def test_menu_click_mapped_to_human_escalates(wx: Any) -> None:
    client, _ = wx
    user = WechatUser(client, SAFE)
    xml = user.as_user(fixture_xml("test_events__test_click_event__1.xml")).replace(
        "EVENTKEY", "HUMAN"
    )
    reply = user.read_reply(await (await user.post(xml)).read())
    assert "人工" in reply and "#" in reply
    async with client.app[SERVICES].db.reader() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
    assert conv.owner == "queued"


async def test_image_is_fetched_stored_and_acknowledged(wx: Any) -> None:
    client, _ = wx
    user = WechatUser(client, PLAIN)
    xml = user.as_user(fixture_xml("test_parser__test_parse_image_message__1.xml"))
    reply = user.read_reply(await (await user.post(xml)).read())
    assert "图片" in reply and "image" in reply
    customer = (await messages(client))[0]
    assert customer.kind == "image" and customer.attachments[0]["mime"] == "image/jpeg"
    data = await client.app[SERVICES].attachments.read(customer.attachments[0]["key"])
    assert data == JPEG


async def test_unknown_type_is_stored_and_answered_without_crashing(wx: Any) -> None:
    client, _ = wx
    user = WechatUser(client, PLAIN)
    for name in (
        "test_parser__test_parse_unknown_message__1.xml",
        "test_parser__test_parse_device_text_event__1.xml",
        "test_events__test_location_event__1.xml",
        "test_parser__test_parse_link_message__1.xml",
    ):
        resp = await user.post(user.as_user(fixture_xml(name)))
        assert resp.status == 200, name
    kinds = [m.kind for m in await messages(client) if m.sender == "customer"]
    assert kinds == ["unknown", "unknown", "event", "link"]


# -- the whole story --------------------------------------------------------------------


async def test_bot_escalate_agent_takeover_reply_resolve(wx: Any) -> None:
    client, fake = wx
    user = WechatUser(client, SAFE, openid="oStoryUser")
    assert "退货" in await user.say("怎么申请退货")
    escalated = await user.say("转人工")
    assert "人工" in escalated
    conv_id = (await messages(client))[0].conversation_id
    await login(client)
    queue = await (await client.get("/api/agent/conversations?owner=queued")).json()
    assert conv_id in [c["id"] for c in queue["conversations"]]
    taken = await client.post(
        f"/api/agent/conversations/{conv_id}/takeover", json={}, headers=AGENT_HEADERS
    )
    assert taken.status == 200
    await agent_reply(client, conv_id, "您好，请提供订单号，我来帮您办理退货。")
    await until(lambda: _has_sent(fake, 2))
    assert (
        fake.sent[0]["touser"] == "oStoryUser" and "Demo Agent" in fake.sent[0]["text"]["content"]
    )
    assert fake.sent[1] == {
        "touser": "oStoryUser",
        "msgtype": "text",
        "text": {"content": "您好，请提供订单号，我来帮您办理退货。"},
    }
    # The customer answers: stored for the agent, the bot stays silent.
    assert await user.say("订单号 20240101") == "success"
    resolved = await client.post(
        f"/api/agent/conversations/{conv_id}/resolve", json={}, headers=AGENT_HEADERS
    )
    assert resolved.status == 200
    await until(lambda: _has_sent(fake, 3))
    assert "结束" in fake.sent[2]["text"]["content"]
    senders = [m.sender for m in await messages(client)]
    assert senders.count("bot") == 2
    await until(lambda: all_settled(client))
    assert all(m.delivery == "sent" for m in await messages(client) if m.sender != "customer")


# -- the simulator ----------------------------------------------------------------------


async def test_simulator_signs_encrypts_and_prints_the_reply(wx: Any, capsys: Any) -> None:
    client, _ = wx
    from channels.wechat import cli
    from core.cli import _parser

    settings = client.app[SERVICES].settings
    base = str(client.make_url("")).rstrip("/")
    args = _parser().parse_args(
        ["wechat", "simulate", "--inbox", "wx-safe", "--url", base, "怎么申请退货"]
    )
    assert await cli.run(args, settings) == 0
    assert "退货" in capsys.readouterr().out
    args = _parser().parse_args(["wechat", "simulate", "--inbox", "wx-main", "--url", base, "你好"])
    assert await cli.run(args, settings) == 0
    stored = await messages(client)
    assert [m.text for m in stored if m.sender == "customer"] == ["怎么申请退货", "你好"]
