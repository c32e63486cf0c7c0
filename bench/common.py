"""What every benchmark shares: options, percentiles, process stats, the record in the docs.

Each bench prints human lines, then one JSON object as its last line, and appends a row to
``docs/benchmarks.md`` (date, bench, the exact command, the key numbers, a machine note)
unless ``--no-record`` is given. Nothing here asserts a speed: numbers are reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SHARED = ROOT.parent / "shared"
TABLE_HEADER = "| date | bench | command | numbers | machine |"
TABLE_MARK = "<!-- results: python -m bench appends rows below -->"


def parser(name: str, description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every bench takes."""
    p = argparse.ArgumentParser(prog=f"python -m bench {name}", description=description)
    p.add_argument("--json", action="store_true", help="print only the JSON object")
    p.add_argument(
        "--no-record", action="store_true", help="do not append a row to docs/benchmarks.md"
    )
    p.add_argument("--note", default="", help="free text added to the row's machine note")
    return p


def shared_dir(sub: str) -> Path:
    """``../shared/<sub>`` relative to the repository (``/work/shared`` as a fallback)."""
    here = SHARED / sub
    return here if here.exists() else Path("/work/shared") / sub


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of already sorted values, nearest rank (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = min(len(sorted_values), max(1, math.ceil(q * len(sorted_values))))
    return float(sorted_values[rank - 1])


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latencies in milliseconds, rounded."""
    s = sorted(ms)
    return {
        "p50_ms": round(percentile(s, 0.50), 2),
        "p95_ms": round(percentile(s, 0.95), 2),
        "p99_ms": round(percentile(s, 0.99), 2),
        "max_ms": round(s[-1], 2) if s else 0.0,
    }


def _status_mb(pid: int, field: str) -> float | None:
    """A memory line of /proc/PID/status (VmRSS, VmHWM) in MB; None when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1e3
    except OSError:
        pass
    return None


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MB (psutil when installed, else /proc)."""
    pid = os.getpid() if pid is None else pid
    try:
        import psutil

        return float(psutil.Process(pid).memory_info().rss) / 1e6
    except ImportError:
        return _status_mb(pid, "VmRSS") or 0.0
    except Exception:  # the process is gone
        return 0.0


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a process in MB; the current RSS when unknown."""
    pid = os.getpid() if pid is None else pid
    peak = _status_mb(pid, "VmHWM")
    return peak if peak is not None else rss_mb(pid)


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds a process (and its threads) used so far."""
    pid = os.getpid() if pid is None else pid
    try:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return float(t.user + t.system)
    except ImportError:
        pass
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_note(extra: str = "") -> str:
    """Cores, load average and Python: how noisy the numbers may be."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    note = (
        f"{os.cpu_count()} cores, load {load:.1f} at start, "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    return f"{note}; {extra}" if extra else note


class Clock:
    """Wall time since creation."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        """Seconds elapsed."""
        return time.perf_counter() - self.start


@dataclass
class Report:
    """Prints human lines unless ``--json``; ends with the JSON and the docs row."""

    bench: str
    args: argparse.Namespace
    argv: Sequence[str]
    load_at_start: float = 0.0

    def __post_init__(self) -> None:
        self.load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0

    def line(self, text: str) -> None:
        """A human-readable progress or result line (stderr under --json)."""
        print(text, file=sys.stderr if self.args.json else sys.stdout, flush=True)

    def finish(self, result: dict[str, Any], key_numbers: Sequence[str]) -> dict[str, Any]:
        """Print the JSON object last and append the docs row (unless --no-record)."""
        result = {"bench": self.bench, **result, "command": self.command()}
        print(json.dumps(result, ensure_ascii=False), flush=True)
        if not self.args.no_record:
            numbers = ", ".join(f"{k} {result[k]}" for k in key_numbers if k in result)
            record(self.bench, self.command(), numbers, machine_note(self.args.note))
        return result

    def command(self) -> str:
        """The exact command that reproduces this run."""
        return "python -m bench " + shlex.join([self.bench, *self.argv])


def record(bench: str, command: str, numbers: str, machine: str) -> None:
    """Add one row at the end of the results table in docs/benchmarks.md (made if missing)."""
    today = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    row = f"| {today} | {bench} | `{command}` | {numbers} | {machine} |"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if TABLE_MARK not in text:
        text = text.rstrip("\n") + f"\n\n## Results\n\n{TABLE_MARK}\n\n"
        text += TABLE_HEADER + "\n|---|---|---|---|---|\n"
    lines = text.split("\n")
    at = lines.index(TABLE_MARK) + 1
    while at < len(lines) and not lines[at].startswith("|"):
        at += 1  # the blank line between the marker and the table
    while at < len(lines) and lines[at].startswith("|"):
        at += 1  # past the last row
    lines.insert(at, row)
    DOC.write_text("\n".join(lines), encoding="utf-8")
