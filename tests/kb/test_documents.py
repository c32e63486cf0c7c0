"""Manuals cut into answerable passages, ingested and answered from."""

from __future__ import annotations

from pathlib import Path

from kb.ingest import read_entries
from kb.service import KnowledgeBase

MANUAL_MD = """# 青禾 XQ-80 洗衣机使用手册

欢迎使用青禾洗衣机。

## 故障排除

### 显示 E21 排水故障

检查排水管是否弯折或堵塞，清理底部过滤器后重新开机。

### 洗衣时噪音很大

确认运输螺栓已经拆除，并调节底脚使机器放平。

## 保养

每月用筒自洁程序清洁一次内筒。
"""

MANUAL_HTML = """<html><head><title>x</title><style>h1{}</style></head><body>
<h1>Dishwasher guide</h1>
<h2>Error F3: water does not drain</h2><p>Clean the filter at the bottom of the tub.</p>
<p>Check that the drain hose is not kinked.</p>
<h2>Dishes are not dry</h2><p>Use rinse aid &amp; open the door after the cycle.</p>
<script>alert(1)</script></body></html>"""

MANUAL_TXT = """Fridge quick guide
==================

1. The fridge is too warm
Set the dial to 4 and keep the vents free.

2. Water under the fridge
Clear the defrost drain with warm water.
"""


def test_markdown_is_cut_at_headings(tmp_path: Path) -> None:
    path = tmp_path / "xq80.md"
    path.write_text(MANUAL_MD, encoding="utf-8")
    entries, errors = read_entries(path)
    assert not errors
    by_q = {e.question: e for e in entries}
    assert set(by_q) == {"青禾 XQ-80 洗衣机使用手册", "显示 E21 排水故障", "洗衣时噪音很大", "保养"}
    e21 = by_q["显示 E21 排水故障"]
    assert e21.answer == "检查排水管是否弯折或堵塞，清理底部过滤器后重新开机。"
    assert e21.category == "青禾 XQ-80 洗衣机使用手册 / 故障排除"
    again, _ = read_entries(path)
    assert [e.id for e in again] == [e.id for e in entries]  # re-ingest updates, not duplicates


def test_html_and_text_manuals(tmp_path: Path) -> None:
    html_path = tmp_path / "dishwasher.html"
    html_path.write_text(MANUAL_HTML, encoding="utf-8")
    entries, errors = read_entries(html_path)
    assert not errors
    f3 = next(e for e in entries if e.question.startswith("Error F3"))
    assert "Clean the filter" in f3.answer and "kinked" in f3.answer and "alert" not in f3.answer
    dry = next(e for e in entries if e.question == "Dishes are not dry")
    assert "rinse aid & open" in dry.answer
    txt = tmp_path / "fridge.txt"
    txt.write_text(MANUAL_TXT, encoding="utf-8")
    entries, errors = read_entries(txt)
    assert [e.question for e in entries] == [
        "1. The fridge is too warm",
        "2. Water under the fridge",
    ]
    assert entries[1].answer == "Clear the defrost drain with warm water."


async def test_a_manual_passage_answers_a_question(empty_kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "xq80.md"
    path.write_text(MANUAL_MD, encoding="utf-8")
    report = await empty_kb.ingest_file(path)
    assert report.ingested == 4 and not report.errors
    result = await empty_kb.search("洗衣机显示E21怎么办")
    assert "排水管" in result.hits[0].answer
