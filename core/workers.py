"""``kefu serve --workers N``: a supervising parent and N worker processes on one port.

Every worker is a full kefu (HTTP, WebSockets, outbox, SLA timer, pollers) listening on
the same host and port with ``SO_REUSEPORT``: the kernel spreads new connections over
them. They share PostgreSQL (durable state) and Redis (locks, wake-ups, rate limits), so
more than one worker is refused on SQLite or without Redis. The parent only prepares
(migrations, the secret key, the demo data) in a child of its own, forks the workers, and
restarts any that dies; SIGTERM or Ctrl-C stops them all gracefully. Linux (fork and
SO_REUSEPORT); on one host. More hosts: run one ``kefu serve --workers N`` per host
behind the reverse proxy (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

from core.config import Settings
from core.errors import ConfigError, KefuError

log = logging.getLogger(__name__)

STOP_SECONDS = 25.0  # a worker's graceful shutdown (15 s drain) plus margin, then SIGKILL
MAX_RESTART_DELAY = 30.0


def use_fast_loop() -> str:
    """Serve on uvloop when it is installed (``kefu[bench]``; about 10% less CPU per turn)."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


def check_workers(settings: Settings, workers: int) -> None:
    """Refuse several workers where they would corrupt or miss each other's state."""
    if workers <= 1:
        return
    if not settings.database_url.startswith("postgresql"):
        raise ConfigError(
            f"--workers {workers} needs PostgreSQL: SQLite allows one writing process. Set "
            "[storage] database_url (KEFU_DATABASE_URL) to a postgresql+asyncpg:// URL, "
            "or run one worker."
        )
    if not settings.storage.redis_url:
        raise ConfigError(
            f"--workers {workers} needs Redis for locks and wake-ups between workers. Set "
            "[storage] redis_url (KEFU_REDIS_URL), or run one worker."
        )


async def prepare(settings: Settings, demo: bool) -> None:
    """What must happen once before workers start: migrations, secret key, demo data."""
    from core.app import DEMO_AGENT, seed_demo_alone
    from core.db import upgrade
    from core.security import load_or_create_secret

    await upgrade(settings.database_url)
    load_or_create_secret(settings.server.secret_key, settings.data_path)
    if demo:
        await seed_demo_alone(settings)
        print(f"  demo agent login: {DEMO_AGENT[0]} / {DEMO_AGENT[2]}", flush=True)


def _prepare_child(settings: Settings, demo: bool) -> None:
    try:
        asyncio.run(prepare(settings, demo))
    except KefuError as err:
        print(f"kefu: {err.message}", file=sys.stderr)
        sys.exit(2)


def _worker_child(settings: Settings, index: int) -> None:
    from aiohttp import web

    from core.app import create_app

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)  # run_app installs its own graceful handlers
    loop = use_fast_loop()
    app = create_app(settings, migrate=False)
    log.info(
        "worker %d serving on %s:%s (%s)", index, settings.server.host, settings.server.port, loop
    )
    web.run_app(
        app,
        host=settings.server.host,
        port=settings.server.port,
        reuse_port=True,
        print=None,
        shutdown_timeout=15,
        access_log=None,
    )


@dataclass
class _Slot:
    """One worker position: its current process and how quickly it has been dying."""

    index: int
    process: BaseProcess | None = None
    started: float = 0.0
    delay: float = 0.5
    restart_at: float = 0.0


class Supervisor:
    """Starts N workers, restarts the ones that die, stops them all on SIGTERM/SIGINT."""

    def __init__(self, settings: Settings, workers: int, *, demo: bool = False) -> None:
        self.settings = settings
        self.slots = [_Slot(i) for i in range(workers)]
        self.demo = demo
        self.ctx = multiprocessing.get_context("fork")
        self._stopping = False

    def run(self, announce: str = "") -> int:
        """Serve until stopped; the exit status of ``kefu serve``."""
        prep = self.ctx.Process(
            target=_prepare_child, args=(self.settings, self.demo), name="kefu-prepare"
        )
        prep.start()
        prep.join()
        if prep.exitcode != 0:
            log.error("preparing failed (exit %s); no worker started", prep.exitcode)
            return 1
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for slot in self.slots:
                self._start(slot)
            if announce:
                print(announce, flush=True)
            while not self._stopping:
                time.sleep(0.2)
                self._watch()
            return self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def pids(self) -> list[int]:
        """The pids of the running workers."""
        return [s.process.pid for s in self.slots if s.process and s.process.pid]

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _start(self, slot: _Slot) -> None:
        proc = self.ctx.Process(
            target=_worker_child, args=(self.settings, slot.index), name=f"kefu-worker-{slot.index}"
        )
        proc.start()
        slot.process, slot.started = proc, time.monotonic()
        log.info("worker %d started (pid %s)", slot.index, proc.pid)

    def _watch(self) -> None:
        now = time.monotonic()
        for slot in self.slots:
            proc = slot.process
            if proc is not None and proc.is_alive():
                continue
            if proc is not None:
                proc.join(0)
                # A worker that ran a while gets restarted at once; a crash loop backs off.
                lived = now - slot.started
                slot.delay = 0.5 if lived > 30 else min(slot.delay * 2, MAX_RESTART_DELAY)
                slot.restart_at = now + slot.delay
                log.warning(
                    "worker %d (pid %s) exited with %s after %.0f s; restarting in %.1f s",
                    slot.index,
                    proc.pid,
                    proc.exitcode,
                    lived,
                    slot.delay,
                )
                slot.process = None
            if now >= slot.restart_at:
                self._start(slot)

    def _stop_all(self) -> int:
        log.info("stopping %d workers", len(self.slots))
        procs = [s.process for s in self.slots if s.process is not None]
        for proc in procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: each worker drains and closes gracefully
        deadline = time.monotonic() + STOP_SECONDS
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                log.warning("worker pid %s did not stop in time; killing it", proc.pid)
                proc.kill()
                proc.join(5)
        return 0
