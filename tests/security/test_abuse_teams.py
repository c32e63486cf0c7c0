"""Teams: an agent cannot read or act on another team's conversations; supervisors can."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from core.context import SERVICES
from core.models import Conversation
from tests.helpers import AGENT_HEADERS, Visitor, login
from tests.security.abuse import Door
from tests.security.test_abuse_http import stored_customer_messages


async def _agent(client: Any, admin: Any, email: str, role: str = "agent") -> int:
    resp = await admin.post(
        "/api/admin/agents",
        json={"email": email, "name": email.split("@")[0], "password": "pw-1234", "role": role},
        headers=AGENT_HEADERS,
    )
    assert resp.status == 201, await resp.text()
    return int((await resp.json())["agent"]["id"])


async def test_another_teams_conversation_is_forbidden(kefu: Any, aiohttp_client: Any) -> None:
    """Web chat given to team A: B's agent sees nothing of it; A's agent and a supervisor do."""
    door = Door("console: team permissions")
    admin = kefu
    await login(admin)
    teams = {}
    for name in ("售后 A", "Sales B"):
        resp = await admin.post("/api/admin/teams", json={"name": name}, headers=AGENT_HEADERS)
        assert resp.status == 201
        teams[name] = (await resp.json())["team"]["id"]
    dup = await admin.post("/api/admin/teams", json={"name": "Sales B"}, headers=AGENT_HEADERS)
    assert dup.status == 409
    ids = {
        "a": await _agent(kefu, admin, "a@kefu.local"),
        "b": await _agent(kefu, admin, "b@kefu.local"),
        "loner": await _agent(kefu, admin, "loner@kefu.local"),
        "sup": await _agent(kefu, admin, "sup@kefu.local", "supervisor"),
    }
    for who, team in (("a", "售后 A"), ("b", "Sales B")):
        resp = await admin.put(
            f"/api/admin/agents/{ids[who]}/team",
            json={"team_id": teams[team]},
            headers=AGENT_HEADERS,
        )
        assert resp.status == 200 and (await resp.json())["agent"]["team_id"] == teams[team]
    resp = await admin.put(
        "/api/admin/inboxes/web/team", json={"team_id": teams["售后 A"]}, headers=AGENT_HEADERS
    )
    assert resp.status == 200

    visitor = await Visitor(kefu).start()
    await visitor.reply_to("转人工")  # escalated: a ticket, queued
    door.legit_sent += 1
    cid = visitor.conversation_id

    clients = {}
    for who in ("a", "b", "loner", "sup"):
        c = await aiohttp_client(kefu.server)  # the same server, a browser of its own
        await login(c, f"{who}@kefu.local", "pw-1234")
        clients[who] = c

    async def reads(c: Any) -> list[int]:
        return [
            await door.hit(p, lambda p=p: c.get(p, headers=AGENT_HEADERS), expect_4xx=False)  # type: ignore[misc]
            for p in (
                f"/api/agent/conversations/{cid}",
                f"/api/agent/conversations/{cid}/customer",
                f"/api/agent/conversations/{cid}/suggestions",
                f"/api/agent/canned?conversation_id={cid}",
            )
        ]

    async def listed(c: Any) -> tuple[bool, bool]:
        convs = await (
            await c.get("/api/agent/conversations?owner=queued", headers=AGENT_HEADERS)
        ).json()
        tickets = await (await c.get("/api/agent/tickets", headers=AGENT_HEADERS)).json()
        return (
            any(x["id"] == cid for x in convs["conversations"]),
            any(t["conversation_id"] == cid for t in tickets["tickets"]),
        )

    for outsider in ("b", "loner"):
        c = clients[outsider]
        assert await reads(c) == [403, 403, 403, 403], outsider
        body = await (await c.get(f"/api/agent/conversations/{cid}", headers=AGENT_HEADERS)).json()
        assert body["error"]["code"] == "other_team" and "团队" in body["error"]["message"]
        assert await listed(c) == (False, False)
        for action, payload in (
            ("takeover", {}),
            ("messages", {"text": "hi"}),
            ("resolve", {}),
            ("pending", {}),
        ):
            status = await door.hit(
                action,
                lambda a=action, p=payload, c=c: c.post(  # type: ignore[misc]
                    f"/api/agent/conversations/{cid}/{a}", json=p, headers=AGENT_HEADERS
                ),
            )
            assert status == 403, (outsider, action)
        tickets = await (
            await clients["sup"].get("/api/agent/tickets", headers=AGENT_HEADERS)
        ).json()
        number = next(t["number"] for t in tickets["tickets"] if t["conversation_id"] == cid)
        calls: tuple[tuple[str, str, dict[str, str] | None], ...] = (
            ("GET", f"/api/agent/tickets/{number}", None),
            ("POST", f"/api/agent/tickets/{number}/status", {"status": "open"}),
            ("PATCH", f"/api/agent/tickets/{number}", {"priority": "high"}),
            ("POST", f"/api/agent/kb/from-conversation/{cid}", {}),
            ("POST", f"/api/agent/kb/from-conversation/+{cid}", {}),  # int("+5") is 5 too
        )
        for method, path, data in calls:
            status = await door.hit(
                path,
                lambda m=method, p=path, j=data, c=c: c.request(  # type: ignore[misc]
                    m, p, json=j, headers=AGENT_HEADERS
                ),
            )
            assert status == 403, (outsider, method, path)

    for insider in ("a", "sup"):
        assert await reads(clients[insider]) == [200, 200, 200, 200], insider
        assert await listed(clients[insider]) == (True, True)
    # B holds one conversation of that inbox (assigned to them): B may not merge it into
    # the team's ticket, which would hand B's case to, and reveal it in, a ticket B can't see.
    other = await Visitor(kefu).start()
    await other.reply_to("转人工")
    door.legit_sent += 1
    async with kefu.server.app[SERVICES].db.transaction() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == other.conversation_id)
            .values(assignee_id=ids["b"])
        )
    mine = await (await clients["b"].get("/api/agent/tickets", headers=AGENT_HEADERS)).json()
    [own] = [t["number"] for t in mine["tickets"] if t["conversation_id"] == other.conversation_id]
    merge = await clients["b"].post(
        f"/api/agent/tickets/{own}/merge", json={"into": number}, headers=AGENT_HEADERS
    )
    assert merge.status == 403 and (await merge.json())["error"]["code"] == "other_team"
    kept = await (await clients["b"].get(f"/api/agent/tickets/{own}", headers=AGENT_HEADERS)).json()
    assert kept["ticket"]["merged_into"] is None and kept["ticket"]["status"] != "closed"

    # Live console sockets: A hears about the takeover, B (another team) hears nothing of it.
    live = {who: await clients[who].ws_connect("/api/agent/ws") for who in ("a", "b")}
    takeover = await clients["a"].post(
        f"/api/agent/conversations/{cid}/takeover", headers=AGENT_HEADERS
    )
    assert takeover.status == 200
    while True:
        event = await live["a"].receive_json(timeout=10)
        if event.get("conversation_id") == cid and event.get("owner") == "agent":
            break
    taken_seq = event["seq"]

    # The inbox back to every team: B may read it again, and hears of it again.
    await admin.put("/api/admin/inboxes/web/team", json={"team_id": None}, headers=AGENT_HEADERS)
    assert (await reads(clients["b"]))[0] == 200
    await visitor.say("还在吗？")
    door.legit_sent += 1
    while True:
        event = await live["b"].receive_json(timeout=10)
        if event.get("conversation_id") == cid:
            break
    assert event["seq"] > taken_seq  # B's first word of it came after the inbox was shared
    for ws in live.values():
        await ws.close()
    await door.finish(kefu, await stored_customer_messages(kefu))
