"""access_token: one refresh for many readers, on expiry (42001) and revocation (40001)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from channels.wechat.api import ApiBusy, ApiClient, ApiRefused, fetch_stable_token, fetch_token
from channels.wechat.token import AccessTokens
from core.coordination import LocalLocks
from tests.channels.fakes.wechat_api import FakeWechat
from tests.channels.fakes.wechat_client import start_fake


@pytest.fixture
async def api(aiohttp_server: Any) -> AsyncIterator[tuple[ApiClient, AccessTokens, FakeWechat]]:
    fake, base = await start_fake(aiohttp_server)
    http = aiohttp.ClientSession()

    async def fetch(force: bool) -> tuple[str, int]:
        return await fetch_stable_token(client, "wx0123456789abcdef", "s3cret", force)

    tokens = AccessTokens("wechat:test", fetch, LocalLocks())
    client = ApiClient(base, tokens, lambda: http)
    yield client, tokens, fake
    await http.close()


def text(n: int) -> dict[str, Any]:
    return {"touser": f"oUser{n}", "msgtype": "text", "text": {"content": f"消息 {n}"}}


async def test_many_concurrent_sends_fetch_one_token(api: Any) -> None:
    client, tokens, fake = api
    await asyncio.gather(*(client.post("/cgi-bin/message/custom/send", text(n)) for n in range(50)))
    assert fake.token_fetches == 1 and tokens.refreshes == 1 and len(fake.sent) == 50


@pytest.mark.parametrize("how", ["expire", "revoke"])
async def test_token_refused_by_many_senders_is_refreshed_once(api: Any, how: str) -> None:
    client, tokens, fake = api
    await client.post("/cgi-bin/message/custom/send", text(0))
    getattr(fake, how)()  # 42001 or 40001 for every holder of the old token
    await asyncio.gather(
        *(client.post("/cgi-bin/message/custom/send", text(n)) for n in range(1, 41))
    )
    assert len(fake.sent) == 41
    assert tokens.refreshes == 2  # the first fetch plus exactly one refresh
    assert fake.forced_fetches == 0  # the stable token had changed: no forced refresh needed


async def test_stable_token_still_refused_forces_a_new_one(api: Any) -> None:
    client, _, fake = api
    await client.post("/cgi-bin/message/custom/send", text(0))
    fake.valid.discard(fake.stable)  # refused, yet stable_token keeps returning it
    fake.stuck = True
    await asyncio.gather(*(client.post("/cgi-bin/message/custom/send", text(n)) for n in (1, 2)))
    assert fake.forced_fetches == 1 and len(fake.sent) == 3


async def test_errcodes_map_to_retry_or_refusal(api: Any) -> None:
    client, _, fake = api
    fake.fail_next = [{"errcode": 45009, "errmsg": "reach max api daily quota limit"}]
    with pytest.raises(ApiBusy):
        await client.post("/cgi-bin/message/custom/send", text(1))
    fake.fail_next = [{"errcode": 40003, "errmsg": "invalid openid"}]
    with pytest.raises(ApiRefused) as refused:
        await client.post("/cgi-bin/message/custom/send", text(1))
    assert refused.value.errcode == 40003


async def test_unreachable_api_is_a_retryable_error() -> None:
    async with aiohttp.ClientSession() as http:

        async def fetch(force: bool) -> tuple[str, int]:
            return await fetch_token(client, "/cgi-bin/token", {})

        client = ApiClient(
            "http://127.0.0.1:9", AccessTokens("x", fetch, LocalLocks()), lambda: http
        )
        with pytest.raises(ApiBusy):
            await client.post("/cgi-bin/message/custom/send", text(1))


async def test_check_command_tries_each_inboxes_credentials(
    aiohttp_server: Any, capsys: Any
) -> None:
    from channels.wechat import cli
    from core.cli import _parser
    from core.config import InboxSettings, load_settings
    from tests.channels.fakes.wechat_client import wechat_inboxes, with_inboxes

    fake, base = await start_fake(aiohttp_server)
    kf = InboxSettings(
        "kf-main",
        "wecom_kf",
        {"corp_id": "ww0123456789abcdef", "secret": "s", "token": "tok123",
         "encoding_aes_key": "a" * 43, "open_kfid": "wkAJ2GCAAASSm4", "api_base": base},
    )  # fmt: skip
    settings = with_inboxes(load_settings(None, env={}), (*wechat_inboxes(base), kf))
    args = _parser().parse_args(["wechat", "check"])
    assert await cli.run(args, settings) == 0
    out = capsys.readouterr().out
    assert out.count("ok (credentials accepted)") == 3 and fake.token_fetches >= 2
    down = with_inboxes(load_settings(None, env={}), wechat_inboxes("http://127.0.0.1:9"))
    assert await cli.run(args, down) == 1
    assert "unreachable" in capsys.readouterr().out
