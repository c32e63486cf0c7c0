"""Export of KB entries in the formats ``kefu kb ingest`` reads back (JSONL and CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from kb.authoring import EntryRecord
from kb.ingest import COLUMNS


def _row(e: EntryRecord) -> dict[str, object]:
    return {
        "id": e.id,
        "question": e.question,
        "answer": e.answer,
        "similar": list(e.similar),
        "category": e.category,
        "language": e.language,
        "group": e.group or "",
    }


def render(records: Sequence[EntryRecord], fmt: str) -> str:
    """Entries as JSONL (one object a line) or CSV (similar questions joined by '|')."""
    if fmt == "jsonl":
        return "".join(json.dumps(_row(e), ensure_ascii=False) + "\n" for e in records)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for e in records:
        row = _row(e)
        row["similar"] = "|".join(s.replace("|", "/") for s in e.similar)
        writer.writerow(row)
    return out.getvalue()
