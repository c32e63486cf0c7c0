"""Attachments are stored outside the rows, by content, with a size limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.attachments import AttachmentStore
from core.errors import NotFound, PayloadTooLarge


async def test_save_and_read_back(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path, max_bytes=1024)
    a = await store.save(b"\x89PNG fake", kind="image", mime="image/png", name="../../etc/x.png")
    assert a.size == 9 and a.kind == "image" and a.mime == "image/png"
    assert "/" not in a.name
    assert await store.read(a.key) == b"\x89PNG fake"
    again = await store.save(b"\x89PNG fake", kind="image", mime="image/png")
    assert again.key == a.key  # same content, same key, stored once
    assert len(list(tmp_path.rglob("*"))) == 3  # two folders and one file


async def test_limits_and_bad_keys(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path, max_bytes=10)
    with pytest.raises(PayloadTooLarge):
        await store.save(b"x" * 11, kind="file", mime="text/plain")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    with pytest.raises(NotFound):
        await store.read("../../secret.key")
    with pytest.raises(NotFound):
        await store.read("0" * 64)
    odd = await store.save(b"ok", kind="weird", mime="text/html; charset=x\r\nX: y")
    assert odd.kind == "file" and odd.mime == "application/octet-stream"
