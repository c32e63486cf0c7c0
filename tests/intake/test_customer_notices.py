"""Notices to the customer on ticket changes: batched, switchable, quiet at night (issue 16).

The app runs with the testing channel (what it delivers is what the customer gets), on
SQLite and on PostgreSQL. The sender is driven with explicit clocks: no sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import channels.registry
from channels.testing import TestingChannel
from core.app import ADAPTERS_KEY, create_app
from core.context import SERVICES
from core.domain import EscalationRequest
from core.models import Agent, Conversation, Ticket, utcnow
from handoff.desk import DeskActions
from intake.customer_notices import NoticeSender, in_quiet_hours
from intake.tables import CustomerNotice
from tests.conftest import make_settings

QUIET = {"quiet_hours": ""}


async def app_for(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any, **notices: Any
) -> Any:
    settings = make_settings(demo_settings.data_path, database_url, notices=notices)
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


@pytest.fixture
def testing_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(channels.registry.ADAPTERS, "testing", TestingChannel)


class Case:
    """One customer with a ticket an agent holds, on the testing channel."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.services = client.app[SERVICES]
        self.channel: TestingChannel = client.app[ADAPTERS_KEY]["testing"]
        self.sender = NoticeSender(
            self.services.db, self.services.events, self.services.outbox, self.services.settings
        )
        self.conv = 0
        self.number = 0
        self.agent: Agent | None = None

    async def open(self, user: str) -> Case:
        self.conv = (await self.channel.receive(user, "洗衣机不脱水")).conversation_id
        await self.services.pipeline.drain(grace_seconds=30)
        handoff = self.services.pipeline.handoff
        async with self.services.db.transaction() as session:
            conv = await session.get(Conversation, self.conv)
            self.number = await handoff.escalate(
                session, conv, EscalationRequest("customer_request", "转人工")
            )
        async with self.services.db.reader() as session:
            self.agent = (await session.execute(select(Agent).limit(1))).scalar_one()
        await handoff.takeover(self.agent, self.conv)
        return self

    @property
    def desk(self) -> DeskActions:
        return DeskActions(self.services.pipeline.handoff)

    async def reply(self, text: str) -> None:
        assert self.agent is not None
        await self.services.pipeline.handoff.reply(self.agent, self.conv, text)

    async def status(self, status: str) -> None:
        assert self.agent is not None
        await self.desk.set_ticket_status(self.agent, self.number, status)

    async def priority(self, priority: str) -> None:
        assert self.agent is not None
        await self.desk.update_ticket(self.agent, self.number, priority=priority, category=None)

    async def delivered(self, needle: str) -> str:
        """The text the channel delivered that contains ``needle`` (polls, with a timeout)."""
        async with asyncio.timeout(15):
            async with self.channel.delivered:
                while True:
                    found = [t for t in self.channel.texts() if needle in t]
                    if found:
                        return found[-1]
                    await self.channel.delivered.wait()

    async def notices(self) -> list[tuple[str, str]]:
        async with self.services.db.reader() as session:
            rows = (
                await session.execute(
                    select(CustomerNotice.kind, CustomerNotice.outcome)
                    .where(CustomerNotice.conversation_id == self.conv)
                    .order_by(CustomerNotice.id)
                )
            ).all()
        return [(k, o) for k, o in rows]


async def test_changes_within_a_minute_go_out_as_one_notice_once(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any, testing_channel: None
) -> None:
    client = await app_for(demo_settings, database_url, embedder, aiohttp_client, **QUIET)
    case = await Case(client).open("n-batch")
    await case.reply("请拍一张铭牌照片发给我们")
    await case.status("pending")
    await case.priority("urgent")
    now = utcnow()
    assert await case.sender.send_due(now + timedelta(seconds=30)) == []  # still batching
    assert len(await case.sender.send_due(now + timedelta(seconds=61))) == 1
    text = await case.delivered(f"工单 #{case.number} 正在等待您的回复")
    assert "请拍一张铭牌照片发给我们" in text and "已升级为加急" in text
    assert len(text.splitlines()) == 2  # one message, two changes
    assert await case.sender.send_due(now + timedelta(seconds=120)) == []  # nothing twice
    assert await case.notices() == [("waiting", "sent"), ("priority", "sent")]


async def test_an_undone_or_switched_off_change_says_nothing(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any, testing_channel: None
) -> None:
    client = await app_for(
        demo_settings, database_url, embedder, aiohttp_client, reopened=False, **QUIET
    )
    case = await Case(client).open("n-undone")
    await case.status("pending")
    await case.status("open")  # the agent changed their mind within the minute
    await case.status("resolved")
    await case.status("open")  # reopened: switched off here
    assert await case.sender.send_due(utcnow() + timedelta(seconds=61)) == []
    assert await case.notices() == [("waiting", "skipped"), ("reopened", "skipped")]
    assert not [t for t in case.channel.texts() if "工单 #" in t and "等待您" in t]


async def test_quiet_hours_hold_non_urgent_notices_until_morning(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any, testing_channel: None
) -> None:
    client = await app_for(
        demo_settings, database_url, embedder, aiohttp_client, quiet_hours="22:00-08:00"
    )
    calm = await Case(client).open("n-night")
    await calm.status("pending")
    night = datetime(2030, 1, 7, 23, 30, tzinfo=UTC) - timedelta(hours=8)  # 23:30 Shanghai
    assert await calm.sender.send_due(night) == []
    urgent = await Case(client).open("n-urgent")
    await urgent.priority("urgent")
    assert len(await urgent.sender.send_due(night)) == 1  # urgent: even at night
    await urgent.delivered(f"工单 #{urgent.number} 已升级为加急")
    morning = night + timedelta(hours=9)  # 08:30
    assert len(await calm.sender.send_due(morning)) == 1
    await calm.delivered(f"工单 #{calm.number} 正在等待您补充信息")


def test_quiet_hours_span_midnight() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")

    def at(h: int, m: int) -> datetime:
        return datetime(2030, 1, 7, h, m, tzinfo=zone)

    span = ("22:00", "08:00")
    assert in_quiet_hours(at(23, 0), span, zone) and in_quiet_hours(at(7, 59), span, zone)
    assert not in_quiet_hours(at(8, 0), span, zone) and not in_quiet_hours(at(21, 59), span, zone)
    assert in_quiet_hours(at(13, 0), ("12:00", "14:00"), zone)
    assert not in_quiet_hours(at(13, 0), None, zone)


def test_a_bad_quiet_hours_setting_is_refused() -> None:
    from core.config import load_settings
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[notices\] quiet_hours"):
        load_settings(None, env={}, overrides={"notices": {"quiet_hours": "22-8"}})


async def test_a_complaint_while_a_person_holds_the_ticket_makes_it_urgent_and_says_so(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any, testing_channel: None
) -> None:
    client = await app_for(demo_settings, database_url, embedder, aiohttp_client, **QUIET)
    case = await Case(client).open("n-complains")
    await case.channel.receive("n-complains", "好的，我等您消息")
    assert await case.notices() == []  # nothing to tell
    await case.channel.receive("n-complains", "三天了还没人上门，再不处理我就去12315投诉")
    async with case.services.db.reader() as session:
        ticket = (
            await session.execute(select(Ticket).where(Ticket.number == case.number))
        ).scalar_one()
    assert (ticket.priority, ticket.sentiment, ticket.skills) == (
        "urgent",
        "negative",
        ["supervisor"],
    )
    assert len(await case.sender.send_due(utcnow() + timedelta(seconds=61))) == 1
    await case.delivered(f"工单 #{case.number} 已升级为加急")
