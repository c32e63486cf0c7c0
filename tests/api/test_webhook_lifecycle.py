"""The rest of a ticket's life reaches a local receiver: SLA warning and breach from the SLA
timer, the conversation resolved by an agent, and the customer's satisfaction score."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from api.webhooks import verify
from handoff.keys import HANDOFF
from handoff.sla_timer import SlaTimer
from tests.api.webhook_support import Receiver, subscribe, until
from tests.helpers import AGENT_HEADERS, Visitor

EVENTS = ["sla.warning", "sla.breach", "conversation.resolved", "csat.submitted"]


async def test_sla_resolution_and_csat_are_announced(api_client: Any, aiohttp_client: Any) -> None:
    receiver = Receiver()
    url = await receiver.start()
    try:
        _, secret = await subscribe(api_client, url, EVENTS)
        v = await Visitor(await aiohttp_client(api_client.server)).start()
        await v.reply_to("家里热水器冒烟了")
        await v.say("转人工")

        async def escalated() -> bool:
            listed = await (await api_client.get("/api/agent/tickets")).json()
            return len(listed["tickets"]) == 1

        await until(escalated)
        [ticket] = (await (await api_client.get("/api/agent/tickets")).json())["tickets"]
        created = datetime.fromisoformat(ticket["created_at"])
        timer = SlaTimer(api_client.app[HANDOFF])
        await timer.check(created + timedelta(minutes=25))  # before the urgent 30 min target
        await timer.check(created + timedelta(minutes=31))
        done = await api_client.post(
            f"/api/agent/conversations/{v.conversation_id}/resolve", json={}, headers=AGENT_HEADERS
        )
        assert done.status == 200, await done.text()
        await v.until(lambda f: f["type"] == "message" and "打分" in f.get("text", ""))
        await v.reply_to("5", sender="system")

        async def four() -> bool:
            return len(receiver.got) >= 4

        await until(four)
        got = receiver.ok()
        assert [g["event"] for g in got] == EVENTS
        number = ticket["number"]
        assert got[0]["data"]["ticket"]["number"] == number
        assert got[0]["data"]["change"]["detail"]["kind"] == "first_response"
        assert got[2]["data"]["ticket"] == number  # resolved, with its ticket's number
        assert got[2]["data"]["change"] == {"from": "queued", "to": "resolved"}
        assert got[3]["data"]["change"]["detail"]["score"] == 5
        now = int(time.time())
        assert all(verify(secret, g["_headers"]["X-Kefu-Signature"], g["_raw"], now) for g in got)
    finally:
        await receiver.stop()
