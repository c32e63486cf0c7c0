"""Fixtures the Official Account tests share: a fake WeChat API server and kefu wired to it."""

from __future__ import annotations

from typing import Any

import pytest

from core.app import create_app
from tests.channels.fakes.wechat_api import FakeWechat
from tests.channels.fakes.wechat_client import start_fake, wechat_inboxes, with_inboxes


@pytest.fixture
async def fake_wechat(aiohttp_server: Any) -> tuple[FakeWechat, str]:
    return await start_fake(aiohttp_server)


@pytest.fixture
async def wx(
    demo_settings: Any, embedder: Any, aiohttp_client: Any, fake_wechat: tuple[FakeWechat, str]
) -> tuple[Any, FakeWechat]:
    fake, base = fake_wechat
    app = create_app(with_inboxes(demo_settings, wechat_inboxes(base)), embedder=embedder)
    return await aiohttp_client(app), fake
