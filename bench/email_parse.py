"""Email parse throughput over the shared fixtures: prints JSON (no assertions).

.venv/bin/python bench/email_parse.py [--rounds 3] [--fixtures ../shared/fixtures/email]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels.email.parse import parse_email


def main() -> None:
    """Parse every fixture ``rounds`` times; report messages/s, MB/s and per-message latency."""
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fixtures", default=str(here.parent / "shared" / "fixtures" / "email"))
    args = parser.parse_args()
    root = Path(args.fixtures)
    if not root.is_dir():
        root = Path("/work/shared/fixtures/email")
    files = [
        p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in ("LICENSE", "README.md")
    ]
    total_bytes = sum(len(f) for f in files)
    latencies: list[float] = []
    automatic = 0
    round_seconds: list[float] = []
    for r in range(args.rounds):
        start = time.perf_counter()
        for raw in files:
            t0 = time.perf_counter()
            mail = parse_email(raw)
            latencies.append(time.perf_counter() - t0)
            if r == 0 and mail.auto_reason:
                automatic += 1
        round_seconds.append(time.perf_counter() - start)
    best = min(round_seconds)
    latencies.sort()
    print(
        json.dumps(
            {
                "bench": "email_parse",
                "messages": len(files),
                "bytes": total_bytes,
                "rounds": args.rounds,
                "messages_per_second": round(len(files) / best, 1),
                "megabytes_per_second": round(total_bytes / best / 1e6, 2),
                "latency_ms_p50": round(statistics.median(latencies) * 1000, 3),
                "latency_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
                "latency_ms_max": round(latencies[-1] * 1000, 3),
                "automatic_not_answered": automatic,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
