"""``kefu import kb`` and ``kefu export kb``: FAQ from a spreadsheet as a batch that can be
rolled back; the export is a UTF-8 CSV with BOM that imports back unchanged."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import Database, read_counter
from core.models import utcnow
from kb.entries import REVISION_COUNTER
from kb.tables import KbEntry, KbEntryVersion
from tests.intake.import_helpers import make_kefu, query, snapshot

FAQ = (
    "问题,答案,相似问法,分类\n"
    "洗衣机噪音很大怎么办,请检查底脚是否调平。,洗衣机响声大|洗衣机很吵,repair\n"
    '怎么申请退货,"7天内可在订单页申请退货。\n运费由我们承担。",退货流程；怎么退货,returns\n'
    "How do I reset the router?,Hold the reset button for 10 seconds.,router reset,\n"
    "没有答案的问题,,,\n"
    ",,,\n"
    "洗衣机噪音很大怎么办,重复的一行,,repair\n"
)


def seed(database_url: str) -> None:
    """One published entry the import will give a new version."""

    async def go() -> None:
        db = Database(database_url)
        async with db.transaction() as s:
            s.add(
                KbEntry(
                    id="return-zh",
                    language="zh",
                    category="returns",
                    question="怎么申请退货",
                    similar=[],
                    answer="请联系客服。",
                    status="published",
                    version=3,
                    updated_by="alice",
                    updated_at=utcnow(),
                )
            )
        await db.dispose()

    asyncio.run(go())


def revision(database_url: str) -> int:
    async def go() -> int:
        db = Database(database_url)
        async with db.reader() as s:
            value = await read_counter(s, REVISION_COUNTER)
        await db.dispose()
        return value

    return asyncio.run(go())


def test_kb_import_updates_by_question_rolls_back_and_exports_with_bom(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    seed(database_url)
    before = snapshot(database_url, skip=("import_batches", "import_items", "counters"))
    src = tmp_path / "faq.csv"
    src.write_text(FAQ, encoding="gbk")

    code, out, _ = kefu("import", "kb", str(src), "--dry-run")
    assert code == 0 and "would be created: 2" in out and "would be merged: 1" in out
    assert "line 5: missing 'answer'" in out
    assert "line 7: duplicate of line 2" in out
    code, out, _ = kefu("import", "kb", str(src))
    assert code == 0 and "  created: 2\n" in out and "  merged: 1\n" in out
    assert "  skipped: 1\n" in out and "  rejected: 1\n" in out and "empty rows skipped: 1" in out
    assert revision(database_url) == 1
    entries = {e.question: e for e in query(database_url, select(KbEntry))}
    ret = entries["怎么申请退货"]
    assert (ret.id, ret.version, ret.status, ret.updated_by) == (
        "return-zh",
        4,
        "published",
        "import",
    )
    assert ret.answer == "7天内可在订单页申请退货。\n运费由我们承担。"
    assert ret.similar == ["退货流程", "怎么退货"]
    assert entries["How do I reset the router?"].language == "en"
    assert entries["洗衣机噪音很大怎么办"].similar == ["洗衣机响声大", "洗衣机很吵"]
    versions = query(database_url, select(KbEntryVersion.entry_id, KbEntryVersion.action))
    assert sorted(a for _, a in versions) == ["import", "import", "import"]

    # The export opens in Excel (BOM) and imports back as "unchanged".
    code, _, err = kefu("export", "kb", "faq-out.csv")
    assert code == 0 and "exported 3 kb entries" in err
    raw = (tmp_path / "faq-out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,question,answer,similar,category,language,group")
    code, out, _ = kefu("import", "kb", "faq-out.csv")
    assert code == 0 and "  skipped: 3\n" in out and "  created: 0\n" in out

    code, out, _ = kefu("import", "rollback", "1")
    assert code == 0 and "2 kb entries" in out and "restored 1 changed rows" in out
    assert snapshot(database_url, skip=("import_batches", "import_items", "counters")) == before
    assert revision(database_url) == 2  # running servers reload the index


def test_kb_import_from_xlsx_as_drafts(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import Workbook

    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Question", "Answer", "Similar questions", "Category"])
    ws.append(
        [
            "Where is my parcel?",
            "Track it under My orders.",
            "parcel status\nwhere is my order",
            "delivery",
        ]
    )
    ws.append([])
    ws.append(["Do you ship abroad?", "Not yet.", None, "delivery"])
    wb.save(tmp_path / "faq.xlsx")
    code, out, _ = kefu("import", "kb", "faq.xlsx", "--draft")
    assert code == 0 and "  created: 2\n" in out
    rows = query(database_url, select(KbEntry.question, KbEntry.status, KbEntry.similar))
    assert sorted(rows) == [
        ("Do you ship abroad?", "draft", []),
        ("Where is my parcel?", "draft", ["parcel status", "where is my order"]),
    ]

    # The one export: drafts too, as JSONL that `kefu kb ingest` reads back, or to stdout.
    code, _, err = kefu("export", "kb", "drafts.jsonl", "--status", "draft")
    assert code == 0 and "exported 2 kb entries to drafts.jsonl" in err
    lines = (tmp_path / "drafts.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["question"] for line in lines) == [
        "Do you ship abroad?",
        "Where is my parcel?",
    ]
    code, out, _ = kefu("export", "kb", "-", "--format", "csv", "--status", "all")
    assert code == 0 and out.startswith("id,question,answer,similar,category,language,group\n")
    assert "parcel status|where is my order" in out
    code, out, _ = kefu("export", "kb", "-")  # published only: none
    assert code == 0 and out == "id,question,answer,similar,category,language,group\n"
