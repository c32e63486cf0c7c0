"""Idempotency keys on POST: a repeated request gets the first one's response, once done.

The key is reserved (a row with status 0) before the handler runs, in its own transaction,
so two copies of one request racing each other cannot both act: the second gets
``409 idempotency_in_progress``. A success is stored with its body and replayed for
``[api] idempotency_hours``; a failure frees the key, so the client may simply retry. The
same key with another method, path or body is ``422 idempotency_mismatch``: it is a bug in
the client, and replaying the wrong answer would hide it.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from api.tables import IdempotencyKey
from core.db import Database
from core.errors import BadRequest, Conflict, KefuError
from core.models import utcnow


class Mismatch(KefuError):
    """The key was used before for a different request."""

    status = 422
    code = "idempotency_mismatch"


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and body."""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


class Idempotency:
    """Reserve, complete or release keys (the only door to ``api_idempotency``)."""

    def __init__(self, db: Database, keep_hours: float) -> None:
        self.db = db
        self.keep = timedelta(hours=keep_hours)

    async def reserve(self, token_id: int, key: str, print_: str) -> tuple[int, str] | None:
        """None when the key is fresh (now reserved); the stored (status, body) to replay."""
        if not key or len(key) > 200 or not key.isprintable():
            raise BadRequest(
                "Idempotency-Key must be 1-200 printable characters.", code="bad_idempotency_key"
            )
        cutoff = utcnow() - self.keep
        async with self.db.transaction() as session:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.token_id == token_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.created_at < cutoff,
                )
            )
        try:
            async with self.db.transaction() as session:
                session.add(
                    IdempotencyKey(token_id=token_id, key=key, fingerprint=print_, status=0)
                )
            return None
        except IntegrityError:
            pass
        async with self.db.reader() as session:
            row = (
                await session.execute(
                    select(IdempotencyKey).where(
                        IdempotencyKey.token_id == token_id, IdempotencyKey.key == key
                    )
                )
            ).scalar_one_or_none()
        if row is None:  # released meanwhile: the other copy failed; this one may try again
            return await self.reserve(token_id, key, print_)
        if row.fingerprint != print_:
            raise Mismatch(
                "This Idempotency-Key was used for a different request "
                "(another method, path or body).",
            )
        if row.status == 0:
            raise Conflict(
                "A request with this Idempotency-Key is still running; try again shortly.",
                code="idempotency_in_progress",
            )
        return row.status, row.body

    async def complete(self, token_id: int, key: str, status: int, body: str) -> None:
        """Store the response of a successful request under its key."""
        async with self.db.transaction() as session:
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.token_id == token_id, IdempotencyKey.key == key)
                .values(status=status, body=body)
            )

    async def release(self, token_id: int, key: str) -> None:
        """Forget a key whose request failed, so a retry runs again."""
        async with self.db.transaction() as session:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.token_id == token_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.status == 0,
                )
            )
