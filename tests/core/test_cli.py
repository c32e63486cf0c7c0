"""The kefu command line, run as a user would: ingest, query, create an agent, migrate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def kefu(*args: str, data: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEFU_DATA_DIR": str(data), "KEFU_SECRET_KEY": "cli-test-secret-0123456"}
    env.pop("KEFU_CONFIG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=data.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    faq = root / "faq.csv"
    faq.write_text(
        "id,question,similar,answer,category,language\n"
        "wash-noise,洗衣机噪音很大怎么办,洗衣机响声大|洗衣机脱水时很吵|洗衣机震动厉害,"
        "请先检查底脚是否调平、运输螺栓是否已拆除。,repair,zh\n"
        "broken row without answer,,,,\n"
        "fridge-cold,My fridge is not cooling,fridge not cold|refrigerator warm inside,"
        "Check the temperature setting and leave 10 cm around the back for air.,repair,en\n",
        encoding="utf-8",
    )
    return root / "data"


def test_ingest_reports_bad_rows_and_keeps_the_rest(data: Path) -> None:
    proc = kefu("kb", "ingest", str(data.parent / "faq.csv"), data=data)
    assert "ingested 2 entries (1 rows skipped)" in proc.stdout
    assert "faq.csv: line 3:" in proc.stderr


def test_query_prints_the_decision_and_hits(data: Path) -> None:
    proc = kefu("kb", "query", "洗衣机声音太大了", "--json", data=data)
    out = json.loads(proc.stdout)
    assert out["decision"] in ("answer", "clarify")
    assert out["hits"][0]["id"] == "wash-noise"
    assert "底脚" in out["hits"][0]["answer"]
    cross = json.loads(kefu("kb", "query", "冰箱不制冷", "--json", data=data).stdout)
    assert cross["hits"][0]["id"] == "fridge-cold"  # Chinese question, English-only entry
    text = kefu("kb", "query", "洗衣机噪音很大怎么办", data=data).stdout
    assert text.startswith("decision: answer") and "wash-noise" in text


def test_create_agent_then_refuse_a_duplicate(data: Path) -> None:
    proc = kefu(
        "admin",
        "create-agent",
        "--email",
        "Li@Example.cn",
        "--name",
        "小李",
        "--password",
        "s3cret-pw",
        data=data,
    )
    assert "created agent li@example.cn (agent)" in proc.stdout
    again = kefu(
        "admin",
        "create-agent",
        "--email",
        "li@example.cn",
        "--password",
        "x1234",
        data=data,
        check=False,
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def test_db_upgrade_is_idempotent(data: Path) -> None:
    assert "up to date" in kefu("db", "upgrade", data=data).stdout
    assert "up to date" in kefu("db", "upgrade", data=data).stdout
