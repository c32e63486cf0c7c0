"""Done when: a customer with a web chat conversation, an email thread, a ticket and an image
is exported (the archive holds each) and erased: afterwards no table, no attachment file, no
log line written after the erasure and not the raw database files hold their phone number,
email, name or message text, and the week's report figures are unchanged. SQLite and
PostgreSQL, real SMTP in, a real browser-less web chat client."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import random
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from core.app import KB
from core.db import upgrade_sync
from core.models import Contact, ContactIdentity, Conversation, Message
from handoff.search_index import MessageIndex
from kb.tables import KbEntry
from privacy.routes import PRIVACY
from tests.channels.email_support.app import customer_mail, free_port, with_email_inbox
from tests.channels.email_support.sink import start_sink
from tests.conftest import make_settings, services_missing
from tests.helpers import AGENT_HEADERS, Visitor, login
from tests.privacy.support import (
    Kefu,
    create_database,
    eventually,
    own_postgres,
    pg_data_directory,
    pg_setting,
    scan,
    stop_postgres,
    wait_for_postgres,
)

H = AGENT_HEADERS


@contextlib.asynccontextmanager
async def running_kefu(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[Kefu]:
    """The demo kefu (admin demo@kefu.local) with web chat and an email inbox."""
    from core.app import create_app

    data = tmp_path / "data"
    sink = await start_sink()
    port = free_port()
    settings = with_email_inbox(
        make_settings(data, database_url),
        smtp_listen=f"127.0.0.1:{port}",
        smtp_url=f"smtp://127.0.0.1:{sink.port}",
    )
    client = await aiohttp_client(create_app(settings, demo=True, embedder=embedder))
    try:
        yield Kefu(client, sink, port, database_url=database_url, data_dir=data)
    finally:
        await sink.close()


@pytest.fixture
async def kefu(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[Kefu]:
    """A kefu on the shared test databases (SQLite, the CI PostgreSQL server)."""
    async with running_kefu(database_url, tmp_path, embedder, aiohttp_client) as app:
        yield app


@pytest.fixture(scope="module")
def own_pg_url() -> Iterator[str]:
    """A migrated database on a private PostgreSQL cluster that deletes old WAL segments."""
    port = free_port()
    started = own_postgres(port)
    if isinstance(started, str):
        services_missing("a private PostgreSQL cluster", RuntimeError(started))
    assert not isinstance(started, str)
    root, proc = started
    base = f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    try:
        asyncio.run(wait_for_postgres(f"{base}/postgres"))
        asyncio.run(create_database(f"{base}/postgres", "kefu"))
        upgrade_sync(f"{base}/kefu")
        yield f"{base}/kefu"
    finally:
        stop_postgres(root, proc)


def image_mail(sender: str, subject: str, body: str, png: bytes) -> EmailMessage:
    """A customer's mail with a photo attached."""
    msg = customer_mail(subject, body, sender=sender)
    msg.add_attachment(png, maintype="image", subtype="png", filename="photo.png")
    return msg


async def stored(kefu: Kefu, source_id: str) -> Message:
    """The inbound message with this Message-ID, once the SMTP listener committed it."""

    async def find() -> Message | None:
        async with kefu.services.db.reader() as session:
            return (
                await session.execute(select(Message).where(Message.source_id == source_id))
            ).scalar_one_or_none()

    found: Message = await eventually(find)
    return found


async def web_chat_with_ticket_and_survey(
    kefu: Kefu, text: str, phone_text: str
) -> tuple[int, str]:
    """A visitor asks, asks for a person, tells the agent their phone, is answered, rates 5."""
    client = kefu.client
    v = await Visitor(client).start()
    await v.reply_to(text)
    await v.say("转人工")
    cid = v.conversation_id

    async def queued() -> bool:
        async with kefu.services.db.reader() as session:
            conv = await session.get(Conversation, cid)
            return conv is not None and conv.owner == "queued"

    await eventually(queued)
    taken = await client.post(f"/api/agent/conversations/{cid}/takeover", json={}, headers=H)
    assert taken.status == 200, await taken.text()
    await v.say(phone_text)
    await v.until(lambda f: f["type"] == "message" and f.get("text") == phone_text)
    sent = await client.post(
        f"/api/agent/conversations/{cid}/messages", json={"text": "好的，师傅会联系您。"}, headers=H
    )
    assert sent.status == 201
    await client.post(f"/api/agent/conversations/{cid}/resolve", json={}, headers=H)
    survey = await v.until(lambda f: f["type"] == "message" and bool(f.get("survey")))
    await v.ws.send_json({"type": "feedback", "seq": survey["seq"], "value": 5})
    await v.until(lambda f: f["type"] == "message" and "感谢您的评价" in f.get("text", ""))
    await v.ws.close()
    draft = await client.post(f"/api/agent/kb/from-conversation/{cid}", headers=H)
    assert draft.status == 201, await draft.text()
    assert (await draft.json())["question"] == phone_text
    return cid, v.token


async def merge_into(kefu: Kefu, keep: int, other: int, **fields: str) -> None:
    """What an agent's merge of two contacts does: one person, every identity, their details."""
    async with kefu.services.db.transaction() as session:
        for model in (ContactIdentity, Conversation):
            await session.execute(
                update(model).where(model.contact_id == other).values(contact_id=keep)
            )
        await session.execute(update(Contact).where(Contact.id == keep).values(**fields))
        gone = await session.get(Contact, other)
        await session.delete(gone)


def raw_roots(kefu: Kefu) -> list[Path]:
    """Where the raw bytes live: the data dir (SQLite file, WAL, attachments, exports)."""
    return [kefu.data_dir]


async def test_export_then_erase_leaves_nothing_but_the_figures(
    kefu: Kefu, caplog: pytest.LogCaptureFixture
) -> None:
    """On SQLite and the shared PostgreSQL server (which recycles WAL segments)."""
    await export_then_erase(kefu, caplog)


async def test_on_postgresql_even_the_wal_forgets_when_the_server_deletes_old_segments(
    own_pg_url: str,
    tmp_path: Path,
    embedder: Any,
    aiohttp_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A private cluster with wal_recycle = off: the whole data directory, pg_wal included."""
    async with running_kefu(own_pg_url, tmp_path, embedder, aiohttp_client) as kefu:
        assert await export_then_erase(kefu, caplog) is True


async def searched(client: Any, query: str) -> list[int]:
    """The conversations the console's search finds for ``query``."""
    resp = await client.get("/api/agent/search", params={"q": query})
    assert resp.status == 200
    return [c["id"] for c in (await resp.json())["conversations"]]


async def export_then_erase(kefu: Kefu, caplog: pytest.LogCaptureFixture) -> bool:
    """The done-when flow; True when PostgreSQL's pg_wal was scanned too."""
    client, tag = kefu.client, uuid.uuid4().hex[:10]
    name = f"欧阳{tag}娜"
    email = f"ouyang.{tag}@customer.example"
    phone = f"139{random.randrange(10**7, 10**8)}"
    chat_text = f"洗衣机{tag}一直漏水怎么办"
    phone_text = f"我的电话是 {phone}，下午{tag}在家"
    mail_text = f"发票{tag}抬头写错了，请重开。附照片。"
    png = b"\x89PNG\r\n\x1a\n" + f"photo-{tag}".encode() * 200
    await login(client)

    chat_conv, visitor_token = await web_chat_with_ticket_and_survey(kefu, chat_text, phone_text)
    mail_id = await kefu.deliver(image_mail(f"{name} <{email}>", f"发票 {tag}", mail_text, png))
    mail_msg = await stored(kefu, mail_id)
    [attachment] = mail_msg.attachments
    photo_file = kefu.services.attachments.path(attachment["key"])
    assert photo_file.read_bytes() == png
    async with kefu.services.db.reader() as session:
        chat_contact = (await session.get(Conversation, chat_conv)).contact_id  # type: ignore[union-attr]
        mail_contact = (await session.get(Conversation, mail_msg.conversation_id)).contact_id  # type: ignore[union-attr]
    await merge_into(kefu, chat_contact, mail_contact, name=name, phone=phone, email=email)
    await kefu.services.pipeline.drain(grace_seconds=30)
    index = MessageIndex(kefu.services.db)
    while await index.catch_up():  # the console's search index holds their words too
        pass
    assert chat_conv in await searched(client, tag)  # found by its words, via the index

    # 1. The export holds each of them.
    resp = await client.get(f"/api/admin/contacts/{chat_contact}/export", headers=H)
    assert resp.status == 200 and resp.content_type == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(await resp.read()))
    doc = json.loads(archive.read("contact.json"))
    assert (doc["contact"]["name"], doc["contact"]["phone"], doc["contact"]["email"]) == (
        name,
        phone,
        email,
    )
    assert {i["channel"] for i in doc["identities"]} == {"webchat", "email"}
    texts = [m["text"] for c in doc["conversations"] for m in c["messages"]]
    assert chat_text in texts and phone_text in texts
    assert any(t.startswith(mail_text) for t in texts)
    [ticket] = doc["tickets"]
    assert ticket["conversation_id"] == chat_conv and ticket["csat"] == 5
    assert {"created", "csat"} <= {e["action"] for e in ticket["events"]}
    assert [(s["kind"], s["value"]) for s in doc["survey_answers"]] == [("csat", 5)]
    files = {f["name"]: archive.read(f["file"]) for f in doc["attachment_files"]}
    assert files["photo.png"] == png
    assert email.encode() in files["raw_key"]  # the original email, as received

    # A background export too: its archive waits in the data dir for its link.
    started = await client.get(f"/api/admin/contacts/{chat_contact}/export?background=1")
    assert started.status == 202
    job = (await started.json())["job"]

    async def exported() -> bool:
        got = (await (await client.get(job["poll"])).json())["job"]
        return bool(got["status"] == "done")

    await eventually(exported)

    report_before = await (await client.get("/api/reports/summary", headers=H)).json()
    needles = [name, email, phone, chat_text, phone_text, mail_text]
    roots = raw_roots(kefu)
    pg_dir: Path | None = None
    if not kefu.services.db.is_sqlite:
        pg_dir = await pg_data_directory(kefu.database_url)
        roots.append(pg_dir)
    before = scan(roots, needles, skip=("pg_wal",))
    # The scan can fail: every needle is in the raw files before the erasure.
    assert {line.rsplit(": ", 1)[1] for line in before} == set(needles)
    wal_checked = pg_dir is not None and await pg_setting(kefu.database_url, "wal_recycle") == "off"
    if wal_checked:
        assert pg_dir is not None
        found = {line.rsplit(": ", 1)[1] for line in scan([pg_dir / "pg_wal"], needles)}
        assert found == set(needles)  # the WAL holds them all before the erasure

    kb = client.app[KB]

    def cached_queries() -> list[str]:
        return [q for q in kb._cache if tag in q]  # the bot's query-vector cache

    assert cached_queries()  # the bot searched the KB with the customer's words

    # 2. Erase.
    caplog.clear()
    caplog.set_level(logging.INFO)
    resp = await client.post(
        f"/api/admin/contacts/{chat_contact}/erase", json={"reason": "客户申请 #PIPL-7"}, headers=H
    )
    assert resp.status == 200, await resp.text()
    result = (await resp.json())["erasure"]
    assert result["already_erased"] is False and result["files_deleted"] == 2  # photo, .eml
    assert result["counts"]["identities"] == 2 and result["counts"]["tickets"] == 1
    assert result["counts"]["kb_drafts"] == 1 and result["counts"]["export_archives"] == 1
    # The archive is compressed (a byte scan would miss it): it must be gone outright.
    assert list(client.app[PRIVACY].export_dir.iterdir()) == []
    assert not photo_file.exists()

    # Nothing in any table the API shows, nothing in the raw files.
    async with kefu.services.db.reader() as session:
        assert not (
            await session.execute(select(KbEntry).where(KbEntry.id.like(f"conv-{chat_conv}-%")))
        ).first()
    if pg_dir is not None:
        await pg_data_directory(kefu.database_url)  # a checkpoint: pages on disk
    assert scan(roots, needles, skip=("pg_wal",)) == []
    assert await searched(client, phone) == [] and await searched(client, tag) == []
    if wal_checked:
        assert pg_dir is not None
        assert scan([pg_dir / "pg_wal"], needles) == []
    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert logged and not [line for line in logged for n in needles if n in line]

    assert cached_queries() == []
    # The visitor's old token no longer opens the erased conversation.
    old_token = await client.post("/api/webchat/sessions", json={"token": visitor_token})
    assert old_token.status == 401

    # 3. The week's report figures are the same.
    report_after = await (await client.get("/api/reports/summary", headers=H)).json()
    assert report_after == report_before

    # 4. Idempotent, and audited.
    again = await client.post(
        f"/api/admin/contacts/{chat_contact}/erase", json={"reason": "重复请求"}, headers=H
    )
    assert again.status == 200 and (await again.json())["erasure"]["already_erased"] is True
    trail = await (
        await client.get(f"/api/admin/privacy/trail?contact_id={chat_contact}&action=erase")
    ).json()
    reasons = [e["detail"]["reason"] for e in trail["trail"]]
    assert reasons == ["重复请求", "客户申请 #PIPL-7"]
    assert all(e["actor"] == "demo@kefu.local" and e["address"] for e in trail["trail"])

    # 5. The same address writing again is a new, empty contact.
    new_id = await kefu.deliver(customer_mail("又是我", "你好", sender=f"{name} <{email}>"))
    new_msg = await stored(kefu, new_id)
    async with kefu.services.db.reader() as session:
        conv = await session.get(Conversation, new_msg.conversation_id)
        assert conv is not None and conv.contact_id != chat_contact
        old = await session.get(Contact, chat_contact)
        assert old is not None and old.erased_at is not None and old.email is None
    return wal_checked
