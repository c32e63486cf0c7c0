"""Customer identity in the console (issue 15): agents edit a contact with validation and
an audit, merge two contacts, and the customer 360 hides opaque identity tokens."""

from __future__ import annotations

from typing import Any

from tests.handoff.test_desk import escalate
from tests.helpers import AGENT_HEADERS, login

H = AGENT_HEADERS


async def queued(client: Any, text: str) -> Any:
    """A customer escalated while the demo agent is away: the conversation waits queued."""
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    v = await escalate(client, text)
    await v.until(lambda f: f["type"] == "message" and f["sender"] == "bot" and f["seq"] > 3)
    return v


async def customer(client: Any, cid: int) -> dict[str, Any]:
    resp = await client.get(f"/api/agent/conversations/{cid}/customer")
    assert resp.status == 200, await resp.text()
    data: dict[str, Any] = await resp.json()
    return data


async def test_an_agent_edits_a_contact_with_cleaning_validation_and_an_audit(
    client: Any,
) -> None:
    await login(client)
    v = await queued(client, "我的洗衣机坏了")
    c360 = await customer(client, v.conversation_id)
    contact_id = c360["contact"]["id"]
    [ident] = c360["identities"]
    assert ident["channel"] == "webchat" and ident["readable"] is False  # a visitor token

    url = f"/api/agent/contacts/{contact_id}"
    bad_phone = await client.patch(url, json={"phone": "12"}, headers=H)
    assert bad_phone.status == 400 and (await bad_phone.json())["error"]["code"] == "bad_phone"
    bad_mail = await client.patch(url, json={"email": "not-an-address"}, headers=H)
    assert bad_mail.status == 400 and (await bad_mail.json())["error"]["code"] == "bad_email"
    bad_tier = await client.patch(url, json={"tier": "gold"}, headers=H)
    assert (await bad_tier.json())["error"]["code"] == "bad_tier"
    no_csrf = await client.patch(url, json={"name": "x"})
    assert no_csrf.status == 403

    ok = await client.patch(
        url,
        json={
            "name": " 张伟 ",
            "phone": "+86 138-1234-5678",
            "email": "Zhang.Wei@Example.COM",
            "company": "海淀店",
            "tier": "vip",
            "note": "老客户",
        },
        headers=H,
    )
    assert ok.status == 200, await ok.text()
    body = await ok.json()
    c = body["contact"]
    assert (c["name"], c["phone"], c["email"], c["tier"]) == (
        "张伟",
        "13812345678",
        "zhang.wei@example.com",
        "vip",
    )
    [event] = body["events"]
    assert event["action"] == "edit" and event["agent"]
    assert event["detail"]["changes"]["phone"] == {"from": None, "to": "13812345678"}
    assert event["detail"]["changes"]["name"]["to"] == "张伟"

    # The conversation list and the 360 show the new name.
    shown = await customer(client, v.conversation_id)
    assert shown["contact"]["name"] == "张伟" and shown["contact"]["company"] == "海淀店"
    listing = await (await client.get("/api/agent/conversations?owner=queued")).json()
    assert [x["contact"]["name"] for x in listing["conversations"]] == ["张伟"]

    # A second edit that changes nothing records nothing.
    same = await client.patch(url, json={"tier": "vip"}, headers=H)
    assert len((await same.json())["events"]) == 1


async def test_merging_moves_conversations_identities_and_tickets_and_is_recorded(
    client: Any,
) -> None:
    await login(client)
    first = await queued(client, "空调不制冷")
    second = await queued(client, "订单还没到")
    keep = (await customer(client, first.conversation_id))["contact"]["id"]
    gone = (await customer(client, second.conversation_id))["contact"]["id"]
    assert keep != gone
    await client.patch(f"/api/agent/contacts/{gone}", json={"phone": "13900001111"}, headers=H)

    # The phone of another contact is refused on edit (merge them instead).
    taken = await client.patch(
        f"/api/agent/contacts/{keep}", json={"phone": "139 0000 1111"}, headers=H
    )
    assert taken.status == 409 and (await taken.json())["error"]["code"] == "contact_exists"

    found = await (await client.get("/api/agent/contacts?q=1390000")).json()
    assert [x["id"] for x in found["contacts"]] == [gone]

    self_merge = await client.post(
        f"/api/agent/contacts/{keep}/merge", json={"into": keep}, headers=H
    )
    assert self_merge.status == 409
    merged = await client.post(f"/api/agent/contacts/{gone}/merge", json={"into": keep}, headers=H)
    assert merged.status == 200, await merged.text()
    body = await merged.json()
    assert body["contact"]["id"] == keep and body["contact"]["phone"] == "13900001111"
    assert body["events"][0]["action"] == "merge"
    assert body["events"][0]["detail"] == {"merged": gone, "name": "", "conversations": 1}

    assert (await client.get(f"/api/agent/contacts/{gone}")).status == 404
    after = await customer(client, second.conversation_id)
    assert after["contact"]["id"] == keep
    assert len(after["identities"]) == 2
    assert {c["id"] for c in after["conversations"]} == {
        first.conversation_id,
        second.conversation_id,
    }
    assert len(after["tickets"]) == 2


async def test_an_agent_of_another_team_cannot_edit_or_merge(
    client: Any, aiohttp_client: Any
) -> None:
    await login(client)
    v = await queued(client, "我的洗衣机坏了")
    contact_id = (await customer(client, v.conversation_id))["contact"]["id"]
    made = await client.post(
        "/api/admin/agents",
        json={"email": "zhao@kefu.local", "name": "小赵", "password": "pw-1234"},
        headers=H,
    )
    zhao = (await made.json())["agent"]["id"]
    other = await aiohttp_client(client.server)
    await login(other, "zhao@kefu.local", "pw-1234")
    url = f"/api/agent/contacts/{contact_id}"
    assert (await other.get(url)).status == 200  # the web inbox has no team: everyone's
    teams = [
        (await (await client.post("/api/admin/teams", json={"name": n}, headers=H)).json())["team"][
            "id"
        ]
        for n in ("售后", "售前")
    ]
    await client.put(f"/api/admin/agents/{zhao}/team", json={"team_id": teams[0]}, headers=H)
    await client.put("/api/admin/inboxes/web/team", json={"team_id": teams[1]}, headers=H)
    resp = await other.patch(url, json={"name": "x"}, headers=H)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "other_team"
    merge = await other.post(f"{url}/merge", json={"into": contact_id}, headers=H)
    assert merge.status == 403
    assert (await other.get("/api/agent/contacts?q=1")).status == 200
