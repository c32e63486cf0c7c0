"""The crash test, shortened: ``python -m bench crash`` with a few visitors must lose nothing.

It starts ``kefu serve --workers 2`` on a fresh PostgreSQL database and a private Redis,
kills a worker with SIGKILL and restarts Redis under load (see bench/crash.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import services_missing

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.crash
@pytest.mark.timeout(900)
def test_a_killed_worker_and_a_redis_restart_lose_and_duplicate_nothing(
    pg_database: str,  # PostgreSQL is reachable (skips or fails like the other tests)
) -> None:
    if shutil.which("redis-server") is None:
        services_missing("redis-server", FileNotFoundError("redis-server"))
    done = subprocess.run(
        [sys.executable, "-m", "bench", "crash", "--clients", "3", "--messages", "6", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=880,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["sent"] == 18
    assert report["acknowledged"] == report["stored"] == 18
    assert report["replied"] == 18 and report["delivered"] == report["replies"]
    assert (report["lost"], report["duplicates"]) == (0, 0)
    assert report["worker_restarted"] and report["redis_restarts"] == 1
    assert report["outbox_pending"] == report["outbox_dead"] == report["stale_locks"] == 0
    assert done.returncode == 0, done.stdout
