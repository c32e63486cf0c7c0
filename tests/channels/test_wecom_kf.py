"""WeCom 微信客服: callback checks, sync_msg paging with a persisted cursor, send_msg, states."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest

from channels.wechat.codec import Cipher, cdata, sign
from channels.wecom_kf.adapter import msgid_for
from channels.wecom_kf.config import parse
from core.app import create_app
from core.config import InboxSettings
from core.context import SERVICES
from core.errors import ConfigError
from core.models import ChannelState
from tests.channels.fakes.wechat_api import JPEG, FakeWechat
from tests.channels.fakes.wechat_client import (
    WORK,
    count,
    messages,
    outbox_rows,
    start_fake,
    with_inboxes,
)
from tests.helpers import AGENT_HEADERS, login, until

KFID = "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q"
CORP = WORK["appid"]  # wx49f0ab532d5d035a, from wechatpy's verified WeCom vector
OPTIONS = {
    "corp_id": CORP,
    "secret": "kf-secret",
    "token": WORK["token"],
    "encoding_aes_key": WORK["encoding_aes_key"],
    "open_kfid": KFID,
}


@pytest.fixture
async def kf(demo_settings: Any, embedder: Any, aiohttp_client: Any, aiohttp_server: Any) -> Any:
    fake, base = await start_fake(aiohttp_server)
    inbox = InboxSettings("kf-main", "wecom_kf", {**OPTIONS, "api_base": base})
    client = await aiohttp_client(
        create_app(with_inboxes(demo_settings, (inbox,)), embedder=embedder)
    )
    return client, fake


def customer(msgid: str, text: str, user: str = "wmUser01", origin: int = 3) -> dict[str, Any]:
    return {
        "msgid": msgid,
        "open_kfid": KFID,
        "external_userid": user,
        "send_time": int(time.time()),
        "origin": origin,
        "msgtype": "text",
        "text": {"content": text},
    }


async def notify(client: Any, token: str = "ENCAPITOKEN") -> Any:
    """POST the callback WeCom sends when messages wait: encrypted, signed."""
    inner = (
        f"<xml><ToUserName>{cdata(CORP)}</ToUserName><CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
        f"<Token>{cdata(token)}</Token><OpenKfId>{cdata(KFID)}</OpenKfId></xml>"
    )
    cipher = Cipher(OPTIONS["token"], CORP, (OPTIONS["encoding_aes_key"],))
    encrypted = cipher.encrypt(inner)
    ts, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
    body = f"<xml><ToUserName>{cdata(CORP)}</ToUserName><Encrypt>{cdata(encrypted)}</Encrypt></xml>"
    return await client.post(
        "/channels/wecom-kf/kf-main",
        params={
            "msg_signature": sign(OPTIONS["token"], ts, nonce, encrypted),
            "timestamp": ts,
            "nonce": nonce,
        },
        data=body.encode(),
    )


async def test_callback_url_check_decrypts_echostr(kf: Any) -> None:
    client, _ = kf
    cipher = Cipher(OPTIONS["token"], CORP, (OPTIONS["encoding_aes_key"],))
    echo = cipher.encrypt("1616140317555161061")
    ts, nonce = "1411525903", "461056294"
    ok = await client.get(
        "/channels/wecom-kf/kf-main",
        params={"msg_signature": sign(OPTIONS["token"], ts, nonce, echo), "timestamp": ts,
                "nonce": nonce, "echostr": echo},
    )  # fmt: skip
    assert ok.status == 200 and await ok.text() == "1616140317555161061"
    bad = await client.get(
        "/channels/wecom-kf/kf-main",
        params={"msg_signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": echo},
    )
    assert bad.status == 403


async def test_verified_vector_push_is_accepted_and_forgeries_are_not(kf: Any) -> None:
    client, _ = kf
    params = {"msg_signature": WORK["msg_signature"], "timestamp": WORK["timestamp"],
              "nonce": WORK["nonce"]}  # fmt: skip
    ok = await client.post("/channels/wecom-kf/kf-main", params=params, data=WORK["xml"].encode())
    assert ok.status == 200 and await ok.text() == "success"  # not a kf event: nothing to pull
    forged = await client.post(
        "/channels/wecom-kf/kf-main", params={**params, "nonce": "1"}, data=WORK["xml"].encode()
    )
    assert forged.status == 403
    xxe = await client.post(
        "/channels/wecom-kf/kf-main",
        params=params,
        data=b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>',
    )
    assert xxe.status == 400
    assert await count(client) == 0


async def test_pages_are_pulled_while_has_more_and_only_customers_are_handled(kf: Any) -> None:
    client, fake = kf
    fake.kf_pages = [
        {"msg_list": [customer("m1", "怎么申请退货"), customer("m2", "客服回复", origin=5)]},
        {"msg_list": [{"msgid": "e1", "origin": 4, "msgtype": "event",
                       "event": {"event_type": "enter_session", "external_userid": "wmUser01"}}]},
        {"msg_list": [customer("m3", "发票怎么开", user="wmUser02"),
                      {**customer("m4", "", user="wmUser02"), "msgtype": "image",
                       "image": {"media_id": "media_id"}}]},
    ]  # fmt: skip
    assert (await notify(client)).status == 200
    await until(lambda: _sent(fake, 3))
    # Page after page, each pulled once (the start-up catch-up may be the one pulling them).
    assert fake.kf_cursors.count("1") == 1 and fake.kf_cursors.count("2") == 1
    first = fake.kf_cursors.index("1")
    assert fake.kf_cursors[first - 1 : first + 2] == ["", "1", "2"]
    stored = await messages(client)
    texts = sorted(m.text for m in stored if m.sender == "customer")
    assert texts == ["[图片 / image]", "发票怎么开", "怎么申请退货"]
    image = next(m for m in stored if m.kind == "image")
    assert await client.app[SERVICES].attachments.read(image.attachments[0]["key"]) == JPEG
    keys = {r.message_id: r.idempotency_key for r in await outbox_rows(client)}
    bot = {m.id: m for m in stored if m.sender == "bot"}
    for body in fake.sent:
        assert body["open_kfid"] == KFID and body["msgtype"] == "text"
        assert body["msgid"] in {keys[i] for i in bot} and len(body["msgid"].encode()) <= 32
    assert any("图片" in b["text"]["content"] for b in fake.sent)  # reads text only
    assert {t["external_userid"]: t["service_state"] for t in fake.kf_trans} == {
        "wmUser01": 1, "wmUser02": 1,
    }  # fmt: skip
    async with client.app[SERVICES].db.reader() as s:
        state = await s.get(ChannelState, ("kf-main", f"cursor:{KFID}"))
    assert state is not None and state.value == {"cursor": "3"}
    # Another callback resumes from the stored cursor: nothing is handled twice.
    before = await count(client)
    await notify(client)
    await until(lambda: _cursor_called(fake, "3"))
    assert await count(client) == before


async def _sent(fake: FakeWechat, n: int) -> bool:
    return len(fake.sent) >= n


async def _cursor_called(fake: FakeWechat, cursor: str) -> bool:
    return fake.kf_cursors[-1:] == [cursor]


async def test_escalate_takeover_reply_resolve_ends_the_session(kf: Any) -> None:
    client, fake = kf
    fake.kf_pages = [{"msg_list": [customer("m1", "转人工")]}]
    await notify(client)
    await until(lambda: _sent(fake, 1))
    assert "人工" in fake.sent[0]["text"]["content"]
    conv_id = (await messages(client))[0].conversation_id
    await login(client)
    await client.post(
        f"/api/agent/conversations/{conv_id}/takeover", json={}, headers=AGENT_HEADERS
    )
    resp = await client.post(
        f"/api/agent/conversations/{conv_id}/messages",
        json={"text": "您好，我是客服小王", "private": False},
        headers=AGENT_HEADERS,
    )
    assert resp.status == 201
    await until(lambda: _sent_text(fake, "您好，我是客服小王"))
    contents = [b["text"]["content"] for b in fake.sent]
    joined = next(i for i, c in enumerate(contents) if "Demo Agent" in c)
    assert contents.index("您好，我是客服小王") == joined + 1 and len(set(contents)) == len(
        contents
    )
    assert fake.kf_state["wmUser01"] == 1  # still answerable through the API
    await client.post(f"/api/agent/conversations/{conv_id}/resolve", json={}, headers=AGENT_HEADERS)
    await until(lambda: _state(fake, "wmUser01", 4))
    assert "结束" in fake.sent[-1]["text"]["content"]  # the closing message went out first


async def _sent_text(fake: FakeWechat, text: str) -> bool:
    return any(b["text"]["content"] == text for b in fake.sent)


async def _state(fake: FakeWechat, user: str, state: int) -> bool:
    return fake.kf_state.get(user) == state


def test_msgid_is_the_idempotency_key_within_32_bytes() -> None:
    assert msgid_for("0123456789abcdef0123456789abcdef") == "0123456789abcdef0123456789abcdef"
    long = msgid_for("x" * 100)
    assert len(long) == 32 and long == msgid_for("x" * 100)


@pytest.mark.parametrize(
    ("options", "key"),
    [({"corp_id": "corp"}, "corp_id"), ({"encoding_aes_key": "x"}, "encoding_aes_key"),
     ({"open_kfid": ""}, "open_kfid"), ({"sync_limit": 5000}, "sync_limit")],
)  # fmt: skip
def test_config_errors_name_the_key(options: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(InboxSettings("kf-main", "wecom_kf", {**OPTIONS, **options}))
    assert f"[[inboxes]] kf-main {key}" in err.value.message
