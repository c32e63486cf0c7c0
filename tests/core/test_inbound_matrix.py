"""The one inbound path, as a matrix: every channel x every owner state x answerable or not.

Each channel receives through its own wire format (web chat over its socket, a signed
WeChat push, a WeCom kf callback + sync_msg, a raw email, the testing channel's call), and
the outcome must be the same everywhere:

| owner before | answerable                               | not answerable (auto-reply, event) |
|--------------|------------------------------------------|------------------------------------|
| bot          | the bot answers                          | stored, nothing else               |
| queued       | stays queued, the bot is silent          | same                               |
| agent        | stays with the agent                     | same                               |
| pending      | the ticket is open again                 | the ticket stays pending           |
| resolved     | back to the bot, which answers           | stays resolved, nothing said       |
| survey       | a rating is recorded and thanked         | the survey still waits             |

After each row, the lost-turn recovery runs with no grace period: it must answer nothing.
(Web chat has no messages that must not be answered, and WeCom kf stores none: its system
events never reach the inbound path; those cells do not exist.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, update

import channels.registry
from channels.testing import TestingChannel
from core.app import ADAPTERS_KEY, create_app
from core.config import InboxSettings
from core.context import SERVICES
from core.domain import EscalationRequest
from core.models import Agent, ContactIdentity, Conversation, Message, Ticket
from core.recovery import TurnRecovery
from handoff.desk import DeskActions
from tests.channels.email_support.app import customer_mail, with_email_inbox
from tests.channels.fakes.wechat_client import (
    PLAIN,
    WechatUser,
    fixture_xml,
    start_fake,
    wechat_inboxes,
    with_inboxes,
)
from tests.channels.test_wecom_kf import KFID, OPTIONS, notify
from tests.helpers import Visitor

STATES = ("bot", "queued", "agent", "pending", "resolved", "survey")
QUESTION = "怎么申请退货"  # the demo KB answers it


@dataclass
class Row:
    """One customer of one channel, for one cell of the matrix."""

    conversation_id: int
    send: Callable[[str, bool], Awaitable[None]]  # (text, answerable)


class Channels:
    """Drives each channel through its own wire format."""

    def __init__(self, client: Any, fake: Any) -> None:
        self.client = client
        self.fake = fake
        self.services = client.app[SERVICES]
        self.ids = itertools.count(1)

    async def conversation_of(self, channel: str, user: str) -> int:
        async with self.services.db.reader() as session:
            conv_id = (
                await session.execute(
                    select(Conversation.id)
                    .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                    .where(ContactIdentity.channel == channel, ContactIdentity.external_id == user)
                    .order_by(Conversation.id.desc())
                    .limit(1)
                )
            ).scalar_one()
        return int(conv_id)

    async def start(self, channel: str) -> Row:
        """A new customer who asked one question and got the bot's answer."""
        n = next(self.ids)
        if channel == "testing":
            testing: TestingChannel = self.client.app[ADAPTERS_KEY]["testing"]
            user = f"t-{n}"

            async def send_testing(text: str, answerable: bool) -> None:
                await testing.receive(user, text, no_reply=None if answerable else "automatic")

            first = await testing.receive(user, QUESTION)
            row = Row(first.conversation_id, send_testing)
        elif channel == "webchat":
            visitor = await Visitor(self.client).start()

            async def send_webchat(text: str, answerable: bool) -> None:
                assert answerable
                before = len(visitor.frames)
                await visitor.say(text)
                await visitor.until(
                    lambda f: (
                        f["type"] == "message"
                        and f["sender"] == "customer"
                        and f["text"] == text
                        and len(visitor.frames) > before
                    )
                )

            await send_webchat(QUESTION, True)
            row = Row(visitor.conversation_id, send_webchat)
        elif channel == "wechat":
            wx = WechatUser(self.client, PLAIN, openid=f"oMatrix{n:04d}")
            wx.msg_ids = iter(range(n * 1000, n * 1000 + 1000))  # MsgIds are unique per account

            async def send_wechat(text: str, answerable: bool) -> None:
                xml = wx.text_xml(text) if answerable else wx.as_user(view_event())
                resp = await wx.post(xml)
                assert resp.status == 200, await resp.text()

            await send_wechat(QUESTION, True)
            row = Row(await self.conversation_of("wechat", wx.openid), send_wechat)
        elif channel == "wecom_kf":
            user = f"wmMatrix{n:04d}"

            async def send_kf(text: str, answerable: bool) -> None:
                assert answerable
                item = {
                    "msgid": f"kf-{user}-{next(self.ids)}",
                    "open_kfid": KFID,
                    "external_userid": user,
                    "send_time": int(time.time()),
                    "origin": 3,
                    "msgtype": "text",
                    "text": {"content": text},
                }
                self.fake.kf_pages.append({"msg_list": [item]})
                resp = await notify(self.client)
                assert resp.status == 200, await resp.text()
                await until_stored(self.services, "wecom_kf", user, text)

            await send_kf(QUESTION, True)
            row = Row(await self.conversation_of("wecom_kf", user), send_kf)
        else:
            assert channel == "email"
            intake = next(iter(self.client.app[ADAPTERS_KEY]["email"].intakes.values()))
            address = f"customer{n}@example.net"
            opening = customer_mail("退货", QUESTION, sender=address)
            first_id = str(opening["Message-ID"]).strip("<>")

            async def send_email(text: str, answerable: bool) -> None:
                headers = {} if answerable else {"Auto-Submitted": "auto-replied"}
                mail = customer_mail(
                    "Re: 退货", text, sender=address, in_reply_to=first_id, headers=headers
                )
                await intake.receive(bytes(mail), via="smtp")

            await intake.receive(bytes(opening), via="smtp")
            row = Row(await self.conversation_of("email", address), send_email)
        await settle(self.services)
        return row


def view_event() -> str:
    return fixture_xml("test_events__test_view_event__1.xml")


async def until_stored(services: Any, channel: str, user: str, text: str) -> None:
    async with asyncio.timeout(15):
        while True:
            async with services.db.reader() as session:
                found = (
                    await session.execute(
                        select(Message.id)
                        .join(Conversation, Conversation.id == Message.conversation_id)
                        .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                        .where(
                            ContactIdentity.channel == channel,
                            ContactIdentity.external_id == user,
                            Message.text == text,
                        )
                    )
                ).first()
            if found is not None:
                return
            await asyncio.sleep(0.02)


async def settle(services: Any) -> None:
    """Every bot turn started so far has finished."""
    await services.pipeline.drain(grace_seconds=30)


@pytest.fixture
async def env(
    demo_settings: Any,
    database_url: str,
    embedder: Any,
    aiohttp_client: Any,
    aiohttp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Channels:
    """Every channel on one app, on SQLite and on PostgreSQL (the demo KB seeded there)."""
    monkeypatch.setitem(channels.registry.ADAPTERS, "testing", TestingChannel)
    fake, base = await start_fake(aiohttp_server)
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = with_email_inbox(dataclasses.replace(demo_settings, storage=storage))
    kf = InboxSettings("kf-main", "wecom_kf", {**OPTIONS, "api_base": base})
    settings = with_inboxes(settings, (*wechat_inboxes(base), kf))
    client = await aiohttp_client(create_app(settings, demo=True, embedder=embedder))
    return Channels(client, fake)


async def put_in_state(services: Any, conv_id: int, state: str) -> int | None:
    """Move the conversation to ``state`` the way the desk does; the ticket number, if any."""
    if state == "bot":
        return None
    handoff = services.pipeline.handoff
    async with services.db.transaction() as session:
        conv = await session.get(Conversation, conv_id)
        number: int = await handoff.escalate(
            session, conv, EscalationRequest("customer_request", "转人工")
        )
    if state == "queued":
        return number
    async with services.db.reader() as session:
        agent = (await session.execute(select(Agent).limit(1))).scalar_one()
    await handoff.takeover(agent, conv_id)
    if state == "pending":
        await DeskActions(handoff).set_ticket_status(agent, number, "pending")
    elif state in ("resolved", "survey"):
        await handoff.resolve(agent, conv_id)
        if state == "resolved":
            async with services.db.transaction() as session:
                await session.execute(
                    update(Ticket).where(Ticket.number == number).values(survey_state="done")
                )
    return number


@dataclass(frozen=True)
class Seen:
    owner: str
    ticket_status: str | None
    survey_state: str | None
    csat: int | None
    said_after: list[str]  # senders of messages after the customer's


async def observe(services: Any, conv_id: int, number: int | None, text: str) -> Seen:
    async with services.db.reader() as session:
        conv = await session.get(Conversation, conv_id)
        assert conv is not None
        msgs = list(
            (
                await session.execute(
                    select(Message)
                    .where(Message.conversation_id == conv_id, Message.private.is_(False))
                    .order_by(Message.seq)
                )
            ).scalars()
        )
        ticket = None
        if number is not None:
            ticket = (
                await session.execute(select(Ticket).where(Ticket.number == number))
            ).scalar_one()
    last = [m for m in msgs if m.sender == "customer"][-1]
    # The message sent is the customer's last (an event carries the channel's own text).
    assert last.text == text or last.kind == "event", (conv_id, last.text, text)
    return Seen(
        conv.owner,
        ticket.status if ticket else None,
        ticket.survey_state if ticket else None,
        ticket.csat if ticket else None,
        [m.sender for m in msgs if m.seq > last.seq],
    )


def expected(state: str, answerable: bool) -> dict[str, Any]:
    """The one outcome every channel must give."""
    outcomes: dict[str, dict[str, Any]]
    if not answerable:  # nothing changes, nothing is said
        outcomes = {
            "bot": {"owner": "bot", "said_after": []},
            "queued": {"owner": "queued", "ticket_status": "new", "said_after": []},
            "agent": {"owner": "agent", "ticket_status": "open", "said_after": []},
            "pending": {"owner": "agent", "ticket_status": "pending", "said_after": []},
            "resolved": {"owner": "resolved", "ticket_status": "resolved", "said_after": []},
            "survey": {"owner": "resolved", "survey_state": "pending", "said_after": []},
        }
        return outcomes[state]
    outcomes = {
        "bot": {"owner": "bot", "said_after": ["bot"]},
        "queued": {"owner": "queued", "ticket_status": "new", "said_after": []},
        "agent": {"owner": "agent", "ticket_status": "open", "said_after": []},
        "pending": {"owner": "agent", "ticket_status": "open", "said_after": []},
        "resolved": {"owner": "bot", "ticket_status": "resolved", "said_after": ["bot"]},
        "survey": {
            "owner": "resolved",
            "survey_state": "done",
            "csat": 5,
            "said_after": ["system"],
        },
    }
    return outcomes[state]


CHANNEL_CELLS = {
    "testing": (True, False),
    "email": (True, False),
    "wechat": (True, False),
    "wecom_kf": (True,),
    "webchat": (True,),
}


@pytest.mark.parametrize("channel", list(CHANNEL_CELLS))
async def test_every_owner_state_gives_the_same_outcome_on_every_channel(
    env: Channels, channel: str
) -> None:
    services = env.services
    recovery = TurnRecovery(services.db, services.pipeline, grace_seconds=0)
    failures = []
    for state in STATES:
        for answerable in CHANNEL_CELLS[channel]:
            row = await env.start(channel)
            number = await put_in_state(services, row.conversation_id, state)
            await settle(services)
            text = "5" if state == "survey" and answerable else f"还有问题 {state} {answerable}"
            if state in ("bot", "resolved") and answerable:
                text = QUESTION + "？"
            await row.send(text, answerable)
            await settle(services)
            await recovery.check()  # nothing left unanswered that may be answered
            await settle(services)
            seen = await observe(services, row.conversation_id, number, text)
            want = expected(state, answerable)
            got = {k: getattr(seen, k) for k in want}
            if got != want:
                failures.append(f"{state}/{'answerable' if answerable else 'no reply'}: {got}")
    assert not failures, f"{channel}: " + "; ".join(failures)
