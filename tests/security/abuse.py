"""The abuse suite's bookkeeping: what each door was sent, how it answered, what survived.

A :class:`Door` counts hostile requests (tried, 4xx, 5xx, crashes = the connection died or the
client raised) and the legitimate messages sent between them; :meth:`Door.finish` checks the
server is still healthy, counts what was stored, records the figures and asserts the targets
(no 5xx, no crash, every legitimate message stored).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from tests.security.figures import record

FULL = os.environ.get("KEFU_FUZZ", "").lower() == "full"
ROUNDS = 4 if FULL else 1  # how many times each hostile input list is replayed


class Door:
    """Figures for one entry point under abuse."""

    def __init__(self, entry: str) -> None:
        self.entry = entry
        self.tried = 0
        self.rejected = 0
        self.server_errors: list[str] = []
        self.crashes: list[str] = []
        self.legit_sent = 0

    async def hit(
        self, what: str, call: Callable[[], Awaitable[Any]], *, expect_4xx: bool = True
    ) -> int | None:
        """Send one hostile request; its status (None when the connection died)."""
        self.tried += 1
        try:
            resp = await call()
            status = int(resp.status)
            await resp.read()
        except (aiohttp.ClientError, ConnectionError) as err:
            self.crashes.append(f"{what}: {type(err).__name__}: {err}")
            return None
        if status >= 500:
            self.server_errors.append(f"{what}: {status}")
        elif 400 <= status < 500:
            self.rejected += 1
        elif expect_4xx:
            pass  # accepted: legal input that merely looks odd (counted as tried only)
        return status

    def refused(self, n: int = 1) -> None:
        """Count hostile inputs refused outside HTTP (an error frame, a closed socket)."""
        self.tried += n
        self.rejected += n

    def accepted(self, n: int = 1) -> None:
        """Count odd inputs that were legal and handled normally."""
        self.tried += n

    async def finish(self, client: Any, stored: int) -> dict[str, Any]:
        """Check health, record the figures and assert the targets."""
        health = await client.get("/healthz")
        healthy = health.status == 200
        figures = record(
            self.entry,
            kind="abuse",
            tried=self.tried,
            rejected_4xx=self.rejected,
            status_5xx=len(self.server_errors),
            crashes=len(self.crashes),
            healthy_after=healthy,
            legit_sent=self.legit_sent,
            legit_stored=stored,
        )
        assert not self.server_errors, self.server_errors[:10]
        assert not self.crashes, self.crashes[:10]
        assert healthy
        assert stored == self.legit_sent, f"{stored} of {self.legit_sent} legitimate messages"
        return figures
