"""The customer's signed ticket page (issue 16): valid, expired, revoked and tampered links.

The customer escalates on the testing channel; the link comes with the escalation notice and
with every notice. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import channels.registry
from channels.testing import TestingChannel
from core.app import ADAPTERS_KEY, create_app
from core.context import SERVICES
from core.models import Agent, Ticket, utcnow
from handoff.desk import DeskActions
from handoff.keys import HANDOFF
from intake.customer_notices import NoticeSender
from tests.conftest import make_settings
from tests.helpers import AGENT_HEADERS, login

LINK = re.compile(r"https?://\S+?(/t/[0-9.A-Za-z_-]+)")


@pytest.fixture
async def env(
    demo_settings: Any,
    database_url: str,
    embedder: Any,
    aiohttp_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    monkeypatch.setitem(channels.registry.ADAPTERS, "testing", TestingChannel)
    settings = make_settings(
        demo_settings.data_path,
        database_url,
        notices={"quiet_hours": ""},
        server={"public_url": "https://kefu.example.cn"},
    )
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


async def escalate(client: Any, user: str, text: str) -> tuple[str, Ticket]:
    """The customer asks for a person; returns the page path in the notice, and the ticket."""
    channel: TestingChannel = client.app[ADAPTERS_KEY]["testing"]
    services = client.app[SERVICES]
    await channel.receive(user, text)
    await channel.receive(user, "转人工")
    await services.pipeline.drain(grace_seconds=30)
    notice = await delivered(channel, user, "工单号")
    found = LINK.search(notice)
    assert found, notice
    assert "查看工单进度：https://kefu.example.cn/t/" in notice
    async with services.db.reader() as session:
        ticket = (await session.execute(select(Ticket).order_by(Ticket.id.desc()))).scalars()
        return found.group(1), next(iter(ticket))


async def delivered(channel: TestingChannel, user: str, needle: str) -> str:
    """The text delivered to ``user`` that contains ``needle`` (waits for the outbox)."""
    async with asyncio.timeout(15):
        async with channel.delivered:
            while True:
                found = [t for t in channel.texts(user) if needle in t]
                if found:
                    return found[-1]
                await channel.delivered.wait()


async def agent(client: Any) -> Agent:
    async with client.app[SERVICES].db.reader() as session:
        found: Agent = (
            await session.execute(select(Agent).where(Agent.email == "demo@kefu.local"))
        ).scalar_one()
        return found


async def test_the_page_shows_status_public_history_and_next_step_as_text(env: Any) -> None:
    client = env
    path, ticket = await escalate(client, "p-1", "洗衣机不脱水 <script>alert(1)</script>")
    handoff = client.app[HANDOFF]
    me = await agent(client)
    await handoff.takeover(me, ticket.conversation_id)
    await handoff.reply(me, ticket.conversation_id, "请拍一张铭牌照片发给我们")
    await handoff.reply(me, ticket.conversation_id, "内部备注：客户是VIP", private=True)
    await DeskActions(handoff).set_ticket_status(me, ticket.number, "pending")

    resp = await client.get(path)
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    page = await resp.text()
    assert f"工单 #{ticket.number}" in page and "等待您的回复" in page
    assert "我们在等您回复：请拍一张铭牌照片发给我们" in page  # the next step
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "内部备注" not in page  # private notes never
    assert "<form" not in page  # not resolved: nothing to rate yet

    english = await (await client.get(path + "?lang=en")).text()
    assert f"Ticket #{ticket.number}" in english and "Waiting for you" in english
    assert 'lang="en"' in english and "中文" in english


async def test_notices_carry_the_link_and_a_resolved_ticket_can_be_rated(env: Any) -> None:
    client = env
    services = client.app[SERVICES]
    path, ticket = await escalate(client, "p-2", "空调不制冷")
    handoff = client.app[HANDOFF]
    me = await agent(client)
    await handoff.takeover(me, ticket.conversation_id)
    await DeskActions(handoff).set_ticket_status(me, ticket.number, "pending")
    sender = NoticeSender(
        services.db, services.events, services.outbox, services.settings, handoff.links
    )
    assert len(await sender.send_due(utcnow() + timedelta(seconds=61))) == 1
    channel: TestingChannel = client.app[ADAPTERS_KEY]["testing"]
    notice = await delivered(channel, "p-2", "正在等待您")
    assert "查看工单进度：https://kefu.example.cn/t/" in notice

    await handoff.resolve(me, ticket.conversation_id)
    page = await (await client.get(path)).text()
    assert "已解决" in page and "为本次服务打分" in page and 'name="score"' not in page
    assert page.count("type=radio name=score") == 5
    resp = await client.post(path, data={"score": "4"}, allow_redirects=False)
    assert resp.status == 303
    async with services.db.reader() as session:
        rated = await session.get(Ticket, ticket.id)
        assert rated is not None and (rated.csat, rated.survey_state) == (4, "done")
    again = await (await client.get(resp.headers["Location"])).text()
    assert "您的评分：4 分" in again and "感谢您的评价" in again
    bad = await client.post(path, data={"score": "9"}, allow_redirects=False)
    assert bad.status == 400


async def test_tampered_expired_and_revoked_links_open_nothing(env: Any) -> None:
    client = env
    path, ticket = await escalate(client, "p-3", "冰箱漏水")
    assert (await client.get(path)).status == 200
    token = path.removeprefix("/t/")
    body, sig = token.rsplit(".", 1)
    other_ticket = re.sub(r"^\d+", str(ticket.id + 1), body)
    for forged in (
        f"{body}.{sig[:-1]}{'A' if sig[-1] != 'A' else 'B'}",  # signature changed
        f"{other_ticket}.{sig}",  # another ticket, same signature
        body,  # no signature
        "1.1.99999999999.x",
    ):
        resp = await client.get(f"/t/{forged}")
        assert resp.status == 404, forged
        assert "链接无效" in await resp.text()

    links = client.app[HANDOFF].links
    expired = links.token(ticket.id, 1, now=time.time() - 31 * 86400)
    assert (await client.get(f"/t/{expired}")).status == 404

    url = f"/api/agent/tickets/{ticket.number}/page-link"
    assert (await client.get(url, headers=AGENT_HEADERS)).status == 401  # agents only
    await login(client)
    assert (await client.post(url + "/revoke")).status == 403  # no CSRF header
    revoked = await client.post(url + "/revoke", headers=AGENT_HEADERS)
    assert revoked.status == 200 and (await revoked.json())["version"] == 2
    assert (await client.get(path)).status == 404  # the link sent before is dead
    fresh = await (await client.get(url, headers=AGENT_HEADERS)).json()
    assert fresh["version"] == 2
    new_path = LINK.search(fresh["url"])
    assert new_path and (await client.get(new_path.group(1))).status == 200
    assert (await client.post(path, data={"score": "5"})).status == 404
