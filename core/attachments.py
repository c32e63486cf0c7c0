"""Files that come with messages, stored outside the database rows.

Content-addressed: the key is the SHA-256 of the bytes (plus an extension hint), so the same
file stored twice takes the space once and a key can never point at other content. Files live
under ``<data_dir>/attachments/ab/cd/<sha256>``; written to a temporary name and renamed, so
a crash never leaves half a file behind a key.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from pathlib import Path

from core.domain import Attachment
from core.errors import NotFound, PayloadTooLarge

_KEY = re.compile(r"^[0-9a-f]{64}\Z")
KINDS = ("image", "voice", "video", "file")


class AttachmentStore:
    """Saves and opens attachment bytes by key."""

    def __init__(self, root: Path, max_bytes: int = 20 * 1024 * 1024) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, key: str) -> Path:
        """Where the bytes of ``key`` live; NotFound for a malformed key."""
        if not _KEY.match(key):
            raise NotFound("There is no such attachment.")
        return self.root / key[:2] / key[2:4] / key

    async def save(self, data: bytes, *, kind: str, mime: str, name: str = "") -> Attachment:
        """Store ``data`` (at most ``max_bytes``) and describe it."""
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(
                f"The attachment is larger than {self.max_bytes} bytes.",
                code="attachment_too_large",
            )
        if kind not in KINDS:
            kind = "file"
        key = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._write, key, data)
        safe_name = re.sub(r"[\x00-\x1f/\\\\]", "_", name)[:200]
        mime = mime if re.match(r"^[\w.+-]+/[\w.+-]+$", mime or "") else "application/octet-stream"
        return Attachment(key=key, kind=kind, mime=mime, size=len(data), name=safe_name)

    def _write(self, key: str, data: bytes) -> None:
        target = self.path(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def read(self, key: str) -> bytes:
        """The bytes of ``key``; NotFound when missing."""
        path = self.path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise NotFound("There is no such attachment.") from None
