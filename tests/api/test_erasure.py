"""The public API keeps copies of what callers sent and got (idempotent replays, webhook
payloads): erasing a customer (PIPL) must empty those too."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from api.tables import IdempotencyKey, Webhook, WebhookDelivery
from core.context import SERVICES
from tests.api.conftest import bearer, mint
from tests.helpers import AGENT_HEADERS

WRITE = ["tickets:write", "contacts:write"]


async def test_erasing_a_contact_empties_replays_and_webhook_payloads(
    api_client: Any, aiohttp_client: Any
) -> None:
    db = api_client.app[SERVICES].db
    async with db.transaction() as session:  # a subscriber, so ticket events become payloads
        session.add(Webhook(url="http://127.0.0.1:9/never", events=["ticket.created"], secret="s"))
    secret = await mint(api_client, WRITE)
    erp = await aiohttp_client(api_client.server)
    phone, email = "13912345678", f"li.{uuid.uuid4().hex[:6]}@example.cn"
    person = {"phone": phone, "email": email, "name": "李雷"}
    key = {"Idempotency-Key": uuid.uuid4().hex, **bearer(secret)}
    made = await erp.post("/api/v1/contacts", json=person, headers=key)  # its reply: the person
    assert made.status == 201, await made.text()
    contact = (await made.json())["contact"]
    ticket = {"contact": {"phone": phone}, "subject": "漏水", "text": "热水器漏水"}
    opened = await erp.post("/api/v1/tickets", json=ticket, headers=bearer(secret))
    assert opened.status == 201, await opened.text()

    async def holding() -> tuple[int, int]:
        async with db.reader() as session:
            replays = (await session.execute(select(IdempotencyKey.body))).scalars().all()
            hooks = (await session.execute(select(WebhookDelivery.body))).scalars().all()
        theirs = f'"contact_id":{contact["id"]},'
        return sum(phone in b for b in replays), sum(theirs in b or "漏水" in b for b in hooks)

    replays, hooks = await holding()
    assert replays == 1 and hooks >= 1  # the check can fail: both quote the customer
    erased = await api_client.post(
        f"/api/admin/contacts/{contact['id']}/erase",
        json={"reason": "客户申请"},
        headers=AGENT_HEADERS,
    )
    assert erased.status == 200, await erased.text()
    assert (await erased.json())["erasure"]["counts"]["api_bodies"] >= 2
    assert await holding() == (0, 0)
    async with db.reader() as session:  # the events still happened, without the person
        kept = (await session.execute(select(WebhookDelivery.body))).scalars().all()
    assert kept and all(b == '{"erased": true}' for b in kept)
