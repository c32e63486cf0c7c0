"""The service desk through its API: triage, SLA, assignment, survey, transfer, reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.context import SERVICES
from intake.feedback import helpful_counts
from tests.helpers import AGENT_HEADERS, Visitor, login, open_console

H = AGENT_HEADERS


async def make_agent(client: Any, aiohttp_client: Any, email: str, name: str, **extra: Any) -> Any:
    """Create an agent as the demo admin; returns a client logged in as them, online, with
    the console open (really there: only such agents receive work)."""
    await login(client)
    resp = await client.post(
        "/api/admin/agents",
        json={"email": email, "name": name, "password": "pw-1234", **extra},
        headers=H,
    )
    assert resp.status == 201, await resp.text()
    other = await aiohttp_client(client.server)
    await login(other, email, "pw-1234")
    status = await other.post("/api/agent/status", json={"status": "online"}, headers=H)
    assert (await status.json())["agent"]["status"] == "online"
    other.console = await open_console(other)
    return other


def system_text(v: Visitor, needle: str) -> Any:
    return lambda f: f["type"] == "message" and f["sender"] == "system" and needle in f["text"]


def bot_text(needle: str) -> Any:
    """The bot's escalation notice, which carries the queue wait when nobody takes it at once."""
    return lambda f: f["type"] == "message" and f["sender"] == "bot" and needle in f["text"]


async def escalate(client: Any, text: str) -> Visitor:
    v = await Visitor(client).start()
    await v.reply_to(text)
    await v.say("转人工")
    return v


async def test_complaint_is_urgent_assigned_by_skill_answered_rated_and_reported(
    client: Any, aiohttp_client: Any
) -> None:
    general = await make_agent(client, aiohttp_client, "li@kefu.local", "小李")
    # A complaint about a hazard goes to the supervisors' queue ([triage] routes).
    repair = await make_agent(
        client,
        aiohttp_client,
        "wang@kefu.local",
        "王师傅",
        skills=["repair"],
        max_concurrent=3,
        role="supervisor",
    )
    v = await escalate(client, "洗衣机漏电了，我要投诉")
    await v.until(system_text(v, "王师傅"))  # the supervisor joined, not 小李

    listing = await (await repair.get("/api/agent/tickets?priority=urgent")).json()
    [ticket] = listing["tickets"]
    assert ticket["status"] == "open" and ticket["category"] == "repair"
    assert ticket["assignee"]["name"] == "王师傅" and ticket["sentiment"] == "negative"
    created = datetime.fromisoformat(ticket["created_at"])
    first_due = datetime.fromisoformat(ticket["first_response_due"])
    res_due = datetime.fromisoformat(ticket["resolution_due"])
    assert first_due - created == timedelta(minutes=30)  # urgent: calendar clock
    assert res_due - created == timedelta(hours=48)
    mine = await (await repair.get("/api/agent/conversations?owner=mine")).json()
    assert [c["id"] for c in mine["conversations"]] == [v.conversation_id]
    assert (await (await general.get("/api/agent/conversations?owner=mine")).json())[
        "conversations"
    ] == []

    cid = v.conversation_id
    sugg = await (await repair.get(f"/api/agent/conversations/{cid}/suggestions")).json()
    assert sugg["suggestions"], sugg
    answer = sugg["suggestions"][0]["answer"]
    sent = await repair.post(
        f"/api/agent/conversations/{cid}/messages", json={"text": answer}, headers=H
    )
    assert sent.status == 201
    await v.until(lambda f: f["type"] == "message" and f["sender"] == "agent")

    resolved = await repair.post(f"/api/agent/conversations/{cid}/resolve", json={}, headers=H)
    assert (await resolved.json())["conversation"]["ticket"]["status"] == "resolved"
    survey = await v.until(lambda f: f["type"] == "message" and f.get("survey"))
    assert f"#{ticket['number']}" in survey["text"]
    await v.ws.send_json({"type": "feedback", "seq": survey["seq"], "value": 5})
    await v.until(system_text(v, "感谢您的评价"))

    detail = await (await repair.get(f"/api/agent/tickets/{ticket['number']}")).json()
    t = detail["ticket"]
    assert t["csat"] == 5 and t["survey_state"] == "done" and t["first_response_at"]
    actions = [e["action"] for e in t["events"]]
    assert actions[:2] == ["created", "escalated"] or actions[0] == "created"
    assert {"assigned", "first_response", "csat"} <= set(actions)
    conv = await (await repair.get(f"/api/agent/conversations/{cid}")).json()
    assert conv["conversation"]["owner"] == "resolved"

    # Reports: supervisors and admins only.
    assert (await general.get("/api/reports/summary")).status == 403
    report = await (await client.get("/api/reports/summary")).json()
    totals = report["totals"]
    assert totals["tickets"] == 1 and totals["csat_average"] == 5.0
    answered = datetime.fromisoformat(t["first_response_at"]) - created
    assert totals["csat_response_rate"] == 1.0
    assert totals["first_response_avg_seconds"] == round(answered.total_seconds(), 1)
    assert totals["sla_breach_rate"] == 0.0 and totals["fcr_rate"] == 1.0
    assert [r["key"] for r in report["by_agent"]] == ["王师傅"]
    assert [r["key"] for r in report["by_category"]] == ["repair"]
    csv_resp = await client.get("/api/reports/summary.csv")
    body = await csv_resp.text()
    assert csv_resp.content_type == "text/csv" and body.startswith("dimension,key,")
    assert "agent,王师傅" in body
    bad = await client.get("/api/reports/summary?from=2026-13-01")
    assert bad.status == 400


async def test_survey_answered_in_text_and_a_low_score_goes_to_a_supervisor(
    client: Any, aiohttp_client: Any
) -> None:
    agent = await make_agent(client, aiohttp_client, "zhao@kefu.local", "小赵")
    v = await escalate(client, "我的订单什么时候发货")
    await v.until(system_text(v, "小赵"))
    cid = v.conversation_id
    await agent.post(f"/api/agent/conversations/{cid}/resolve", json={}, headers=H)
    await v.until(lambda f: f["type"] == "message" and f.get("survey"))
    await v.say("1")
    await v.until(system_text(v, "主管"))
    conv = (await (await agent.get(f"/api/agent/conversations/{cid}")).json())["conversation"]
    assert conv["owner"] == "queued"  # nobody with the supervisor role is online
    assert conv["ticket"]["status"] == "open" and conv["ticket"]["csat"] == 1
    assert conv["ticket"]["skills"] == ["supervisor"]
    # The demo admin comes online (opens the console) and gets it.
    await client.post("/api/agent/status", json={"status": "online"}, headers=H)
    await open_console(client)
    conv = (await (await client.get(f"/api/agent/conversations/{cid}")).json())["conversation"]
    assert conv["owner"] == "agent" and conv["assignee"]["name"] == "Demo Agent"


async def test_text_rating_keeps_the_conversation_resolved(
    client: Any, aiohttp_client: Any
) -> None:
    agent = await make_agent(client, aiohttp_client, "qian@kefu.local", "小钱")
    v = await escalate(client, "我要人工")
    await v.until(system_text(v, "小钱"))
    await agent.post(f"/api/agent/conversations/{v.conversation_id}/resolve", json={}, headers=H)
    await v.until(lambda f: f["type"] == "message" and f.get("survey"))
    await v.say("满意")
    await v.until(system_text(v, "4 分"))
    conv = (await (await agent.get(f"/api/agent/conversations/{v.conversation_id}")).json())[
        "conversation"
    ]
    assert conv["owner"] == "resolved" and conv["ticket"]["csat"] == 4
    # Anything else afterwards goes back to the bot, as before.
    answer = await v.reply_to("怎么申请退货")
    assert "退货" in answer["text"]


async def test_illegal_moves_are_409_and_pending_pauses_until_the_customer_writes(
    client: Any, aiohttp_client: Any
) -> None:
    agent = await make_agent(client, aiohttp_client, "sun@kefu.local", "小孙")
    v = await escalate(client, "空调不制冷")
    await v.until(system_text(v, "小孙"))
    cid = v.conversation_id
    t = (await (await agent.get(f"/api/agent/conversations/{cid}")).json())["conversation"][
        "ticket"
    ]
    number = t["number"]
    assert t["category"] == "repair" and t["priority"] == "normal"
    bad = await agent.post(
        f"/api/agent/tickets/{number}/status", json={"status": "closed"}, headers=H
    )
    assert bad.status == 409
    err = (await bad.json())["error"]
    assert (
        err["code"] == "illegal_transition" and "open ticket cannot become closed" in err["message"]
    )
    assert (
        await agent.post(f"/api/agent/tickets/{number}/status", json={"status": "x"}, headers=H)
    ).status == 409
    pend = await agent.post(f"/api/agent/conversations/{cid}/pending", json={}, headers=H)
    assert (await pend.json())["conversation"]["ticket"]["status"] == "pending"
    await v.say("型号是 KFR-35")
    await v.until(lambda f: f["type"] == "message" and f["text"] == "型号是 KFR-35")
    detail = (await (await agent.get(f"/api/agent/tickets/{number}")).json())["ticket"]
    assert detail["status"] == "open" and detail["pending_since"] is None
    moves = [
        (e["detail"].get("from"), e["detail"].get("to"), e["actor"])
        for e in detail["events"]
        if e["action"] == "status"
    ]
    assert ("open", "pending", "agent") in moves and ("pending", "open", "customer") in moves


async def test_queue_wait_offline_release_and_transfer(client: Any, aiohttp_client: Any) -> None:
    a = await make_agent(client, aiohttp_client, "a@kefu.local", "甲", max_concurrent=1)
    v1 = await escalate(client, "请帮我查一下订单")
    await v1.until(system_text(v1, "甲"))
    v2 = await escalate(client, "我的快递到哪了")
    wait = await v2.until(bot_text("预计等待"))
    assert "分钟" in wait["text"]
    b = await make_agent(client, aiohttp_client, "b@kefu.local", "乙")
    await v2.until(system_text(v2, "乙"))  # 乙 came online and took the queue
    # 甲 goes offline: the conversation is released; 乙 is full? no: 乙 has capacity 5.
    await a.post("/api/agent/status", json={"status": "offline"}, headers=H)
    conv = (await (await b.get(f"/api/agent/conversations/{v1.conversation_id}")).json())[
        "conversation"
    ]
    assert conv["owner"] == "agent" and conv["assignee"]["name"] == "乙"
    # Transfer with a note to the demo agent (online now).
    await client.post("/api/agent/status", json={"status": "online"}, headers=H)
    await open_console(client)
    agents = (await (await b.get("/api/agent/agents")).json())["agents"]
    demo = next(x for x in agents if x["email"] == "demo@kefu.local")
    moved = await b.post(
        f"/api/agent/conversations/{v1.conversation_id}/transfer",
        json={"agent_id": demo["id"], "note": "客户要求退款"},
        headers=H,
    )
    body = (await moved.json())["conversation"]
    assert body["assignee"]["name"] == "Demo Agent"
    detail = (await (await client.get(f"/api/agent/conversations/{v1.conversation_id}")).json())[
        "conversation"
    ]
    notes = [m["text"] for m in detail["messages"] if m["private"]]
    assert any("客户要求退款" in n for n in notes)
    offline = next(x for x in agents if x["email"] == "a@kefu.local")
    refused = await client.post(
        f"/api/agent/conversations/{v1.conversation_id}/transfer",
        json={"agent_id": offline["id"]},
        headers=H,
    )
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "agent_offline"


async def test_helpful_votes_canned_replies_merge_and_roles(
    client: Any, aiohttp_client: Any
) -> None:
    v = await Visitor(client).start()
    answer = await v.reply_to("怎么申请退货")
    assert answer["entry_id"] and answer["feedback"] == "helpful"
    await v.ws.send_json({"type": "feedback", "seq": answer["seq"], "value": "up"})
    await v.until(lambda f: f["type"] == "feedback_ok")
    await v.ws.send_json({"type": "feedback", "seq": answer["seq"], "value": 9})
    assert (await v.until(lambda f: f["type"] == "error"))["code"] == "bad_frame"
    async with client.app[SERVICES].db.reader() as session:
        counts = await helpful_counts(session)
    assert counts == {answer["entry_id"]: (1, 0)}

    await login(client)
    made = await client.post(
        "/api/admin/canned",
        json={
            "shortcut": "hi",
            "title": "问候",
            "text": "{customer_name}您好，我是{agent_name}，工单 {ticket_number}。",
        },
        headers=H,
    )
    assert made.status == 201
    dup = await client.post("/api/admin/canned", json={"shortcut": "hi", "text": "x"}, headers=H)
    assert dup.status == 409
    await v.reply_to("转人工")
    canned = (
        await (await client.get(f"/api/agent/canned?conversation_id={v.conversation_id}")).json()
    )["canned"]
    assert canned[0]["rendered"].startswith("您好，我是Demo Agent，工单 #")  # no 您您好

    other = await escalate(client, "洗碗机坏了")
    await other.until(bot_text("没有客服在线"))
    tickets = (await (await client.get("/api/agent/tickets")).json())["tickets"]
    first, second = sorted(t["number"] for t in tickets)
    merged = await client.post(
        f"/api/agent/tickets/{second}/merge", json={"into": first}, headers=H
    )
    body = (await merged.json())["ticket"]
    assert body["status"] == "closed" and body["merged_into"] == first
    again = await client.post(f"/api/agent/tickets/{second}/merge", json={"into": first}, headers=H)
    assert again.status == 409

    plain = await aiohttp_client(client.server)
    await client.post(
        "/api/admin/agents",
        json={"email": "p@kefu.local", "name": "P", "password": "pw-1234"},
        headers=H,
    )
    await login(plain, "p@kefu.local", "pw-1234")
    assert (
        await plain.post(
            "/api/admin/agents",
            json={"email": "q@x.cn", "name": "Q", "password": "pw-1234"},
            headers=H,
        )
    ).status == 403
    assert (
        await plain.post("/api/admin/canned", json={"shortcut": "a", "text": "b"}, headers=H)
    ).status == 403
    assert (await plain.post("/api/agent/status", json={"status": "busy"}, headers=H)).status == 400
    assert (await plain.post("/api/agent/status", json={"status": "online"})).status == 403  # CSRF


async def test_a_vote_counts_on_the_kb_entry_and_a_change_of_mind_moves_it(client: Any) -> None:
    from kb.tables import KbEntry

    v = await Visitor(client).start()
    answer = await v.reply_to("怎么申请退货")

    async def counts() -> tuple[int, int]:
        async with client.app[SERVICES].db.reader() as session:
            entry = await session.get(KbEntry, answer["entry_id"])
            assert entry is not None
            return entry.helpful, entry.unhelpful

    before = await counts()
    await v.ws.send_json({"type": "feedback", "seq": answer["seq"], "value": "up"})
    await v.until(lambda f: f["type"] == "feedback_ok")
    await v.ws.send_json({"type": "feedback", "seq": answer["seq"], "value": "up"})
    await v.until(lambda f: f["type"] == "feedback_ok")
    assert await counts() == (before[0] + 1, before[1])  # the same vote twice counts once
    await v.ws.send_json({"type": "feedback", "seq": answer["seq"], "value": "down"})
    await v.until(lambda f: f["type"] == "feedback_ok")
    assert await counts() == (before[0], before[1] + 1)


async def test_a_ticket_is_about_what_the_bot_last_answered(
    client: Any, aiohttp_client: Any
) -> None:
    """The ticket's category is the category of the knowledge-base entry the bot answered
    with before the customer asked for a person (kept with the answer)."""
    agent = await make_agent(client, aiohttp_client, "zhou@kefu.local", "小周")
    v = await escalate(client, "退款多久能到账？")
    await v.until(system_text(v, "小周"))
    t = (await (await agent.get(f"/api/agent/conversations/{v.conversation_id}")).json())[
        "conversation"
    ]["ticket"]
    assert t["category"] == "refunds"
