"""The SLA timer: a warning before the first-response target, then one recorded breach."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.context import SERVICES
from handoff.keys import HANDOFF
from handoff.sla_timer import SlaTimer
from intake.tables import SlaBreach
from tests.helpers import AGENT_HEADERS, Visitor, login


async def test_warning_then_breach_once_then_close_after_the_window(client: Any) -> None:
    v = await Visitor(client).start()
    await v.reply_to("家里热水器冒烟了")
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and "没有客服在线" in f["text"])
    await login(client)
    [ticket] = (await (await client.get("/api/agent/tickets")).json())["tickets"]
    assert ticket["priority"] == "urgent"
    created = datetime.fromisoformat(ticket["created_at"])
    timer = SlaTimer(client.app[HANDOFF])

    assert await timer.check(created + timedelta(minutes=5)) == []
    warned = await timer.check(created + timedelta(minutes=25))
    assert warned == [(ticket["number"], "first_response", "warning")]
    assert await timer.check(created + timedelta(minutes=26)) == []
    breached = await timer.check(created + timedelta(minutes=31))
    assert breached == [(ticket["number"], "first_response", "breach")]
    assert await timer.check(created + timedelta(minutes=32)) == []
    async with client.app[SERVICES].db.reader() as session:
        rows = (await session.execute(select(SlaBreach))).scalars().all()
    assert [(r.kind, r.due_at) for r in rows] == [
        ("first_response", datetime.fromisoformat(ticket["first_response_due"]))
    ]
    detail = await (await client.get(f"/api/agent/conversations/{v.conversation_id}")).json()
    notes = [m["text"] for m in detail["conversation"]["messages"] if m["private"]]
    assert any("SLA 预警" in n for n in notes) and any("SLA 超时" in n for n in notes)
    report = await (await client.get("/api/reports/summary")).json()
    assert report["totals"]["sla_breach_rate"] == 1.0 and report["backlog_now"] == 1

    await client.post(
        f"/api/agent/conversations/{v.conversation_id}/resolve", json={}, headers=AGENT_HEADERS
    )
    await timer.check(created + timedelta(hours=80))
    closed = await (await client.get(f"/api/agent/tickets/{ticket['number']}")).json()
    assert closed["ticket"]["status"] == "closed"
