"""Sampling a server under load with py-spy, and reading the samples.

``python -m bench webchat --profile out.txt`` records the server's Python stacks (folded,
one line per distinct stack with its sample count; only samples holding the GIL, so what a
thread waits for is not counted) during the measured window, and prints where the time
goes: the functions with the most samples of their own (self) and the frames most often on
the stack (inclusive), per thread.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    """The py-spy executable (next to this Python first), or None."""
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


def start(
    pid: int, seconds: float, out: Path, *, gil: bool = True
) -> subprocess.Popen[bytes] | None:
    """Record ``pid`` and its subprocesses for ``seconds`` into ``out`` (raw folded stacks)."""
    exe = py_spy()
    if exe is None:
        print("py-spy is not installed (pip install py-spy): no profile", file=sys.stderr)
        return None
    argv = [exe, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds)))]
    argv += ["--rate", "50", "--format", "raw", "--output", str(out), "--nonblocking"]
    argv += ["--subprocesses", "--nolineno", "--threads"] + (["--gil"] if gil else [])
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes] | None, timeout: float = 60.0) -> None:
    """Wait for py-spy to write its file."""
    if proc is None:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def summarize(path: Path, top: int = 25) -> str:
    """Self and inclusive sample shares of the hottest frames in a folded-stacks file."""
    if not path.exists():
        return f"(no profile at {path})"
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f]
        if not frames:
            continue
        total += count
        thread = frames[0] if frames[0].startswith(("thread", "process")) else "?"
        threads[thread] += count
        own[frames[-1]] += count
        for frame in set(frames[1:]):
            inclusive[frame] += count
    if total == 0:
        return "(empty profile)"
    lines = [f"{total} samples; by thread: " + _shares(threads, total, 6)]
    lines.append("self (where the CPU is):")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    lines.append("inclusive (on the stack):")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(lines)


def _shares(counter: Counter[str], total: int, n: int) -> str:
    return ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in counter.most_common(n))
