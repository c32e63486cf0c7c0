"""``python -m tests.security``: the full fuzzing and abuse run, then the figures per door.

Runs ``pytest tests/security`` with ``KEFU_FUZZ=full`` (thousands of fuzz examples per parser,
every abuse list replayed several times), collects what each test recorded and prints one
table: inputs tried, refused with 4xx, 5xx seen, crashes, healthy after, legitimate messages
sent and stored. Exits non-zero when a test failed or a target was missed.
Extra arguments go to pytest (e.g. ``-k wechat``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.security.figures import ENV, load

COLUMNS = ("tried", "rejected_4xx", "status_5xx", "crashes")


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Figures summed per entry point (a door measured by several tests adds up)."""
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: (
            {c: 0 for c in COLUMNS} | {"healthy_after": True, "legit_sent": 0, "legit_stored": 0}
        )
    )
    for row in rows:
        entry = out[row["entry"]]
        entry["kind"] = row.get("kind", "")
        for key in (*COLUMNS, "legit_sent", "legit_stored"):
            entry[key] += int(row.get(key) or 0)
        entry["healthy_after"] = entry["healthy_after"] and row.get("healthy_after", True)
    return dict(out)


def table(summary: dict[str, dict[str, Any]]) -> str:
    """The figures as a Markdown table (pasted into docs/security.md)."""
    lines = [
        "| entry point | inputs tried | rejected 4xx | 5xx | crashes | healthy after "
        "| legit sent / stored |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for name in sorted(summary, key=lambda n: (summary[n]["kind"], n)):
        f = summary[name]
        legit = f"{f['legit_sent']} / {f['legit_stored']}" if f["legit_sent"] else "-"
        lines.append(
            f"| {name} | {f['tried']} | {f['rejected_4xx']} | {f['status_5xx']} | {f['crashes']} "
            f"| {'yes' if f['healthy_after'] else 'NO'} | {legit} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Run the suite in full and print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.jsonl"
        env = dict(os.environ, KEFU_FUZZ=os.environ.get("KEFU_FUZZ", "full"), **{ENV: str(figures)})
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::hypothesis.errors.HypothesisWarning",
            # Thousands of inputs per door: the suite's 120 s per test (sized for CI's 60)
            # cut the frame fuzzer off on a busy machine; a hang is still stopped.
            "--timeout=1800",
            "tests/security",
            *argv,
        ]
        code = subprocess.call(cmd, env=env, cwd=Path(__file__).resolve().parents[2])
        summary = summarize(load(figures))
    print(f"\nkefu hostile-input figures (KEFU_FUZZ={env['KEFU_FUZZ']})\n")
    print(table(summary))
    missed = [
        n
        for n, f in summary.items()
        if f["status_5xx"]
        or f["crashes"]
        or not f["healthy_after"]
        or f["legit_sent"] != f["legit_stored"]
    ]
    if missed:
        print("\ntargets missed by: " + ", ".join(missed))
    return code or (1 if missed else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
