"""Labels, macros, list filters and the SLA list (issue 15)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from core.context import SERVICES
from core.models import Message, Ticket, utcnow
from handoff.keys import HANDOFF
from handoff.sla_timer import SlaTimer
from tests.handoff.test_desk_identity import queued
from tests.helpers import AGENT_HEADERS, login

H = AGENT_HEADERS


async def ids(client: Any, query: str) -> list[int]:
    resp = await client.get(f"/api/agent/conversations?{query}")
    assert resp.status == 200, await resp.text()
    return [c["id"] for c in (await resp.json())["conversations"]]


async def ticket_numbers(client: Any, query: str) -> list[int]:
    resp = await client.get(f"/api/agent/tickets?{query}")
    assert resp.status == 200, await resp.text()
    return [t["number"] for t in (await resp.json())["tickets"]]


async def test_labels_are_defined_put_on_filtered_and_counted(client: Any) -> None:
    await login(client)
    a = await queued(client, "我想申请退货")
    b = await queued(client, "空调不制冷")
    made = await client.post(
        "/api/admin/labels", json={"name": "退货", "color": "#E53935"}, headers=H
    )
    assert made.status == 201
    label = (await made.json())["label"]
    assert label["color"] == "#e53935"
    bad = await client.post("/api/admin/labels", json={"name": "x", "color": "red"}, headers=H)
    assert (await bad.json())["error"]["code"] == "bad_color"
    dup = await client.post("/api/admin/labels", json={"name": "退货"}, headers=H)
    assert dup.status == 409

    put = await client.post(
        f"/api/agent/conversations/{a.conversation_id}/labels", json={"label": "退货"}, headers=H
    )
    assert put.status == 200
    assert [x["name"] for x in (await put.json())["conversation"]["labels"]] == ["退货"]
    # Free-form (the default): a new name makes a new label.
    free = await client.post(
        f"/api/agent/conversations/{b.conversation_id}/labels", json={"label": " 加急 "}, headers=H
    )
    assert [x["name"] for x in (await free.json())["conversation"]["labels"]] == ["加急"]

    assert await ids(client, "owner=queued&label=退货") == [a.conversation_id]
    assert await ids(client, f"owner=queued&label={label['id']}") == [a.conversation_id]
    assert await ids(client, "owner=queued&label=加急") == [b.conversation_id]
    tickets = await (await client.get("/api/agent/tickets?label=退货")).json()
    [t] = tickets["tickets"]
    assert t["conversation_id"] == a.conversation_id and t["labels"][0]["name"] == "退货"

    listing = await (await client.get("/api/agent/labels")).json()
    assert {x["name"]: x["conversations"] for x in listing["labels"]} == {"退货": 1, "加急": 1}
    report = await (await client.get("/api/reports/labels")).json()
    assert {x["name"]: x["conversations"] for x in report["labels"]} == {"退货": 1, "加急": 1}

    off = await client.delete(
        f"/api/agent/conversations/{a.conversation_id}/labels/{label['id']}", headers=H
    )
    assert (await off.json())["conversation"]["labels"] == []
    assert await ids(client, "owner=queued&label=退货") == []


async def test_only_admin_labels_when_free_form_is_off(
    tmp_path: Path, demo_data_dir: Path, embedder: Any, aiohttp_client: Any
) -> None:
    import shutil

    from core.app import create_app
    from tests.conftest import make_settings

    data = tmp_path / "data"
    shutil.copytree(demo_data_dir, data)
    settings = make_settings(data, desk={"labels_free_form": False})
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    await login(client)
    v = await queued(client, "我想申请退货")
    resp = await client.post(
        f"/api/agent/conversations/{v.conversation_id}/labels", json={"label": "新标签"}, headers=H
    )
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "no_label"
    assert (await (await client.get("/api/agent/labels")).json())["free_form"] is False


async def test_a_macro_replies_labels_sets_priority_and_status_at_once(client: Any) -> None:
    await login(client)
    v = await queued(client, "我想申请退货")
    cid = v.conversation_id
    bad = await client.post(
        "/api/admin/macros", json={"name": "坏", "actions": [{"type": "delete"}]}, headers=H
    )
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_macro"
    made = await client.post(
        "/api/admin/macros",
        json={
            "name": "退货流程",
            "actions": [
                {"type": "status", "status": "pending"},
                {"type": "reply", "text": "{customer_name}您好，工单 {ticket_number} 已受理"},
                {"type": "label", "label": "退货"},
                {"type": "priority", "priority": "high"},
            ],
        },
        headers=H,
    )
    assert made.status == 201, await made.text()
    macro = (await made.json())["macro"]
    listed = await (await client.get("/api/agent/macros")).json()
    assert [m["name"] for m in listed["macros"]] == ["退货流程"]

    resp = await client.post(f"/api/agent/conversations/{cid}/macros/{macro['id']}", headers=H)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["applied"] == ["label", "priority", "reply", "status"] and body["failed"] is None
    conv = body["conversation"]
    assert [x["name"] for x in conv["labels"]] == ["退货"]
    assert conv["ticket"]["priority"] == "high" and conv["ticket"]["status"] == "pending"
    number = conv["ticket"]["number"]
    reply = await v.until(lambda f: f["type"] == "message" and f["sender"] == "agent")
    assert reply["text"] == f"您好，工单 #{number} 已受理"  # no "您您好"

    # A macro that cannot finish says which action failed and keeps what was done.
    other = await client.post(
        "/api/admin/macros",
        json={
            "name": "交给售后组",
            "actions": [{"type": "label", "label": "售后"}, {"type": "assign", "team_id": 999}],
        },
        headers=H,
    )
    half = await client.post(
        f"/api/agent/conversations/{cid}/macros/{(await other.json())['macro']['id']}", headers=H
    )
    assert half.status == 409
    hb = await half.json()
    assert hb["applied"] == ["label"] and hb["failed"]["code"] == "no_team"
    assert sorted(x["name"] for x in hb["conversation"]["labels"]) == ["售后", "退货"]


async def test_ticket_and_conversation_filters(client: Any) -> None:
    await login(client)
    a = await queued(client, "我想申请退货")
    b = await queued(client, "空调不制冷")
    na = (await (await client.get(f"/api/agent/conversations/{a.conversation_id}")).json())[
        "conversation"
    ]["ticket"]["number"]
    await client.patch(f"/api/agent/tickets/{na}", json={"priority": "urgent"}, headers=H)
    assert await ticket_numbers(client, "priority=urgent") == [na]
    assert await ids(client, "owner=queued&priority=urgent") == [a.conversation_id]
    assert set(await ids(client, "owner=queued&status=new")) == {
        a.conversation_id,
        b.conversation_id,
    }
    assert len(await ticket_numbers(client, "assignee=none&channel=webchat")) == 2
    assert await ticket_numbers(client, "channel=email") == []
    assert await ticket_numbers(client, "assignee=me") == []
    assert len(await ticket_numbers(client, "since=2020-01-01")) == 2
    assert await ticket_numbers(client, "until=2020-01-01") == []
    bad = await client.get("/api/agent/tickets?since=yesterday")
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_date"
    bad_team = await client.get("/api/agent/conversations?owner=queued&team=x")
    assert (await bad_team.json())["error"]["code"] == "bad_team"
    tickets = (await (await client.get("/api/agent/tickets")).json())["tickets"]
    assert all("contact" in t and "labels" in t for t in tickets)


async def test_the_sla_list_and_notes_use_local_time(client: Any) -> None:
    await login(client)
    v = await queued(client, "我想申请退货")
    db = client.server.app[SERVICES].db
    past = utcnow() - timedelta(minutes=5)
    async with db.transaction() as s:
        await s.execute(
            update(Ticket)
            .where(Ticket.conversation_id == v.conversation_id)
            .values(first_response_due=past, resolution_due=past + timedelta(minutes=13))
        )
    data = await (await client.get("/api/agent/sla")).json()
    assert data["tz"] == "Asia/Shanghai"
    kinds = {(i["kind"], i["state"]) for i in data["items"]}
    assert kinds == {("first_response", "breached"), ("resolution", "at_risk")}
    first = next(i for i in data["items"] if i["kind"] == "first_response")
    local = (past + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")  # Shanghai is UTC+8
    assert first["due_local"] == local

    await SlaTimer(client.server.app[HANDOFF]).check()
    async with db.reader() as s:
        notes = [
            m
            for m in (
                await s.execute(
                    select(Message).where(
                        Message.conversation_id == v.conversation_id, Message.private.is_(True)
                    )
                )
            ).scalars()
            if m.meta.get("sla")
        ]
    assert {n.meta["sla"]["kind"] for n in notes} == {"first_response", "resolution"}
    first_note = next(n for n in notes if n.meta["sla"]["kind"] == "first_response")
    assert first_note.meta["sla"]["due_local"] == local and local in first_note.text
    assert all("+00:00" not in n.text and "/ SLA" not in n.text for n in notes)  # one language
