"""KB authoring through the agent API: drafts, publishing, versions, import/export, roles."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from core.context import SERVICES
from handoff.auth import create_agent
from tests.helpers import AGENT_HEADERS, Visitor, login

ENTRY = {
    "question": "洗碗机可以装在水槽下面吗？",
    "similar": ["水槽下能放洗碗机吗", "洗碗机嵌入水槽柜"],
    "answer": "可以。青禾 D8 系列支持嵌入水槽下方安装，需预留 60 cm 宽的柜体。",
    "category": "installation",
}
QUERY = "洗碗机能不能装在水槽下面"


async def _bot_top(client: Any, text: str) -> tuple[str, str | None]:
    body = await (await client.get("/api/agent/kb/search", params={"q": text})).json()
    return body["decision"], body["hits"][0]["id"] if body["hits"] else None


async def test_draft_is_invisible_until_published_then_live_without_restart(client: Any) -> None:
    await login(client)
    created = await client.post("/api/agent/kb/entries", json=ENTRY, headers=AGENT_HEADERS)
    assert created.status == 201
    entry = await created.json()
    assert entry["status"] == "draft" and entry["version"] == 1
    eid = entry["id"]
    assert (await _bot_top(client, QUERY))[1] != eid

    published = await client.post(
        f"/api/agent/kb/entries/{eid}/publish", json={"version": 1}, headers=AGENT_HEADERS
    )
    assert (await published.json())["status"] == "published"
    decision, top = await _bot_top(client, QUERY)
    assert top == eid and decision == "answer"

    edit = {**ENTRY, "answer": "可以，需预留 60 cm 宽、82 cm 高的柜体。", "version": 2}
    edited = await client.put(f"/api/agent/kb/entries/{eid}", json=edit, headers=AGENT_HEADERS)
    assert edited.status == 200 and (await edited.json())["version"] == 3
    hits = await (await client.get("/api/agent/kb/search", params={"q": QUERY})).json()
    assert "82 cm" in hits["hits"][0]["answer"]

    stale = await client.put(f"/api/agent/kb/entries/{eid}", json=edit, headers=AGENT_HEADERS)
    assert stale.status == 409

    await client.post(f"/api/agent/kb/entries/{eid}/archive", json={}, headers=AGENT_HEADERS)
    assert (await _bot_top(client, QUERY))[1] != eid
    detail = await (await client.get(f"/api/agent/kb/entries/{eid}")).json()
    assert [h["action"] for h in detail["history"]] == ["archive", "edit", "publish", "create"]
    assert detail["status"] == "archived"

    listed = await (
        await client.get("/api/agent/kb/entries", params={"status": "archived", "q": "洗碗机"})
    ).json()
    assert [e["id"] for e in listed["entries"]] == [eid]


async def test_agents_write_drafts_but_only_admins_publish(client: Any) -> None:
    db = client.app[SERVICES].db
    await create_agent(db, "li@kefu.local", "小李", "secret-1", role="agent")
    await login(client, "li@kefu.local", "secret-1")
    created = await client.post("/api/agent/kb/entries", json=ENTRY, headers=AGENT_HEADERS)
    assert created.status == 201
    eid = (await created.json())["id"]
    denied = await client.post(
        f"/api/agent/kb/entries/{eid}/publish", json={}, headers=AGENT_HEADERS
    )
    assert denied.status == 403
    published = await client.post(
        "/api/agent/kb/entries", json={**ENTRY, "publish": True}, headers=AGENT_HEADERS
    )
    assert published.status == 403
    # The demo KB is published: an agent may not change what customers read.
    demo = await client.put(
        "/api/agent/kb/entries/returns-apply-zh", json=ENTRY, headers=AGENT_HEADERS
    )
    assert demo.status == 403


async def test_api_needs_login_and_the_csrf_header(client: Any) -> None:
    assert (await client.get("/api/agent/kb/entries")).status == 401
    await login(client)
    assert (await client.post("/api/agent/kb/entries", json=ENTRY)).status == 403
    bad = await client.post(
        "/api/agent/kb/entries", json={**ENTRY, "answer": "  "}, headers=AGENT_HEADERS
    )
    assert bad.status == 400 and "answer" in (await bad.json())["error"]["message"]


async def test_import_reports_bad_lines_and_export_round_trips(client: Any) -> None:
    await login(client)
    rows = [
        json.dumps({"id": "imp-1", "question": "发票抬头能改吗", "answer": "可以，在订单页修改。"}),
        "{not json",
        json.dumps({"id": "imp-2", "question": "", "answer": "x"}),
    ]
    resp = await client.post(
        "/api/agent/kb/import",
        json={"format": "jsonl", "content": "\n".join(rows), "publish": True},
        headers=AGENT_HEADERS,
    )
    body = await resp.json()
    assert body["imported"] == 1
    assert [e["line"] for e in body["errors"]] == [2, 3]
    exported = await client.get("/api/agent/kb/export", params={"format": "csv"})
    table = list(csv.DictReader(io.StringIO(await exported.text())))
    mine = [r for r in table if r["id"] == "imp-1"]
    assert mine and mine[0]["answer"] == "可以，在订单页修改。"
    assert any(r["id"] == "returns-apply-zh" and "|" in r["similar"] for r in table)
    jsonl = await (await client.get("/api/agent/kb/export", params={"status": "draft"})).text()
    assert "imp-1" not in jsonl


async def test_resolved_conversation_becomes_a_draft(client: Any) -> None:
    v = await Visitor(client).start()
    await v.reply_to("转人工")
    cid = v.conversation_id
    await login(client)
    early = await client.post(f"/api/agent/kb/from-conversation/{cid}", headers=AGENT_HEADERS)
    assert early.status == 400  # not resolved yet
    await client.post(f"/api/agent/conversations/{cid}/takeover", json={}, headers=AGENT_HEADERS)
    await v.say("冰箱门关不严怎么办")
    await v.until(lambda f: f["type"] == "message" and f.get("sender") == "customer")
    await client.post(
        f"/api/agent/conversations/{cid}/messages",
        json={"text": "请调节底部的水平脚，让冰箱略向后倾。", "private": False},
        headers=AGENT_HEADERS,
    )
    await client.post(f"/api/agent/conversations/{cid}/resolve", json={}, headers=AGENT_HEADERS)
    made = await client.post(f"/api/agent/kb/from-conversation/{cid}", headers=AGENT_HEADERS)
    assert made.status == 201, await made.text()
    entry = await made.json()
    assert entry["status"] == "draft"
    assert entry["question"] == "冰箱门关不严怎么办"
    assert entry["answer"] == "请调节底部的水平脚，让冰箱略向后倾。"


async def test_console_page_is_served(client: Any) -> None:
    page = await client.get("/agent/kb.html")
    assert page.status == 200
    html = await page.text()
    assert "/agent/kb.js" in html and "/agent/console.css" in html and "<script>" not in html
    for asset in ("/agent/kb.js", "/agent/kb.css"):
        assert (await client.get(asset)).status == 200


async def test_helpfulness_counts_show_per_entry(client: Any) -> None:
    from core.app import KB
    from kb.entries import record_helpful

    kb = client.app[KB]
    assert await record_helpful(kb.db, "returns-apply-zh", True)
    assert await record_helpful(kb.db, "returns-apply-zh", True)
    assert await record_helpful(kb.db, "returns-apply-zh", False)
    assert not await record_helpful(kb.db, "no-such-entry", True)
    await login(client)
    entry = await (await client.get("/api/agent/kb/entries/returns-apply-zh")).json()
    assert (entry["helpful"], entry["unhelpful"]) == (2, 1)
