"""access_token: one owner refreshes it under a lock; readers only read.

WeChat invalidates a token 5 minutes after a new one is fetched and rate-limits fetching,
so concurrent refreshes (a "refresh storm" after many requests see 40001 at once) log
other workers out. Here every reader calls :meth:`AccessTokens.get`, which returns the
cached token; only when it is missing or about to expire does the caller take the
inbox's refresh lock and, after checking again under the lock, fetch once. A reader that
got 40001/42001 calls :meth:`invalid` with the token it used: if someone already replaced
it, nothing is fetched. The lock comes from ``services.locks`` (Redis-backed when kefu runs
several workers), and ``stable_token`` gives every worker the same token anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.coordination import Locks

log = logging.getLogger(__name__)

EARLY_SECONDS = 300.0  # refresh this long before the token expires


@dataclass(frozen=True)
class Token:
    """An access token and when it stops being usable (monotonic seconds)."""

    value: str
    expires_at: float


Fetch = Callable[[bool], Awaitable[tuple[str, int]]]
"""Fetches a token: ``fetch(force)`` -> (access_token, expires_in seconds)."""


class AccessTokens:
    """The access token of one app (Official Account appid, or WeCom corp + secret)."""

    def __init__(self, key: str, fetch: Fetch, locks: Locks) -> None:
        self.key = key
        self.fetch = fetch
        self.locks = locks
        self._token: Token | None = None
        self.refreshes = 0  # how many times a token was fetched (for tests and metrics)

    def _valid(self) -> Token | None:
        token = self._token
        if token is not None and token.expires_at - EARLY_SECONDS > time.monotonic():
            return token
        return None

    async def get(self) -> str:
        """A valid token: the cached one, or one fetched once under the refresh lock."""
        token = self._valid()
        if token is not None:
            return token.value
        async with self.locks.hold(f"wechat-token:{self.key}"):
            token = self._valid()  # another caller refreshed while we waited
            if token is None:
                token = await self._refresh(force=False)
            return token.value

    async def invalid(self, used: str) -> str:
        """``used`` was refused (40001/42001): a fresh token, fetched at most once for all."""
        async with self.locks.hold(f"wechat-token:{self.key}"):
            current = self._token
            if current is not None and current.value != used and self._valid() is not None:
                return current.value  # someone already replaced it
            token = await self._refresh(force=False)
            if token.value == used:
                # The stable token still hands out the refused one: force a new one.
                token = await self._refresh(force=True)
            return token.value

    async def _refresh(self, *, force: bool) -> Token:
        value, expires_in = await self.fetch(force)
        self.refreshes += 1
        self._token = Token(value, time.monotonic() + max(60, int(expires_in)))
        log.info("access token for %s refreshed (force=%s)", self.key, force)
        return self._token
