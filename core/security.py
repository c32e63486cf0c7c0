"""Signed tokens (visitor tokens, agent sessions), password hashing and the secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.errors import ConfigError, Unauthorized

log = logging.getLogger(__name__)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (never raises)."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def same(given: str, expected: str) -> bool:
    """A constant-time comparison of a signature someone sent with ours. Compared as UTF-8
    bytes: ``hmac.compare_digest`` raises TypeError on a str with non-ASCII characters, which
    a forged token, header or link may well contain."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


class TokenSigner:
    """HMAC-SHA256 signed, expiring tokens; each purpose gets its own derived key."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        if len(secret) < 16:
            raise ConfigError("Config key [server] secret_key must be at least 16 characters.")
        self._key = hmac.new(secret, b"kefu:" + purpose.encode(), hashlib.sha256).digest()

    def sign(self, payload: dict[str, Any], ttl_seconds: float) -> str:
        """A token carrying ``payload`` that expires after ``ttl_seconds``."""
        body = dict(payload, exp=int(time.time() + ttl_seconds))
        raw = _b64(orjson.dumps(body))
        return f"{raw}.{_b64(hmac.new(self._key, raw.encode(), hashlib.sha256).digest())}"

    def verify(self, token: str) -> dict[str, Any]:
        """The payload of a valid, unexpired token; Unauthorized otherwise."""
        if not isinstance(token, str) or len(token) > 4096 or token.count(".") != 1:
            raise Unauthorized("The token is malformed.", code="invalid_token")
        raw, sig = token.split(".")
        expected = _b64(hmac.new(self._key, raw.encode(), hashlib.sha256).digest())
        if not same(sig, expected):
            raise Unauthorized("The token's signature is invalid.", code="invalid_token")
        try:
            body = orjson.loads(_unb64(raw))
        except (ValueError, orjson.JSONDecodeError):
            raise Unauthorized("The token is malformed.", code="invalid_token") from None
        if not isinstance(body, dict) or not isinstance(body.get("exp"), int):
            raise Unauthorized("The token is malformed.", code="invalid_token")
        if body["exp"] < time.time():
            raise Unauthorized("The token has expired.", code="token_expired")
        return body


def load_or_create_secret(configured: str, data_dir: Path) -> bytes:
    """The configured secret, or one generated once and kept in the data dir (mode 0600)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / "secret.key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip().encode("ascii")
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret)
    log.info("generated a new secret key in %s", path)
    return secret.encode("ascii")
