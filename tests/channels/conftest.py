"""Fixtures channel tests share: a fake WeChat API server and kefu wired to it; the app with
an email inbox on SQLite or PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.app import create_app
from core.config import Settings
from tests.channels.email_support.app import EmailEnv, email_env
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


@pytest.fixture
async def email_db_env(
    demo_settings: Settings, database_url: str, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[EmailEnv]:
    """The demo app on SQLite or PostgreSQL, its SMTP listener in, an SMTP sink out."""
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = dataclasses.replace(demo_settings, storage=storage)
    async with email_env(settings, aiohttp_client, embedder, demo=True) as env:
        yield env
