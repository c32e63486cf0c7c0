"""The console's socket: it pushes conversation events to a logged-in agent, filtered by
their teams, and keeps the agent's presence fresh while it is open."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from core.context import SERVICES
from core.errors import ServiceUnavailable, Unauthorized
from core.events import AGENTS_TOPIC
from handoff import presence, teams
from handoff.keys import CONSOLES, HANDOFF, SESSIONS

log = logging.getLogger(__name__)


async def agent_ws(request: web.Request) -> web.WebSocketResponse:
    """WS /api/agent/ws: pushes conversation.updated events to logged-in consoles."""
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=4096)
    await ws.prepare(request)
    try:
        agent = await request.app[SESSIONS].agent(request)
    except Unauthorized:
        await ws.close(code=4401, message=b"login required")
        return ws
    db = request.app[SERVICES].db
    try:
        console = await presence.console_opened(db, agent.id)
    except ServiceUnavailable:  # the database is down: the console retries with backoff
        await ws.close(code=1011, message=b"unavailable")
        return ws
    allowed = teams.SocketFilter(db, agent)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)

    def listener(_topic: str, event: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(event)

    unsubscribe = request.app[SERVICES].hub.subscribe(AGENTS_TOPIC, listener)

    async def pump() -> None:
        while True:
            event = await queue.get()
            try:
                if not await allowed.allows(event):
                    continue
            except Exception:  # the database is down: say nothing rather than too much
                log.warning("console socket: could not check an event's team; dropped")
                continue
            await ws.send_str(orjson.dumps(event).decode())

    sender = asyncio.create_task(pump())
    beat = asyncio.create_task(_heartbeat(request, ws, console, agent.id))
    open_sockets = request.app[CONSOLES]
    open_sockets.add(ws)
    try:
        if agent.status == "online":
            await request.app[HANDOFF].assign_waiting()  # someone is there now: the queue moves
        # Counted as present from here on (clients and tests wait for this frame).
        await ws.send_str(orjson.dumps({"type": "ready", "status": agent.status}).decode())
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == '{"type":"ping"}':
                await ws.send_str('{"type":"pong"}')
    finally:
        open_sockets.discard(ws)
        sender.cancel()
        beat.cancel()
        unsubscribe()
        try:
            await asyncio.shield(presence.console_closed(db, console, agent.id))
        except Exception:  # the database is down; the row goes stale and is swept
            log.warning("console socket: could not record its close")
    return ws


async def close_all(app: web.Application) -> None:
    """At shutdown, before aiohttp waits for open handlers: close every console socket with
    a reconnect hint (1012: service restart). Left open, each would hold the shutdown until
    aiohttp's timeout, and the console reconnects on any close but a lost login (4401)."""
    sockets: set[web.WebSocketResponse] = app[CONSOLES]
    for ws in list(sockets):
        with contextlib.suppress(Exception):
            await ws.close(code=1012, message=b"server restarting, reconnect")


async def _heartbeat(
    request: web.Request, ws: web.WebSocketResponse, console: str, agent_id: int
) -> None:
    """Keep this console's presence fresh while the session still holds (logout, deactivate
    and password changes end it: the socket is closed with 4401)."""
    db = request.app[SERVICES].db
    while not ws.closed:
        await asyncio.sleep(presence.HEARTBEAT_SECONDS)
        try:
            await request.app[SESSIONS].agent(request)
        except Unauthorized:
            await ws.close(code=4401, message=b"login required")
            return
        try:
            await presence.heartbeat(db, console, agent_id)
        except Exception:  # the database is down: try again at the next beat
            log.warning("console socket: heartbeat not recorded")
