"""Supervisor alerts (issue 16): an urgent complaint or hazard, an SLA warning and a breach
tell the team's supervisors by email (the email inbox's real SMTP path, into a local SMTP
sink) and by WeCom group robot (a local server speaking the robot's wire format), through
the alerts' durable outbox, once; every alert is in the console's list. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update

import channels.registry
from channels.email.alerts import mailer
from channels.testing import TestingChannel
from core.app import ADAPTERS_KEY
from core.models import Agent, Inbox, Ticket, utcnow
from handoff.alerts import AlertDispatcher
from handoff.auth import create_agent
from handoff.keys import HANDOFF
from handoff.sla_timer import SlaTimer
from handoff.tables import AlertDelivery, Team
from intake.tables import SupervisorAlert
from tests.channels.email_support.app import INBOX, EmailEnv, email_env
from tests.conftest import make_settings
from tests.helpers import AGENT_HEADERS, login

HAZARD = "我家的热水器漏电了，太危险了，我要投诉！"


class Robot:
    """A local WeCom group robot endpoint: POST /cgi-bin/webhook/send?key=..."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.busy_once = {"busykey"}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self.send)
        return app

    async def send(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        body = await request.json()
        if body.get("msgtype") not in ("markdown", "text"):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        if key in self.busy_once:
            self.busy_once.discard(key)
            return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})
        if key not in ("teamkey", "allkey", "busykey"):
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        self.received.append((key, body))
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
async def env(
    demo_settings: Any,
    database_url: str,
    embedder: Any,
    aiohttp_client: Any,
    aiohttp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[EmailEnv, Robot, AlertDispatcher]]:
    monkeypatch.setitem(channels.registry.ADAPTERS, "testing", TestingChannel)
    robot = Robot()
    server = await aiohttp_server(robot.app())
    settings = make_settings(
        demo_settings.data_path,
        database_url,
        alerts={
            "email_inbox": INBOX,
            "emails": ["售后一组: lead@partner.example"],
            "webhooks": ["售后一组: teamkey", "售后一组: wrongkey", "*: busykey"],
            "webhook_base": str(server.make_url("")).rstrip("/"),
            "poll_seconds": 3600.0,  # the test drives the dispatcher
        },
        notices={"quiet_hours": ""},
    )
    async with email_env(settings, aiohttp_client, embedder, demo=True) as mail:
        services = mail.services
        alerts = AlertDispatcher(
            services.db, services.settings, services.hub, mailer(services.settings, INBOX)
        )
        yield mail, robot, alerts


async def team_with_supervisors(mail: EmailEnv) -> None:
    """The testing inbox belongs to 售后一组, whose supervisor is sup@...; another team's
    supervisor is not told."""
    db = mail.services.db
    sup = await create_agent(db, "sup@kefu.example", "Zhang Wei", "pass1234", role="supervisor")
    other = await create_agent(db, "other@kefu.example", "Li Na", "pass1234", role="supervisor")
    async with db.transaction() as session:
        team = Team(name="售后一组")
        elsewhere = Team(name="安装组")
        session.add_all([team, elsewhere])
        await session.flush()
        await session.execute(update(Inbox).where(Inbox.name == "testing").values(team_id=team.id))
        for agent_id, team_id in ((sup.id, team.id), (other.id, elsewhere.id)):
            await session.execute(update(Agent).where(Agent.id == agent_id).values(team_id=team_id))


async def deliveries(mail: EmailEnv) -> list[tuple[str, str, str, str | None]]:
    async with mail.services.db.reader() as session:
        rows = await session.execute(
            select(
                SupervisorAlert.kind,
                AlertDelivery.address,
                AlertDelivery.status,
                AlertDelivery.last_error,
            )
            .join(SupervisorAlert, SupervisorAlert.id == AlertDelivery.alert_id)
            .order_by(AlertDelivery.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_an_urgent_hazard_complaint_tells_the_team_supervisors_once(env: Any) -> None:
    mail, robot, alerts = env
    channel: TestingChannel = mail.client.app[ADAPTERS_KEY]["testing"]
    await channel.receive("a-1", HAZARD)
    await mail.services.pipeline.drain(grace_seconds=30)
    await team_with_supervisors(mail)
    async with mail.services.db.reader() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.priority == "urgent"

    assert await alerts.run_once() == (1, 3)  # 2 emails and 1 of 3 robots went out
    mails = await mail.sink.wait_for(2)
    assert sorted(r for m in mails for r in m.rcpt_tos) == [
        "lead@partner.example",
        "sup@kefu.example",
    ]
    alert_mail = mails[0].message
    assert f"工单 #{ticket.number}" in str(alert_mail["Subject"])
    assert alert_mail["Auto-Submitted"] == "auto-generated"
    text = alert_mail.get_body(("plain",)).get_content()
    assert "安全隐患" in text and "投诉" in text and "/agent/#/c/" in text
    keys = sorted(k for k, _ in robot.received)
    assert keys == ["teamkey"]  # busykey was rate limited (45009): retried later
    body = robot.received[0][1]
    assert body["msgtype"] == "markdown" and f"#{ticket.number}" in body["markdown"]["content"]

    rows = await deliveries(mail)
    by_address = {a: (s, e) for _, a, s, e in rows}
    assert by_address["售后一组#1"][0] == "dead" and "93000" in (by_address["售后一组#1"][1] or "")
    assert by_address["*#0"][0] == "pending" and "45009" in (by_address["*#0"][1] or "")
    assert "other@kefu.example" not in by_address  # another team's supervisor

    # Nothing twice: another pass (and another worker's) sends only the retry once due.
    assert await alerts.run_once() == (0, 0)
    later = utcnow() + timedelta(hours=1)
    assert await alerts.run_once(later) == (0, 1)
    assert sorted(k for k, _ in robot.received) == ["busykey", "teamkey"]
    assert await alerts.run_once(later + timedelta(hours=1)) == (0, 0)
    await asyncio.sleep(0.2)
    assert len(mail.sink.mails) == 2


async def test_sla_warning_and_breach_alert_and_are_listed_in_the_console(env: Any) -> None:
    mail, robot, alerts = env
    channel: TestingChannel = mail.client.app[ADAPTERS_KEY]["testing"]
    await channel.receive("a-2", "洗衣机不脱水")
    await channel.receive("a-2", "转人工")
    await mail.services.pipeline.drain(grace_seconds=30)
    await team_with_supervisors(mail)
    async with mail.services.db.reader() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.first_response_due is not None
    timer = SlaTimer(mail.client.app[HANDOFF])
    warned = await timer.check(ticket.first_response_due - timedelta(minutes=5))
    assert ("first_response", "warning") in {(k, w) for _, k, w in warned}
    await timer.check(ticket.first_response_due + timedelta(minutes=1))
    routed, sent = await alerts.run_once()
    assert routed >= 2 and sent >= 4
    mails = await mail.sink.wait_for(sent // 2)
    subjects = [str(m.message["Subject"]) for m in mails]
    assert any("SLA 预警" in s for s in subjects) and any("SLA 超时" in s for s in subjects)
    told = [b["markdown"]["content"] for k, b in robot.received if k == "teamkey"]
    assert any("SLA 预警" in c for c in told) and any("SLA 超时" in c for c in told)

    await login(mail.client)
    listed = await (await mail.client.get("/api/agent/alerts?open=1", headers=AGENT_HEADERS)).json()
    kinds = {(a["kind"], tuple(a["reasons"])) for a in listed["alerts"]}
    assert ("sla_warning", ("first_response",)) in kinds
    assert ("sla_breach", ("first_response",)) in kinds
    first = listed["alerts"][0]
    assert first["ticket"] == ticket.number and first["due"]
    assert {d["target"] for d in first["deliveries"]} == {"email", "wecom"}
    assert not any("key" in d["address"] for d in first["deliveries"])  # keys never shown
    ack = await mail.client.post(f"/api/agent/alerts/{first['id']}/ack", headers=AGENT_HEADERS)
    assert ack.status == 200
    still = await (await mail.client.get("/api/agent/alerts?open=1", headers=AGENT_HEADERS)).json()
    assert first["id"] not in {a["id"] for a in still["alerts"]}


async def test_a_switched_off_kind_is_listed_but_sent_to_nobody(env: Any) -> None:
    mail, robot, _ = env
    services = mail.services
    quiet = dataclasses.replace(
        services.settings, alerts=dataclasses.replace(services.settings.alerts, urgent=False)
    )
    alerts = AlertDispatcher(services.db, quiet, services.hub, mailer(quiet, INBOX))
    channel: TestingChannel = mail.client.app[ADAPTERS_KEY]["testing"]
    await channel.receive("a-3", HAZARD)
    await services.pipeline.drain(grace_seconds=30)
    assert await alerts.run_once() == (1, 0)
    assert await deliveries(mail) == [] and robot.received == []
    async with services.db.reader() as session:
        assert (await session.execute(select(SupervisorAlert.kind))).scalars().all() == ["urgent"]


def test_bad_alert_settings_are_refused_without_showing_a_key() -> None:
    from core.config import load_settings
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[alerts\] webhooks") as err:
        load_settings(None, env={}, overrides={"alerts": {"webhooks": ["secretkey123"]}})
    assert "secretkey123" not in str(err.value)
    with pytest.raises(ConfigError, match=r"\[alerts\] emails"):
        load_settings(None, env={}, overrides={"alerts": {"emails": ["lead@x.cn"]}})
    ok = load_settings(None, env={}, overrides={"alerts": {"webhooks": ["售后一组: k1", "*: k2"]}})
    assert ok.alerts.webhooks == ["售后一组: k1", "*: k2"]
