"""A bare aiohttp WebSocket server speaking just enough of the web chat protocol.

It is the ceiling for the web chat bench: the same load generator, the same frames (ready,
the echo of the visitor's message, a typing pair and a reply), and no database, no search,
no bot. ``python -m bench.echo_server --port P`` (the bench starts and stops it).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from datetime import UTC, datetime

import orjson
from aiohttp import WSMsgType, web

_ids = itertools.count(1)


async def session(request: web.Request) -> web.Response:
    """A session with a dummy token, like ``POST /api/webchat/sessions``."""
    await request.read()
    conv = next(_ids)
    body = {"token": f"t{conv}", "conversation_id": conv, "expires_at": "2099-01-01T00:00:00"}
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def socket(request: web.Request) -> web.WebSocketResponse:
    """Echo each message frame back, then reply to it as the bot would."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    seq = 0
    await ws.send_str(orjson.dumps({"type": "ready", "conversation_id": 0, "last_seq": 0}).decode())
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        frame = orjson.loads(msg.data)
        if frame.get("type") != "message":
            continue
        now = datetime.now(UTC).isoformat()
        seq += 1
        echo = {"type": "message", "seq": seq, "sender": "customer", "text": frame.get("text")}
        echo.update(client_msg_id=frame.get("client_msg_id"), created_at=now)
        await ws.send_str(orjson.dumps(echo).decode())
        for on in (True, False):
            await ws.send_str(orjson.dumps({"type": "typing", "sender": "bot", "on": on}).decode())
        seq += 1
        reply = {"type": "message", "seq": seq, "sender": "bot", "text": "ok", "created_at": now}
        await ws.send_str(orjson.dumps(reply).decode())
    return ws


async def healthz(request: web.Request) -> web.Response:
    """Readiness for the bench."""
    return web.json_response({"status": "ready"})


def main(argv: list[str] | None = None) -> int:
    """Serve until killed."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args(argv)
    app = web.Application()
    app.router.add_post("/api/webchat/sessions", session)
    app.router.add_get("/api/webchat/ws", socket)
    app.router.add_get("/readyz", healthz)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
