"""The web chat load generator: N visitors, closed loop, over the real protocol.

Each visitor creates a session (``POST /api/webchat/sessions``), opens the socket, and then
sends one distinct question at a time, waiting for the first non-customer message before
the next (closed loop: at most one question in flight per visitor). After
``TURNS_PER_CONVERSATION`` turns, or when the bot hands the conversation to a person, it
starts a new session, as a new visitor would. The same generator drives kefu and the bare
echo server, so the two numbers compare like with like.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

TURNS_PER_CONVERSATION = 8
TURN_TIMEOUT = 30.0
# A bot reply carrying a ticket number means the conversation went to a person (escalated).
TICKET = re.compile(r"#\d+")


@dataclass
class LoadResult:
    """What the visitors saw in the measured window."""

    turns: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    sessions: int = 0

    @property
    def turns_per_s(self) -> float:
        """Completed turns per second of the measured window."""
        return self.turns / self.seconds if self.seconds > 0 else 0.0


class _Run:
    def __init__(self, base_url: str, questions: Iterator[str], warmup: float, duration: float):
        self.base = base_url.rstrip("/")
        self.ws_base = "ws" + self.base[4:]
        self.questions = questions
        self.t0 = time.perf_counter()
        self.measure_from = self.t0 + warmup
        self.stop_at = self.measure_from + duration
        self.result = LoadResult(seconds=duration)

    def _measuring(self, at: float) -> bool:
        return self.measure_from <= at <= self.stop_at

    async def visitor(self, http: aiohttp.ClientSession) -> None:
        while time.perf_counter() < self.stop_at:
            try:
                await self._conversation(http)
            except (aiohttp.ClientError, TimeoutError, ConnectionError) as err:
                self.result.errors[type(err).__name__] += 1
                await asyncio.sleep(0.05)

    async def _conversation(self, http: aiohttp.ClientSession) -> None:
        async with http.post(f"{self.base}/api/webchat/sessions", json={}) as resp:
            if resp.status != 200:
                self.result.errors[f"session_http_{resp.status}"] += 1
                await asyncio.sleep(0.1)
                return
            token = (await resp.json())["token"]
        self.result.sessions += 1
        async with http.ws_connect(
            f"{self.ws_base}/api/webchat/ws", params={"token": token}, heartbeat=None
        ) as ws:
            first = await ws.receive(timeout=TURN_TIMEOUT)
            if first.type != aiohttp.WSMsgType.TEXT:  # closed at once (1013: try again later)
                self.result.errors[f"socket_closed_{ws.close_code}"] += 1
                await asyncio.sleep(0.1)
                return
            ready = orjson.loads(first.data)
            if ready.get("type") != "ready":
                self.result.errors["not_ready"] += 1
                return
            for _ in range(TURNS_PER_CONVERSATION):
                if time.perf_counter() >= self.stop_at:
                    return
                outcome = await self._turn(ws, next(self.questions))
                if outcome in ("escalated", "error"):
                    return

    async def _turn(self, ws: aiohttp.ClientWebSocketResponse, text: str) -> str:
        started = time.perf_counter()
        await ws.send_str(
            orjson.dumps(
                {"type": "message", "client_msg_id": uuid.uuid4().hex, "text": text}
            ).decode()
        )
        while True:
            msg = await ws.receive(timeout=TURN_TIMEOUT)
            if msg.type != aiohttp.WSMsgType.TEXT:
                self.result.errors["socket_closed"] += 1
                return "error"
            frame: dict[str, Any] = orjson.loads(msg.data)
            kind = frame.get("type")
            if kind == "error":
                self.result.errors[str(frame.get("code"))] += 1
                return "error"
            if kind != "message" or frame.get("sender") == "customer":
                continue  # typing indicators and the echo of our own message
            done = time.perf_counter()
            outcome = _outcome(frame)
            if self._measuring(done):
                self.result.turns += 1
                self.result.latencies_ms.append((done - started) * 1000)
                self.result.outcomes[outcome] += 1
            return outcome


def _outcome(frame: dict[str, Any]) -> str:
    if frame.get("entry_id"):
        return "answer"
    if frame.get("choices"):
        return "clarify"
    if TICKET.search(str(frame.get("text", ""))):
        return "escalated"
    return "other"


async def run_load(
    base_url: str, questions: list[str], *, clients: int, duration: float, warmup: float
) -> LoadResult:
    """Drive ``clients`` visitors for ``warmup + duration`` seconds; measure the last part."""
    run = _Run(base_url, itertools.cycle(questions), warmup, duration)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        tasks = [asyncio.create_task(run.visitor(http)) for _ in range(clients)]
        try:
            await asyncio.wait_for(
                asyncio.gather(*tasks), timeout=warmup + duration + TURN_TIMEOUT + 10
            )
        except TimeoutError:
            stuck = sum(not t.done() for t in tasks)
            if stuck:
                run.result.errors["stuck_visitors"] += stuck
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return run.result
