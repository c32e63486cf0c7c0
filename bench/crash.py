"""``python -m bench crash [--json]``: kill a worker and restart Redis under web chat load.

Starts ``kefu serve --workers 2 --demo`` on a free port with a fresh PostgreSQL database and
a private redis-server, drives visitors asking the demo FAQ, ``kill -9``s one worker once
a third of the messages are acknowledged (the supervisor restarts it) and restarts Redis at
two thirds. Then it checks, against the database: every acknowledged message stored exactly
once; every bot reply to one delivered to its visitor (by seq, after resume) and none made
twice; no lock or lease left to a dead worker; the outbox drained. Exit status 1 on any
loss or duplicate. Needs PostgreSQL (``KEFU_BENCH_PG_URL``, default the test server) and the
``redis-server`` binary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from sqlalchemy import select

from bench.common import rss_mb
from bench.crash_client import Progress, Visitor
from bench.services import RedisServer, create_database, drop_database, free_port
from core.db import Database
from core.leases import live_leases
from core.models import Conversation, Message, OutboxItem

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("KEFU_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def worker_pids(parent: int) -> list[int]:
    """The supervisor's worker processes (its children, from /proc)."""
    try:
        text = Path(f"/proc/{parent}/task/{parent}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class Cluster:
    """The server under test: ``kefu serve --workers 2`` and its private Redis."""

    def __init__(self, db_url: str, workdir: Path) -> None:
        self.db_url, self.workdir = db_url, workdir
        self.redis = RedisServer()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start Redis and the supervisor (it migrates and seeds the demo KB)."""
        self.redis.start()
        env = dict(os.environ)
        env.update(
            KEFU_DATABASE_URL=self.db_url, KEFU_REDIS_URL=self.redis.url,
            KEFU_DATA_DIR=str(self.workdir / "data"), KEFU_SECRET_KEY="crash-test-" + "k" * 32,
            KEFU_LOG_LEVEL="WARNING", KEFU_WORKERS__TURN_RECOVERY_SECONDS="5",
            KEFU_WORKERS__LOCK_TTL_SECONDS="5", KEFU_OUTBOX__CLAIM_SECONDS="5",
            KEFU_WEBCHAT__MESSAGES_PER_MINUTE="10000",
            KEFU_WEBCHAT__SESSIONS_PER_MINUTE_PER_IP="10000",
            PYTHONPATH=str(ROOT),
        )  # fmt: skip
        cmd = [sys.executable, "-m", "core.cli", "serve", "--workers", "2", "--demo",
               "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        log = (self.workdir / "server.log").open("wb")
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=log, stderr=log)

    @property
    def pid(self) -> int:
        """The supervisor's pid."""
        assert self.proc is not None
        return self.proc.pid

    async def wait_ready(self, http: aiohttp.ClientSession, workers: int, limit: float) -> None:
        """Until ``workers`` distinct worker pids answer /readyz as ready."""
        seen: set[int] = set()
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"kefu serve exited: see {self.workdir / 'server.log'}")
            try:
                # A new connection each time: SO_REUSEPORT spreads them over the workers.
                async with http.get(f"{self.base}/readyz", headers={"Connection": "close"}) as r:
                    body = await r.json()
                    if r.status == 200 and body.get("redis") == "ok":
                        seen.add(int(body["worker"]))
            except (aiohttp.ClientError, OSError):
                pass
            live = set(worker_pids(self.pid))
            if len(seen & live) >= workers:
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{workers} ready workers not seen within {limit:.0f} s")

    def stop(self) -> None:
        """SIGTERM the supervisor (graceful), then make sure everything is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                for pid in [*worker_pids(self.pid), self.pid]:
                    os.kill(pid, signal.SIGKILL)
                self.proc.wait(10)
        self.redis.stop()


async def chaos(cluster: Cluster, http: aiohttp.ClientSession, progress: Progress, total: int,
                report: dict[str, Any]) -> None:  # fmt: skip
    """Kill a worker at a third of the load, restart Redis at two thirds."""
    await progress.reached(total / 3)
    victim = worker_pids(cluster.pid)[-1]
    os.kill(victim, signal.SIGKILL)
    report["killed_worker"] = victim
    await progress.reached(total * 2 / 3)
    cluster.redis.stop()
    await asyncio.sleep(1.0)
    cluster.redis.start()
    report["redis_restarts"] = 1


async def settle(db: Database, cluster: Cluster, limit: float) -> dict[str, int]:
    """Wait for the outbox to drain and dead workers' locks to expire; what is left."""
    client = aioredis.Redis.from_url(cluster.redis.url)
    left: dict[str, int] = {}
    deadline = time.monotonic() + limit
    try:
        while True:
            async with db.reader() as s:
                states = Counter((await s.execute(select(OutboxItem.status))).scalars())
            live = set(worker_pids(cluster.pid))
            stale_locks = 0
            async for key in client.scan_iter(match="kefu:lock:*"):
                raw = await client.get(key) or b""
                holder = raw.decode() if isinstance(raw, bytes) else str(raw)
                parts = holder.split(":")
                if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) not in live:
                    stale_locks += 1
            stale_leases = sum(
                1 for _, h in await live_leases(db) if int(h.split(":")[1]) not in live
            )
            left = {
                "outbox_pending": states["pending"] + states["sending"],
                "outbox_dead": states["dead"],
                "stale_locks": stale_locks,
                "stale_leases": stale_leases,
            }
            if not any(left.values()) or time.monotonic() > deadline:
                return left
            await asyncio.sleep(0.5)
    finally:
        await client.aclose()


async def verify(db: Database, visitors: list[Visitor]) -> dict[str, int]:
    """Compare what visitors were acknowledged and received with the database."""
    c = Counter[str]()
    async with db.reader() as s:
        for v in visitors:
            msgs = list(
                (
                    await s.execute(
                        select(Message)
                        .where(Message.conversation_id == v.conversation_id)
                        .order_by(Message.seq)
                    )
                ).scalars()
            )
            owner = await s.get(Conversation, v.conversation_id)
            c["not_bot_owned"] += owner is not None and owner.owner != "bot"
            by_cmid = Counter(
                (m.source_id or ":").split(":", 1)[1] for m in msgs if m.sender == "customer"
            )
            c["acknowledged"] += len(v.acked)
            for cmid in v.acked:
                c["stored"] += by_cmid[cmid] >= 1
                c["lost"] += by_cmid[cmid] == 0
                c["duplicates"] += max(0, by_cmid[cmid] - 1)
            # A turn's replies: the bot messages after a customer message, up to the next one.
            turns: list[list[Message]] = []
            for m in msgs:
                if m.sender == "customer":
                    turns.append([])
                elif turns and m.sender == "bot":
                    turns[-1].append(m)
            for replies in turns:
                texts = Counter(m.text for m in replies)
                c["replied"] += bool(replies)
                c["lost"] += not replies  # an acknowledged message nobody answered
                c["duplicates"] += sum(n - 1 for n in texts.values())  # a turn run twice
                for m in replies:
                    c["replies"] += 1
                    c["delivered"] += m.seq in v.frames
                    c["lost"] += m.seq not in v.frames
            c["redelivered"] += sum(n - 1 for n in v.received.values())
    return dict(c)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole crash test; returns the report."""
    if shutil.which("redis-server") is None:
        raise RuntimeError("the redis-server binary is needed")
    workdir = Path(tempfile.mkdtemp(prefix="kefu-crash-"))
    db_url = await create_database(PG_ADMIN, "kefu_crash")
    cluster = Cluster(db_url, workdir)
    report: dict[str, Any] = {"clients": args.clients, "messages_per_client": args.messages}
    started = time.monotonic()
    db = Database(db_url)
    try:
        cluster.start()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            await cluster.wait_ready(http, 2, limit=args.start_timeout)
            report["startup_seconds"] = round(time.monotonic() - started, 1)
            progress = Progress()
            visitors = [Visitor(i, cluster.base, progress) for i in range(args.clients)]
            total = args.clients * args.messages
            monkey = asyncio.create_task(chaos(cluster, http, progress, total, report))
            load_start = time.monotonic()
            await asyncio.gather(
                *(v.run(http, args.messages, args.wait, args.think) for v in visitors)
            )
            report["load_seconds"] = round(time.monotonic() - load_start, 1)
            # Every visitor is done, so the monkey is past both marks; let it finish: cut off
            # in its second between stopping Redis and starting it again (a short load), it
            # left Redis down and the run waited for ready workers that could not be.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(monkey), timeout=30)
            if not monkey.done():
                monkey.cancel()
                report["chaos_incomplete"] = True
            elif monkey.exception() is not None:
                raise monkey.exception()  # type: ignore[misc]
            if not cluster.redis.ping():
                cluster.redis.start()
            report.update(sent=progress.sent, reconnects=progress.reconnects)
            await cluster.wait_ready(http, 2, limit=300)  # the supervisor replaced the victim
            report["worker_restarted"] = report.get("killed_worker") not in worker_pids(cluster.pid)
            report.update(await settle(db, cluster, limit=30))
            report["worker_rss_mb"] = [round(rss_mb(p)) for p in worker_pids(cluster.pid)]
        report.update(await verify(db, visitors))
        log = (workdir / "server.log").read_text(errors="replace")
        report["turns_rerun"] = log.count("rerunning the lost bot turn")
        report["unanswered_in_time"] = sum(len(v.unanswered) for v in visitors)
    finally:
        await db.dispose()
        cluster.stop()
        if not args.keep:
            await drop_database(PG_ADMIN, db_url)
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            report["workdir"], report["database"] = str(workdir), db_url
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def failed(report: dict[str, Any]) -> list[str]:
    """What went wrong, in words (empty: the test passed)."""
    problems = [f"{k} = {report.get(k)}" for k in ("lost", "duplicates") if report.get(k)]
    problems += [
        f"{k} = {report[k]}"
        for k in ("outbox_pending", "outbox_dead", "stale_locks", "stale_leases")
        if report.get(k)
    ]
    if report.get("acknowledged") != report.get("sent"):
        problems.append(f"acknowledged {report.get('acknowledged')} of {report.get('sent')}")
    if not report.get("worker_restarted") or report.get("chaos_incomplete"):
        problems.append("the worker kill / Redis restart did not happen as planned")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bench crash``."""
    p = argparse.ArgumentParser(prog="python -m bench crash", description=__doc__)
    p.add_argument("--clients", type=int, default=8, help="concurrent visitors")
    p.add_argument("--messages", type=int, default=12, help="questions per visitor")
    p.add_argument("--wait", type=float, default=90.0, help="seconds a visitor waits per answer")
    p.add_argument("--think", type=float, default=0.3, help="seconds between a visitor's turns")
    p.add_argument("--start-timeout", type=float, default=300.0)
    p.add_argument("--keep", action="store_true", help="keep the database and the logs")
    p.add_argument("--json", action="store_true", help="print the report as JSON (last line)")
    args = p.parse_args(argv)
    report = asyncio.run(run(args))
    keys = ("sent", "acknowledged", "stored", "replied", "delivered", "duplicates", "lost")
    print("crash test: " + ", ".join(f"{k} {report.get(k, 0)}" for k in keys))
    print(
        f"  killed worker {report.get('killed_worker')} (restarted: "
        f"{report.get('worker_restarted')}), Redis restarts {report.get('redis_restarts', 0)}, "
        f"reconnects {report.get('reconnects')}, redelivered frames {report.get('redelivered')}, "
        f"load {report.get('load_seconds')} s"
    )
    problems = failed(report)
    print("  FAILED: " + "; ".join(problems) if problems else "  OK: nothing lost or duplicated")
    if args.json:
        print(json.dumps(report, sort_keys=True))
    return 1 if problems else 0
