"""An app on SQLite and on PostgreSQL with an admin logged in, and helpers to mint tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from core.context import SERVICES
from handoff.auth import create_agent
from tests.conftest import make_settings
from tests.helpers import AGENT_HEADERS, login

ADMIN = ("admin@kefu.local", "Admin", "admin-pass")
# Webhook retries in milliseconds, so "the receiver was down for a while" takes no time.
FAST_WEBHOOKS = {
    "webhook_base_delay_seconds": 0.05,
    "webhook_max_delay_seconds": 0.2,
    "webhook_poll_seconds": 0.05,
    "webhook_timeout_seconds": 2.0,
    "webhook_max_attempts": 8,
}


@pytest.fixture
def make_api_client(
    database_url: str, tmp_path: Path, embedder: Any, aiohttp_client: Any
) -> Callable[..., Awaitable[Any]]:
    """Builds a kefu app on the parametrized database, with an admin logged in on its
    cookie jar; keyword arguments override ``[api]`` settings."""
    from core.app import create_app

    async def make(**api: Any) -> Any:
        settings = make_settings(tmp_path / "data", database_url, api={**FAST_WEBHOOKS, **api})
        client = await aiohttp_client(create_app(settings, embedder=embedder))
        email, name, password = ADMIN
        await create_agent(client.app[SERVICES].db, email, name, password, role="admin")
        await login(client, email, password)
        return client

    return make


@pytest.fixture
async def api_client(make_api_client: Callable[..., Awaitable[Any]]) -> Any:
    """A kefu app (SQLite, then PostgreSQL) with an admin logged in."""
    return await make_api_client()


async def mint(client: Any, scopes: list[str], name: str = "erp", **extra: Any) -> str:
    """Create a token as the logged-in admin; returns its secret."""
    resp = await client.post(
        "/api/admin/tokens", json={"name": name, "scopes": scopes, **extra}, headers=AGENT_HEADERS
    )
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["secret"])


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {secret}"}
