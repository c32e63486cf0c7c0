"""The web chat's pre-chat form and the contact it asks for when nobody is online (issue 15):
``GET`` / ``POST /api/webchat/profile`` with the visitor token."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from core.app import create_app
from tests.conftest import make_settings
from tests.handoff.test_desk_identity import customer, queued
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS


async def app_with(
    tmp_path: Path, demo: Path, embedder: Any, aiohttp_client: Any, **desk: Any
) -> Any:
    data = tmp_path / "data"
    shutil.copytree(demo, data)
    settings = make_settings(data, desk=desk)
    return await aiohttp_client(create_app(settings, embedder=embedder))


async def test_the_pre_chat_form_is_configured_checked_and_saved_on_the_contact(
    tmp_path: Path, demo_data_dir: Path, embedder: Any, aiohttp_client: Any
) -> None:
    client = await app_with(
        tmp_path,
        demo_data_dir,
        embedder,
        aiohttp_client,
        prechat_fields=["name", "phone"],
        prechat_required=["phone"],
    )
    v = await Visitor(client).start()
    url = "/api/webchat/profile"
    cfg = await (await client.get(f"{url}?token={v.token}")).json()
    assert cfg["prechat"] == {
        "fields": ["name", "phone"],
        "required": ["phone"],
        "form": {"name": "optional", "phone": "required", "email": "off"},
    }
    assert cfg["known"] == {"name": False, "phone": False, "email": False}
    assert cfg["ask_contact"] is False  # the bot is answering

    bad = await client.post(url, json={"token": "forged", "name": "x"})
    assert bad.status == 401
    no_phone = await client.post(url, json={"token": v.token, "name": "王芳"})
    assert (await no_phone.json())["error"]["code"] == "prechat_required"
    wrong = await client.post(url, json={"token": v.token, "name": "王芳", "phone": "123"})
    assert (await wrong.json())["error"]["code"] == "bad_phone"
    ok = await client.post(url, json={"token": v.token, "name": "王芳", "phone": "139 1234 5678"})
    assert ok.status == 200, await ok.text()
    assert (await ok.json())["known"] == {"name": True, "phone": True, "email": False}

    await login(client)
    c360 = await customer(client, v.conversation_id)
    assert (c360["contact"]["name"], c360["contact"]["phone"]) == ("王芳", "13912345678")
    history = await (await client.get(f"/api/agent/contacts/{c360['contact']['id']}")).json()
    [event] = history["events"]
    assert event["action"] == "customer" and event["agent"] is None
    assert set(event["detail"]["changes"]) == {"name", "phone"}


async def test_with_nobody_online_the_widget_asks_for_an_email_or_phone(client: Any) -> None:
    await login(client)
    v = await queued(client, "我的洗衣机坏了")  # the only agent is away
    url = "/api/webchat/profile"
    cfg = await (await client.get(f"{url}?token={v.token}")).json()
    assert cfg["agents_online"] is False and cfg["ask_contact"] is True
    assert cfg["prechat"]["fields"] == []  # no pre-chat form unless configured
    bad = await client.post(url, json={"token": v.token, "email": "nope"})
    assert (await bad.json())["error"]["code"] == "bad_email"
    sent = await client.post(url, json={"token": v.token, "email": "Wang@Example.com"})
    assert sent.status == 200
    again = await (await client.get(f"{url}?token={v.token}")).json()
    assert again["ask_contact"] is False  # we can reach them now
    c360 = await customer(client, v.conversation_id)
    assert c360["contact"]["email"] == "wang@example.com"


async def test_the_offline_ask_can_be_turned_off(
    tmp_path: Path, demo_data_dir: Path, embedder: Any, aiohttp_client: Any
) -> None:
    client = await app_with(
        tmp_path, demo_data_dir, embedder, aiohttp_client, offline_contact=False
    )
    await login(client)
    v = await queued(client, "我的洗衣机坏了")
    cfg = await (await client.get(f"/api/webchat/profile?token={v.token}")).json()
    assert cfg["agents_online"] is False and cfg["ask_contact"] is False
    assert (await client.post("/api/agent/status", json={"status": "online"}, headers=H)).ok


async def test_an_admin_sets_the_web_chat_inbox_form_field_by_field(
    tmp_path: Path, demo_data_dir: Path, embedder: Any, aiohttp_client: Any
) -> None:
    """The form belongs to the web chat inbox (as a Chatwoot website inbox's does): each of
    name, phone and email off, optional or required; the widget and the check follow it,
    and ``{"default": true}`` goes back to ``[desk]``."""
    client = await app_with(
        tmp_path, demo_data_dir, embedder, aiohttp_client, prechat_fields=["name"]
    )
    await login(client)
    url, admin = "/api/webchat/profile", "/api/admin/inboxes/web/prechat"
    got = await (await client.get(admin)).json()
    assert got == {
        "inbox": "web",
        "form": {"name": "optional", "phone": "off", "email": "off"},
        "default": True,
    }
    bad = await client.put(admin, json={"name": "sometimes"}, headers=H)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_prechat"
    unknown = await client.put(admin, json={"age": "required"}, headers=H)
    assert (await unknown.json())["error"]["code"] == "bad_prechat"
    nowhere = await client.put("/api/admin/inboxes/nope/prechat", json={}, headers=H)
    assert nowhere.status == 404
    put = await client.put(admin, json={"email": "required", "phone": "optional"}, headers=H)
    assert put.status == 200, await put.text()
    form = {"name": "off", "phone": "optional", "email": "required"}
    assert (await put.json())["form"] == form

    v = await Visitor(client).start()
    cfg = await (await client.get(f"{url}?token={v.token}")).json()
    assert cfg["prechat"] == {"fields": ["phone", "email"], "required": ["email"], "form": form}
    no_email = await client.post(url, json={"token": v.token, "phone": "139 1234 5678"})
    assert (await no_email.json())["error"]["code"] == "prechat_required"
    ok = await client.post(url, json={"token": v.token, "email": "li@example.com"})
    assert ok.status == 200, await ok.text()

    back = await client.put(admin, json={"default": True}, headers=H)
    assert (await back.json())["default"] is True
    cfg = await (await client.get(f"{url}?token={v.token}")).json()
    assert cfg["prechat"]["fields"] == ["name"] and cfg["prechat"]["required"] == []
