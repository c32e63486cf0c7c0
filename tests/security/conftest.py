"""Fixtures of the security suite: a full kefu with WeChat inboxes (fake platform API)."""

from __future__ import annotations

from typing import Any

import pytest

from core.config import Settings
from tests.channels.fakes.wechat_client import start_fake, wechat_inboxes, with_inboxes


@pytest.fixture
async def kefu(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any, aiohttp_server: Any
) -> Any:
    """A test client on the whole app: demo KB, demo admin, two WeChat inboxes."""
    from core.app import create_app

    _fake, base = await start_fake(aiohttp_server)
    settings = with_inboxes(demo_settings, wechat_inboxes(base))
    return await aiohttp_client(create_app(settings, embedder=embedder))
