"""Helpers for the import tests: run ``kefu`` in-process, snapshot the whole database."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

from core.cli import main
from core.schema import metadata

BATCH_TABLES = ("import_batches", "import_items")
Kefu = Callable[..., tuple[int, str, str]]


def make_kefu(monkeypatch: pytest.MonkeyPatch, database_url: str, data_dir: Path) -> Kefu:
    """A ``kefu`` runner on this database: returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEFU_DATA_DIR", str(data_dir))
    monkeypatch.delenv("KEFU_CONFIG", raising=False)
    monkeypatch.chdir(data_dir)

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        return code, out.getvalue(), err.getvalue()

    return run


def snapshot(database_url: str, skip: tuple[str, ...] = BATCH_TABLES) -> dict[str, list[Any]]:
    """Every row of every table (but the batch tables), in primary-key order."""

    async def read() -> dict[str, list[Any]]:
        engine = create_async_engine(database_url)
        out: dict[str, list[Any]] = {}
        try:
            async with engine.connect() as conn:
                present = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
                for name, table in sorted(metadata.tables.items()):
                    if name in skip or name not in present:
                        continue
                    rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
                    out[name] = [tuple(r) for r in rows]
        finally:
            await engine.dispose()
        return out

    return asyncio.run(read())


def query(database_url: str, stmt: Any) -> list[Any]:
    """Rows of one SELECT."""

    async def read() -> list[Any]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(stmt))
        finally:
            await engine.dispose()

    return asyncio.run(read())
