"""Labels, filters, contact merge and the SLA list on SQLite and on PostgreSQL (issue 15):
the same requests through a full app on each database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from core.app import create_app
from core.context import SERVICES
from handoff.auth import create_agent
from tests.conftest import make_settings
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS


async def waiting(client: Any) -> Visitor:
    v = await Visitor(client).start()
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and f["sender"] in ("bot", "system"))
    for _ in range(100):
        conv = await (await client.get(f"/api/agent/conversations/{v.conversation_id}")).json()
        if conv["conversation"]["ticket"]:
            return v
        await asyncio.sleep(0.05)
    raise AssertionError("no ticket was opened")


async def test_labels_filters_merge_and_sla_list_on_both_databases(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    db = client.app[SERVICES].db
    await create_agent(db, "boss@kefu.local", "Boss", "boss-pass", role="admin")
    await login(client, "boss@kefu.local", "boss-pass")
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    a, b = await waiting(client), await waiting(client)

    label = await client.post(
        f"/api/agent/conversations/{a.conversation_id}/labels", json={"label": "退货"}, headers=H
    )
    assert label.status == 200, await label.text()
    assert [
        c["id"]
        for c in (
            await (await client.get("/api/agent/conversations?owner=queued&label=退货")).json()
        )["conversations"]
    ] == [a.conversation_id]
    number = (await (await client.get(f"/api/agent/conversations/{b.conversation_id}")).json())[
        "conversation"
    ]["ticket"]["number"]
    await client.patch(f"/api/agent/tickets/{number}", json={"priority": "urgent"}, headers=H)
    urgent = await (
        await client.get("/api/agent/conversations?owner=queued&priority=urgent")
    ).json()
    assert [c["id"] for c in urgent["conversations"]] == [b.conversation_id]
    team = await (await client.post("/api/admin/teams", json={"name": "售后"}, headers=H)).json()
    await client.put("/api/admin/inboxes/web/team", json={"team_id": team["team"]["id"]}, headers=H)
    mine = await (
        await client.get(f"/api/agent/tickets?team={team['team']['id']}&since=2020-01-01")
    ).json()
    assert len(mine["tickets"]) == 2
    report = await (await client.get("/api/reports/labels")).json()
    assert [(x["name"], x["conversations"]) for x in report["labels"]] == [("退货", 1)]

    ca = (
        await (await client.get(f"/api/agent/conversations/{a.conversation_id}/customer")).json()
    )["contact"]["id"]
    cb = (
        await (await client.get(f"/api/agent/conversations/{b.conversation_id}/customer")).json()
    )["contact"]["id"]
    merged = await client.post(f"/api/agent/contacts/{cb}/merge", json={"into": ca}, headers=H)
    assert merged.status == 200, await merged.text()
    moved = await (
        await client.get(f"/api/agent/conversations/{b.conversation_id}/customer")
    ).json()
    assert moved["contact"]["id"] == ca and len(moved["tickets"]) == 2

    sla = await (await client.get("/api/agent/sla")).json()
    assert {i["number"] for i in sla["items"]} == {number}  # urgent: due within 30 minutes
