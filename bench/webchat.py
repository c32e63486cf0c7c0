"""``python -m bench webchat``: bot turns per second over the web chat, and two ceilings.

1. Builds a KB of ``--entries`` entries (demo FAQ + synthetic) in a temporary data dir;
   vectors are cached in ``~/.cache/kefu/vectors``, so only the first run embeds.
2. Starts ``kefu serve`` in a subprocess (SQLite by default; ``--database-url`` /
   ``--redis-url`` / ``--workers`` for a multi-worker run) with the web chat limits raised,
   and drives ``--clients`` visitors closed loop (:mod:`bench.loadgen`) for ``--duration``
   seconds after a warm-up: turns/s, latency percentiles, server CPU and peak RSS.
3. The same load generator against a bare aiohttp echo server: ``echo_turns_per_s``.
4. The embedder alone, at the batch sizes the server used (it logs them at shutdown):
   ``embed_per_s``, and ``ratio_to_embed`` = turns_per_s / embed_per_s.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import profile
from bench.common import Report, latency_summary, parser
from bench.corpus import knowledge_base, questions
from bench.loadgen import LoadResult, run_load
from bench.server import Server, free_port, start_echo, start_kefu

BATCH_LINE = re.compile(r"kb: query embedding batches (\{.*\})")
MAX_MISSES = "10"  # visitors start a new conversation every 8 turns: the bot keeps answering


def main(argv: list[str]) -> int:
    """Run the web chat bench with ``argv`` options."""
    p = parser("webchat", __doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=200, help="concurrent visitors (200)")
    p.add_argument("--duration", type=float, default=30.0, help="measured seconds (30)")
    p.add_argument("--warmup", type=float, default=None, help="seconds before measuring")
    p.add_argument("--entries", type=int, default=10_000, help="KB entries (10000)")
    p.add_argument("--workers", type=int, default=None, help="passed to kefu serve --workers")
    p.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    p.add_argument("--redis-url", default=None, help="coordination for several workers")
    p.add_argument("--skip-ceilings", action="store_true", help="no echo / embedder runs")
    p.add_argument("--profile", type=Path, default=None, help="py-spy the server into FILE")
    p.add_argument("--server-uvloop", action="store_true", help="run kefu on uvloop")
    args = p.parse_args(argv)
    report = Report("webchat", args, argv)
    warmup = args.warmup if args.warmup is not None else min(5.0, args.duration * 0.25)
    with tempfile.TemporaryDirectory(prefix="kefu-bench-webchat-") as tmp:
        result = run(args, report, Path(tmp), warmup)
    keys = ["turns_per_s", "p50_ms", "p99_ms", "echo_turns_per_s", "embed_per_s"]
    more = ["ratio_to_embed", "server_cpu_util", "server_cpu_ms_per_turn", "server_peak_rss_mb"]
    report.finish(result, [*keys, *more])
    return 0


def run(args: Any, report: Report, tmp: Path, warmup: float) -> dict[str, Any]:
    """Prepare, load kefu, load the echo server, time the embedder; the result object."""
    db_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'kefu.db'}"
    report.line(f"preparing a KB of {args.entries} entries in {tmp} ...")
    started = time.perf_counter()
    embedder = asyncio.run(_prepare(tmp, db_url, args.entries))
    report.line(f"  ready in {time.perf_counter() - started:.1f} s")
    needed = int((args.duration + warmup) * args.clients * 4 + 1000)
    texts = questions(limit=needed)
    env = {
        "KEFU_DATA_DIR": str(tmp),
        "KEFU_DATABASE_URL": db_url,
        "KEFU_LOG_LEVEL": "INFO",
        "KEFU_WEBCHAT__SESSIONS_PER_MINUTE_PER_IP": "10000",
        "KEFU_WEBCHAT__MESSAGES_PER_MINUTE": "10000",
        "KEFU_BOT__MAX_MISSES": MAX_MISSES,
    }
    if args.redis_url:
        env["KEFU_REDIS_URL"] = args.redis_url
    extra = ["--workers", str(args.workers)] if args.workers else []
    kefu = start_kefu(tmp, free_port(), env, extra, tmp / "kefu.log", uvloop=args.server_uvloop)
    kefu.wait_ready()
    processes = kefu.processes()
    report.line(f"kefu ready ({processes} process(es)); {args.clients} visitors ...")
    load, cpu = _drive(kefu, texts, args.clients, args.duration, warmup, args.profile)
    peak = kefu.peak_rss_mb
    kefu.stop()
    log = kefu.log_text()
    workers_ok = _workers_ok(args.workers, processes, log)
    batches = _batch_sizes(log)
    out: dict[str, Any] = {
        "clients": args.clients,
        "duration_s": args.duration,
        "entries": args.entries,
        "database": db_url.split(":", 1)[0],
        "workers": args.workers or 1,
        "server_processes": processes,
        "turns": load.turns,
        "turns_per_s": round(load.turns_per_s, 1),
        **latency_summary(load.latencies_ms),
        "outcomes": dict(load.outcomes),
        "errors": dict(load.errors),
        "sessions": load.sessions,
        "server_cpu_s": round(cpu, 2),
        "server_cpu_util": round(cpu / args.duration, 2),
        "server_cpu_ms_per_turn": round(1000 * cpu / load.turns, 2) if load.turns else 0.0,
        "server_peak_rss_mb": round(peak, 1),
        "embed_batch_sizes": batches,
    }
    if args.workers:
        out["workers_ok"] = workers_ok
    report.line(
        f"kefu: {out['turns_per_s']} turns/s, p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms, "
        f"p99 {out['p99_ms']} ms, server CPU {out['server_cpu_util']} cores, "
        f"peak RSS {out['server_peak_rss_mb']} MB, outcomes {out['outcomes']}, "
        f"errors {out['errors']}"
    )
    if load.turns == 0 or load.errors:
        report.line("kefu log tail:\n" + kefu.log_tail(60))
    if args.skip_ceilings:
        return out
    echo = start_echo(free_port(), tmp / "echo.log")
    echo.wait_ready()
    echo_load, _ = _drive(echo, texts, args.clients, args.duration, warmup)
    echo.stop()
    out["echo_turns_per_s"] = round(echo_load.turns_per_s, 1)
    out["echo_p99_ms"] = latency_summary(echo_load.latencies_ms)["p99_ms"]
    report.line(f"echo server: {out['echo_turns_per_s']} turns/s (same load generator)")
    embed = embed_rate(embedder, batches or {1: 1}, texts, seconds=min(6.0, args.duration))
    out["embed_per_s"] = round(embed, 1)
    out["ratio_to_embed"] = round(load.turns_per_s / embed, 3) if embed else 0.0
    out["ratio_to_echo"] = (
        round(load.turns_per_s / echo_load.turns_per_s, 3) if echo_load.turns_per_s else 0.0
    )
    report.line(
        f"embedder alone at those batch sizes: {out['embed_per_s']} texts/s; "
        f"ratio_to_embed {out['ratio_to_embed']}, ratio_to_echo {out['ratio_to_echo']}"
    )
    return out


def _drive(
    server: Server,
    texts: list[str],
    clients: int,
    duration: float,
    warmup: float,
    profile_to: Path | None = None,
) -> tuple[LoadResult, float]:
    """Run the load generator; the server's CPU seconds over the measured window only."""
    marks: dict[str, float] = {}
    spy: list[Any] = []

    async def go() -> LoadResult:
        async def mark() -> None:
            await asyncio.sleep(warmup)
            marks["cpu0"] = server.cpu()
            if profile_to is not None:
                spy.append(profile.start(server.proc.pid, duration, profile_to))
            await asyncio.sleep(duration)
            marks["cpu1"] = server.cpu()

        marker = asyncio.create_task(mark())
        result = await run_load(
            server.url, texts, clients=clients, duration=duration, warmup=warmup
        )
        await marker
        return result

    result = _run_loop(go())
    if profile_to is not None and spy:
        profile.finish(spy[0])
        print(profile.summarize(profile_to), file=sys.stderr)
    return result, marks.get("cpu1", 0.0) - marks.get("cpu0", 0.0)


def _run_loop(coro: Any) -> Any:
    """Run on uvloop when installed (a lighter load generator), else asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


async def _prepare(tmp: Path, db_url: str, entries: int) -> Any:
    """Migrate the database and ingest the KB (cached vectors); returns the raw embedder."""
    from core.db import Database, upgrade
    from kb.commands import default_cache_dir
    from kb.embedders import make_embedder
    from kb.service import KnowledgeBase
    from kb.settings import KbSettings
    from kb.vector_cache import CachedEmbedder

    await upgrade(db_url)
    settings = KbSettings()
    inner = await asyncio.to_thread(make_embedder, settings)
    cached = CachedEmbedder(inner, default_cache_dir())
    db = Database(db_url)
    kb = KnowledgeBase(db, settings, tmp, embedder=cached)
    try:
        await kb.ingest(knowledge_base(entries))
    finally:
        await kb.close()
        await db.dispose()
        await asyncio.to_thread(cached.save)
    return inner


def _batch_sizes(log: str) -> dict[int, int]:
    """The query embedding batch histogram(s) the server logged at shutdown, summed."""
    total: dict[int, int] = {}
    for m in BATCH_LINE.finditer(log):
        for size, count in json.loads(m.group(1)).items():
            total[int(size)] = total.get(int(size), 0) + int(count)
    return dict(sorted(total.items()))


def _workers_ok(workers: int | None, processes: int, log: str) -> bool | None:
    """Whether ``--workers N`` really ran N workers (None when not asked)."""
    if not workers:
        return None
    return processes >= workers and "error: unrecognized arguments" not in log


def embed_rate(embedder: Any, sizes: dict[int, int], texts: list[str], seconds: float) -> float:
    """Texts/s of the embedder alone, calls weighted as the server's batch histogram."""
    # Time the sizes that carry the work; each gets a share of the time budget.
    top = sorted(sizes.items(), key=lambda kv: -kv[0] * kv[1])[:8]
    per_call: dict[int, float] = {}
    embedder.encode(["warm-up: the first call loads the weights"])
    cursor = len(texts) // 2  # texts the run above used least
    for size, _ in top:
        budget = seconds / len(top)
        n, spent = 0, 0.0
        while spent < budget or n < 3:
            batch = [texts[(cursor + i) % len(texts)] for i in range(size)]
            cursor += size
            t0 = time.perf_counter()
            embedder.encode(batch)
            spent += time.perf_counter() - t0
            n += 1
        per_call[size] = spent / n
    texts_done = sum(s * sizes[s] for s in per_call)
    seconds_needed = sum(per_call[s] * sizes[s] for s in per_call)
    return texts_done / seconds_needed if seconds_needed > 0 else 0.0
