"""Notices after WeChat's 48-hour window go out as template messages (issue 16).

A local server speaks the Official Account API's wire format (stable_token, custom/send
answering 45015 once the window closed, template/send with its real errcodes 43004 and
40037); the app runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from core.channel_store import write_state
from core.config import InboxSettings
from core.context import SERVICES
from core.conversations import add_reply, lock_conversation
from core.errors import ConfigError
from core.models import Message
from tests.conftest import make_settings

GOOD, BAD = "TPL_notice_0001", "TPL_deleted_0002"


class FakeWechat:
    """The API calls this feature makes, answered the way WeChat answers them."""

    def __init__(self) -> None:
        self.templates: list[dict[str, Any]] = []
        self.customs: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/cgi-bin/stable_token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.custom)
        app.router.add_post("/cgi-bin/message/template/send", self.template)
        return app

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "ACCESS", "expires_in": 7200})

    async def custom(self, request: web.Request) -> web.Response:
        self.customs.append(await request.json())
        return web.json_response(
            {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}
        )

    async def template(self, request: web.Request) -> web.Response:
        assert request.query["access_token"] == "ACCESS"
        body = await request.json()
        self.templates.append(body)
        if body["touser"] == "oUnfollowed01":
            return web.json_response({"errcode": 43004, "errmsg": "require subscribe"})
        if body["template_id"] != GOOD:
            return web.json_response({"errcode": 40037, "errmsg": "invalid template_id"})
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": 200228332})


def inbox(name: str, token: str, app_id: str, base: str, template_id: str) -> InboxSettings:
    options = {"token": token, "app_id": app_id, "app_secret": "s3cret", "api_base": base}
    return InboxSettings(name, "wechat", {**options, "template_id": template_id})


@pytest.fixture
async def env(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any, aiohttp_server: Any
) -> tuple[Any, FakeWechat]:
    from core.app import create_app

    fake = FakeWechat()
    server = await aiohttp_server(fake.app())
    base = str(server.make_url("")).rstrip("/")
    settings = make_settings(tmp_path / "data", database_url)
    inboxes = (
        inbox("wx-good", "goodToken1", "wx00000000000000a1", base, GOOD),
        inbox("wx-bad", "badToken1", "wx00000000000000b2", base, BAD),
    )
    settings = dataclasses.replace(settings, inboxes=inboxes)
    client = await aiohttp_client(create_app(settings, demo=True, embedder=embedder))
    return client, fake


async def customer_writes(client: Any, name: str, token: str, openid: str) -> int:
    """A text push from ``openid`` (signed as WeChat signs it); the conversation id."""
    now = str(int(time.time()))
    xml = (
        f"<xml><ToUserName><![CDATA[gh_kefu]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
        f"</FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[洗衣机不脱水]]></Content><MsgId>{time.time_ns() % 10**16}</MsgId></xml>"
    )
    signature = hashlib.sha1("".join(sorted((token, now, "n1"))).encode()).hexdigest()
    resp = await client.post(
        f"/channels/wechat/{name}?signature={signature}&timestamp={now}&nonce=n1",
        data=xml.encode(),
    )
    assert resp.status == 200, await resp.text()
    services = client.app[SERVICES]
    await services.pipeline.drain(grace_seconds=30)
    async with services.db.reader() as session:
        return int(
            (
                await session.execute(
                    select(Message.conversation_id)
                    .where(Message.text == "洗衣机不脱水")
                    .order_by(Message.id.desc())
                )
            )
            .scalars()
            .first()
        )


async def notice_after_window(
    client: Any, name: str, openid: str, conv_id: int, sender: str = "system"
) -> Message:
    """The window closed 49 hours ago; kefu has something to tell; how did it go?"""
    services = client.app[SERVICES]
    await write_state(
        services.db, name, f"window:{openid}", {"last_inbound": time.time() - 49 * 3600, "sent": 0}
    )
    async with services.db.transaction() as session:
        conv = await lock_conversation(session, conv_id)
        msg = await add_reply(
            session, conv, sender=sender, text="工单 #1001 正在等待您的回复：铭牌照片"
        )
        msg_id = msg.id
    services.outbox.notify()
    async with asyncio.timeout(20):
        while True:
            async with services.db.reader() as session:
                row: Message | None = await session.get(Message, msg_id)
                assert row is not None
                if row.delivery in ("sent", "failed"):
                    return row
            await asyncio.sleep(0.05)


async def test_a_notice_after_the_window_goes_out_as_a_template(env: Any) -> None:
    client, fake = env
    conv = await customer_writes(client, "wx-good", "goodToken1", "oLateUser0001")
    sent = await notice_after_window(client, "wx-good", "oLateUser0001", conv)
    assert sent.delivery == "sent", sent.delivery_error
    [body] = fake.templates
    assert body["touser"] == "oLateUser0001" and body["template_id"] == GOOD
    assert body["data"]["keyword2"]["value"] == "工单 #1001 正在等待您的回复：铭牌照片"
    assert set(body["data"]) == {"first", "keyword1", "keyword2", "remark"}
    assert fake.customs == []  # we knew the window was closed: no doomed custom/send


async def test_unfollowed_and_bad_template_are_clear_dead_letters(env: Any) -> None:
    client, fake = env
    conv = await customer_writes(client, "wx-good", "goodToken1", "oUnfollowed01")
    gone = await notice_after_window(client, "wx-good", "oUnfollowed01", conv)
    assert gone.delivery == "failed" and "取消关注" in (gone.delivery_error or "")
    assert "43004" in (gone.delivery_error or "")
    conv = await customer_writes(client, "wx-bad", "badToken1", "oBadTemplate1")
    bad = await notice_after_window(client, "wx-bad", "oBadTemplate1", conv)
    assert bad.delivery == "failed" and "template_id" in (bad.delivery_error or "")
    assert "40037" in (bad.delivery_error or "")
    assert [b["template_id"] for b in fake.templates] == [GOOD, BAD]


async def test_an_agent_reply_after_the_window_still_waits_for_the_customer(env: Any) -> None:
    client, fake = env
    conv = await customer_writes(client, "wx-good", "goodToken1", "oAgentLate01")
    reply = await notice_after_window(client, "wx-good", "oAgentLate01", conv, sender="agent")
    assert reply.delivery == "failed" and "48" in (reply.delivery_error or "")
    assert fake.templates == []


def test_check_config_refuses_a_bad_template_mapping() -> None:
    from channels.wechat.config import validate

    good = inbox("wx-x", "tok12345", "wx00000000000000c3", "http://127.0.0.1:9", GOOD)
    validate(good)
    bad_id = dataclasses.replace(good, options={**good.options, "template_id": "no spaces!"})
    with pytest.raises(ConfigError, match="template_id"):
        validate(bad_id)
    bad_map = dataclasses.replace(
        good, options={**good.options, "template_fields": {"thing1": "customer_name"}}
    )
    with pytest.raises(ConfigError, match="template_fields"):
        validate(bad_map)
