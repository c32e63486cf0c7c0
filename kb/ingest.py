"""Reading FAQ entries from JSONL and CSV files and documents (checked by :mod:`kb.checks`).

A malformed row never stops a file: it is reported with its 1-based line number and a plain
reason, and the other rows are read. Blocking (file I/O): call from a thread in async code.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from core.errors import BadRequest
from kb.checks import EntryProblem, check_entry
from kb.documents import SUFFIXES, read_document
from kb.types import EntryIn, IngestError

COLUMNS = ("id", "question", "answer", "similar", "category", "language", "group")
REQUIRED = ("id", "question", "answer")


def read_entries(path: Path) -> tuple[list[EntryIn], list[IngestError]]:
    """Entries from a .jsonl/.csv file or a document (.md, .html, .txt: one entry per
    section, see kb.documents), and the rows that could not be read."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv", *SUFFIXES):
        raise BadRequest(
            f"{path.name}: unknown file type {path.suffix or '(none)'!r}; use .jsonl, .csv, "
            ".md, .html or .txt"
        )
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BadRequest(f"{path}: cannot read the file ({err.strerror or err}).") from err
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if suffix in SUFFIXES:
        try:
            return read_document(path, data.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise BadRequest(f"{path.name}: not valid UTF-8 text.") from err
    if suffix == ".jsonl":
        return _collect(_jsonl_rows(data))
    return _collect(_csv_rows(data, path.name))


def _collect(
    rows: Iterable[tuple[int, Mapping[str, object] | str]],
) -> tuple[list[EntryIn], list[IngestError]]:
    """Check every raw row; a string row is already the reason it is malformed."""
    entries: list[EntryIn] = []
    errors: list[IngestError] = []
    for line, row in rows:
        try:
            if isinstance(row, str):
                raise EntryProblem(row)
            entries.append(check_entry(_entry_from(row)))
        except EntryProblem as err:
            errors.append(IngestError(line, f"line {line}: {err}"))
    return entries, errors


def _jsonl_rows(data: bytes) -> Iterable[tuple[int, Mapping[str, object] | str]]:
    """(line number, object or reason) for every non-blank line."""
    for n, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield n, "not valid UTF-8"
            continue
        except json.JSONDecodeError as err:
            yield n, f"not valid JSON ({err.msg} at column {err.colno})"
            continue
        if not isinstance(obj, dict):
            yield n, "expected a JSON object"
            continue
        yield n, obj


def _csv_rows(data: bytes, name: str) -> Iterable[tuple[int, Mapping[str, object] | str]]:
    """(first line number, row) for every record of a CSV with a header row."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise BadRequest(f"{name}: line {line}: not valid UTF-8; save the file as UTF-8.") from err
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as err:
        raise BadRequest(f"{name}: line 1: cannot read the header ({err}).") from err
    columns = [h.strip().lower() for h in header]
    absent = [c for c in REQUIRED if c not in columns]
    if absent:
        raise BadRequest(
            f"{name}: the header row lacks the column(s) {', '.join(absent)}; "
            f"expected {', '.join(COLUMNS)}."
        )
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield start, f"cannot parse the row ({err})"
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(columns):
            yield line, f"{len(record)} cells but the header has {len(columns)} columns"
            continue
        yield line, {c: v for c, v in zip(columns, record, strict=False) if c in COLUMNS}


def _entry_from(row: Mapping[str, object]) -> EntryIn:
    """An unchecked EntryIn from one raw row's fields (EntryProblem on a wrong type)."""
    similar_raw = row.get("similar")
    if similar_raw is None or similar_raw == "":
        similar: tuple[str, ...] = ()
    elif isinstance(similar_raw, str):
        similar = tuple(similar_raw.replace("\r", "\n").replace("\n", "|").split("|"))
    elif isinstance(similar_raw, list) and all(isinstance(s, str) for s in similar_raw):
        similar = tuple(similar_raw)
    else:
        raise EntryProblem("'similar' must be a list of strings or a '|'-separated string")
    group = row.get("group")
    return EntryIn(
        id=_scalar(row, "id"),
        question=_scalar(row, "question"),
        answer=_scalar(row, "answer"),
        similar=similar,
        category=_scalar(row, "category"),
        language=_scalar(row, "language"),
        group=None if group is None else _scalar(row, "group"),
    )


def _scalar(row: Mapping[str, object], key: str) -> str:
    """A string field; ids may be numbers; absent or null is ''."""
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and key in ("id", "group"):
        return str(value)
    raise EntryProblem(f"'{key}' must be a string")
