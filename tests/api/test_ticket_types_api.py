"""Tickets of a type with its fields through the public API (issue 18: "tickets (create with
type and fields, update ...)"): the console's ticket types, checked the same way."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import bearer, mint


async def test_a_ticket_is_opened_typed_with_fields_which_its_status_then_needs(
    api_client: Any, aiohttp_client: Any
) -> None:
    token = bearer(await mint(api_client, ["tickets:write", "contacts:read"]))
    erp = await aiohttp_client(api_client.server)
    complaint = {
        "contact": {"email": "qian@example.cn", "name": "钱女士"},
        "subject": "快递员态度差",
        "text": "送货时摔了箱子",
        "type": "complaint",
        "fields": {"about": "物流", "detail": "送货时摔了箱子"},
    }
    made = await erp.post("/api/v1/tickets", json=complaint, headers=token)
    assert made.status == 201, await made.text()
    ticket = (await made.json())["ticket"]
    assert ticket["type"]["key"] == "complaint" and ticket["type"]["name"]["zh"] == "投诉"
    assert ticket["fields"] == {"about": "delivery", "detail": "送货时摔了箱子"}  # cleaned
    number = ticket["number"]

    # Refused values name the field, and nothing is created (not even the new contact).
    for change, status, code in (
        ({"fields": {"about": "天气"}}, 400, "bad_field"),
        ({"fields": {"colour": "red"}}, 400, "bad_field"),
        ({"type": "no_such_type", "fields": {}}, 404, "no_ticket_type"),
        ({"type": None, "fields": {"about": "物流"}}, 400, "no_ticket_type"),
        ({"fields": ["about"]}, 400, "bad_field"),
    ):
        body = {**complaint, "contact": {"email": "nobody@example.cn"}, **change}
        refused = await erp.post("/api/v1/tickets", json=body, headers=token)
        assert refused.status == status, await refused.text()
        assert (await refused.json())["error"]["code"] == code
    found = await erp.get("/api/v1/contacts?email=nobody@example.cn", headers=token)
    assert (await found.json())["contacts"] == []

    # A "type" that names no ticket type is still a free category, untyped.
    free = await erp.post(
        "/api/v1/tickets",
        json={"contact": {"email": "sun@example.cn"}, "subject": "回电", "type": "callback"},
        headers=token,
    )
    plain = (await free.json())["ticket"]
    assert plain["category"] == "callback" and plain["type"] is None and plain["fields"] == {}

    # The type's required fields hold for the API as for the console.
    url = f"/api/v1/tickets/{number}"
    assert (await erp.post(f"{url}/status", json={"status": "pending"}, headers=token)).ok
    early = await erp.post(f"{url}/status", json={"status": "resolved"}, headers=token)
    assert early.status == 409 and (await early.json())["error"]["code"] == "field_required"
    filled = await erp.patch(url, json={"fields": {"outcome": "已致歉并补偿"}}, headers=token)
    assert filled.status == 200, await filled.text()
    assert (await filled.json())["ticket"]["fields"]["outcome"] == "已致歉并补偿"
    done = await erp.post(f"{url}/status", json={"status": "resolved"}, headers=token)
    assert done.status == 200 and (await done.json())["ticket"]["status"] == "resolved"

    # The change is on the ticket's trail, named for the token like every API change.
    trail = await api_client.get(f"/api/agent/tickets/{number}")
    events = (await trail.json())["ticket"]["events"]
    [entry] = [e for e in events if e["action"] == "fields"]
    assert entry["detail"]["changes"] == {"outcome": ["", "已致歉并补偿"]}
    assert entry["detail"]["via"] == "api:erp"

    # Retyping by PATCH: the new type's fields, the old values it has no field for dropped.
    moved = await erp.patch(
        f"/api/v1/tickets/{plain['number']}",
        json={"type": "inquiry", "fields": {"question": "几点回电？"}},
        headers=token,
    )
    assert moved.status == 200, await moved.text()
    retyped = (await moved.json())["ticket"]
    assert retyped["type"]["key"] == "inquiry" and retyped["fields"] == {"question": "几点回电？"}
    assert retyped["category"] == "inquiry"
