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


async def test_removing_an_agent_releases_their_conversations_and_keeps_their_name(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> None:
    """Issue 15: an admin removes an agent (not only deactivates): their customers go back
    to the queue, they are gone from the lists and cannot sign in, what they wrote still
    carries their name, and their email is free for a new account."""
    settings = make_settings(tmp_path / "data", database_url)
    app = create_app(settings, embedder=embedder)
    client = await aiohttp_client(app)
    db = client.app[SERVICES].db
    boss = await create_agent(db, "boss@kefu.local", "Boss", "boss-pass", role="admin")
    li = await create_agent(db, "li@kefu.local", "小李", "li-pass-1234")
    await login(client, "boss@kefu.local", "boss-pass")
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    v = await waiting(client)
    cid = v.conversation_id
    li_client = await aiohttp_client(client.server)
    await login(li_client, "li@kefu.local", "li-pass-1234")
    took = await li_client.post(f"/api/agent/conversations/{cid}/takeover", json={}, headers=H)
    assert took.status == 200, await took.text()
    said = await li_client.post(
        f"/api/agent/conversations/{cid}/messages", json={"text": "您好，我来处理"}, headers=H
    )
    assert said.status == 201, await said.text()

    assert (await client.delete(f"/api/admin/agents/{boss.id}", headers=H)).status == 400
    gone = await client.delete(f"/api/admin/agents/{li.id}", headers=H)
    assert gone.status == 200, await gone.text()
    assert (await client.delete(f"/api/admin/agents/{li.id}", headers=H)).status == 404

    conv = (await (await client.get(f"/api/agent/conversations/{cid}")).json())["conversation"]
    assert conv["owner"] == "queued" and conv["assignee"] is None
    assert any("移除" in m["text"] for m in conv["messages"] if m["private"])
    [reply] = [m for m in conv["messages"] if m["text"] == "您好，我来处理"]
    assert reply["agent_name"] == "小李"  # the history stays readable
    names = [a["name"] for a in (await (await client.get("/api/agent/agents")).json())["agents"]]
    assert "小李" not in names
    assert (await li_client.get("/api/agent/me")).status == 401  # their session ended
    again = await li_client.post(
        "/api/agent/login",
        json={"email": "li@kefu.local", "password": "li-pass-1234"},
        headers=H,
    )
    assert again.status == 401
    patch = await client.patch(f"/api/admin/agents/{li.id}", json={"active": True}, headers=H)
    assert patch.status == 404  # removed is not deactivated: it cannot be switched back on
    new = await client.post(
        "/api/admin/agents",
        json={"email": "li@kefu.local", "name": "小李", "password": "li-pass-5678"},
        headers=H,
    )
    assert new.status == 201, await new.text()


async def test_the_web_chat_inbox_keeps_its_pre_chat_form_on_both_databases(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    await create_agent(client.app[SERVICES].db, "boss@kefu.local", "Boss", "boss-pass", "admin")
    await login(client, "boss@kefu.local", "boss-pass")
    form = {"name": "required", "phone": "off", "email": "optional"}
    put = await client.put("/api/admin/inboxes/web/prechat", json=form, headers=H)
    assert put.status == 200, await put.text()
    v = await Visitor(client).start()
    cfg = await (await client.get(f"/api/webchat/profile?token={v.token}")).json()
    assert cfg["prechat"] == {"fields": ["name", "email"], "required": ["name"], "form": form}
