"""Every benchmark runs once at a tiny size and prints its JSON last (no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as bench_main
from bench.common import percentile, record

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--clients", "2", "--duration", "2", "--entries", "300", "--no-record"]


def run_bench(name: str, *extra: str, timeout: float = 600) -> dict[str, Any]:
    """``python -m bench NAME`` in a subprocess; its last stdout line parsed as JSON."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench", name, *TINY, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    last = proc.stdout.strip().splitlines()[-1]
    result: dict[str, Any] = json.loads(last)
    assert result["bench"] == name and result["command"].startswith(f"python -m bench {name}")
    return result


@pytest.mark.timeout(600)
def test_webchat_bench_drives_kefu_the_echo_server_and_the_embedder() -> None:
    r = run_bench("webchat")
    for key in ("turns_per_s", "p50_ms", "p95_ms", "p99_ms", "echo_turns_per_s"):
        assert key in r
    for key in ("embed_per_s", "ratio_to_embed", "server_cpu_s", "server_peak_rss_mb"):
        assert key in r
    assert r["turns"] > 0 and r["errors"] == {}  # visitors got answers, nothing failed
    assert r["echo_turns_per_s"] > 0 and r["embed_per_s"] > 0
    assert r["server_peak_rss_mb"] > 0
    assert sum(r["embed_batch_sizes"].values()) > 0  # the server logged its batch sizes


@pytest.mark.timeout(600)
def test_kb_bench_ingests_searches_and_measures_recall() -> None:
    r = run_bench("kb")
    run = r["runs"][0]
    assert run["entries"] == 300 and run["ingest_entries_per_s"] > 0
    assert run["query_p50_ms"] > 0 and run["query_p99_ms"] >= run["query_p50_ms"]
    assert run["recall_at_1"] == 1.0  # a small KB gets the exact index
    assert run["top1_paraphrase"] > 0.5


def test_email_bench_parses_the_fixtures() -> None:
    r = run_bench("email")
    assert r["messages"] > 100 and r["messages_per_s"] > 0


def test_unknown_bench_is_named_in_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main.main(["teleport"]) == 2
    assert "teleport" in capsys.readouterr().err


def test_a_result_row_lands_in_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\n## Results\n\n<!-- results: python -m bench appends rows below -->\n\n"
        "| date | bench | command | numbers | machine |\n|---|---|---|---|---|\n"
        "| old | kb | `x` | y | z |\n\n## Notes\n\ntext\n"
    )
    monkeypatch.setattr("bench.common.DOC", doc)
    record("email", "python -m bench email", "messages_per_s 900", "2 cores")
    lines = doc.read_text().splitlines()
    at = lines.index("| old | kb | `x` | y | z |")
    assert lines[at + 1].endswith(
        "| email | `python -m bench email` | messages_per_s 900 | 2 cores |"
    )
    assert lines[-1] == "text"  # the notes after the table are untouched


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) == 0.0


def test_search_bench_indexes_and_searches() -> None:
    r = run_bench("search", "--messages", "400", "--queries", "20")
    assert r["messages"] == 400 and r["queries"] == 20
    assert r["found_avg"] > 0 and r["index_messages_per_s"] > 0  # words come from the messages


def test_urgency_bench_times_the_check_over_labelled_and_everyday_messages() -> None:
    r = run_bench("urgency", "--messages", "60", "--rounds", "2")
    assert r["messages"] == 60 and 0 < r["flagged"] < 60  # the first sets' hazards and others
    assert 0 < r["best_us"] <= r["median_us"]
