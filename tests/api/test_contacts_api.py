"""Contacts over the public API: a company system's own customer number (external id),
updates, and merging a web chat visitor into the customer the ERP knows."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import bearer, mint
from tests.helpers import AGENT_HEADERS, Visitor


async def test_contacts_are_found_and_kept_apart_by_external_id(
    api_client: Any, aiohttp_client: Any
) -> None:
    secret = await mint(api_client, ["contacts:write"])
    erp = await aiohttp_client(api_client.server)
    made = await erp.post(
        "/api/v1/contacts",
        json={"name": "李娜", "external_id": " CRM-0042 ", "phone": "13900000001"},
        headers=bearer(secret),
    )
    assert made.status == 201, await made.text()
    lina = (await made.json())["contact"]
    assert lina["external_id"] == "CRM-0042"
    found = await erp.get("/api/v1/contacts?external_id=CRM-0042", headers=bearer(secret))
    assert [c["id"] for c in (await found.json())["contacts"]] == [lina["id"]]
    none = await erp.get("/api/v1/contacts?external_id=CRM-9999", headers=bearer(secret))
    assert (await none.json())["contacts"] == []

    # The same number for someone else: 409, on create and on update.
    dup = await erp.post(
        "/api/v1/contacts", json={"name": "别人", "external_id": "CRM-0042"}, headers=bearer(secret)
    )
    assert dup.status == 409 and (await dup.json())["error"]["code"] == "contact_exists"
    other = await erp.post("/api/v1/contacts", json={"name": "张三"}, headers=bearer(secret))
    other_id = (await other.json())["contact"]["id"]
    clash = await erp.patch(
        f"/api/v1/contacts/{other_id}", json={"external_id": "CRM-0042"}, headers=bearer(secret)
    )
    assert clash.status == 409
    # An update of the contact's own fields keeps its number; a bad number is a 400.
    own = await erp.patch(
        f"/api/v1/contacts/{lina['id']}",
        json={"external_id": "CRM-0042", "company": "某某电器"},
        headers=bearer(secret),
    )
    assert own.status == 200 and (await own.json())["contact"]["company"] == "某某电器"
    bad = await erp.patch(
        f"/api/v1/contacts/{other_id}", json={"external_id": "a\nb"}, headers=bearer(secret)
    )
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_contact"
    # A ticket for {"external_id"} finds the customer instead of making a second one.
    write = await mint(api_client, ["tickets:write"], name="oa")
    opened = await erp.post(
        "/api/v1/tickets",
        json={"contact": {"external_id": "CRM-0042"}, "subject": "安装预约", "text": ""},
        headers=bearer(write),
    )
    assert opened.status == 201, await opened.text()
    assert (await opened.json())["ticket"]["contact_id"] == lina["id"]


async def test_a_web_chat_visitor_merged_into_the_erp_customer_keeps_the_conversation(
    api_client: Any, aiohttp_client: Any
) -> None:
    secret = await mint(api_client, ["contacts:write", "conversations:read"])
    erp = await aiohttp_client(api_client.server)
    made = await erp.post(
        "/api/v1/contacts",
        json={"name": "陈先生", "external_id": "CRM-7", "phone": "13900000002"},
        headers=bearer(secret),
    )
    keep = (await made.json())["contact"]["id"]
    v = await Visitor(await aiohttp_client(api_client.server)).start()
    await v.reply_to("你好")
    url = f"/api/v1/conversations/{v.conversation_id}/messages"
    visitor_id = (await (await erp.get(url, headers=bearer(secret))).json())["conversation"][
        "contact_id"
    ]
    patched = await erp.patch(
        f"/api/v1/contacts/{visitor_id}",
        json={"email": "chen@example.cn", "external_id": "WEB-1"},
        headers=bearer(secret),
    )
    assert patched.status == 200

    merged = await erp.post(
        f"/api/v1/contacts/{visitor_id}/merge", json={"into": keep}, headers=bearer(secret)
    )
    assert merged.status == 200, await merged.text()
    kept = (await merged.json())["contact"]
    # The kept contact keeps its own number and gains the visitor's email.
    assert (kept["id"], kept["external_id"], kept["email"]) == (keep, "CRM-7", "chen@example.cn")
    convo = await (await erp.get(url, headers=bearer(secret))).json()
    assert convo["conversation"]["contact_id"] == keep
    assert (await erp.get(f"/api/v1/contacts/{visitor_id}", headers=bearer(secret))).status == 404
    # The visitor writes again: still the same conversation, now the ERP's customer's.
    await v.reply_to("我的订单")
    convo = await (await erp.get(url, headers=bearer(secret))).json()
    assert convo["conversation"]["contact_id"] == keep

    # An erased contact loses its external id and cannot be merged into anyone.
    gone = await erp.post(
        "/api/v1/contacts", json={"name": "已注销", "external_id": "CRM-8"}, headers=bearer(secret)
    )
    gone_id = (await gone.json())["contact"]["id"]
    erased = await api_client.post(
        f"/api/admin/contacts/{gone_id}/erase",
        json={"reason": "客户申请注销"},
        headers=AGENT_HEADERS,
    )
    assert erased.status == 200, await erased.text()
    after = await erp.get(f"/api/v1/contacts/{gone_id}", headers=bearer(secret))
    assert (await after.json())["contact"]["external_id"] is None
    found = await erp.get("/api/v1/contacts?external_id=CRM-8", headers=bearer(secret))
    assert (await found.json())["contacts"] == []
    refused = await erp.post(
        f"/api/v1/contacts/{gone_id}/merge", json={"into": keep}, headers=bearer(secret)
    )
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "contact_erased"
