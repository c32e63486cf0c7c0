"""Shutting down with an agent's console open: the socket is closed with a reconnect hint at
once, so the server stops without waiting for aiohttp's shutdown timeout and the console
reconnects to the next server."""

from __future__ import annotations

from typing import Any

from aiohttp import WSMsgType

from handoff.keys import CONSOLES
from tests.helpers import login, open_console


async def test_an_open_console_is_closed_with_a_reconnect_hint_at_shutdown(client: Any) -> None:
    await login(client)
    ws = await open_console(client)
    assert len(client.app[CONSOLES]) == 1
    await client.server.close()  # the server only: the console's side stays open
    msg = await ws.receive(timeout=5)
    assert msg.type == WSMsgType.CLOSE
    assert msg.data == 1012  # service restart: the console reconnects
    assert not client.app[CONSOLES]
