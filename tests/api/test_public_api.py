"""The public API with tokens: scopes, revocation, cookies refused, audit, idempotency, lists."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from api.tables import ApiCall, ApiToken
from core.context import SERVICES
from core.models import Ticket
from intake.tables import TicketEvent
from tests.api.conftest import bearer, mint
from tests.helpers import AGENT_HEADERS, Visitor

WRITE = ["tickets:write", "contacts:write", "conversations:write"]


async def test_write_token_opens_a_ticket_and_its_reply_reaches_web_chat(
    api_client: Any, aiohttp_client: Any
) -> None:
    admin = api_client
    writer = await mint(admin, WRITE, name="erp")
    reader = await mint(admin, ["read"], name="bi")
    erp = await aiohttp_client(admin.server)  # another system: no console cookie at all

    # A ticket for a customer kefu has never seen: the contact is created with it.
    resp = await erp.post(
        "/api/v1/tickets",
        json={
            "contact": {"name": "王先生", "email": "Wang@Example.cn", "phone": "+86 138-0013-8000"},
            "subject": "热水器漏水",
            "text": "订单 A1001 的热水器漏水了",
            "type": "repair",
            "priority": "high",
        },
        headers=bearer(writer),
    )
    assert resp.status == 201, await resp.text()
    ticket = (await resp.json())["ticket"]
    assert ticket["status"] == "new" and ticket["priority"] == "high"
    assert ticket["category"] == "repair" and ticket["subject"] == "热水器漏水"
    found = await erp.get("/api/v1/contacts?email=wang@example.cn", headers=bearer(reader))
    [contact] = (await found.json())["contacts"]
    assert contact["id"] == ticket["contact_id"] and contact["phone"] == "13800138000"
    by_phone = await erp.get("/api/v1/contacts?phone=13800138000", headers=bearer(reader))
    assert [c["id"] for c in (await by_phone.json())["contacts"]] == [contact["id"]]

    # A customer on web chat: the API's public reply goes out through the widget.
    v = await Visitor(await aiohttp_client(admin.server)).start()
    url = f"/api/v1/conversations/{v.conversation_id}/messages"
    sent = await erp.post(url, json={"text": "您好，我们已收到您的问题"}, headers=bearer(writer))
    assert sent.status == 201, await sent.text()
    assert (await sent.json())["message"]["agent_name"] == "Admin"
    frame = await v.until(lambda f: f["type"] == "message" and f["text"].startswith("您好，我们"))
    assert frame["sender"] == "agent"

    # A ticket on that conversation; its public comment reaches the widget, a private one not.
    convo = await (await erp.get(url, headers=bearer(reader))).json()
    visitor_contact = convo["conversation"]["contact_id"]
    opened = await erp.post(
        "/api/v1/tickets",
        json={
            "contact": {"id": visitor_contact},
            "conversation_id": v.conversation_id,
            "subject": "网页咨询",
            "text": "",
        },
        headers=bearer(writer),
    )
    assert opened.status == 201, await opened.text()
    number = (await opened.json())["ticket"]["number"]
    note = await erp.post(
        f"/api/v1/tickets/{number}/comments",
        json={"text": "内部备注：VIP", "public": False},
        headers=bearer(writer),
    )
    assert note.status == 201 and (await note.json())["message"]["private"] is True
    public = await erp.post(
        f"/api/v1/tickets/{number}/comments",
        json={"text": "维修师傅明天上门", "public": True},
        headers=bearer(writer),
    )
    assert public.status == 201
    await v.until(lambda f: f["type"] == "message" and f["text"] == "维修师傅明天上门")
    assert not any(f.get("text") == "内部备注：VIP" for f in v.frames)

    # The read-only token may read, not write: 403 on the very same calls.
    for path, body in (
        ("/api/v1/tickets", {"contact": {"id": visitor_contact}, "subject": "x", "text": "y"}),
        (url, {"text": "hi"}),
    ):
        refused = await erp.post(path, json=body, headers=bearer(reader))
        assert refused.status == 403
        assert (await refused.json())["error"]["code"] == "scope_required"
    assert (await erp.get(f"/api/v1/tickets/{number}", headers=bearer(reader))).status == 200

    # The console's cookie opens nothing under /api/v1; a token opens nothing in the console.
    cookie_only = await admin.get(f"/api/v1/tickets/{number}", headers=AGENT_HEADERS)
    assert cookie_only.status == 401
    assert (await cookie_only.json())["error"]["code"] == "token_required"
    assert (await erp.get("/api/agent/me", headers=bearer(writer))).status == 401
    assert (await erp.get("/api/admin/tokens", headers=bearer(writer))).status == 401

    # Revoked: 401 at once.
    tokens = (await (await admin.get("/api/admin/tokens")).json())["tokens"]
    erp_id = next(t["id"] for t in tokens if t["name"] == "erp")
    assert (await admin.delete(f"/api/admin/tokens/{erp_id}", headers=AGENT_HEADERS)).status == 200
    gone = await erp.post(url, json={"text": "还在吗"}, headers=bearer(writer))
    assert gone.status == 401 and (await gone.json())["error"]["code"] == "token_revoked"

    # Every call is audited with the token's name; ticket changes carry it too.
    db = admin.app[SERVICES].db
    async with db.reader() as session:
        calls = list((await session.execute(select(ApiCall).order_by(ApiCall.id))).scalars())
        events = list(
            (
                await session.execute(
                    select(TicketEvent)
                    .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                    .where(Ticket.number == number)
                )
            ).scalars()
        )
    assert ("erp", "POST", "/api/v1/tickets", 201) in [
        (c.token_name, c.method, c.path, c.status) for c in calls
    ]
    assert ("bi", 403) in [(c.token_name, c.status) for c in calls]
    assert ("erp", 401) in [(c.token_name, c.status) for c in calls]
    assert events and all(e.detail.get("via") == "api:erp" for e in events)


async def test_token_secret_is_shown_once_and_stored_hashed(api_client: Any) -> None:
    resp = await api_client.post(
        "/api/admin/tokens",
        json={"name": "oa", "scopes": ["tickets:write"]},
        headers=AGENT_HEADERS,
    )
    assert resp.status == 201
    body = await resp.json()
    secret = body["secret"]
    assert body["token"]["scopes"] == ["tickets:read", "tickets:write"]  # write implies read
    listing = await (await api_client.get("/api/admin/tokens")).text()
    assert secret not in listing and secret[10:] not in listing
    async with api_client.app[SERVICES].db.reader() as session:
        row = (await session.execute(select(ApiToken))).scalar_one()
    assert secret not in row.secret_hash and len(row.secret_hash) == 64

    bad = await api_client.post(
        "/api/admin/tokens", json={"name": "x", "scopes": ["everything"]}, headers=AGENT_HEADERS
    )
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_scopes"
    no_csrf = await api_client.post("/api/admin/tokens", json={"name": "x", "scopes": ["read"]})
    assert no_csrf.status == 403


async def test_rotation_ends_the_old_secret(api_client: Any, aiohttp_client: Any) -> None:
    old = await mint(api_client, ["read"])
    other = await aiohttp_client(api_client.server)
    assert (await other.get("/api/v1/tickets", headers=bearer(old))).status == 200
    [token] = (await (await api_client.get("/api/admin/tokens")).json())["tokens"]
    rotated = await api_client.post(
        f"/api/admin/tokens/{token['id']}/rotate", headers=AGENT_HEADERS
    )
    new = (await rotated.json())["secret"]
    assert new != old
    assert (await other.get("/api/v1/tickets", headers=bearer(old))).status == 401
    assert (await other.get("/api/v1/tickets", headers=bearer(new))).status == 200


async def test_rate_limit_is_per_token(api_client: Any, aiohttp_client: Any) -> None:
    slow = await mint(api_client, ["read"], name="slow", rate_limit=3)
    fast = await mint(api_client, ["read"], name="fast")
    other = await aiohttp_client(api_client.server)
    statuses = [(await other.get("/api/v1/tickets", headers=bearer(slow))).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = await other.get("/api/v1/tickets", headers=bearer(slow))
    assert limited.headers["Retry-After"] == "60"
    assert (await limited.json())["error"]["code"] == "rate_limited"
    assert (await other.get("/api/v1/tickets", headers=bearer(fast))).status == 200


async def test_idempotency_key_replays_and_refuses_another_body(
    api_client: Any, aiohttp_client: Any
) -> None:
    secret = await mint(api_client, WRITE)
    other = await aiohttp_client(api_client.server)
    key = {"Idempotency-Key": uuid.uuid4().hex, **bearer(secret)}
    body = {"contact": {"email": "li@example.cn"}, "subject": "退款", "text": "还没到账"}
    first = await other.post("/api/v1/tickets", json=body, headers=key)
    again = await other.post("/api/v1/tickets", json=body, headers=key)
    assert first.status == again.status == 201
    assert (await first.json()) == (await again.json())
    assert again.headers.get("Idempotent-Replayed") == "true"
    changed = await other.post("/api/v1/tickets", json={**body, "subject": "换货"}, headers=key)
    assert changed.status == 422
    assert (await changed.json())["error"]["code"] == "idempotency_mismatch"
    async with api_client.app[SERVICES].db.reader() as session:
        assert len(list((await session.execute(select(Ticket))).scalars())) == 1
    # A failed request frees its key: fixing the body and retrying works.
    key2 = {"Idempotency-Key": "k-2", **bearer(secret)}
    assert (await other.post("/api/v1/tickets", json={"subject": ""}, headers=key2)).status == 400
    assert (await other.post("/api/v1/tickets", json=body, headers=key2)).status == 201


async def test_ticket_list_filters_and_cursor_pages(api_client: Any, aiohttp_client: Any) -> None:
    secret = await mint(api_client, WRITE)
    other = await aiohttp_client(api_client.server)
    numbers = []
    for i in range(5):
        resp = await other.post(
            "/api/v1/tickets",
            json={
                "contact": {"email": f"c{i}@example.cn"},
                "subject": f"问题 {i}",
                "text": "",
                "priority": "urgent" if i % 2 else "normal",
            },
            headers=bearer(secret),
        )
        numbers.append((await resp.json())["ticket"]["number"])
    seen: list[int] = []
    cursor = ""
    while True:
        page = await other.get(
            f"/api/v1/tickets?limit=2{'&cursor=' + cursor if cursor else ''}",
            headers=bearer(secret),
        )
        data = await page.json()
        assert len(data["tickets"]) <= 2
        seen += [t["number"] for t in data["tickets"]]
        if not data["next_cursor"]:
            break
        cursor = data["next_cursor"]
    assert seen == sorted(numbers, reverse=True)
    urgent = await (
        await other.get("/api/v1/tickets?priority=urgent", headers=bearer(secret))
    ).json()
    assert [t["number"] for t in urgent["tickets"]] == [numbers[3], numbers[1]]
    bad = await other.get("/api/v1/tickets?cursor=nonsense", headers=bearer(secret))
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_cursor"
    # Digits int() refuses ("²", thousands of them) are a 400 with our shape, never a 500.
    for query in ("limit=²", "assignee_id=" + "9" * 5000, "contact_id=-1"):
        refused = await other.get(f"/api/v1/tickets?{query}", headers=bearer(secret))
        assert refused.status == 400 and (await refused.json())["error"]["code"] == "bad_query"
    conv = (
        await (await other.get(f"/api/v1/tickets/{numbers[0]}", headers=bearer(secret))).json()
    )["ticket"]["conversation_id"]
    odd = await other.get(f"/api/v1/conversations/{conv}/messages?after=²", headers=bearer(secret))
    assert odd.status == 400

    # Status moves follow the console's state machine; PATCH changes the priority.
    n = numbers[0]
    moved = await other.post(
        f"/api/v1/tickets/{n}/status", json={"status": "pending"}, headers=bearer(secret)
    )
    assert (await moved.json())["ticket"]["status"] == "pending"
    illegal = await other.post(
        f"/api/v1/tickets/{n}/status", json={"status": "new"}, headers=bearer(secret)
    )
    assert illegal.status == 409
    assert (await illegal.json())["error"]["code"] == "illegal_transition"
    patched = await other.patch(
        f"/api/v1/tickets/{n}", json={"priority": "high"}, headers=bearer(secret)
    )
    assert (await patched.json())["ticket"]["priority"] == "high"
    missing = await other.get("/api/v1/tickets/999999", headers=bearer(secret))
    assert missing.status == 404 and "error" in await missing.json()


async def test_merging_contacts_moves_their_conversations_and_tickets(
    api_client: Any, aiohttp_client: Any
) -> None:
    secret = await mint(api_client, ["tickets:write", "contacts:write"])
    other = await aiohttp_client(api_client.server)
    a = await other.post(
        "/api/v1/contacts",
        json={"name": "王女士", "phone": "13700000000", "tier": "vip"},
        headers=bearer(secret),
    )
    b = await other.post(
        "/api/v1/contacts",
        json={"email": "w@example.cn", "company": "某某公司"},
        headers=bearer(secret),
    )
    keep, gone = (await a.json())["contact"]["id"], (await b.json())["contact"]["id"]
    dup = await other.post(
        "/api/v1/contacts", json={"phone": "137 0000 0000"}, headers=bearer(secret)
    )
    assert dup.status == 409 and (await dup.json())["error"]["code"] == "contact_exists"
    opened = await other.post(
        "/api/v1/tickets",
        json={"contact": {"id": gone}, "subject": "发票", "text": ""},
        headers=bearer(secret),
    )
    number = (await opened.json())["ticket"]["number"]
    merged = await other.post(
        f"/api/v1/contacts/{gone}/merge", json={"into": keep}, headers=bearer(secret)
    )
    assert merged.status == 200, await merged.text()
    kept = (await merged.json())["contact"]
    assert (kept["name"], kept["phone"], kept["email"], kept["company"], kept["tier"]) == (
        "王女士",
        "13700000000",
        "w@example.cn",
        "某某公司",
        "vip",
    )
    assert (await other.get(f"/api/v1/contacts/{gone}", headers=bearer(secret))).status == 404
    ticket = await (await other.get(f"/api/v1/tickets/{number}", headers=bearer(secret))).json()
    assert ticket["ticket"]["contact_id"] == keep
    mine = await other.get(f"/api/v1/tickets?contact_id={keep}", headers=bearer(secret))
    assert [t["number"] for t in (await mine.json())["tickets"]] == [number]
    itself = await other.post(
        f"/api/v1/contacts/{keep}/merge", json={"into": keep}, headers=bearer(secret)
    )
    assert itself.status == 409
