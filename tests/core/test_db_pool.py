"""SQLite connections stay open between reads: under load a read must not open (and close)
a connection of its own, with its thread, file and pragmas."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import event, text

from core.db import Database

READERS = 12  # more than the 5 connections the default pool kept


async def test_concurrent_reads_reuse_the_pooled_connections(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    opened: list[object] = []
    event.listen(db.engine.sync_engine, "connect", lambda conn, _rec: opened.append(conn))

    async def wave() -> None:
        inside, all_in = 0, asyncio.Event()

        async def read() -> None:
            nonlocal inside
            async with db.reader() as session:
                await session.execute(text("SELECT 1"))
                inside += 1
                if inside == READERS:
                    all_in.set()
                await all_in.wait()  # every reader holds its connection at once

        await asyncio.gather(*(read() for _ in range(READERS)))

    try:
        await wave()
        assert len(opened) == READERS
        await wave()
        await wave()
        assert len(opened) == READERS  # the later waves opened none
    finally:
        await db.dispose()
