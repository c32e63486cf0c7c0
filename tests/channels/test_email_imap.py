"""IMAP intake against a real Dovecot: backfill, IDLE, UIDVALIDITY, dedupe, cut connections."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aioimaplib
import pytest
from sqlalchemy import select

from channels.email.imap import Cursor, ImapPoller, connect
from core.config import Settings
from core.models import Message
from tests.channels.email_support.app import EmailEnv, customer_mail, with_email_inbox
from tests.channels.email_support.dovecot import Dovecot, available, run_dovecot
from tests.channels.email_support.proxy import CuttingProxy
from tests.channels.email_support.sink import start_sink
from tests.conftest import services_missing


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A throwaway Dovecot with one mailbox (in /tmp: its auth process must reach the files)."""
    if not available():
        services_missing("dovecot (apt-get install dovecot-imapd)", FileNotFoundError("dovecot"))
    root = Path(tempfile.mkdtemp(prefix="kefu-dovecot-"))
    try:
        ctx = run_dovecot(root)
        try:
            server = ctx.__enter__()
        except (RuntimeError, PermissionError, OSError) as err:
            services_missing("dovecot", err)
            raise
        try:
            yield server
        finally:
            ctx.__exit__(None, None, None)
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def append(dv: Dovecot, *raws: bytes) -> None:
    """Drop messages into the mailbox as the mail server would."""
    client = aioimaplib.IMAP4("127.0.0.1", dv.port)
    await client.wait_hello_from_server()
    await client.login(dv.user, dv.password)
    for raw in raws:
        response = await client.append(raw, mailbox="INBOX")
        assert response.result == "OK", response
    await client.logout()


async def make_env(
    settings: Settings, embedder: Any, aiohttp_client: Any, imap_url: str
) -> EmailEnv:
    """An app polling ``imap_url`` (IDLE; the periodic poll is slow so IDLE must do it)."""
    from core.app import create_app

    sink = await start_sink()
    settings = with_email_inbox(
        settings,
        imap_url=imap_url,
        smtp_url=f"smtp://127.0.0.1:{sink.port}",
        imap_poll_seconds=120,
    )
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    return EmailEnv(client, sink, 0)


async def stored_ids(env: EmailEnv) -> list[str]:
    """Source ids of stored inbound mail, in order of arrival."""
    async with env.services.db.reader() as session:
        rows = await session.execute(
            select(Message.source_id).where(Message.direction == "in").order_by(Message.id)
        )
        return [str(r) for r in rows.scalars()]


async def until(predicate: Any, limit: float = 30.0) -> None:
    """Wait until ``predicate()`` (async) is true."""
    async with asyncio.timeout(limit):
        while not await predicate():  # noqa: ASYNC110 - the state is in the database
            await asyncio.sleep(0.05)


@pytest.fixture
async def env_factory(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[Any]:
    """Builds apps on the test's settings; closes their sinks."""
    envs: list[EmailEnv] = []

    async def build(url: str) -> EmailEnv:
        env = await make_env(demo_settings, embedder, aiohttp_client, url)
        envs.append(env)
        return env

    yield build
    for env in envs:
        await env.sink.close()


async def test_poller_backfills_idles_and_stores_each_mail_once(
    dovecot: Dovecot, env_factory: Any
) -> None:
    """Mail waiting before start is back-filled; new mail arrives by IDLE; a copy of a mail
    already seen and a mail without Message-ID are handled; nothing is marked read."""
    a = customer_mail("订单查询", "我的订单到哪了？").as_bytes()
    no_id = (
        b"From: li@customer.example\r\nTo: support@example.com\r\nSubject: no id\r\n"
        b"Content-Type: text/plain; charset=gbk\r\n\r\n" + "没有消息编号".encode("gbk") + b"\r\n"
    )
    await append(dovecot, a, no_id, a)
    env = await env_factory(dovecot.url())
    await until(lambda: _count(env, 2))
    poller = env.adapter.pollers["support-mail"]
    await until(lambda: _cursor_at(poller, 3))
    ids = await stored_ids(env)
    assert len(ids) == 2 and ids[1].startswith("derived-")
    async with env.services.db.reader() as session:
        texts = list((await session.execute(select(Message.text))).scalars())
    assert "没有消息编号" in texts

    await append(dovecot, customer_mail("新邮件", "IDLE 推送").as_bytes())
    await until(lambda: _count(env, 3))  # well before the 120 s poll: IDLE woke the poller

    client = (await connect(dovecot_url(dovecot), env.adapter.inboxes["support-mail"])).client
    await client.select("INBOX")
    flags = await client.uid("fetch", "1:*", "(FLAGS)")
    await client.logout()
    assert not any(b"\\Seen" in bytes(line) for line in flags.lines if isinstance(line, bytes))

    # Downtime: mail that arrives while kefu is stopped is back-filled on start.
    await env.adapter.close()
    await append(dovecot, customer_mail("停机期间", "停机时发来的").as_bytes())
    await env.adapter.start()
    await until(lambda: _count(env, 4))


def dovecot_url(dv: Dovecot) -> Any:
    """The parsed URL of the Dovecot mailbox."""
    from channels.email.config import ServerUrl

    return ServerUrl("imap", "127.0.0.1", dv.port, dv.user, dv.password, "INBOX")


async def _count(env: EmailEnv, n: int) -> bool:
    return len(await stored_ids(env)) >= n


async def _cursor_at(poller: ImapPoller, uid: int) -> bool:
    cursor = await poller.load_cursor()
    return cursor is not None and cursor.last_uid >= uid


async def test_changed_uidvalidity_rereads_without_duplicates(
    dovecot: Dovecot, env_factory: Any
) -> None:
    """A new UIDVALIDITY restarts from UID 1; Message-ID dedupe keeps one copy each."""
    await append(dovecot, customer_mail("一", "1").as_bytes(), customer_mail("二", "2").as_bytes())
    env = await env_factory(dovecot.url())
    poller = ImapPoller(env.services, env.adapter.intakes["support-mail"])
    await until(lambda: _cursor_at(poller, 2))
    await env.adapter.close()
    await poller.save_cursor(Cursor(uidvalidity=1, last_uid=99))
    client = (await connect(dovecot_url(dovecot), poller.inbox)).client
    try:
        assert await poller.sync(client) == 2  # both re-read...
    finally:
        await client.logout()
    assert len(await stored_ids(env)) == 2  # ...and stored once
    cursor = await poller.load_cursor()
    assert cursor is not None and cursor.last_uid == 2 and cursor.uidvalidity != 1


async def test_connection_cut_mid_fetch_loses_nothing(
    dovecot: Dovecot, env_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The server connection dies in the middle of a FETCH: logged, reconnected, all stored."""
    await append(dovecot, *(customer_mail(f"第{i}封", f"内容 {i}").as_bytes() for i in range(3)))
    proxy = await CuttingProxy(dovecot.port).start()
    try:
        with caplog.at_level(logging.WARNING, logger="channels.email.imap"):
            env = await env_factory(dovecot.url(port=proxy.port))
            await until(lambda: _count(env, 3), limit=60)
        assert proxy.cuts == 1 and proxy.connections >= 2
        assert any(
            "IMAP" in r.getMessage() and "retrying" in r.getMessage() for r in caplog.records
        )
        ids = await stored_ids(env)
        assert len(ids) == len(set(ids)) == 3
    finally:
        await proxy.close()


async def test_check_connections_reports_each_server(dovecot: Dovecot) -> None:
    """`kefu email check`: IMAP login and SMTP greeting succeed; a wrong password is named."""
    from channels.email.check import check_connections
    from channels.email.config import validate
    from core.config import InboxSettings

    sink = await start_sink()
    try:
        good = validate(
            InboxSettings(
                "m",
                "email",
                {
                    "address": "support@example.com",
                    "imap_url": dovecot.url(),
                    "smtp_url": f"smtp://127.0.0.1:{sink.port}",
                },
            )
        )
        results = await check_connections(good)
        assert [r.ok for r in results] == [True, True], results
        bad = validate(
            InboxSettings(
                "m",
                "email",
                {
                    "address": "support@example.com",
                    "imap_url": dovecot.url().replace(":s3cret@", ":nope@"),
                },
            )
        )
        (result,) = await check_connections(bad)
        assert not result.ok and "[[inboxes]] m imap_url" in result.what
        assert "refused" in result.detail
    finally:
        await sink.close()
