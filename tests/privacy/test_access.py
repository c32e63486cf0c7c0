"""Masked display by role, revealing (logged), the access trail, export jobs with expiring
links, and the admin-only rules: through the agent API of a whole kefu (SQLite)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from core.context import SERVICES
from core.models import Contact, Conversation, utcnow
from privacy.masking import mask_address, mask_email, mask_phone
from privacy.routes import PRIVACY
from privacy.tables import PrivacyExport
from tests.handoff.test_desk import make_agent
from tests.helpers import AGENT_HEADERS, Visitor, login
from tests.privacy.support import eventually

H = AGENT_HEADERS
PHONE, EMAIL = "13812348000", "wang.fang@customer.example"


async def customer_with_details(client: Any) -> tuple[int, int]:
    """A web chat customer whose phone and email are known (as an import would set them)."""
    v = await Visitor(client).start()
    await v.reply_to("你好")
    await v.ws.close()
    db = client.app[SERVICES].db
    async with db.transaction() as session:
        conv = await session.get(Conversation, v.conversation_id)
        assert conv is not None
        await session.execute(
            update(Contact)
            .where(Contact.id == conv.contact_id)
            .values(name="王芳", phone=PHONE, email=EMAIL)
        )
        return conv.id, conv.contact_id


def test_masks_keep_what_recognises_a_customer() -> None:
    assert mask_phone("13812348000") == "138****8000"
    assert mask_phone("+86 138-1234-8000") == "138****8000"
    assert mask_phone("020-8888-1234") == "020****1234"
    assert mask_phone("12345") == "*****"
    assert mask_email("wang.fang@customer.example") == "w***@customer.example"
    assert mask_email("not-an-address") == "***"
    assert mask_address("上海市浦东新区张江路88号") == "上海市****"


async def test_an_agent_sees_masked_data_reveals_on_purpose_and_the_trail_shows_it(
    client: Any, aiohttp_client: Any
) -> None:
    agent = await make_agent(client, aiohttp_client, "li@kefu.local", "小李")
    conv_id, contact_id = await customer_with_details(client)

    masked = await (await agent.get(f"/api/agent/conversations/{conv_id}/customer")).json()
    assert masked["contact"]["phone"] == "138****8000"
    assert masked["contact"]["email"] == "w***@customer.example"
    assert masked["privacy"] == {"masked": ["phone", "email"], "can_reveal": True}
    assert PHONE not in json.dumps(masked) and EMAIL not in json.dumps(masked)
    full = await (await client.get(f"/api/agent/conversations/{conv_id}/customer")).json()
    assert (full["contact"]["phone"], full["contact"]["email"]) == (PHONE, EMAIL)  # admin

    url = f"/api/agent/conversations/{conv_id}/customer/reveal"
    shown = await agent.post(url, json={"field": "phone"}, headers=H)
    assert shown.status == 200 and (await shown.json()) == {"field": "phone", "value": PHONE}
    bad = await agent.post(url, json={"field": "password_hash"}, headers=H)
    assert bad.status == 400 and "field" in (await bad.json())["error"]["message"]

    me = (await (await agent.get("/api/agent/me")).json())["agent"]
    trail = await (await client.get(f"/api/admin/privacy/trail?agent_id={me['id']}")).json()
    entries = [(e["action"], e["contact_id"], e["detail"]) for e in trail["trail"]]
    assert entries == [
        ("reveal", contact_id, {"field": "phone"}),
        ("view", contact_id, {"masked": ["phone", "email"]}),
    ]
    assert all(e["actor"] == "li@kefu.local" and e["address"] for e in trail["trail"])
    reveals = await (await client.get("/api/admin/privacy/trail?action=reveal")).json()
    assert [e["detail"]["field"] for e in reveals["trail"]] == ["phone"]
    assert (await client.get("/api/admin/privacy/trail?action=peek")).status == 400
    # The trail is for admins: an agent may not search it.
    assert (await agent.get("/api/admin/privacy/trail")).status == 403


async def test_a_role_that_may_not_reveal_is_refused(client: Any, aiohttp_client: Any) -> None:
    agent = await make_agent(client, aiohttp_client, "li@kefu.local", "小李")
    conv_id, _ = await customer_with_details(client)
    settings = client.app[SERVICES].settings
    privacy = settings.privacy
    object.__setattr__(privacy, "reveal_roles", ["supervisor", "admin"])
    try:
        body = await (await agent.get(f"/api/agent/conversations/{conv_id}/customer")).json()
        assert body["privacy"]["can_reveal"] is False
        url = f"/api/agent/conversations/{conv_id}/customer/reveal"
        refused = await agent.post(url, json={"field": "email"}, headers=H)
        assert refused.status == 403
        assert "无权" in (await refused.json())["error"]["message"]
    finally:
        object.__setattr__(privacy, "reveal_roles", ["agent", "supervisor", "admin"])


async def test_export_job_link_works_until_it_expires(client: Any, aiohttp_client: Any) -> None:
    _, contact_id = await customer_with_details(client)
    await login(client)
    started = await client.get(f"/api/admin/contacts/{contact_id}/export?background=1")
    assert started.status == 202
    job = (await started.json())["job"]

    async def finished() -> dict[str, Any] | None:
        got = (await (await client.get(job["poll"])).json())["job"]
        return got if got["status"] == "done" else None

    done = await eventually(finished)
    archive = await client.get(done["download"])
    assert archive.status == 200
    doc = json.loads(zipfile.ZipFile(io.BytesIO(await archive.read())).read("contact.json"))
    assert doc["contact"]["phone"] == PHONE and doc["conversations"][0]["messages"]

    forged = done["download"][:-3] + ("aaa" if not done["download"].endswith("aaa") else "bbb")
    assert (await client.get(forged)).status == 401
    other = done["download"].replace(f"/exports/{job['id']}/", f"/exports/{job['id'] + 1}/")
    assert (await client.get(other)).status == 404

    # The link's time is over: no download, and the upkeep deletes the file.
    db = client.app[SERVICES].db
    async with db.transaction() as session:
        await session.execute(
            update(PrivacyExport)
            .where(PrivacyExport.id == job["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await client.get(done["download"])).status == 404
    privacy = client.app[PRIVACY]
    files = list(privacy.export_dir.iterdir())
    assert len(files) == 1
    assert await privacy.purge_exports() == 1
    assert not files[0].exists()
    trail = await (await client.get(f"/api/admin/privacy/trail?contact_id={contact_id}")).json()
    assert [e["detail"].get("mode") for e in trail["trail"] if e["action"] == "export"] == ["job"]


async def test_only_admins_export_or_erase_and_mistakes_get_clear_errors(
    client: Any, aiohttp_client: Any
) -> None:
    agent = await make_agent(client, aiohttp_client, "li@kefu.local", "小李")
    _, contact_id = await customer_with_details(client)
    assert (await agent.get(f"/api/admin/contacts/{contact_id}/export")).status == 403
    refused = await agent.post(
        f"/api/admin/contacts/{contact_id}/erase", json={"reason": "x"}, headers=H
    )
    assert refused.status == 403
    no_reason = await client.post(
        f"/api/admin/contacts/{contact_id}/erase", json={"reason": " "}, headers=H
    )
    assert no_reason.status == 400
    assert "删除原因" in (await no_reason.json())["error"]["message"]
    missing = await client.post("/api/admin/contacts/999999/erase", json={"reason": "r"}, headers=H)
    assert missing.status == 404
    assert (await client.get("/api/admin/contacts/999999/export")).status == 404
    # Nothing was erased by the refused calls.
    async with client.app[SERVICES].db.reader() as session:
        contact = await session.get(Contact, contact_id)
        assert contact is not None and contact.phone == PHONE and contact.erased_at is None


async def test_another_teams_customer_cannot_be_revealed(client: Any, aiohttp_client: Any) -> None:
    """Web chat given to team A: B's agent gets 403 other_team and nothing is recorded."""
    agent_b = await make_agent(client, aiohttp_client, "b@kefu.local", "小B")
    conv_id, contact_id = await customer_with_details(client)
    team = await client.post("/api/admin/teams", json={"name": "售后 A"}, headers=H)
    team_a = (await team.json())["team"]["id"]
    given = await client.put("/api/admin/inboxes/web/team", json={"team_id": team_a}, headers=H)
    assert given.status == 200, await given.text()
    url = f"/api/agent/conversations/{conv_id}/customer/reveal"
    refused = await agent_b.post(url, json={"field": "phone"}, headers=H)
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "other_team"
    assert PHONE not in await refused.text()
    trail = await (await client.get(f"/api/admin/privacy/trail?contact_id={contact_id}")).json()
    assert [e for e in trail["trail"] if e["action"] == "reveal"] == []
