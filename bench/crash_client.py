"""A web chat visitor for the crash test: asks, waits for the answer, survives a dying worker.

Like the widget it keeps every frame by seq, reconnects with backoff when the socket drops,
resumes after the last seq it has, and resends an unacknowledged message under the same
``client_msg_id`` (the server stores it once). It records what the server acknowledged and
which seqs it received, so the crash test can compare them with the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

QUESTIONS = (
    "怎么申请退货？",
    "退款多久能到账？",
    "产品保修期是多久？",
    "退货运费由谁承担？",
    "How do I return an item?",
    "退款会退到哪个账户？",
)


@dataclass
class Progress:
    """Counters shared by every client (the chaos schedule reads ``acknowledged``)."""

    sent: int = 0
    acknowledged: int = 0
    reconnects: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def ack(self) -> None:
        """One more message acknowledged."""
        self.acknowledged += 1
        self.changed.set()

    async def reached(self, acknowledged: float) -> None:
        """Wait until at least ``acknowledged`` messages are acknowledged."""
        while self.acknowledged < acknowledged:
            self.changed.clear()
            await self.changed.wait()


@dataclass
class Visitor:
    """One visitor's conversation and what it saw."""

    index: int
    base: str
    progress: Progress
    token: str = ""
    conversation_id: int = 0
    frames: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq -> message frame
    received: Counter[int] = field(default_factory=Counter)  # seq -> times received
    acked: dict[str, int] = field(default_factory=dict)  # client_msg_id -> seq
    unanswered: list[str] = field(default_factory=list)  # acked but no reply seen in time
    _ws: aiohttp.ClientWebSocketResponse | None = None

    @property
    def max_seq(self) -> int:
        """The highest seq this visitor has."""
        return max(self.frames, default=0)

    async def run(
        self, http: aiohttp.ClientSession, messages: int, wait: float, think: float = 0.0
    ) -> None:
        """Open a session and ask ``messages`` questions, one after another."""
        for attempt in range(60):
            try:
                async with http.post(f"{self.base}/api/webchat/sessions", json={}) as resp:
                    if resp.status == 200:
                        data = await resp.json()
                        self.token, self.conversation_id = data["token"], data["conversation_id"]
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(min(0.2 * 2**attempt, 2.0))
        else:
            raise RuntimeError("no session could be opened")
        try:
            for i in range(messages):
                cmid = f"v{self.index}-m{i}"
                text = QUESTIONS[(self.index + i) % len(QUESTIONS)]
                if not await self.ask(http, cmid, text, wait):
                    self.unanswered.append(cmid)
                await asyncio.sleep(random.uniform(0, 2 * think))
        finally:
            if self._ws is not None:
                await self._ws.close()

    async def ask(self, http: aiohttp.ClientSession, cmid: str, text: str, wait: float) -> bool:
        """Send until acknowledged, then wait for a bot reply after it; False on timeout."""
        self.progress.sent += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        frame = {"type": "message", "client_msg_id": cmid, "text": text}
        while loop.time() < deadline:
            try:
                ws = await self._socket(http)
                if cmid not in self.acked:
                    await ws.send_json(frame)
                while loop.time() < deadline:
                    if cmid in self.acked and self._answered(self.acked[cmid]):
                        return True
                    msg = await ws.receive(timeout=max(0.1, deadline - loop.time()))
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        raise ConnectionError(f"socket closed ({msg.type.name})")
                    self._take(msg.json())
            except (aiohttp.ClientError, ConnectionError, OSError, TimeoutError):
                await self._drop()
                await asyncio.sleep(random.uniform(0.2, 0.6))
        return cmid in self.acked and self._answered(self.acked[cmid])

    def _answered(self, seq: int) -> bool:
        return any(s > seq and f["sender"] == "bot" for s, f in self.frames.items())

    def _take(self, f: dict[str, Any]) -> None:
        if f.get("type") != "message":
            return
        seq = int(f["seq"])
        self.received[seq] += 1
        self.frames[seq] = f
        cmid = f.get("client_msg_id")
        if f["sender"] == "customer" and cmid and cmid not in self.acked:
            self.acked[cmid] = seq
            self.progress.ack()

    async def _socket(self, http: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        if self._ws is not None and not self._ws.closed:
            return self._ws
        ws = await http.ws_connect(f"{self.base}/api/webchat/ws?token={self.token}", heartbeat=10)
        try:
            ready = await ws.receive_json(timeout=15)
            if ready.get("type") != "ready":
                raise ConnectionError(f"unexpected first frame {ready!r}")
            await ws.send_json({"type": "resume", "after_seq": self.max_seq})
            while True:  # what we missed, up to "resumed"
                msg = await ws.receive_json(timeout=15)
                if msg.get("type") == "resumed":
                    break
                self._take(msg)
        except BaseException:
            await ws.close()
            raise
        self._ws = ws
        return ws

    async def _drop(self) -> None:
        if self._ws is not None:
            self.progress.reconnects += 1
            with contextlib.suppress(Exception):
                await self._ws.close()
            self._ws = None
