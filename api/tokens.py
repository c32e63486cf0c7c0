"""API tokens: created, listed, rotated and revoked by admins; looked up by their hash.

A token is ``kf_`` plus 32 random bytes (URL-safe base64). Only a keyed SHA-256 of it is
stored: unlike a password, a token has 256 bits of entropy, so nobody can guess it back from
the hash whatever the hash's speed, and a fast hash keeps every call's check cheap (argon2
would cost tens of milliseconds a request). The key (derived from ``[server] secret_key``)
means a stolen database alone does not even allow checking a candidate token offline.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from api.tables import ApiToken
from core.db import Database
from core.errors import BadRequest, NotFound
from core.models import utcnow

PREFIX = "kf_"
RESOURCES = ("tickets", "contacts", "conversations", "reports", "kb")
ACCESS = ("read", "write")
SCOPES = tuple(f"{r}:{a}" for r in RESOURCES for a in ACCESS)
_NAME = re.compile(r"^[^\x00-\x1f]{1,100}$")


def token_hash(secret: bytes, token: str) -> str:
    """The stored form of ``token``: HMAC-SHA256 under a key derived from the server secret."""
    key = hmac.new(secret, b"kefu:api-token", hashlib.sha256).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def normalize_scopes(raw: Any) -> list[str]:
    """Scopes as stored: ``resource:read|write``; ``read``/``write`` alone mean every resource.

    ``write`` implies ``read`` on the same resource (a client that creates a ticket may read
    it back). BadRequest names an unknown scope.
    """
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        raise BadRequest(
            f'scopes must be a non-empty list, e.g. ["tickets:write"]; known: {", ".join(SCOPES)}'
            ", or read / write for every resource. 请至少选择一项权限。",
            code="bad_scopes",
        )
    out: set[str] = set()
    for scope in raw:
        scope = scope.strip().lower()
        if scope in ACCESS:
            out.update(f"{r}:{scope}" for r in RESOURCES)
        elif scope in SCOPES:
            out.add(scope)
        else:
            raise BadRequest(
                f"Unknown scope {scope!r} (未知权限); known: {', '.join(SCOPES)}, read, write.",
                code="bad_scopes",
            )
    out.update(s.replace(":write", ":read") for s in list(out) if s.endswith(":write"))
    return sorted(out)


def allows(scopes: list[Any], resource: str, access: str) -> bool:
    """Whether a token with ``scopes`` may ``access`` (read|write) ``resource``."""
    return f"{resource}:{access}" in scopes


@dataclass(frozen=True)
class TokenView:
    """A token as admins see it (never its secret)."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    rate_limit: int
    created_by: int
    created_at: datetime
    rotated_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def json(self) -> dict[str, Any]:
        """The token as the admin API shows it."""

        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "scopes": self.scopes,
            "rate_limit": self.rate_limit,
            "created_by": self.created_by,
            "created_at": iso(self.created_at),
            "rotated_at": iso(self.rotated_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
            "active": self.revoked_at is None,
        }


def view(t: ApiToken) -> TokenView:
    """The admin's view of a token row."""
    return TokenView(
        t.id,
        t.name,
        t.prefix,
        list(t.scopes or []),
        t.rate_limit,
        t.created_by,
        t.created_at,
        t.rotated_at,
        t.last_used_at,
        t.revoked_at,
    )


def _new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


class TokenStore:
    """The only door to ``api_tokens``."""

    def __init__(self, db: Database, secret: bytes) -> None:
        self.db = db
        self.secret = secret

    async def create(
        self, name: Any, scopes: Any, created_by: int, rate_limit: int
    ) -> tuple[TokenView, str]:
        """A new token and its secret (the only time the secret is ever returned)."""
        if not isinstance(name, str) or not _NAME.match(name.strip()):
            raise BadRequest(
                "name must be 1-100 characters. 名称须为 1-100 个字符。", code="bad_name"
            )
        clean = normalize_scopes(scopes)
        token = _new_secret()
        async with self.db.transaction() as session:
            row = ApiToken(
                name=name.strip(),
                prefix=token[:10],
                secret_hash=token_hash(self.secret, token),
                scopes=clean,
                rate_limit=rate_limit,
                created_by=created_by,
                created_at=utcnow(),
            )
            session.add(row)
            await session.flush()
            return view(row), token

    async def all(self) -> list[TokenView]:
        """Every token, newest first (revoked ones too, for the record)."""
        async with self.db.reader() as session:
            rows = (await session.execute(select(ApiToken).order_by(ApiToken.id.desc()))).scalars()
            return [view(t) for t in rows]

    async def rotate(self, token_id: int) -> tuple[TokenView, str]:
        """A new secret for the token; the old one stops working at once."""
        token = _new_secret()
        async with self.db.transaction() as session:
            row = await session.get(ApiToken, token_id, with_for_update=True)
            if row is None or row.revoked_at is not None:
                raise NotFound("There is no such active API token.")
            row.secret_hash = token_hash(self.secret, token)
            row.prefix = token[:10]
            row.rotated_at = utcnow()
            return view(row), token

    async def revoke(self, token_id: int) -> TokenView:
        """Revoke the token for good (kept for the audit log)."""
        async with self.db.transaction() as session:
            row = await session.get(ApiToken, token_id, with_for_update=True)
            if row is None:
                raise NotFound("There is no such API token.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return view(row)

    async def find(self, token: str) -> ApiToken | None:
        """The token row whose secret is ``token``, revoked or not; None when unknown."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        digest = token_hash(self.secret, token)
        async with self.db.reader() as session:
            return (
                await session.execute(select(ApiToken).where(ApiToken.secret_hash == digest))
            ).scalar_one_or_none()
