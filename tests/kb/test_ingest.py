"""Reading FAQ files and writing entries to the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import Database
from core.errors import BadRequest
from kb.checks import MAX_SIMILAR
from kb.entries import record_helpful, stored
from kb.ingest import read_entries
from kb.service import KnowledgeBase
from kb.settings import KbSettings
from kb.tables import KbEntryVersion
from kb.types import EntryIn
from tests.kb.conftest import SpyEmbedder


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD_ZH = {
    "id": "ret-zh",
    "group": "ret",
    "question": "  怎么申请退货？ ",
    "similar": ["我想退货", "我想退货", "退货流程"],
    "answer": "在App里申请。",
    "category": "returns",
}
GOOD_EN = {
    "id": "ret-en",
    "group": "ret",
    "question": "How do I return an item?",
    "similar": "I want to return my order | What's the return process?",
    "answer": "Use the app.",
    "language": "en",
}


def test_jsonl_reports_malformed_lines_and_reads_the_rest(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "faq.jsonl",
        [
            json.dumps(GOOD_ZH, ensure_ascii=False),
            "",
            '{"id": "broken", "question": "no closing brace"',
            json.dumps({"id": "no-answer", "question": "保修多久？"}, ensure_ascii=False),
            json.dumps({"id": "blank-q", "question": "   ", "answer": "x"}),
            '["not", "an", "object"]',
            json.dumps({"id": "bad-lang", "question": "q", "answer": "a", "language": "fr"}),
            json.dumps(GOOD_EN),
        ],
    )
    entries, errors = read_entries(path)

    assert [e.id for e in entries] == ["ret-zh", "ret-en"]
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [
        (3, "line 3"),
        (4, "line 4"),
        (5, "line 5"),
        (6, "line 6"),
        (7, "line 7"),
    ]
    assert errors[1].message == "line 4: missing 'answer'"
    assert errors[2].message == "line 5: missing 'question'"
    assert "JSON" in errors[0].message
    zh, en = entries
    assert zh.question == "怎么申请退货？"  # trimmed
    assert zh.similar == ("我想退货", "退货流程")  # deduplicated
    assert zh.language == "zh" and zh.group == "ret" and zh.category == "returns"
    assert en.similar == ("I want to return my order", "What's the return process?")
    assert en.language == "en"


def test_csv_with_bom_multiline_cells_and_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    rows = (
        "id,question,answer,similar,category,language,group\r\n"
        'inv-zh,怎么开发票？,在订单详情里申请开票。,"开发票\n发票怎么开|要发票",invoice,,inv\r\n'
        "bad,,没有问题的答案,,,,\r\n"
        'inv-en,How do I get an invoice?,"Open the order,\nthen tap Invoice.",,invoice,en,inv\r\n'
    )
    path.write_bytes(b"\xef\xbb\xbf" + rows.encode("utf-8"))
    entries, errors = read_entries(path)

    assert [e.id for e in entries] == ["inv-zh", "inv-en"]
    assert [(e.line, e.message) for e in errors] == [(4, "line 4: missing 'question'")]
    zh, en = entries
    assert zh.similar == ("开发票", "发票怎么开", "要发票")
    assert zh.language == "zh"
    assert en.answer == "Open the order,\nthen tap Invoice."


def test_unknown_extension_and_missing_columns_are_bad_requests(tmp_path: Path) -> None:
    txt = tmp_path / "faq.docx"
    txt.write_text("hello", encoding="utf-8")
    with pytest.raises(BadRequest, match="unknown file type"):
        read_entries(txt)
    csv_path = tmp_path / "faq.csv"
    csv_path.write_text("id,question\n1,hi\n", encoding="utf-8")
    with pytest.raises(BadRequest, match="answer"):
        read_entries(csv_path)


def test_overlong_fields_are_rejected_per_line(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "faq.jsonl",
        [
            json.dumps({"id": "long", "question": "退货" * 400, "answer": "a"}),
            json.dumps(
                {
                    "id": "ok",
                    "question": "退货",
                    "answer": "a",
                    "similar": [f"退货方式{i}" for i in range(MAX_SIMILAR + 30)],
                }
            ),
        ],
    )
    entries, errors = read_entries(path)
    assert [e.id for e in entries] == ["ok"]
    assert len(entries[0].similar) == MAX_SIMILAR
    assert errors[0].line == 1 and "longer than" in errors[0].message


async def test_ingest_file_writes_good_rows_and_they_are_searchable(
    tmp_path: Path, empty_kb: KnowledgeBase
) -> None:
    path = _jsonl(
        tmp_path / "faq.jsonl",
        [
            json.dumps(GOOD_ZH, ensure_ascii=False),
            json.dumps({"id": "no-answer", "question": "保修多久？"}, ensure_ascii=False),
            json.dumps(GOOD_EN),
        ],
    )
    report = await empty_kb.ingest_file(path)

    assert report.ingested == 2
    assert [(e.line, e.message) for e in report.errors] == [(2, "line 2: missing 'answer'")]
    assert await empty_kb.count() == 2
    result = await empty_kb.search("我想退货")
    assert result.decision == "answer"
    assert result.hits[0].entry_id == "ret-zh"
    assert result.hits[0].answer == "在App里申请。"


async def test_ingest_rejects_an_invalid_entry_and_writes_nothing(
    empty_kb: KnowledgeBase,
) -> None:
    good = EntryIn(id="a", question="怎么开发票", answer="在订单里申请")
    bad = EntryIn(id="b", question="", answer="x")
    with pytest.raises(BadRequest, match="'b'"):
        await empty_kb.ingest([good, bad])
    assert await empty_kb.count() == 0
    assert await empty_kb.ingest([]) == 0


async def test_upsert_on_both_databases(
    db: Database, kb_settings: KbSettings, tmp_path: Path, spy: SpyEmbedder
) -> None:
    kb = KnowledgeBase(db, kb_settings, tmp_path / "data", embedder=spy)
    await kb.load()
    first = [
        EntryIn(id="inv", question="怎么开发票", answer="旧答案", similar=("要发票",)),
        EntryIn(id="pwd", question="忘记密码怎么办", answer="点忘记密码"),
    ]
    assert await kb.ingest(first) == 2
    rev = kb.revision
    assert (
        await kb.ingest(
            [EntryIn(id="inv", question="怎么开发票", answer="新答案", group="invoice")]
        )
        == 1
    )

    assert await kb.count() == 2
    assert kb.revision is not None and rev is not None and kb.revision > rev
    hit = await kb.get("inv")
    assert hit is not None
    assert (hit.answer, hit.group, hit.language) == ("新答案", "invoice", "zh")
    # Ingest writes through kb.entries like authoring does: each write a version and a history
    # row, the helpful counts kept.
    assert await record_helpful(db, "inv", True)
    assert await kb.ingest([EntryIn(id="inv", question="怎么开发票", answer="第三版")]) == 1
    async with db.reader() as session:
        rows = await stored(session, ["inv", "pwd"])
        history = (
            await session.execute(
                select(
                    KbEntryVersion.entry_id, KbEntryVersion.version, KbEntryVersion.action
                ).order_by(KbEntryVersion.entry_id, KbEntryVersion.version)
            )
        ).all()
    assert (rows["inv"].version, rows["inv"].helpful, rows["inv"].updated_by) == (3, 1, "ingest")
    assert (rows["pwd"].version, rows["pwd"].status) == (1, "published")
    assert [tuple(h) for h in history] == [
        ("inv", 1, "ingest"),
        ("inv", 2, "ingest"),
        ("inv", 3, "ingest"),
        ("pwd", 1, "ingest"),
    ]
    await kb.close()
