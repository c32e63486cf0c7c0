"""Attachment names and keys from customers: never a path outside the attachment store."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.attachments import AttachmentStore
from core.errors import NotFound

NAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/abs/path.png",
    "a\x00.png",
    "\r\nContent-Type: text/html",
    "..",
    "C:\\x.exe",
    "%2e%2e%2fsecret.key",
    "名字.png",
]


async def test_hostile_attachment_names_stay_names(tmp_path: Path) -> None:
    """Names are stored as labels (no separators or control characters); files go by hash."""
    root = tmp_path / "attachments"
    store = AttachmentStore(root, 1024)
    for i, name in enumerate(NAMES):
        att = await store.save(f"data {i}".encode(), kind="file", mime="text/html; x", name=name)
        assert "/" not in att.name and "\\" not in att.name
        assert all(ch >= " " for ch in att.name)
        assert att.mime == "application/octet-stream"  # a malformed type is not passed on
        assert store.path(att.key).resolve().is_relative_to(root.resolve())
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == len(NAMES) and all(p.is_relative_to(root) for p in files)


@pytest.mark.parametrize("key", ["../../secret.key", "a" * 63, "A" * 64, "/etc/passwd", ""])
def test_keys_that_are_not_hashes_are_not_found(tmp_path: Path, key: str) -> None:
    """A key is 64 lower-case hex digits or it does not exist (no path is built from it)."""
    with pytest.raises(NotFound):
        AttachmentStore(tmp_path).path(key)
