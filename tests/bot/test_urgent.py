"""Complaints, hazards and anger reach a person on the first message (issue 16).

Driven like a customer would: a web chat visitor on the full app, on SQLite and on the real
PostgreSQL server; the console API shows the ticket that was opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS


@pytest.fixture
async def desk(database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any) -> Any:
    """The full app with the demo KB and the demo admin, on SQLite and on PostgreSQL."""
    from core.app import create_app

    settings = make_settings(tmp_path / "app-data", database_url)
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


def from_kefu(f: dict[str, Any]) -> bool:
    return f["type"] == "message" and f["sender"] in ("bot", "system")


async def tickets(client: Any) -> list[dict[str, Any]]:
    await login(client)
    return list((await (await client.get("/api/agent/tickets")).json())["tickets"])


async def test_the_issue_conversation_opens_an_urgent_ticket_on_the_first_message(
    desk: Any,
) -> None:
    v = await Visitor(desk).start()
    await v.say("我家的热水器漏电了，太危险了，我要投诉！")
    notice = await v.until(lambda f: from_kefu(f) and "工单号" in f["text"])
    said = [m["text"] for m in v.messages() if m["sender"] in ("bot", "system")]
    # The safety advice of the knowledge base comes first, then the person who takes it.
    assert "总电源" in said[0] and "为了您的安全" in said[0], said
    assert "人工客服" in notice["text"] and "抱歉，我还没理解" not in "".join(said)
    [ticket] = await tickets(desk)
    assert ticket["priority"] == "urgent" and ticket["skills"] == ["supervisor"]
    assert f"#{ticket['number']}" in notice["text"]
    detail = (await (await desk.get(f"/api/agent/tickets/{ticket['number']}")).json())["ticket"]
    assert detail["reason"] == "hazard"
    created = next(e for e in detail["events"] if e["action"] == "created")
    assert created["detail"]["kinds"] == ["hazard", "complaint"]
    conv = await (await desk.get(f"/api/agent/conversations/{v.conversation_id}")).json()
    assert conv["conversation"]["owner"] == "queued"  # nobody online: it waits for a person


async def test_an_english_hazard_is_answered_in_english_with_the_safety_advice(
    client: Any,
) -> None:
    v = await Visitor(client).start()
    await v.say("There's smoke coming out of the dryer and a burning smell")
    notice = await v.until(lambda f: from_kefu(f) and "ticket #" in f["text"])
    said = [m["text"] for m in v.messages() if m["sender"] in ("bot", "system")]
    assert said[0].startswith("For your safety") and "extinguisher" in said[0], said
    assert "passed it to a person" in notice["text"]
    [ticket] = await tickets(client)
    assert ticket["priority"] == "urgent"


async def test_a_complaint_goes_to_the_online_supervisor_not_the_agent(
    client: Any, aiohttp_client: Any
) -> None:
    from tests.handoff.test_desk import make_agent

    await make_agent(client, aiohttp_client, "li@kefu.local", "小李")
    await make_agent(client, aiohttp_client, "zhang@kefu.local", "张主管", role="supervisor")
    v = await Visitor(client).start()
    await v.say("I want to file a formal complaint about the installer, he damaged my floor")
    await v.until(lambda f: from_kefu(f) and "complaint is recorded" in f["text"])
    joined = await v.until(lambda f: from_kefu(f) and "张主管" in f["text"])
    assert "小李" not in joined["text"]
    [ticket] = await tickets(client)
    assert ticket["assignee"]["name"] == "张主管" and ticket["sentiment"] == "negative"


@pytest.mark.parametrize(
    "text",
    ["投诉流程是什么？", "How do I file a complaint?", "不是投诉，就是想问一下安装时间"],
)
async def test_policy_questions_and_negations_stay_with_the_bot(client: Any, text: str) -> None:
    v = await Visitor(client).start()
    await v.reply_to(text)
    await login(client)
    conv = await client.get(f"/api/agent/conversations/{v.conversation_id}")
    assert (await conv.json())["conversation"]["owner"] == "bot"
    assert await tickets(client) == []


async def test_escalating_at_once_can_be_switched_off(
    demo_settings: Any, embedder: Any, aiohttp_client: Any
) -> None:
    from core.app import create_app

    settings = make_settings(demo_settings.data_path, triage={"escalate_at_once": []})
    client = await aiohttp_client(create_app(settings, embedder=embedder))
    v = await Visitor(client).start()
    first = await v.reply_to("这是什么破服务，气死我了")
    assert "工单号" not in first["text"]
    assert await tickets(client) == []
