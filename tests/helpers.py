"""Helpers for driving kefu like a client would: a web chat visitor and an agent."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Callable
from typing import Any

AGENT_HEADERS = {"X-Requested-With": "kefu"}


class Visitor:
    """A scripted web chat visitor on a test client."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.token = ""
        self.conversation_id = 0
        self.ws: Any = None
        self.frames: list[dict[str, Any]] = []

    async def start(self, token: str | None = None) -> Visitor:
        """Create (or continue) a session and open the socket, resuming from seq 0."""
        body = {"token": token} if token else {}
        resp = await self.client.post("/api/webchat/sessions", json=body)
        assert resp.status == 200, await resp.text()
        data = await resp.json()
        self.token, self.conversation_id = data["token"], data["conversation_id"]
        await self.connect()
        return self

    async def connect(self, after_seq: int = 0) -> dict[str, Any]:
        """Open the socket and resume after ``after_seq``; returns the ready frame."""
        self.ws = await self.client.ws_connect(f"/api/webchat/ws?token={self.token}")
        ready: dict[str, Any] = await self.ws.receive_json(timeout=10)
        assert ready["type"] == "ready", ready
        await self.ws.send_json({"type": "resume", "after_seq": after_seq})
        await self.until(lambda f: f["type"] == "resumed")
        return ready

    async def say(self, text: str, client_msg_id: str | None = None) -> str:
        """Send a message frame; returns its client_msg_id."""
        cmid = client_msg_id or uuid.uuid4().hex
        await self.ws.send_json({"type": "message", "client_msg_id": cmid, "text": text})
        return cmid

    async def until(
        self, pred: Callable[[dict[str, Any]], object], wait_seconds: float = 15.0
    ) -> dict[str, Any]:
        """Read frames until one matches ``pred``; every frame is kept in ``frames``."""

        async def loop() -> dict[str, Any]:
            while True:
                frame: dict[str, Any] = await self.ws.receive_json()
                self.frames.append(frame)
                if pred(frame):
                    return frame

        return await asyncio.wait_for(loop(), wait_seconds)

    async def reply_to(self, text: str, sender: str = "bot") -> dict[str, Any]:
        """Say ``text`` and wait for the next message from ``sender``."""
        await self.say(text)
        return await self.until(lambda f: f["type"] == "message" and f["sender"] == sender)

    def messages(self) -> list[dict[str, Any]]:
        """Message frames received so far, deduplicated by seq, in order."""
        seen: dict[int, dict[str, Any]] = {}
        for f in self.frames:
            if f["type"] == "message":
                seen[f["seq"]] = f
        return [seen[k] for k in sorted(seen)]


async def login(client: Any, email: str = "demo@kefu.local", password: str = "demo") -> Any:
    """Log an agent in on ``client`` (its cookie jar keeps the session)."""
    resp = await client.post(
        "/api/agent/login", json={"email": email, "password": password}, headers=AGENT_HEADERS
    )
    assert resp.status == 200, await resp.text()
    return resp


async def open_console(client: Any) -> Any:
    """Connect the agent console socket of ``client``'s agent: from the ``ready`` frame on,
    the agent is really there (true presence) and may receive work."""
    ws = await client.ws_connect("/api/agent/ws")
    while True:
        frame = await asyncio.wait_for(ws.receive_json(), 10)
        if frame.get("type") == "ready":
            return ws


async def until(pred: Callable[[], object], seconds: float = 15.0) -> None:
    """Poll ``pred`` (plain or async) until it holds: for what the app reaches on its own
    (the outbox, a bot turn) and what a fake platform records. A timeout fails the test."""
    async with asyncio.timeout(seconds):
        while True:
            held = pred()
            if inspect.isawaitable(held):
                held = await held
            if held:
                return
            await asyncio.sleep(0.05)


async def agent_reply(client: Any, conversation_id: int, text: str) -> None:
    """The signed-in agent replies to the customer (public)."""
    resp = await client.post(
        f"/api/agent/conversations/{conversation_id}/messages",
        json={"text": text, "private": False},
        headers=AGENT_HEADERS,
    )
    assert resp.status == 201, await resp.text()
