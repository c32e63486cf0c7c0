"""Several workers on one database: leases, shared outbox claims, quotas, dead letters, recovery.

Two objects of the same class on one database stand for two worker processes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from core.cli import main
from core.config import OutboxSettings
from core.context import SERVICES
from core.conversations import add_reply, record_inbound
from core.db import Database
from core.domain import InboundMessage, OutboundDelivery
from core.leases import LeaseLost, Leases
from core.models import Lease, Message, OutboxItem, utcnow
from core.outbox import OutboxDispatcher
from core.recovery import TurnRecovery
from tests.helpers import AGENT_HEADERS, login


class Recorder:
    """A channel that records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[OutboundDelivery] = []

    async def send(self, delivery: OutboundDelivery) -> None:
        await asyncio.sleep(0)  # let the other dispatcher run in between
        self.sent.append(delivery)


async def replies(db: Database, n: int, channel: str = "webchat") -> None:
    """``n`` bot replies waiting in the outbox, in ``n`` conversations."""
    async with db.transaction() as s:
        for i in range(n):
            rec = await record_inbound(
                s,
                InboundMessage(
                    channel=channel, inbox="main", external_id=f"u{i}", source_id=f"m{i}", text="hi"
                ),
            )
            await add_reply(s, rec.conversation, sender="bot", text=f"reply {i}")


# -- leases ----------------------------------------------------------------------------------


async def test_one_holder_per_lease_and_takeover_after_expiry(db: Database) -> None:
    a, b = Leases(db, ttl_seconds=30, holder="a"), Leases(db, ttl_seconds=30, holder="b")
    assert await a.acquire("email-imap:support")
    assert not await b.acquire("email-imap:support")
    assert await a.acquire("email-imap:support")  # renewing our own
    assert await b.holder_of("email-imap:support") == "a"
    # a dies: nobody renews, the lease runs out.
    async with db.transaction() as s:
        await s.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await b.holder_of("email-imap:support") is None
    assert await b.acquire("email-imap:support")
    assert not await a.renew("email-imap:support")  # a, back from a stall, learns it lost it


async def test_a_clean_release_lets_the_next_worker_in_at_once(db: Database) -> None:
    a, b = Leases(db, holder="a"), Leases(db, holder="b")
    async with a.hold("wecom"):
        assert not await b.acquire("wecom")
    assert await b.acquire("wecom")


async def test_a_job_stops_when_its_lease_is_taken_over(db: Database) -> None:
    a = Leases(db, ttl_seconds=1.5, holder="a")
    started = asyncio.Event()

    async def job() -> None:
        started.set()
        await asyncio.Event().wait()  # polls forever

    async def steal() -> None:
        await started.wait()
        async with db.transaction() as s:
            await s.execute(update(Lease).values(holder="b"))

    thief = asyncio.create_task(steal())
    with pytest.raises(LeaseLost):
        async with a.hold("imap"):
            await job()
    await thief
    assert await a.holder_of("imap") == "b"


async def test_a_lost_lease_is_taken_again_and_the_job_restarted(db: Database) -> None:
    a = Leases(db, ttl_seconds=1.5, holder="a")
    runs: list[int] = []

    async def job() -> None:
        runs.append(1)
        if len(runs) == 1:
            async with db.transaction() as s:  # someone took it and then let it expire
                await s.execute(
                    update(Lease).values(holder="b", expires_at=utcnow() + timedelta(seconds=1))
                )
            await asyncio.Event().wait()

    await a.run("imap", job)
    assert len(runs) == 2


# -- the outbox shared by workers --------------------------------------------------------------


async def test_two_dispatchers_deliver_every_reply_once(db: Database) -> None:
    await replies(db, 30)
    channel = Recorder()
    a, b = (OutboxDispatcher(db, {"webchat": channel}, OutboxSettings(), batch=7) for _ in "ab")
    for _ in range(6):
        await asyncio.gather(a.run_once(), b.run_once())
    assert sorted(d.text for d in channel.sent) == sorted(f"reply {i}" for i in range(30))
    async with db.reader() as s:
        statuses = (await s.execute(select(OutboxItem.status))).scalars().all()
    assert set(statuses) == {"sent"}


async def test_a_claim_left_by_a_dead_worker_is_retried(db: Database) -> None:
    await replies(db, 1)
    async with db.transaction() as s:  # claimed, then the worker was killed mid-send
        await s.execute(
            update(OutboxItem).values(
                status="sending", next_attempt_at=utcnow() + timedelta(seconds=60)
            )
        )
    channel = Recorder()
    survivor = OutboxDispatcher(db, {"webchat": channel}, OutboxSettings(claim_seconds=5))
    assert await survivor.run_once() == 0  # still claimed
    async with db.transaction() as s:
        await s.execute(update(OutboxItem).values(next_attempt_at=utcnow()))  # claim expired
    assert await survivor.run_once() == 1
    [d] = channel.sent
    assert d.attempt == 1 and d.idempotency_key  # the same stable key on every attempt


async def test_channel_quota_holds_replies_back_without_counting_attempts(db: Database) -> None:
    await replies(db, 5)
    channel = Recorder()
    quota = OutboxSettings(rate_limits=["webchat: 2/60"])
    dispatcher = OutboxDispatcher(db, {"webchat": channel}, quota)
    await dispatcher.run_once()
    assert len(channel.sent) == 2
    async with db.reader() as s:
        waiting = (
            await s.execute(select(OutboxItem.attempts).where(OutboxItem.status == "pending"))
        ).scalars()
        assert list(waiting) == [0, 0, 0]


# -- dead letters in the console ---------------------------------------------------------------


async def test_dead_letters_are_listed_and_sent_again(client: Any) -> None:
    db = client.app[SERVICES].db
    await replies(db, 2)
    async with db.transaction() as s:
        await s.execute(
            update(OutboxItem)
            .where(OutboxItem.id == 1)
            .values(status="dead", attempts=8, last_error="45015: 回复时间超过限制")
        )
    await login(client)
    resp = await client.get("/api/agent/outbox/dead")
    assert resp.status == 200
    [dead] = (await resp.json())["dead"]
    assert (dead["id"], dead["attempts"], dead["reason"]) == (1, 8, "45015: 回复时间超过限制")
    assert dead["text"] == "reply 0" and dead["channel"] == "webchat"

    assert (await client.post("/api/agent/outbox/1/retry")).status == 403  # no CSRF header
    resp = await client.post("/api/agent/outbox/1/retry", headers=AGENT_HEADERS)
    assert resp.status == 200, await resp.text()
    again = await client.post("/api/agent/outbox/1/retry", headers=AGENT_HEADERS)
    assert again.status == 409  # not dead any more
    missing = await client.post("/api/agent/outbox/99/retry", headers=AGENT_HEADERS)
    assert missing.status == 404
    for _ in range(200):  # the app's dispatcher, woken by the retry, sends it again
        async with db.reader() as s:
            item = await s.get(OutboxItem, 1)
        assert item is not None
        if item.status == "sent":
            break
        await asyncio.sleep(0.05)
    assert (item.status, item.attempts) == ("sent", 1)  # attempts counted afresh
    assert (await (await client.get("/api/agent/outbox/dead")).json())["dead"] == []
    page = await client.get("/agent/outbox")
    assert page.status == 200 and "Dead letters" in await page.text()


async def test_dead_letters_need_a_supervisor(client: Any) -> None:
    from handoff.auth import create_agent

    await create_agent(client.app[SERVICES].db, "a1@kefu.local", "A1", "pw-123456789", "agent")
    assert (await client.get("/api/agent/outbox/dead")).status == 401
    await login(client, "a1@kefu.local", "pw-123456789")
    assert (await client.get("/api/agent/outbox/dead")).status == 403


# -- a bot turn lost with its worker -----------------------------------------------------------


async def test_a_lost_bot_turn_is_answered_once_by_another_worker(client: Any) -> None:
    services = client.app[SERVICES]
    db = services.db
    # Stored and acknowledged, but the worker died before its bot turn ran.
    async with db.transaction() as s:
        await record_inbound(
            s,
            InboundMessage(
                channel="webchat",
                inbox="web",
                external_id="visitor-1",
                source_id="lost:1",
                text="怎么申请退货？",
                received_at=utcnow() - timedelta(seconds=60),
            ),
        )
    recovery = TurnRecovery(db, services.pipeline, grace_seconds=30)
    other = TurnRecovery(db, services.pipeline, grace_seconds=30)
    await asyncio.gather(recovery.check(), other.check())  # two workers at once
    assert await recovery.check() == 0
    async with db.reader() as s:
        bot_replies = (
            await s.execute(
                select(func.count()).select_from(Message).where(Message.sender == "bot")
            )
        ).scalar()
    assert bot_replies == 1


# -- kefu serve --workers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "needs PostgreSQL"),
        ({"KEFU_DATABASE_URL": "postgresql+asyncpg://kefu@127.0.0.1/kefu"}, "needs Redis"),
    ],
)
def test_serve_refuses_several_workers_without_postgres_and_redis(
    env: dict[str, str],
    needle: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["serve", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert needle in err and "--workers 2" in err
    assert not (tmp_path / "data" / "kefu.db").exists()  # refused before touching anything
