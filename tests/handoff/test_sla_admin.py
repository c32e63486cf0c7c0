"""Admins edit SLA policies from the API: validated, audited by who/when, used by new tickets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.context import SERVICES
from handoff.keys import HANDOFF
from intake.tables import SlaPolicy
from tests.handoff.test_desk import bot_text, escalate, make_agent
from tests.helpers import AGENT_HEADERS, login

H = AGENT_HEADERS


def _policy(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in body["policies"] if p["key"] == key)


async def test_admin_sets_a_policy_and_new_tickets_use_it(client: Any) -> None:
    await login(client)
    before = await (await client.get("/api/admin/sla")).json()
    urgent = _policy(before, "urgent")
    assert urgent == {
        "key": "urgent",
        "first_response_minutes": 30,
        "resolution_minutes": 48 * 60,
        "clock": "calendar",
        "source": "config",
        "updated_at": None,
        "updated_by": None,
    }
    assert before["sla"]["calendar"] == "china"  # business hours still come from kefu.toml

    resp = await client.put(
        "/api/admin/sla/policies/urgent",
        json={"first_response_minutes": 10, "resolution_minutes": 720},
        headers=H,
    )
    assert resp.status == 200, await resp.text()
    urgent = _policy(await resp.json(), "urgent")
    assert urgent["first_response_minutes"] == 10 and urgent["resolution_minutes"] == 720
    assert urgent["clock"] == "calendar"  # a field left out keeps its value
    assert urgent["source"] == "admin" and urgent["updated_by"] and urgent["updated_at"]

    v = await escalate(client, "热水器冒烟了，太危险了")
    await v.until(bot_text("#"))  # the escalation notice names the ticket
    listing = await (await client.get("/api/agent/tickets?priority=urgent")).json()
    [ticket] = [t for t in listing["tickets"] if t["conversation_id"] == v.conversation_id]
    created = datetime.fromisoformat(ticket["created_at"])
    assert datetime.fromisoformat(ticket["first_response_due"]) - created == timedelta(minutes=10)
    assert datetime.fromisoformat(ticket["resolution_due"]) - created == timedelta(hours=12)

    # Reset: back to kefu.toml's policy, and the table no longer holds it.
    reset = await client.delete("/api/admin/sla/policies/urgent", headers=H)
    assert _policy(await reset.json(), "urgent")["source"] == "config"
    async with client.server.app[SERVICES].db.reader() as session:
        assert await session.get(SlaPolicy, "urgent") is None
    assert client.server.app[HANDOFF].clock.by_key("urgent").first_response_minutes == 30


async def test_bad_values_are_400_naming_the_field_and_nothing_changes(client: Any) -> None:
    await login(client)
    cases = [
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"first_response_minutes": "15"}, "first_response_minutes"),
        ({"resolution_minutes": True}, "resolution_minutes"),
        ({"clock": "lunar"}, "clock"),
        ({"first_response_minutes": 600, "resolution_minutes": 60}, "resolution_minutes"),
    ]
    for body, field in cases:
        resp = await client.put("/api/admin/sla/policies/vip", json=body, headers=H)
        assert resp.status == 400, body
        err = await resp.json()
        assert err["error"]["code"] == "bad_policy" and field in err["error"]["message"]
    missing = await client.put("/api/admin/sla/policies/gold", json={}, headers=H)
    assert missing.status == 404
    body = await (await client.get("/api/admin/sla")).json()
    assert _policy(body, "vip")["source"] == "config"
    assert _policy(body, "vip")["first_response_minutes"] == 15


async def test_supervisors_read_admins_write_and_csrf_is_required(
    client: Any, aiohttp_client: Any
) -> None:
    sup = await make_agent(client, aiohttp_client, "sup@kefu.local", "主管", role="supervisor")
    assert (await sup.get("/api/admin/sla")).status == 200
    put = await sup.put("/api/admin/sla/policies/normal", json={"clock": "calendar"}, headers=H)
    assert put.status == 403
    no_csrf = await client.put("/api/admin/sla/policies/normal", json={"clock": "calendar"})
    assert no_csrf.status == 403
    body = await (await client.get("/api/admin/sla")).json()
    assert _policy(body, "normal")["clock"] == "business"


async def test_an_edit_on_one_worker_reaches_another_within_the_refresh(
    client: Any, aiohttp_client: Any
) -> None:
    """A second app on the same database (another worker) picks the policy up on refresh."""
    from core.app import create_app

    app = client.server.app
    other_app = create_app(app[SERVICES].settings, embedder=None, migrate=False)
    await login(client)
    await client.put("/api/admin/sla/policies/high", json={"first_response_minutes": 20}, headers=H)
    other = other_app[HANDOFF].clock
    assert other.by_key("high").first_response_minutes == 60  # not read yet
    async with app[SERVICES].db.reader() as session:
        await other.refresh(session)
    assert other.by_key("high").first_response_minutes == 20
    await other_app[SERVICES].db.dispose()
