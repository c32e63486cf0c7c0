"""``python -m bench email``: email parse throughput over the shared fixtures (messages/s).

Parses every file under ``../shared/fixtures/email`` (real messages from several mail
libraries' test suites) ``--rounds`` times with :func:`channels.email.parse.parse_email`;
the best round gives messages/s and MB/s, every parse gives the latency percentiles.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import Report, latency_summary, parser, shared_dir
from channels.email.parse import parse_email


def fixtures(root: Path) -> list[bytes]:
    """The raw bytes of every fixture message under ``root``."""
    return [
        p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in ("LICENSE", "README.md")
    ]


def main(argv: list[str]) -> int:
    """Run the email parse bench with ``argv`` options."""
    p = parser("email", __doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="passes over the fixtures (3)")
    p.add_argument("--fixtures", type=Path, default=None, help="default ../shared/fixtures/email")
    p.add_argument("--clients", type=int, default=1, help="(ignored: parsing is one thread)")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--entries", type=int, default=None, help="(ignored)")
    args = p.parse_args(argv)
    report = Report("email", args, argv)
    files = fixtures(args.fixtures or shared_dir("fixtures") / "email")
    if not files:
        raise SystemExit("no email fixtures found")
    total_bytes = sum(len(f) for f in files)
    latencies: list[float] = []
    round_seconds: list[float] = []
    automatic = 0
    deadline = time.perf_counter() + args.duration if args.duration else None
    for r in range(max(1, args.rounds)):
        start = time.perf_counter()
        for raw in files:
            t0 = time.perf_counter()
            mail = parse_email(raw)
            latencies.append((time.perf_counter() - t0) * 1000)
            if r == 0 and mail.auto_reason:
                automatic += 1
        round_seconds.append(time.perf_counter() - start)
        if deadline is not None and time.perf_counter() > deadline:
            break
    best = min(round_seconds)
    lat = latency_summary(latencies)
    result = {
        "messages": len(files),
        "bytes": total_bytes,
        "rounds": len(round_seconds),
        "messages_per_s": round(len(files) / best, 1),
        "megabytes_per_s": round(total_bytes / best / 1e6, 2),
        **{f"latency_{k}": v for k, v in lat.items()},
        "automatic_not_answered": automatic,
    }
    report.line(
        f"email: {len(files)} messages ({total_bytes / 1e6:.1f} MB), best round {best:.2f} s: "
        f"{result['messages_per_s']} messages/s, {result['megabytes_per_s']} MB/s, "
        f"p99 {lat['p99_ms']} ms"
    )
    report.finish(result, ["messages_per_s", "megabytes_per_s", "latency_p99_ms"])
    return 0
