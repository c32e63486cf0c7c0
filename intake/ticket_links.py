"""The customer's signed ticket page link: no login, expires, can be revoked.

A link is ``/t/<token>``; the token is ``<ticket id>.<version>.<expiry>.<signature>``, the
signature an HMAC-SHA256 of the first three parts with the app's secret (truncated to 128
bits, base64url). Revoking a ticket's links bumps its version in ``ticket_links``: every
link signed before stops working at once, a new link works. Nothing else is stored; a
tampered, expired or revoked token is refused the same way (no hint which).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import utcnow
from core.security import same
from intake.tables import TicketLink

PATH = "/t/"
SIG_BYTES = 16


@dataclass(frozen=True)
class LinkClaim:
    """What a valid token says: which ticket, under which version."""

    ticket_id: int
    version: int
    expires: int


class TicketLinks:
    """Signs and checks ticket page tokens with the app secret."""

    def __init__(self, secret: bytes, public_url: str, days: float) -> None:
        self.key = hmac.new(secret, b"kefu ticket page", hashlib.sha256).digest()
        self.public_url = public_url.rstrip("/")
        self.ttl = int(days * 86400)

    def _sign(self, body: str) -> str:
        mac = hmac.new(self.key, body.encode(), hashlib.sha256).digest()[:SIG_BYTES]
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def token(self, ticket_id: int, version: int, now: float | None = None) -> str:
        """A token for the ticket's current link version, valid ``link_days``."""
        expires = int((time.time() if now is None else now) + self.ttl)
        body = f"{ticket_id}.{version}.{expires}"
        return f"{body}.{self._sign(body)}"

    def parse(self, token: str, now: float | None = None) -> LinkClaim | None:
        """The claim of a well-signed, unexpired token; None for anything else."""
        parts = (token or "").split(".")
        if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
            return None
        body = ".".join(parts[:3])
        if not same(parts[3], self._sign(body)):
            return None
        claim = LinkClaim(int(parts[0]), int(parts[1]), int(parts[2]))
        if claim.expires <= (time.time() if now is None else now):
            return None
        return claim

    def url(self, token: str) -> str:
        """The page's absolute address."""
        return f"{self.public_url}{PATH}{token}"

    async def link_for(self, session: AsyncSession, ticket_id: int) -> str:
        """A fresh link to the ticket's page (its current version)."""
        return self.url(self.token(ticket_id, await current_version(session, ticket_id)))

    async def check(self, session: AsyncSession, token: str) -> int | None:
        """The ticket id a token opens, or None (tampered, expired or revoked)."""
        claim = self.parse(token)
        if claim is None:
            return None
        if claim.version != await current_version(session, claim.ticket_id):
            return None
        return claim.ticket_id


async def current_version(session: AsyncSession, ticket_id: int) -> int:
    """The ticket's link version (1 until a revocation)."""
    version = (
        await session.execute(select(TicketLink.version).where(TicketLink.ticket_id == ticket_id))
    ).scalar_one_or_none()
    return int(version or 1)


async def revoke(session: AsyncSession, ticket_id: int, agent_id: int | None) -> int:
    """Every link of the ticket signed so far stops working; returns the new version."""
    row = await session.get(TicketLink, ticket_id, with_for_update=True)
    if row is None:
        row = TicketLink(ticket_id=ticket_id, version=1)
        session.add(row)
    row.version = (row.version or 1) + 1
    row.revoked_at = utcnow()
    row.revoked_by = agent_id
    await session.flush()
    return row.version
