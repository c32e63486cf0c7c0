"""Knowledge-base entries over the public API: created, published and answered by the bot."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import bearer, mint
from tests.helpers import Visitor, login


async def test_a_published_entry_is_answered_and_its_history_names_the_token(
    client: Any, aiohttp_client: Any
) -> None:
    await login(client)
    writer = await mint(client, ["kb:write"], name="docs-sync")
    reader = await mint(client, ["tickets:read"], name="bi")
    other = await aiohttp_client(client.server)
    entry = {
        "question": "洗碗机显示E4故障码怎么办",
        "answer": "E4 表示进水异常：请检查水龙头是否打开、进水管是否弯折。",
        "similar": ["洗碗机E4报错"],
        "category": "repair",
        "language": "zh",
    }
    refused = await other.post("/api/v1/kb/entries", json=entry, headers=bearer(reader))
    assert refused.status == 403
    made = await other.post(
        "/api/v1/kb/entries", json={**entry, "publish": True}, headers=bearer(writer)
    )
    assert made.status == 201, await made.text()
    created = (await made.json())["entry"]
    assert created["status"] == "published"
    got = await other.get(f"/api/v1/kb/entries/{created['id']}", headers=bearer(writer))
    history = (await got.json())["history"]
    assert history[0]["author"] == "Demo Agent (API: docs-sync)"

    v = await Visitor(await aiohttp_client(client.server)).start()
    answer = await v.reply_to("洗碗机显示E4故障码怎么办")
    assert answer["text"].startswith("E4 表示进水异常")

    # Edits with a stale version are refused; archiving takes it out of the bot's answers.
    stale = await other.put(
        f"/api/v1/kb/entries/{created['id']}",
        json={**entry, "answer": "旧版本", "version": 0},
        headers=bearer(writer),
    )
    assert stale.status == 409
    archived = await other.post(
        f"/api/v1/kb/entries/{created['id']}/archive", json={}, headers=bearer(writer)
    )
    assert (await archived.json())["entry"]["status"] == "archived"
