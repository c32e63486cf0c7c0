"""Files both ways (issue 15): the widget's uploads and signed links, the console's sends on
web chat, WeChat (media upload then a media message, against the fake platform speaking its
wire format), WeCom kf and email, content checks, size limits, and erasure."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from core.app import create_app
from core.config import InboxSettings, Settings
from core.context import SERVICES
from core.errors import BadRequest
from core.filetypes import check, clean_name, sniff
from core.models import Conversation, Message
from privacy.erase import erase
from privacy.trail import Actor
from tests.channels.email_support.app import EmailEnv, customer_mail, email_env
from tests.channels.fakes.wechat_api import FakeWechat
from tests.channels.fakes.wechat_client import (
    SAFE,
    WechatUser,
    start_fake,
    wechat_inboxes,
    with_inboxes,
)
from tests.conftest import make_settings
from tests.helpers import AGENT_HEADERS, Visitor, login, open_console, until

H = AGENT_HEADERS


def png(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG (valid chunks and CRCs)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form(data: bytes, name: str, **fields: str) -> aiohttp.FormData:
    f = aiohttp.FormData()
    for k, v in fields.items():
        f.add_field(k, v)
    f.add_field("file", data, filename=name, content_type="application/octet-stream")
    return f


@pytest.fixture
async def client(database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any) -> Any:
    """The demo app on SQLite and on PostgreSQL, with a 64 KB upload limit."""
    settings = make_settings(
        tmp_path / "data", database_url, attachments={"upload_max_bytes": 65536}
    )
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


async def upload(v: Visitor, data: bytes, name: str) -> Any:
    return await v.client.post(
        "/api/webchat/uploads",
        data=form(data, name),
        headers={"Authorization": f"Bearer {v.token}"},
    )


async def send_file(v: Visitor, data: bytes, name: str, text: str = "") -> dict[str, Any]:
    resp = await upload(v, data, name)
    assert resp.status == 201, await resp.text()
    ref = (await resp.json())["ref"]
    await v.ws.send_json(
        {"type": "message", "client_msg_id": "f-" + name, "text": text, "attachments": [ref]}
    )
    return await v.until(lambda f: f["type"] == "message" and f.get("client_msg_id") == "f-" + name)


# -- content checks --------------------------------------------------------------------------


def test_the_type_is_read_from_the_bytes_not_the_name() -> None:
    image = sniff(png(), "notes.txt")
    assert image is not None and (image.kind, image.mime) == ("image", "image/png")
    assert clean_name("../../x/holiday.exe", image) == "holiday.png"
    assert check(PDF, "invoice.jpg").mime == "application/pdf"
    assert check("退货说明\n第二行".encode(), "a.txt").mime == "text/plain"
    for bad, name in [
        (b"MZ\x90\x00\x03" + b"\x00" * 60, "photo.jpg"),  # a Windows program
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "doc.pdf"),
        (b"<!DOCTYPE html><script>alert(1)</script>", "readme.txt"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.png"),
        (b"#!/bin/sh\nrm -rf /\n", "notes.txt"),
    ]:
        with pytest.raises(BadRequest) as err:
            check(bad, name)
        assert err.value.code == "file_type"


# -- the widget --------------------------------------------------------------------------


async def test_visitor_sends_a_photo_the_agent_sees_it_and_links_are_signed(client: Any) -> None:
    v = await Visitor(client).start()
    image = png()
    echo = await send_file(v, image, "截图.png")
    assert echo["sender"] == "customer" and echo["text"] == ""
    [att] = echo["attachments"]
    assert att["kind"] == "image" and att["mime"] == "image/png" and att["name"] == "截图.png"
    assert "key" not in att and att["url"].startswith("/api/webchat/files/")
    got = await client.get(att["url"])
    assert got.status == 200 and await got.read() == image
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("inline")
    # The bot reads text only: it says so instead of guessing.
    notice = await v.until(lambda f: f["type"] == "message" and f["sender"] == "bot")
    assert "图片" in notice["text"]
    # Without a valid signature, or with a link for another file: refused.
    key = att["url"].split("/")[-1].split("?")[0]
    assert (await client.get(f"/api/webchat/files/{key}")).status == 401
    tampered = att["url"].replace("sig=", "sig=x")
    assert (await client.get(tampered)).status == 401
    # The agent sees the file in the console and downloads it with a session.
    assert (await client.get(f"/api/agent/attachments/{key}")).status == 401
    await login(client)
    detail = await (await client.get(f"/api/agent/conversations/{v.conversation_id}")).json()
    [msg] = [m for m in detail["conversation"]["messages"] if m["attachments"]]
    assert msg["kind"] == "image" and msg["attachments"][0]["key"] == key
    assert (await client.get(f"/api/agent/attachments/{key}")).status == 200


async def test_upload_refusals_are_worded_by_code(client: Any) -> None:
    v = await Visitor(client).start()
    big = await upload(v, b"%PDF-" + b"0" * 70_000, "big.pdf")
    assert big.status == 413 and (await big.json())["error"]["code"] == "file_too_large"
    exe = await upload(v, b"MZ" + b"\x00" * 100, "cat.jpg")
    assert exe.status == 400 and (await exe.json())["error"]["code"] == "file_type"
    anon = await client.post("/api/webchat/uploads", data=form(png(), "a.png"))
    assert anon.status == 401
    # A ref is bound to its conversation: another visitor cannot send it.
    ok = await upload(v, png(), "mine.png")
    ref = (await ok.json())["ref"]
    other = await Visitor(client).start()
    await other.ws.send_json(
        {"type": "message", "client_msg_id": "steal", "text": "", "attachments": [ref]}
    )
    err = await other.until(lambda f: f["type"] == "error")
    assert err["code"] == "invalid_token" and err["client_msg_id"] == "steal"


async def test_a_resent_file_message_is_stored_once_and_the_file_once(client: Any) -> None:
    v = await Visitor(client).start()
    first = await send_file(v, png(3, 3), "a.png")
    again = await send_file(v, png(3, 3), "a.png")  # same client_msg_id: a resend
    assert first["seq"] == again["seq"]
    async with client.app[SERVICES].db.reader() as s:
        rows = (await s.execute(select(Message).where(Message.sender == "customer"))).scalars()
        assert len([m for m in rows if m.attachments]) == 1
    root = client.app[SERVICES].attachments.root
    assert len([p for p in root.rglob("*") if p.is_file()]) == 1  # content-addressed


async def test_agent_sends_a_pdf_the_widget_downloads_it_not_inline(client: Any) -> None:
    v = await Visitor(client).start()
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and f["sender"] != "customer")
    await login(client)
    cid = v.conversation_id
    assert (await client.post(f"/api/agent/conversations/{cid}/takeover", headers=H)).status == 200
    resp = await client.post(
        f"/api/agent/conversations/{cid}/attachments",
        data=form(PDF, "发票.pdf", text="这是您的发票"),
        headers=H,
    )
    assert resp.status == 201, await resp.text()
    sent = (await resp.json())["message"]
    assert sent["kind"] == "file" and sent["attachments"][0]["mime"] == "application/pdf"
    frame = await v.until(lambda f: f["type"] == "message" and f.get("attachments"))
    assert frame["sender"] == "agent" and frame["text"] == "这是您的发票"
    got = await client.get(frame["attachments"][0]["url"])
    assert await got.read() == PDF
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    # Without the CSRF header, or an executable: refused.
    no_csrf = await client.post(
        f"/api/agent/conversations/{cid}/attachments", data=form(PDF, "a.pdf")
    )
    assert no_csrf.status == 403
    exe = await client.post(
        f"/api/agent/conversations/{cid}/attachments",
        data=form(b"MZ" + bytes(80), "a.pdf"),
        headers=H,
    )
    assert exe.status == 400 and (await exe.json())["error"]["code"] == "file_type"
    limits = await (await client.get("/api/agent/upload-limits")).json()
    assert limits["max_bytes"] == 65536 and "file" in limits["channels"]["webchat"]


async def test_erasing_the_customer_removes_their_files(client: Any) -> None:
    v = await Visitor(client).start()
    echo = await send_file(v, png(4, 4), "face.png")
    key = echo["attachments"][0]["url"].split("/")[-1].split("?")[0]
    store = client.app[SERVICES].attachments
    assert store.path(key).exists()
    async with client.app[SERVICES].db.reader() as s:
        contact_id = (
            await s.execute(
                select(Conversation.contact_id).where(Conversation.id == v.conversation_id)
            )
        ).scalar_one()
    result = await erase(
        client.app[SERVICES].db, store, contact_id, "客户要求删除", Actor(None, "test")
    )
    assert result.files_deleted == 1 and not store.path(key).exists()
    assert (await client.get(echo["attachments"][0]["url"])).status == 404


# -- typing and read state -----------------------------------------------------------------


async def test_typing_both_ways_and_read_marks(client: Any) -> None:
    v = await Visitor(client).start()
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and f["sender"] != "customer")
    await login(client)
    cid = v.conversation_id
    await client.post(f"/api/agent/conversations/{cid}/takeover", headers=H)
    console = await open_console(client)

    async def console_frame(kind: str) -> dict[str, Any]:
        async with asyncio.timeout(10):
            while True:
                f: dict[str, Any] = await console.receive_json()
                if f.get("type") == kind and f.get("conversation_id") == cid:
                    return f

    await v.ws.send_json({"type": "typing", "on": True})
    assert (await console_frame("conversation.typing"))["on"] is True
    await v.ws.send_json({"type": "typing", "on": False})
    assert (await console_frame("conversation.typing"))["on"] is False
    on = await client.post(f"/api/agent/conversations/{cid}/typing", json={"on": True}, headers=H)
    assert (await on.json())["sent"] is True
    frame = await v.until(lambda f: f["type"] == "typing")
    assert frame == {"type": "typing", "sender": "agent", "on": True}
    again = await client.post(
        f"/api/agent/conversations/{cid}/typing", json={"on": True}, headers=H
    )
    assert (await again.json())["sent"] is False  # throttled
    reply = await client.post(
        f"/api/agent/conversations/{cid}/messages", json={"text": "您好"}, headers=H
    )
    seq = (await reply.json())["message"]["seq"]
    await v.until(lambda f: f["type"] == "message" and f["seq"] == seq)
    await v.ws.send_json({"type": "receipt", "delivered_seq": seq, "read_seq": 0})
    got = await console_frame("conversation.receipt")
    assert (got["delivered_seq"], got["read_seq"]) == (seq, 0)
    await v.ws.send_json({"type": "receipt", "delivered_seq": seq, "read_seq": seq + 50})
    got = await console_frame("conversation.receipt")
    assert got["read_seq"] == seq  # capped at the last message
    marks = await (await client.get(f"/api/agent/conversations/{cid}/receipts")).json()
    assert (marks["delivered_seq"], marks["read_seq"]) == (seq, seq)
    await v.ws.send_json({"type": "receipt", "delivered_seq": 1, "read_seq": 1})  # never back
    await asyncio.sleep(0.2)
    marks = await (await client.get(f"/api/agent/conversations/{cid}/receipts")).json()
    assert marks["read_seq"] == seq
    await console.close()


# -- WeChat, WeCom kf, email -----------------------------------------------------------------


@pytest.fixture
async def wx(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any, aiohttp_server: Any
) -> Any:
    fake, base = await start_fake(aiohttp_server)
    app = create_app(with_inboxes(demo_settings, wechat_inboxes(base)), embedder=embedder)
    return await aiohttp_client(app), fake


async def test_agent_image_on_wechat_is_uploaded_then_sent_as_media(
    wx: tuple[Any, FakeWechat],
) -> None:
    client, fake = wx
    user = WechatUser(client, SAFE, openid="oPhotoUser")
    await user.say("转人工")
    await login(client)
    async with client.app[SERVICES].db.reader() as s:
        cid = (await s.execute(select(Conversation.id))).scalar_one()
    await client.post(f"/api/agent/conversations/{cid}/takeover", headers=H)
    image = png(5, 5)
    resp = await client.post(
        f"/api/agent/conversations/{cid}/attachments", data=form(image, "安装图.png"), headers=H
    )
    assert resp.status == 201, await resp.text()
    await until(lambda: any(b.get("msgtype") == "image" for b in fake.sent))
    body = next(b for b in fake.sent if b.get("msgtype") == "image")
    kind, data, name, ctype = fake.uploaded[body["image"]["media_id"]]
    assert (kind, data, ctype) == ("image", image, "image/png") and name == "安装图.png"
    assert body["touser"] == "oPhotoUser"
    # The Official Account has no file messages: the console is told before anything is sent.
    pdf = await client.post(
        f"/api/agent/conversations/{cid}/attachments", data=form(PDF, "a.pdf"), headers=H
    )
    assert pdf.status == 400 and (await pdf.json())["error"]["code"] == "channel_no_files"


async def test_agent_file_on_wecom_kf_is_a_file_message(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any, aiohttp_server: Any
) -> None:
    from tests.channels.test_wecom_kf import OPTIONS, customer, notify

    fake, base = await start_fake(aiohttp_server)
    inbox = InboxSettings("kf-main", "wecom_kf", {**OPTIONS, "api_base": base})
    client = await aiohttp_client(
        create_app(with_inboxes(demo_settings, (inbox,)), embedder=embedder)
    )
    fake.kf_pages = [{"msg_list": [customer("m1", "转人工")]}]
    await notify(client)
    await until(lambda: len(fake.sent) >= 1)
    await login(client)
    async with client.app[SERVICES].db.reader() as s:
        cid = (await s.execute(select(Conversation.id))).scalar_one()
    await client.post(f"/api/agent/conversations/{cid}/takeover", headers=H)
    resp = await client.post(
        f"/api/agent/conversations/{cid}/attachments",
        data=form(PDF, "保修卡.pdf", text="保修卡请查收"),
        headers=H,
    )
    assert resp.status == 201, await resp.text()
    await until(lambda: any(b.get("text", {}).get("content") == "保修卡请查收" for b in fake.sent))
    kinds = [b["msgtype"] for b in fake.sent]
    assert kinds[-2:] == ["file", "text"]
    file_body = fake.sent[-2]
    assert fake.uploaded[file_body["file"]["media_id"]][:2] == ("file", PDF)
    assert file_body["msgid"] != fake.sent[-1]["msgid"]


@pytest.fixture
async def env(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[EmailEnv]:
    async with email_env(demo_settings, aiohttp_client, embedder) as env:
        yield env


async def test_agent_file_on_email_is_a_mime_attachment(env: EmailEnv) -> None:
    await env.deliver(customer_mail("洗衣机保修", "请问保修卡在哪里下载？"))
    async with env.services.db.reader() as s:
        cid = (await s.execute(select(Conversation.id))).scalar_one()
    await login(env.client)
    await env.client.post(f"/api/agent/conversations/{cid}/takeover", headers=H)
    before = len(env.sink.mails)
    resp = await env.client.post(
        f"/api/agent/conversations/{cid}/attachments",
        data=form(PDF, "保修卡.pdf", text="附件是保修卡。"),
        headers=H,
    )
    assert resp.status == 201, await resp.text()
    async with asyncio.timeout(30):
        while not any(
            any(p.get_filename() == "保修卡.pdf" for p in m.message.iter_attachments())
            for m in env.sink.mails[before:]
        ):
            env.services.outbox.notify()
            await asyncio.sleep(0.1)
    mail = next(
        m
        for m in env.sink.mails[before:]
        if any(p.get_filename() == "保修卡.pdf" for p in m.message.iter_attachments())
    )
    part = next(mail.message.iter_attachments())
    assert part.get_content_type() == "application/pdf" and part.get_content() == PDF
