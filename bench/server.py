"""Servers under test as subprocesses: start, wait until ready, watch CPU and memory, stop.

CPU is user + system seconds of the whole process tree (the workers of ``--workers N``
included) over the measured window; memory is the peak of the tree's summed RSS, sampled
by a thread (plus each process's own high-water mark when only /proc is available).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT, cpu_seconds, rss_mb

START_TIMEOUT = 180.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree(pid: int) -> list[int]:
    """The pid and its descendants (psutil when installed, else /proc)."""
    try:
        import psutil

        proc = psutil.Process(pid)
        return [pid, *(c.pid for c in proc.children(recursive=True))]
    except ImportError:
        pass
    except Exception:  # the process is gone
        return []
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by the process tree."""
    total = 0.0
    for p in tree(pid):
        with contextlib.suppress(Exception):
            total += cpu_seconds(p)
    return total


class Server:
    """One server subprocess with its log file and a memory sampler."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path, url: str):
        self.url = url
        self.log_path = log
        self._log = log.open("wb")
        full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            argv, env=full_env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.peak_rss_mb = 0.0
        self._sampling = threading.Event()
        self._sampler: threading.Thread | None = None

    def wait_ready(self, path: str = "/readyz", timeout: float = START_TIMEOUT) -> None:
        """Poll ``path`` until it answers 200; SystemExit with the log tail if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + path, timeout=2) as resp:
                    if resp.status == 200:
                        self._start_sampler()
                        return
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"server did not become ready; log tail:\n{self.log_tail()}")

    def cpu(self) -> float:
        """CPU seconds of the server's process tree so far."""
        return tree_cpu(self.proc.pid)

    def processes(self) -> int:
        """How many processes the server runs (1, or 1 + workers)."""
        return len(tree(self.proc.pid))

    def _start_sampler(self) -> None:
        def sample() -> None:
            while not self._sampling.wait(0.5):
                total = sum(rss_mb(p) for p in tree(self.proc.pid))
                self.peak_rss_mb = max(self.peak_rss_mb, total)

        self._sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
        self._sampler.start()

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGINT (graceful shutdown, logs flushed), then SIGKILL if it hangs."""
        self._sampling.set()
        if self._sampler is not None:
            self._sampler.join(timeout=2)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode

    def log_text(self) -> str:
        """Everything the server printed."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server printed."""
        return "\n".join(self.log_text().splitlines()[-lines:])


UVLOOP_MAIN = "import sys, uvloop; uvloop.install(); from core.cli import main; sys.exit(main())"


def start_kefu(
    data_dir: Path,
    port: int,
    env: dict[str, str],
    extra_args: list[str],
    log: Path,
    *,
    uvloop: bool = False,
) -> Server:
    """``kefu serve`` on ``port`` with the bench's settings (env) in ``data_dir``.

    ``uvloop``: the same command on uvloop's event loop (to measure what it changes).
    """
    main = ["-c", UVLOOP_MAIN] if uvloop else ["-m", "core.cli"]
    argv = [sys.executable, *main, "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Server(argv + extra_args, env, data_dir, log, f"http://127.0.0.1:{port}")


def start_echo(port: int, log: Path) -> Server:
    """The bare aiohttp WebSocket echo server on ``port``."""
    argv = [sys.executable, "-m", "bench.echo_server", "--port", str(port)]
    return Server(argv, {}, ROOT, log, f"http://127.0.0.1:{port}")
